//! HubSpot-shaped response bodies, in one place so every endpoint fails the same way.
//!
//! HubSpot has two error shapes: the OAuth endpoints answer `{"status": "BAD_…", "message",
//! "correlationId", "category", "error", "error_description"}` (see `oauth::error_body`), while the
//! v3 APIs answer `{"status": "error", "message", "correlationId", "category"}`. Clients branch
//! on these fields, so the sandbox reproduces them exactly.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody as _};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::contract::{FaultBody, Roll, Vary};
use crate::state::{DailyCheck, RateCheck};

/// A correlation id for an error body.
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json;charset=utf-8")
        .body(body.to_string())
}

/// A v3 API error: `{"status":"error","message","correlationId","category"}`.
pub(crate) fn api_error(status: StatusCode, category: &str, message: &str) -> HttpResponse {
    json(status, &api_error_body(category, message))
}

/// The body of [`api_error`].
pub(crate) fn api_error_body(category: &str, message: &str) -> Value {
    json!({
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
    })
}

/// JSON 404 for a path the sandbox does not serve (HubSpot answers unknown API paths with
/// its v3 error body, never an HTML page).
pub(crate) fn unknown_path(method: &str, path: &str) -> HttpResponse {
    api_error(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        &format!("No such endpoint: {method} {path}"),
    )
}

/// JSON 405 for a known path called with a method it does not accept, with `Allow`.
pub(crate) fn wrong_method(method: &str, path: &str, allow: &str) -> HttpResponse {
    let mut response = api_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "VALIDATION_ERROR",
        &format!("Method {method} is not allowed on {path}; allowed: {allow}"),
    );
    set_header(&mut response, "allow", allow);
    response
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

/// 403 `MISSING_SCOPES`. The scopes are named in `errors[].context.requiredGranularScopes`
/// (granular scopes), or in the legacy `requiredScopes` of `errors[].context` and of the
/// top-level `context`, or both: the specs type both `context`s as maps of string arrays.
pub(crate) fn missing_scopes(required: &str, roll: &mut Roll) -> HttpResponse {
    let variant = match roll.contract.legacy_scope_context {
        Vary::Off => 0,
        Vary::On => 1,
        Vary::Seeded => roll.below(3),
    };
    let mut detail = serde_json::Map::new();
    if variant != 1 {
        detail.insert("requiredGranularScopes".to_owned(), json!([required]));
    }
    if variant != 0 {
        detail.insert("requiredScopes".to_owned(), json!([required]));
    }
    let mut body = json!({
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. \
                    Read more about required scopes here: https://developers.hubspot.com/scopes.",
        "correlationId": correlation_id(),
        "errors": [{
            "message": "One or more of the following scopes are required.",
            "context": detail,
        }],
        "links": { "scopes": "https://developers.hubspot.com/scopes" },
        "category": "MISSING_SCOPES",
    });
    if variant == 1 {
        body["context"] = json!({ "requiredScopes": [required] });
    }
    json(StatusCode::FORBIDDEN, &body)
}

/// Which fields an error body keeps (see [`reshape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Every field the sandbox sends.
    Full,
    /// Only the spec's required `category`, `correlationId`, `message` (and a 403's `errors`).
    Minimal,
    /// OAuth: without RFC 6749's `error` / `error_description`.
    NoRfc,
    /// OAuth: without HubSpot's legacy `status`.
    NoLegacy,
}

/// The shape of this response's error body, as the contract decides.
pub(crate) fn error_shape(roll: &mut Roll, oauth: bool) -> Shape {
    match roll.contract.minimal_errors {
        Vary::Off => Shape::Full,
        Vary::On => Shape::Minimal,
        Vary::Seeded if !oauth => {
            if roll.below(100) < 35 {
                Shape::Minimal
            } else {
                Shape::Full
            }
        }
        Vary::Seeded => match roll.below(100) {
            0..40 => Shape::Full,
            40..70 => Shape::Minimal,
            70..85 => Shape::NoRfc,
            _ => Shape::NoLegacy,
        },
    }
}

/// Strips an error's JSON body down to `shape`; other answers pass unchanged.
pub(crate) fn reshape(response: HttpResponse, shape: Shape) -> HttpResponse {
    let status = response.status();
    if shape == Shape::Full || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (head, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => return head.set_body(body),
    };
    let Ok(mut body) = serde_json::from_slice::<Value>(&bytes) else {
        return head.set_body(BoxBody::new(bytes));
    };
    if !strip(&mut body, shape) {
        return head.set_body(BoxBody::new(bytes));
    }
    head.set_body(BoxBody::new(body.to_string()))
}

/// Strips an error body (a JSON object with `category`) down to `shape`; whether it was one.
pub(crate) fn strip(body: &mut Value, shape: Shape) -> bool {
    let Some(map) = body.as_object_mut().filter(|m| m.contains_key("category")) else {
        return false;
    };
    match shape {
        Shape::Full => {}
        Shape::Minimal => {
            let keep_errors = map.get("category").and_then(Value::as_str) == Some("MISSING_SCOPES");
            map.retain(|k, _| {
                matches!(k.as_str(), "category" | "correlationId" | "message")
                    || (keep_errors && k == "errors")
            });
        }
        Shape::NoRfc => {
            map.remove("error");
            map.remove("error_description");
        }
        Shape::NoLegacy => {
            map.remove("status");
        }
    }
    true
}

/// Whether this 429 carries `Retry-After`: always with the knob, else as the contract says.
pub(crate) fn retry_after(knob: bool, roll: &mut Roll) -> bool {
    knob || roll.vary(roll.contract.retry_after, 50)
}

/// Drops the `X-HubSpot-RateLimit-*` headers from a 429 when the contract says so.
pub(crate) fn vary_rate_headers(mut response: HttpResponse, roll: &mut Roll) -> HttpResponse {
    if response.status() == StatusCode::TOO_MANY_REQUESTS
        && roll.vary(roll.contract.omit_rate_limit_headers, 40)
    {
        for name in [
            "x-hubspot-ratelimit-max",
            "x-hubspot-ratelimit-remaining",
            "x-hubspot-ratelimit-interval-milliseconds",
            "x-hubspot-ratelimit-daily",
            "x-hubspot-ratelimit-daily-remaining",
        ] {
            response.headers_mut().remove(name);
        }
    }
    response
}

/// Which of HubSpot's limits a 429 reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// The burst limit (110 / 10 s for OAuth apps).
    TenSecondlyRolling,
    /// The CRM search endpoints' 5 per second.
    Secondly,
    /// The daily cap.
    Daily,
}

impl Policy {
    fn message(self) -> &'static str {
        match self {
            Self::TenSecondlyRolling => "You have reached your ten_secondly_rolling limit.",
            Self::Secondly => "You have reached your secondly limit.",
            Self::Daily => "You have reached your daily limit.",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::TenSecondlyRolling => "TEN_SECONDLY_ROLLING",
            Self::Secondly => "SECONDLY",
            Self::Daily => "DAILY",
        }
    }
}

/// HubSpot's 429 body for `policy`.
fn rate_limit_body(policy: Policy, group: &str) -> HttpResponse {
    json(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({
            "status": "error",
            "message": policy.message(),
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(),
            // Not in HubSpot's rate-limit page example, but the specs' `Error` schema requires
            // `category`; `RATE_LIMITS` is the category HubSpot's error-handling page lists.
            "category": "RATE_LIMITS",
            "policyName": policy.name(),
            "groupName": group,
        }),
    )
}

/// The 429 of the search endpoints' own limit: the search window decides `Retry-After`, the
/// burst limit's headers (if counted) are added by the caller.
pub(crate) fn search_rate_limited(
    group: &str,
    search: RateCheck,
    send_retry_after: bool,
) -> HttpResponse {
    let mut response = rate_limit_body(Policy::Secondly, group);
    if send_retry_after {
        set_header(
            &mut response,
            "retry-after",
            &search.retry_after_secs.to_string(),
        );
    }
    response
}

/// The 429 of the daily cap, with `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining`.
pub(crate) fn daily_limited(
    group: &str,
    daily: DailyCheck,
    send_retry_after: bool,
) -> HttpResponse {
    let mut response = rate_limit_body(Policy::Daily, group);
    add_daily_headers(&mut response, daily);
    if send_retry_after {
        set_header(
            &mut response,
            "retry-after",
            &daily.retry_after_secs.to_string(),
        );
    }
    response
}

/// `X-HubSpot-RateLimit-Daily` and `X-HubSpot-RateLimit-Daily-Remaining`.
pub(crate) fn add_daily_headers(response: &mut HttpResponse, daily: DailyCheck) {
    set_header(
        response,
        "x-hubspot-ratelimit-daily",
        &daily.max.to_string(),
    );
    set_header(
        response,
        "x-hubspot-ratelimit-daily-remaining",
        &daily.remaining.to_string(),
    );
}

/// The 429 body HubSpot sends when the ten-second rolling limit is hit.
pub(crate) fn rate_limited(
    group: &str,
    check: Option<RateCheck>,
    send_retry_after: bool,
) -> HttpResponse {
    let mut response = rate_limit_body(Policy::TenSecondlyRolling, group);
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

/// An injected failure: HubSpot's JSON error, an HTML page (what a proxy or load balancer in
/// front of HubSpot answers) or an empty body, as the contract's `fault_body` decides.
pub(crate) fn server_error(status: u16, roll: &mut Roll) -> HttpResponse {
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
    let body = match roll.contract.fault_body {
        FaultBody::Seeded => [FaultBody::Json, FaultBody::Html, FaultBody::Empty]
            [usize::try_from(roll.below(3)).unwrap_or(0)],
        other => other,
    };
    match body {
        FaultBody::Html => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<html>\r\n<head><title>{code} {message}</title></head>\r\n<body>\r\n\
                 <center><h1>{code} {message}</h1></center>\r\n</body>\r\n</html>\r\n",
                code = status.as_u16()
            )),
        FaultBody::Empty => HttpResponse::build(status).finish(),
        FaultBody::Json | FaultBody::Seeded => api_error(status, "INTERNAL_ERROR", message),
    }
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
