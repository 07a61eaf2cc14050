//! Reading HubSpot responses safely and translating HubSpot's wire errors into the semantic
//! [`Error`].

use std::time::SystemTime;

use integration_core::Error;
use integration_core::retry::parse_retry_after;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

/// Largest success body read (a page of 100 records with many properties is well under this).
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;
/// Largest error body read; HubSpot's error documents are a few hundred bytes.
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;
/// Longest provider message passed on in an [`Error`].
const MAX_MESSAGE: usize = 300;

/// A transport failure, described without the request URL (the revoke URL holds a refresh
/// token, and reqwest's `Display` prints the URL).
pub(crate) fn transport_error(error: reqwest::Error) -> Error {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        Error::Unavailable(kind.to_owned())
    } else {
        Error::Unavailable(format!("{kind}: {}", truncate(&detail)))
    }
}

/// Reads at most `limit` bytes of body; `Ok(None)` if the body is larger.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Option<Vec<u8>>, Error> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e.without_url()))?
    {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The shape HubSpot's error documents share, across API generations: the CRM's
/// `{status:"error", message, correlationId, category}`, the v1 OAuth endpoint's
/// `{status:"BAD_REFRESH_TOKEN", message}` and RFC 6749's `{error, error_description}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "correlationId")]
    pub correlation_id: Option<String>,
}

impl ErrorBody {
    pub(crate) fn parse(body: Option<&[u8]>) -> Self {
        body.and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default()
    }

    /// The most specific machine-readable code: a v1 OAuth `status` (but not the CRM's generic
    /// `"error"`), else RFC 6749's `error`, else the CRM's `category`.
    pub(crate) fn code(&self) -> Option<&str> {
        self.status
            .as_deref()
            .filter(|s| !s.eq_ignore_ascii_case("error"))
            .or(self.error.as_deref())
            .or(self.category.as_deref())
            .filter(|s| !s.is_empty())
    }

    pub(crate) fn message(&self) -> String {
        truncate(self.raw_message())
    }

    /// The whole provider message, not truncated.
    pub(crate) fn raw_message(&self) -> &str {
        self.message
            .as_deref()
            .or(self.error_description.as_deref())
            .unwrap_or("")
    }
}

/// A short reason a body did not parse, without quoting the body.
pub(crate) fn json_reason(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "missing or mistyped fields",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

pub(crate) fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// `RateLimited`, with the wait HubSpot asked for when it said.
pub(crate) fn rate_limited(headers: &HeaderMap) -> Error {
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    Error::RateLimited { retry_after }
}

/// Logs HubSpot's rate-limit headers, which tell how close we are to the next 429.
pub(crate) fn log_rate_limit(headers: &HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let remaining = header("x-hubspot-ratelimit-remaining");
    let max = header("x-hubspot-ratelimit-max");
    let interval_ms = header("x-hubspot-ratelimit-interval-milliseconds");
    let daily_remaining = header("x-hubspot-ratelimit-daily-remaining");
    if remaining.is_some() || max.is_some() || daily_remaining.is_some() {
        tracing::debug!(
            remaining,
            max,
            interval_ms,
            daily_remaining,
            "hubspot rate limit"
        );
    }
}

/// The error for a non-success answer from a REST (non-token) endpoint.
pub(crate) fn api_error(status: u16, headers: &HeaderMap, body: Option<&[u8]>) -> Error {
    let parsed = ErrorBody::parse(body);
    if let Some(correlation_id) = &parsed.correlation_id {
        tracing::debug!(status, %correlation_id, code = parsed.code(), "hubspot error");
    }
    match status {
        // Both EXPIRED_AUTHENTICATION and INVALID_AUTHENTICATION: the connector refreshes once and
        // retries once, which settles either.
        401 => Error::Unauthorized,
        429 => rate_limited(headers),
        500..=599 => Error::Upstream { status },
        // HubSpot answers 403 `MISSING_SCOPES` with the scopes in `context.requiredGranularScopes`
        // (or similar); the connector checks scopes first, so this is the rare case of a grant
        // that changed at HubSpot.
        403 if parsed.code() == Some("MISSING_SCOPES") => Error::InsufficientScope {
            scope: parsed.message(),
        },
        400..=499 => match parsed.code() {
            Some(code) => Error::Rejected {
                code: code.to_owned(),
                message: parsed.message(),
            },
            None => Error::Upstream { status },
        },
        _ => Error::Upstream { status },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_prefer_the_specific_one() {
        let body = br#"{"status":"error","message":"m","category":"MISSING_SCOPES"}"#;
        assert_eq!(ErrorBody::parse(Some(body)).code(), Some("MISSING_SCOPES"));
        let body = br#"{"status":"BAD_AUTH_CODE","message":"m"}"#;
        assert_eq!(ErrorBody::parse(Some(body)).code(), Some("BAD_AUTH_CODE"));
        let body = br#"{"error":"invalid_grant"}"#;
        assert_eq!(ErrorBody::parse(Some(body)).code(), Some("invalid_grant"));
        assert_eq!(ErrorBody::parse(Some(b"<html>")).code(), None);
    }

    #[test]
    fn messages_are_truncated() {
        let long = "x".repeat(1000);
        assert!(truncate(&long).chars().count() <= MAX_MESSAGE + 1);
        assert_eq!(truncate("short"), "short");
    }
}
