//! Response headers every answer gets, set in one place.
//!
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere (callback
//!   URLs carry codes; a referrer would leak them to whatever the page loads next).
//! - `Strict-Transport-Security` when `PUBLIC_URL` is https.
//! - `/api`: `Cache-Control: no-store` (answers are per-user) and a CSP that allows nothing.
//! - The UI: `Content-Security-Policy` with `default-src 'self'`, framing only by
//!   `EMBED_ORIGINS`; hashed assets cached for a year, everything else revalidated.
//! - `X-Request-Id` on every answer, so a user can quote it and we can find the log lines.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, web};

/// What [`apply`] needs to know about the deployment.
#[derive(Debug, Clone)]
pub struct HeaderPolicy {
    ui_csp: HeaderValue,
    hsts: bool,
}

impl HeaderPolicy {
    /// The policy for a server reached at an https URL or not, embeddable by `embed_origins`.
    pub fn new(https: bool, embed_origins: &[String]) -> Self {
        let ancestors = if embed_origins.is_empty() {
            "'none'".to_owned()
        } else {
            embed_origins.join(" ")
        };
        let csp = format!(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
             frame-ancestors {ancestors}"
        );
        Self {
            ui_csp: HeaderValue::from_str(&csp).unwrap_or_else(|_| {
                HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'")
            }),
            hsts: https,
        }
    }
}

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const HASHED_ASSETS: &str = "/assets/";

/// The middleware: `App::new().wrap(from_fn(headers::apply))` with a
/// `web::Data<HeaderPolicy>` registered.
pub async fn apply(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let policy = req.app_data::<web::Data<HeaderPolicy>>().cloned();
    let path = req.path().to_owned();
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        headers.insert(HeaderName::from_static("x-request-id"), id);
    }
    let Some(policy) = policy else {
        return Ok(res);
    };
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    let api =
        path.starts_with("/api/") || path == "/api" || path == "/healthz" || path == "/readyz";
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        );
    } else {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy.ui_csp.clone());
        }
        let cache = if path.starts_with(HASHED_ASSETS) && res.status().is_success() {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    Ok(res)
}
