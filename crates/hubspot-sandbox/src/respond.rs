//! HubSpot-shaped response bodies, in one place so every endpoint fails the same way.
//!
//! HubSpot has two error shapes: the OAuth endpoints answer `{"status": "BAD_…", "message",
//! "correlationId"}`, while the v3 APIs answer `{"status": "error", "message", "correlationId",
//! "category"}`. Clients branch on these fields, so the sandbox reproduces them exactly.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::state::RateCheck;
use crate::tokens::correlation_id;

pub(crate) fn json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json;charset=utf-8")
        .body(body.to_string())
}

/// A v3 API error: `{"status":"error","message","correlationId","category"}`.
pub(crate) fn api_error(status: StatusCode, category: &str, message: &str) -> HttpResponse {
    json(
        status,
        &json!({
            "status": "error",
            "message": message,
            "correlationId": correlation_id(),
            "category": category,
        }),
    )
}

/// An OAuth endpoint error: 400 `{"status":"BAD_…","message","correlationId"}`.
pub(crate) fn oauth_error(status: &str, message: &str) -> HttpResponse {
    json(
        StatusCode::BAD_REQUEST,
        &json!({
            "status": status,
            "message": message,
            "correlationId": correlation_id(),
        }),
    )
}

pub(crate) fn missing_auth() -> HttpResponse {
    api_error(
        StatusCode::UNAUTHORIZED,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and \
         you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )
}

/// HubSpot answers an unknown or revoked token exactly as a missing one.
pub(crate) fn invalid_auth() -> HttpResponse {
    missing_auth()
}

/// HubSpot's expired-token answer, including the `expire time` context it sends.
pub(crate) fn expired_auth(
    ago: std::time::Duration,
    at: chrono::DateTime<chrono::Utc>,
) -> HttpResponse {
    let secs = ago.as_secs();
    let age = match secs {
        0..=59 => format!("{secs} second(s)"),
        60..=3599 => format!("{} minute(s)", secs / 60),
        3600..=86_399 => format!("{} hour(s)", secs / 3600),
        _ => format!("{} day(s)", secs / 86_400),
    };
    json(
        StatusCode::UNAUTHORIZED,
        &json!({
            "status": "error",
            "message": format!("The OAuth token used to make this call expired {age} ago."),
            "correlationId": correlation_id(),
            "category": "EXPIRED_AUTHENTICATION",
            "context": { "expire time": [crate::time::format(at)] },
        }),
    )
}

pub(crate) fn missing_scopes(required: &str) -> HttpResponse {
    json(
        StatusCode::FORBIDDEN,
        &json!({
            "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call. \
                        Read more about required scopes here: https://developers.hubspot.com/scopes.",
            "correlationId": correlation_id(),
            "errors": [{
                "message": "One or more of the following scopes are required.",
                "context": { "requiredGranularScopes": [required] },
            }],
            "links": { "scopes": "https://developers.hubspot.com/scopes" },
            "category": "MISSING_SCOPES",
        }),
    )
}

/// The 429 body HubSpot sends when the ten-second rolling limit is hit.
pub(crate) fn rate_limited(
    group: &str,
    check: Option<RateCheck>,
    send_retry_after: bool,
) -> HttpResponse {
    let mut response = json(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(),
            "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": group,
        }),
    );
    if let Some(check) = check {
        add_rate_headers(&mut response, check);
        if send_retry_after {
            set_header(
                &mut response,
                "retry-after",
                &check.retry_after_secs.to_string(),
            );
        }
    } else if send_retry_after {
        set_header(&mut response, "retry-after", "1");
    }
    response
}

pub(crate) fn server_error(status: u16) -> HttpResponse {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_server_error() || s.is_client_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match status.as_u16() {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "internal error",
    };
    api_error(status, "INTERNAL_ERROR", message)
}

/// A 200 whose JSON is cut off, as a dropped connection or a broken proxy would deliver it.
pub(crate) fn malformed(prefix: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json;charset=utf-8")
        .body(prefix.to_owned())
}

pub(crate) fn set_header(response: &mut HttpResponse, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

pub(crate) fn add_rate_headers(response: &mut HttpResponse, check: RateCheck) {
    set_header(response, "x-hubspot-ratelimit-max", &check.max.to_string());
    set_header(
        response,
        "x-hubspot-ratelimit-remaining",
        &check.remaining.to_string(),
    );
    set_header(
        response,
        "x-hubspot-ratelimit-interval-milliseconds",
        &check.interval_ms.to_string(),
    );
}
