//! Reading HubSpot responses safely and translating HubSpot's wire errors into the semantic
//! [`Error`].

use std::time::SystemTime;

use integration_core::Error;
use integration_core::retry::parse_retry_after;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

// Bounded reads, URL-free transport errors and message truncation come from the provider kit,
// like every provider's.
pub(crate) use integration_core::kit::http::{json_reason, truncate};

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
    /// Context about the error (`{"requiredGranularScopes": ["crm.objects.deals.read"]}`).
    #[serde(default)]
    pub context: Option<Context>,
    /// Further detail, each with its own context.
    #[serde(default)]
    pub errors: Option<Vec<ErrorDetail>>,
}

/// The spec types `context` as a map of string arrays; anything else in it is ignored.
pub(crate) type Context = serde_json::Map<String, serde_json::Value>;

/// One of `errors[]`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub context: Option<Context>,
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

    /// The scopes a `MISSING_SCOPES` error names in its context or its details' contexts
    /// (`requiredGranularScopes`, `requiredScopes`, `missingScopes`), deduplicated in order.
    pub(crate) fn missing_scopes(&self) -> Vec<String> {
        const KEYS: [&str; 3] = ["requiredGranularScopes", "requiredScopes", "missingScopes"];
        let details = self
            .errors
            .iter()
            .flatten()
            .filter_map(|d| d.context.as_ref());
        let mut scopes: Vec<String> = Vec::new();
        for context in self.context.iter().chain(details) {
            let names = KEYS
                .iter()
                .filter_map(|key| context.get(*key)?.as_array())
                .flatten()
                .filter_map(serde_json::Value::as_str);
            for name in names {
                let name = truncate(name.trim());
                if !name.is_empty() && !scopes.contains(&name) && scopes.len() < 16 {
                    scopes.push(name);
                }
            }
        }
        scopes
    }

    /// The whole provider message, not truncated.
    pub(crate) fn raw_message(&self) -> &str {
        self.message
            .as_deref()
            .or(self.error_description.as_deref())
            .unwrap_or("")
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
    // The portal's own count: when it is spent (other apps share it), the connector holds the
    // shared budget for the window instead of letting every replica collect 429s.
    let number = |v: Option<&str>| v.and_then(|v| v.trim().parse::<u64>().ok());
    if let (Some(left), Some(ms)) = (number(remaining), number(interval_ms)) {
        integration_core::report_rate_hint(integration_core::RateHint {
            remaining: left,
            window: std::time::Duration::from_millis(ms.clamp(1, 60_000)),
        });
    }
    let secondly = number(header("x-hubspot-ratelimit-secondly-remaining"));
    if let Some(left) = secondly {
        integration_core::report_rate_hint(integration_core::RateHint {
            remaining: left,
            window: std::time::Duration::from_secs(1),
        });
    }
    // The daily cap (private apps): once spent, nothing succeeds until the portal's midnight, in
    // a time zone we do not know. Hold for a tenth of a day, then one call finds out.
    if number(daily_remaining) == Some(0) {
        integration_core::report_rate_hint(integration_core::RateHint {
            remaining: 0,
            window: std::time::Duration::from_secs(24 * 60 * 60),
        });
    }
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
            scope: match parsed.missing_scopes() {
                names if names.is_empty() => parsed.message(),
                names => truncate(&names.join(" ")),
            },
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
    fn a_missing_scope_is_named_from_the_error_context() {
        let body = br#"{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","correlationId":"c","category":"MISSING_SCOPES","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.deals.read"]}}]}"#;
        let error = api_error(403, &HeaderMap::new(), Some(body));
        assert!(
            matches!(&error, Error::InsufficientScope { scope } if scope == "crm.objects.deals.read"),
            "{error:?}"
        );
        // Only the spec's required fields: the message stands in for the names.
        let body =
            br#"{"category":"MISSING_SCOPES","correlationId":"c","message":"scopes missing"}"#;
        let error = api_error(403, &HeaderMap::new(), Some(body));
        assert!(
            matches!(&error, Error::InsufficientScope { scope } if scope == "scopes missing"),
            "{error:?}"
        );
        let body = br#"{"category":"MISSING_SCOPES","correlationId":"c","message":"m","context":{"requiredScopes":["a","b"]},"errors":[{"message":"m","context":{"requiredGranularScopes":["b","c"]}}]}"#;
        assert_eq!(
            ErrorBody::parse(Some(body)).missing_scopes(),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn messages_are_truncated() {
        let long = "x".repeat(1000);
        assert!(truncate(&long).chars().count() <= 301);
        assert_eq!(truncate("short"), "short");
    }
}
