//! Error answers (`api_error`, `ErrorBody::parse`) and `Retry-After`: any status and body map
//! to the documented semantic error with at most a truncated message, and a wait is never
//! longer than the server asked for.
//!
//! A server's error text may echo what it was sent (a token, a client secret), so the bodies
//! here plant secrets at any position, some across the 300-character truncation point.

use std::time::{Duration, SystemTime};

use chrono::DateTime;
use integration_core::Error;
use integration_core::retry::parse_retry_after;
use proptest::prelude::*;
use proptest::sample::Index;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};

use super::{any_body, arb_text, config, long_text, mutate, object, to_bytes, token};
use crate::http::{ErrorBody, api_error, rate_limited};

/// An error body in one of HubSpot's shapes whose message or description echoes some of the
/// secrets, at any position (so some straddle the 300-char truncation point).
fn echoing_error_body() -> impl Strategy<Value = (Value, Vec<String>)> {
    let code = prop_oneof![
        Just(Value::from("BAD_REFRESH_TOKEN")),
        Just(Value::from("BAD_CLIENT_SECRET")),
        Just(Value::from("BAD_AUTH_CODE")),
        Just(Value::from("invalid_grant")),
        Just(Value::from("invalid_client")),
        Just(Value::from("error")),
        Just(Value::from("MISSING_SCOPES")),
    ];
    // Cheap filler of any length up to past the 300-char truncation point.
    let filler = (0usize..340).prop_map(|n| "ab c".chars().cycle().take(n).collect::<String>());
    let pad = prop_oneof!["\\PC{0,20}", filler, long_text()];
    let echo = (pad.clone(), any::<Index>(), pad);
    (
        prop::collection::vec(token(), 1..4),
        prop::collection::vec(echo, 1..4),
        (mutate(code.clone()), mutate(code.clone()), mutate(code)),
        any::<bool>(),
        mutate(arb_text().prop_map(Value::String)),
    )
        .prop_map(
            |(secrets, echoes, (status, error, category), in_desc, other)| {
                let text: String = echoes
                    .iter()
                    .map(|(before, which, after)| {
                        format!("{before}{}{after}", secrets[which.index(secrets.len())])
                    })
                    .collect();
                let (message, description) = if in_desc {
                    (other, Some(Value::String(text)))
                } else {
                    (Some(Value::String(text)), other)
                };
                let body = object([
                    ("status".to_owned(), status),
                    ("error".to_owned(), error),
                    ("category".to_owned(), category),
                    ("message".to_owned(), message),
                    ("error_description".to_owned(), description),
                    ("correlationId".to_owned(), Some(Value::from("c0ffee"))),
                ]);
                (body, secrets)
            },
        )
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![400u16..=404, Just(429u16), 500u16..=504, any::<u16>(),]
}

/// A `Retry-After` value: seconds (padded, huge, negative), an HTTP date, or noise.
fn retry_after_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        "[ \t]{0,3}[0-9]{1,25}[ \t]{0,3}",
        "-[0-9]{1,5}",
        (0i64..253_402_300_799).prop_map(http_date),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

fn http_date(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn headers(retry_after: Option<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(RETRY_AFTER, value);
    }
    headers
}

proptest! {
    #![proptest_config(config())]

    /// `api_error` (and `ErrorBody::parse`): never panics, maps by status as documented, passes on
    /// at most a truncated message.
    #[test]
    fn api_error_on_anything(
        status in status(),
        retry_after in proptest::option::of(retry_after_value()),
        body in proptest::option::of(prop_oneof![
            any_body(),
            echoing_error_body().prop_map(|(b, _)| to_bytes(&b)),
        ]),
    ) {
        let parsed = ErrorBody::parse(body.as_deref());
        prop_assert!(parsed.message().chars().count() <= 301);
        prop_assert!(parsed.code().is_none_or(|c| !c.is_empty()));
        let error = api_error(status, &headers(retry_after), body.as_deref());
        match status {
            401 => prop_assert!(matches!(error, Error::Unauthorized)),
            429 => prop_assert!(matches!(error, Error::RateLimited { .. }), "{error:?}"),
            400..=499 => prop_assert!(
                matches!(
                    &error,
                    Error::Rejected { code, message } if !code.is_empty() && message.chars().count() <= 301
                ) || matches!(&error, Error::InsufficientScope { scope } if scope.chars().count() <= 301)
                    || matches!(error, Error::Upstream { status: s } if s == status),
                "{error:?}"
            ),
            _ => prop_assert!(
                matches!(error, Error::Upstream { status: s } if s == status),
                "{error:?}"
            ),
        }
    }

    /// `parse_retry_after` on anything: never panics; a seconds form gives exactly that wait (so
    /// never more than it was given).
    #[test]
    fn retry_after_on_anything(value in retry_after_value(), now in (0u64..8_000_000_000)) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
        let parsed = parse_retry_after(&value, now);
        if let Ok(seconds) = value.trim().parse::<u64>() {
            prop_assert_eq!(parsed, Some(Duration::from_secs(seconds)));
        }
        // Whatever it is, `rate_limited` carries it without panicking.
        let error = rate_limited(&headers(Some(value)));
        prop_assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    }

    /// Seconds with whitespace padding, and HTTP dates around now: the wait is never more than
    /// what was given (the seconds, or the time until the date), and a past date means now.
    #[test]
    fn retry_after_is_never_more_than_given(
        seconds in any::<u64>(),
        pad in ("[ \t]{0,3}", "[ \t]{0,3}"),
        now in 1_000_000_000i64..4_000_000_000,
        offset in -10_000_000i64..10_000_000,
    ) {
        let epoch = SystemTime::UNIX_EPOCH;
        let at = epoch + Duration::from_secs(now as u64);
        let given = format!("{}{seconds}{}", pad.0, pad.1);
        let wait = parse_retry_after(&given, at);
        prop_assert_eq!(wait, Some(Duration::from_secs(seconds)));
        let date = http_date(now + offset);
        let wait = parse_retry_after(&date, at).unwrap();
        prop_assert_eq!(wait, Duration::from_secs(offset.max(0) as u64));
    }

    /// An error as the spec allows it — only `category`, `correlationId` and `message` required,
    /// `context` and `errors[].context` optional maps of string arrays — on any 4xx/5xx: a
    /// typed error, a 403 `MISSING_SCOPES` names the scopes it listed.
    #[test]
    fn error_answers_the_spec_allows_are_typed(
        status in prop_oneof![400u16..=404, Just(409u16), Just(429u16), 500u16..=504],
        category in prop_oneof![Just("MISSING_SCOPES".to_owned()), Just("VALIDATION_ERROR".to_owned()), "[A-Z_]{1,20}"],
        message in "\\PC{0,80}",
        scopes in prop::collection::vec("[a-z.]{1,30}", 0..4),
        in_details in any::<bool>(),
    ) {
        let mut body = json!({"category": category, "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf", "message": message});
        if !scopes.is_empty() {
            let context = json!({"requiredGranularScopes": scopes});
            if in_details {
                body["errors"] = json!([{"message": "m", "context": context}]);
            } else {
                body["context"] = context;
            }
        }
        let error = api_error(status, &HeaderMap::new(), Some(&to_bytes(&body)));
        match (status, category.as_str()) {
            (401, _) => prop_assert!(matches!(error, Error::Unauthorized)),
            (429, _) => prop_assert!(matches!(error, Error::RateLimited { .. }), "{error:?}"),
            (500..=599, _) => prop_assert!(matches!(error, Error::Upstream { .. }), "{error:?}"),
            (403, "MISSING_SCOPES") if !scopes.is_empty() => {
                let mut unique = Vec::new();
                for s in &scopes {
                    if !unique.contains(s) {
                        unique.push(s.clone());
                    }
                }
                prop_assert!(
                    matches!(&error, Error::InsufficientScope { scope } if *scope == unique.join(" ")),
                    "{error:?}"
                );
            }
            (403, "MISSING_SCOPES") => {
                prop_assert!(matches!(error, Error::InsufficientScope { .. }), "{error:?}")
            }
            _ => prop_assert!(
                matches!(&error, Error::Rejected { code, .. } if *code == category),
                "{error:?}"
            ),
        }
    }
}
