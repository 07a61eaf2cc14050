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
    /// The provider sends no events (webhooks), or this deployment does not receive them.
    #[error("{0}")]
    EventsUnsupported(String),
    /// The provider cannot search its records.
    #[error("{0}")]
    SearchUnsupported(String),
    /// The provider cannot list its object types or fields.
    #[error("{0}")]
    DiscoveryUnsupported(String),
    /// The provider cannot say how its records relate.
    #[error("{0}")]
    AssociationsUnsupported(String),
    /// The provider cannot read one record by its id.
    #[error("{0}")]
    LookupUnsupported(String),
    /// No live record of that kind has the id.
    #[error("no record of that kind has this id (it may have been archived or deleted)")]
    RecordNotFound,
    /// A webhook request whose signature is missing, wrong, stale or already used.
    #[error("{0}")]
    InvalidSignature(String),
    /// A signed webhook request whose body is not the provider's format.
    #[error("{0}")]
    InvalidWebhook(String),
    /// A request body over the route's limit (bytes).
    #[error("the request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// A bug or misconfiguration on our side; the cause (with its own causes) is logged, never
    /// returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Declares [`ProblemCode`] from one table: each code's doc (what the OpenAPI schema says),
/// wire name, HTTP status and title. The code list, the schema and the statuses cannot disagree.
macro_rules! problem_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $code:literal, $status:ident, $title:literal;)+) => {
        /// Every `code` a problem can carry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl ProblemCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),+];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code,)+
                }
            }

            /// The HTTP status every problem with this code has.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ProblemCode::$variant => StatusCode::$status,)+
                }
            }

            /// A short human summary.
            pub const fn title(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $title,)+
                }
            }
        }
    };
}

problem_codes! {
    /// 400: the request is malformed.
    InvalidRequest = "invalid_request", BAD_REQUEST, "Invalid request";
    /// 400: the provider has no incremental sync (export instead).
    ChangesUnsupported = "changes_unsupported", BAD_REQUEST, "Not supported by this provider";
    /// 400: the provider sends no events, or this deployment does not receive its webhooks.
    EventsUnsupported = "events_unsupported", BAD_REQUEST, "No events from this provider";
    /// 400: `search` on a provider that cannot search (search the synced records instead).
    SearchUnsupported = "search_unsupported", BAD_REQUEST, "Search not supported by this provider";
    /// 400: object types or fields asked of a provider that cannot list them.
    DiscoveryUnsupported = "discovery_unsupported", BAD_REQUEST, "Discovery not supported by this provider";
    /// 400: `associations` asked of a provider that cannot say how its records relate.
    AssociationsUnsupported = "associations_unsupported", BAD_REQUEST, "Associations not supported by this provider";
    /// 400: one record by id, of a provider that cannot read records by id.
    LookupUnsupported = "lookup_unsupported", BAD_REQUEST, "Reading one record not supported by this provider";
    /// 400: a signed webhook whose body is not the provider's format.
    InvalidWebhook = "invalid_webhook", BAD_REQUEST, "Webhook not understood";
    /// 400: the OAuth state is unknown, expired, replayed, or another browser's or user's.
    InvalidState = "invalid_state", BAD_REQUEST, "Invalid OAuth state";
    /// 401 (`jwt` mode): no, malformed, expired or forged bearer token.
    Unauthenticated = "unauthenticated", UNAUTHORIZED, "Authentication required";
    /// 401: the grant was revoked, expired or is unreadable; reconnect.
    ReauthRequired = "reauth_required", UNAUTHORIZED, "Reconnection required";
    /// 401: a webhook request whose signature is missing, wrong, stale or already used.
    InvalidSignature = "invalid_signature", UNAUTHORIZED, "Invalid signature";
    /// 403: the grant lacks a permission the request needs; reconnect.
    InsufficientScope = "insufficient_scope", FORBIDDEN, "Permission not granted";
    /// 404: no such integration.
    UnknownProvider = "unknown_provider", NOT_FOUND, "Unknown integration";
    /// 404: no such route.
    NotFound = "not_found", NOT_FOUND, "Not found";
    /// 404: no live record of that kind has the id.
    RecordNotFound = "record_not_found", NOT_FOUND, "No such record";
    /// 404: the user has not connected the integration.
    NotConnected = "not_connected", NOT_FOUND, "Integration not connected";
    /// 405: the route does not take this method (see `Allow`).
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "Method not allowed";
    /// 413: the request body is over the route's limit.
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "Request too large";
    /// 429: the provider is rate-limiting; see `Retry-After` and `retry_after`.
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "Rate limited";
    /// 500: a bug; the cause is logged with the request id.
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "Internal error";
    /// 502: the provider failed or answered nonsense.
    UpstreamError = "upstream_error", BAD_GATEWAY, "Provider error";
    /// 503: Redis is unreachable.
    StoreUnavailable = "store_unavailable", SERVICE_UNAVAILABLE, "Service unavailable";
    /// 503: the identity provider's keys could not be fetched.
    AuthUnavailable = "auth_unavailable", SERVICE_UNAVAILABLE, "Identity provider unavailable";
    /// 504: the provider did not answer within the request deadline.
    UpstreamTimeout = "upstream_timeout", GATEWAY_TIMEOUT, "Provider timeout";
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
    #[schema(example = "reauth_required")]
    code: ProblemCode,
    /// Seconds to wait before retrying (`rate_limited`, `store_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ApiError {
    /// The problem this error is.
    pub fn problem(&self) -> ProblemCode {
        match self {
            ApiError::InvalidRequest(_) => ProblemCode::InvalidRequest,
            ApiError::UnknownProvider(_) => ProblemCode::UnknownProvider,
            ApiError::NotFound => ProblemCode::NotFound,
            ApiError::NotConnected => ProblemCode::NotConnected,
            ApiError::ReauthRequired(_) => ProblemCode::ReauthRequired,
            ApiError::RateLimited(_) => ProblemCode::RateLimited,
            ApiError::Upstream(_) => ProblemCode::UpstreamError,
            ApiError::StoreUnavailable => ProblemCode::StoreUnavailable,
            ApiError::InvalidState(_) => ProblemCode::InvalidState,
            ApiError::Unauthenticated(_) => ProblemCode::Unauthenticated,
            ApiError::AuthUnavailable => ProblemCode::AuthUnavailable,
            ApiError::InsufficientScope(_) => ProblemCode::InsufficientScope,
            ApiError::MethodNotAllowed(_) => ProblemCode::MethodNotAllowed,
            ApiError::UpstreamTimeout(_) => ProblemCode::UpstreamTimeout,
            ApiError::Unsupported(_) => ProblemCode::ChangesUnsupported,
            ApiError::EventsUnsupported(_) => ProblemCode::EventsUnsupported,
            ApiError::SearchUnsupported(_) => ProblemCode::SearchUnsupported,
            ApiError::DiscoveryUnsupported(_) => ProblemCode::DiscoveryUnsupported,
            ApiError::AssociationsUnsupported(_) => ProblemCode::AssociationsUnsupported,
            ApiError::LookupUnsupported(_) => ProblemCode::LookupUnsupported,
            ApiError::RecordNotFound => ProblemCode::RecordNotFound,
            ApiError::InvalidSignature(_) => ProblemCode::InvalidSignature,
            ApiError::InvalidWebhook(_) => ProblemCode::InvalidWebhook,
            ApiError::PayloadTooLarge(_) => ProblemCode::PayloadTooLarge,
            ApiError::Internal(_) => ProblemCode::InternalError,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.problem().as_str()
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
        self.problem().status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %log_text(&chain(cause.as_ref())), "internal error");
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
            title: self.problem().title(),
            status: status.as_u16(),
            detail,
            code: self.problem(),
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
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<integration_core::IntakeError> for ApiError {
    fn from(error: integration_core::IntakeError) -> Self {
        use integration_core::{IntakeError, WebhookError};
        match error {
            IntakeError::NotReceived(_) => ApiError::EventsUnsupported(error.to_string()),
            IntakeError::Refused(WebhookError::Unauthenticated(why)) => {
                ApiError::InvalidSignature(format!("Webhook signature refused: {why}."))
            }
            IntakeError::Refused(WebhookError::Malformed(why)) => {
                ApiError::InvalidWebhook(format!("Webhook body not understood: {why}."))
            }
            IntakeError::Store(store) => store.into(),
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
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// An error and its causes, outermost first: `a: b: c`.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// Turns actix's own extractor failures (malformed query strings, paths) into problems.
pub fn extractor_error(err: impl std::fmt::Display) -> actix_web::Error {
    ApiError::InvalidRequest(err.to_string()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_spelled_on_the_wire_as_it_says_and_has_one_status() {
        for code in ProblemCode::ALL {
            let wire = serde_json::to_value(code).expect("serialises");
            assert_eq!(wire, code.as_str(), "{code:?}");
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{code:?}"
            );
        }
        let mut names: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProblemCode::ALL.len(), "codes are unique");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    /// An internal error keeps its causes for the log and answers none of them.
    #[test]
    fn internal_errors_keep_their_causes_for_the_log_only() {
        let error = ApiError::Internal(Box::new(Outer(std::io::Error::other("disk on fire"))));
        assert_eq!(chain(&error), "internal error: outer: disk on fire");
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .expect("a ready body")
            .expect("bytes");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("internal_error"), "{text}");
        assert!(
            !text.contains("disk on fire") && !text.contains("outer"),
            "{text}"
        );
    }

    /// The README's table of codes is for people; it lists every code with its status.
    #[test]
    fn the_readme_documents_every_code_with_its_status() {
        let readme = include_str!("../../../README.md");
        for code in ProblemCode::ALL {
            let row = readme
                .lines()
                .find(|l| {
                    l.starts_with(&format!("| `{}`", code.as_str()))
                        || l.contains(&format!("/ `{}` |", code.as_str()))
                })
                .unwrap_or_else(|| panic!("README lists no `{}`", code.as_str()));
            let status = code.status().as_u16().to_string();
            assert!(row.contains(&format!("| {status} |")), "{row}");
        }
    }
}
