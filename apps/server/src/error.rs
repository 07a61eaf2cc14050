//! The one place where failures become HTTP.
//!
//! Every error response is `application/problem+json` (RFC 9457) with a stable `code` that
//! clients switch on. Library errors arrive as semantic enums and are translated here; a 500 never
//! carries its cause to the client (the cause goes to the log with the request id).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use integration_core::{Error as IntegrationError, StoreError};
use serde::Serialize;

use crate::telemetry::log_text;

/// Wait suggested to clients after a 429 when the provider did not say how long.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is malformed (bad user id, bad limit, bad cursor…).
    #[error("{0}")]
    InvalidRequest(String),
    /// No provider of that id is registered.
    #[error("no integration named '{0}'")]
    UnknownProvider(String),
    /// No such API route.
    #[error("no such API route")]
    NotFound,
    /// The user has not connected the provider.
    #[error("this integration is not connected for the user")]
    NotConnected,
    /// The user must go through consent again.
    #[error("{0}")]
    ReauthRequired(String),
    /// The provider is rate-limiting us even after waiting.
    #[error("the provider is rate-limiting requests; try again later")]
    RateLimited(Option<Duration>),
    /// The provider failed or answered something we do not understand.
    #[error("{0}")]
    Upstream(String),
    /// Redis is unreachable.
    #[error("the token store is unavailable; try again shortly")]
    StoreUnavailable,
    /// The OAuth `state` is unknown, expired, replayed or belongs to someone else.
    #[error("{0}")]
    InvalidState(String),
    /// The caller did not prove who it is (jwt mode): no, malformed, expired or forged token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The identity provider's keys (JWKS) could not be fetched.
    #[error("the identity provider's keys could not be fetched; try again shortly")]
    AuthUnavailable,
    /// The connection lacks a permission the request needs.
    #[error("{0}")]
    InsufficientScope(String),
    /// The route exists but not for this method.
    #[error("this route does not accept the method; allowed: {0}")]
    MethodNotAllowed(&'static str),
    /// The provider did not answer within the request deadline.
    #[error("{0}")]
    UpstreamTimeout(String),
    /// The provider cannot do this (incremental sync of a provider without it).
    #[error("{0}")]
    Unsupported(String),
    /// A bug or misconfiguration on our side; details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

/// An RFC 9457 problem document, as every error response carries it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    kind: String,
    /// Short human summary.
    title: &'a str,
    /// The HTTP status.
    status: u16,
    /// What went wrong, for humans.
    detail: String,
    /// Stable machine-readable code.
    #[schema(value_type = crate::routes::openapi::ProblemCode, example = "reauth_required")]
    code: &'a str,
    /// Seconds to wait before retrying (`rate_limited`, `store_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ApiError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::UnknownProvider(_) => "unknown_provider",
            ApiError::NotFound => "not_found",
            ApiError::NotConnected => "not_connected",
            ApiError::ReauthRequired(_) => "reauth_required",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Upstream(_) => "upstream_error",
            ApiError::StoreUnavailable => "store_unavailable",
            ApiError::InvalidState(_) => "invalid_state",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::AuthUnavailable => "auth_unavailable",
            ApiError::InsufficientScope(_) => "insufficient_scope",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::UpstreamTimeout(_) => "upstream_timeout",
            ApiError::Unsupported(_) => "changes_unsupported",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// Every code an error response can carry (documented in the OpenAPI `Problem` schema).
    pub const CODES: &'static [&'static str] = &[
        "invalid_request",
        "changes_unsupported",
        "invalid_state",
        "unauthenticated",
        "reauth_required",
        "insufficient_scope",
        "unknown_provider",
        "not_found",
        "not_connected",
        "method_not_allowed",
        "rate_limited",
        "internal_error",
        "upstream_error",
        "store_unavailable",
        "auth_unavailable",
        "upstream_timeout",
    ];

    fn title(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "Invalid request",
            ApiError::UnknownProvider(_) => "Unknown integration",
            ApiError::NotFound => "Not found",
            ApiError::NotConnected => "Integration not connected",
            ApiError::ReauthRequired(_) => "Reconnection required",
            ApiError::RateLimited(_) => "Rate limited",
            ApiError::Upstream(_) => "Provider error",
            ApiError::StoreUnavailable => "Service unavailable",
            ApiError::InvalidState(_) => "Invalid OAuth state",
            ApiError::Unauthenticated(_) => "Authentication required",
            ApiError::AuthUnavailable => "Identity provider unavailable",
            ApiError::InsufficientScope(_) => "Permission not granted",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::UpstreamTimeout(_) => "Provider timeout",
            ApiError::Unsupported(_) => "Not supported by this provider",
            ApiError::Internal(_) => "Internal error",
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited(wait) => {
                // Round up: telling a client "0" would invite an immediate retry.
                let wait = wait.unwrap_or(DEFAULT_RETRY_AFTER);
                Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).map(|s| s.max(1))
            }
            ApiError::StoreUnavailable | ApiError::AuthUnavailable => Some(5),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) | ApiError::InvalidState(_) | ApiError::Unsupported(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::UnknownProvider(_) | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::NotConnected => StatusCode::NOT_FOUND,
            ApiError::ReauthRequired(_) => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::StoreUnavailable | ApiError::AuthUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %log_text(cause), "internal error");
                "Something went wrong on our side; it has been logged.".to_owned()
            }
            other => other.to_string(),
        };
        // Each failure is logged once, here, inside the request's span (so with its id).
        match self {
            ApiError::Internal(_) => {}
            _ if status.is_server_error() => {
                tracing::warn!(code = self.code(), detail = %log_text(&detail), "request failed");
            }
            // The detail may quote the request (a provider name, a malformed parameter).
            _ => tracing::info!(code = self.code(), detail = %log_text(&detail), "request refused"),
        }
        let problem = Problem {
            kind: format!("https://docs.vectorshift.ai/errors/{}", self.code()),
            title: self.title(),
            status: status.as_u16(),
            detail,
            code: self.code(),
            retry_after: self.retry_after_secs(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Some(secs) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match self {
            ApiError::Unauthenticated(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
            }
            ApiError::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, *allow));
            }
            _ => {}
        }
        response.json(problem)
    }
}

impl From<IntegrationError> for ApiError {
    fn from(error: IntegrationError) -> Self {
        match error {
            IntegrationError::NotConnected => ApiError::NotConnected,
            IntegrationError::ReauthRequired { reason } => {
                ApiError::ReauthRequired(format!("The connection must be re-authorised: {reason}"))
            }
            IntegrationError::Unauthorized => {
                ApiError::ReauthRequired("The provider rejected the access token.".into())
            }
            IntegrationError::RateLimited { retry_after } => ApiError::RateLimited(retry_after),
            IntegrationError::Rejected { code, message } => ApiError::Upstream(format!(
                "The provider rejected the request ({code}): {message}"
            )),
            IntegrationError::Upstream { status } => {
                ApiError::Upstream(format!("The provider answered HTTP {status}."))
            }
            IntegrationError::InvalidResponse(why) => {
                ApiError::Upstream(format!("The provider's response was not understood: {why}"))
            }
            IntegrationError::Unavailable(why) => {
                ApiError::Upstream(format!("The provider could not be reached: {why}"))
            }
            IntegrationError::Store(store) => store.into(),
            IntegrationError::InvalidInput(why) => ApiError::InvalidRequest(why),
            IntegrationError::Unsupported(why) => ApiError::Unsupported(why),
            IntegrationError::InsufficientScope { scope } => ApiError::InsufficientScope(format!(
                "The connection was not granted the '{scope}' permission; reconnect and approve it."
            )),
            IntegrationError::DeadlineExceeded(limit) => ApiError::UpstreamTimeout(format!(
                "The provider did not answer within {} s; try again.",
                limit.as_secs()
            )),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(why) => {
                tracing::warn!(%why, "token store unavailable");
                ApiError::StoreUnavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Turns actix's own extractor failures (malformed query strings, paths) into problems.
pub fn extractor_error(err: impl std::fmt::Display) -> actix_web::Error {
    ApiError::InvalidRequest(err.to_string()).into()
}
