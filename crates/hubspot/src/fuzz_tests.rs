//! Property tests (issues #8, #15): the introspection, CRM page and error parsers never panic,
//! fail only with the documented semantic error, and never let a token or an echoed secret out
//! through `Display` or `Debug`; and on answers anywhere in the value space HubSpot's published
//! specs allow (a `string` is any string, an optional field may be absent), they never fail.
//! Each property runs [`CASES`] cases.

use std::time::{Duration, SystemTime};

use chrono::DateTime;
use integration_core::Error;
use integration_core::retry::parse_retry_after;
use proptest::prelude::*;
use proptest::sample::Index;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use serde_json::{Number, Value, json};
use url::Url;

use crate::http::{ErrorBody, api_error, rate_limited};
use crate::objects::{ObjectKind, parse_archived, parse_page};
use crate::token::parse_info;

/// Cases per property (the token endpoint's parsing is fuzzed where it now lives, in the kit).
const CASES: u32 = 2_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // Failures print their minimal input; no regression files written into the tree.
        failure_persistence: None,
        // The same cases every run, so CI is reproducible; `PROPTEST_RANDOM=1` explores anew.
        rng_seed: if std::env::var_os("PROPTEST_RANDOM").is_some() {
            proptest::test_runner::RngSeed::Random
        } else {
            proptest::test_runner::RngSeed::Fixed(0x5EED_0008)
        },
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Any JSON number: small and huge integers, and finite floats.
fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
    ]
}

/// Any JSON string: empty, short unicode, or long.
fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,24}",
        1 => Just(String::new()),
        1 => long_text(),
    ]
}

/// A long string (up to 8,000 chars), built by repetition so generating it is cheap.
fn long_text() -> impl Strategy<Value = String> {
    ("\\PC{1,3}", 100usize..8_000).prop_map(|(unit, n)| unit.repeat(n / unit.chars().count()))
}

/// Any JSON value, nested up to three levels.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,12}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// The values a sloppy or hostile server puts where a well-typed one belongs.
fn weird_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(u64::MAX)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX / 1000 + 1)),
        Just(json!(-1)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!(3.5)),
        Just(json!("")),
        Just(json!(" ")),
        Just(json!("bearer")),
        Just(json!("\u{0}\u{7f}\u{202e}é😀")),
        Just(json!([])),
        Just(json!({})),
        Just(json!(true)),
        arb_number(),
        arb_text().prop_map(Value::String),
    ]
}

/// Keeps a documented field, drops it, nulls it or mistypes it. `None` means absent.
fn mutate(valid: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => valid.prop_map(Some),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        2 => weird_value().prop_map(Some),
        1 => arb_json().prop_map(Some),
    ]
}

/// A token-like secret: long enough that it cannot occur by chance in our own error texts.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{20,64}"
}

/// Extra fields a server may add; never one of the documented names or aliases.
fn extras() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec(("x_[a-z]{0,8}", arb_json()), 0..2)
}

fn object(fields: impl IntoIterator<Item = (String, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
    )
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// Bytes that are almost the given JSON: cut short, or with one byte changed.
fn damage(body: Vec<u8>, at: Index, byte: u8, cut: bool) -> Vec<u8> {
    let mut body = body;
    if body.is_empty() {
        return body;
    }
    let i = at.index(body.len());
    if cut {
        body.truncate(i);
    } else {
        body[i] = byte;
    }
    body
}

/// A `paging.next.after` as the spec types it: a "paging cursor token", i.e. any non-empty
/// string — the spec's own example, base64 with `+`, `/` and `=`, percent-escapes, spaces,
/// non-ASCII, up to 2 KiB.
fn opaque_after() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("NTI1Cg%3D%3D".to_owned()),
        "\\PC{1,64}",
        "[A-Za-z0-9+/]{1,60}={0,2}",
        "[%A-F0-9=+/ ]{1,80}",
        ("\\PC{1,4}", 1usize..512).prop_map(|(unit, n)| unit.repeat(n)),
    ]
    .prop_filter("a cursor of at most 2 KiB", |s| s.len() <= 2048)
}

/// An RFC 3339 time as HubSpot may spell it: with no, 3 or 6 fractional digits, `Z` or an
/// offset.
fn spec_time(unix: i64, nanos: u32, style: u8) -> String {
    let at = DateTime::from_timestamp(unix, nanos).unwrap();
    match style % 4 {
        0 => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        1 => at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        2 => at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        _ => at.to_rfc3339(),
    }
}

/// A CRM list page in the documented shape, fields then kept, dropped, nulled or mistyped.
fn page_body() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        "\\PC{1,20}".prop_map(Value::String),
        "[1-9][0-9]{0,12}".prop_map(Value::String),
        any::<u64>().prop_map(Value::from),
    ];
    let properties = prop::collection::vec(("[a-z]{1,10}", arb_json()), 0..5)
        .prop_map(|p| Value::Object(p.into_iter().collect()));
    let time = prop_oneof![
        Just(Value::from("2024-01-02T03:04:05.678Z")),
        Just(Value::from("2024-13-45T99:99:99Z")),
        "\\PC{0,30}".prop_map(Value::String),
    ];
    let record = (
        mutate(id),
        mutate(properties),
        mutate(time.clone()),
        mutate(time),
    )
        .prop_map(|(id, p, c, u)| {
            object([
                ("id".to_owned(), id),
                ("properties".to_owned(), p),
                ("createdAt".to_owned(), c),
                ("updatedAt".to_owned(), u),
            ])
        });
    let record = prop_oneof![9 => record, 1 => arb_json()];
    let results = mutate(prop::collection::vec(record, 0..6).prop_map(Value::Array));
    let after = prop_oneof![
        opaque_after().prop_map(Value::String),
        any::<u64>().prop_map(Value::from),
        Just(Value::String(
            "a".repeat(integration_core::Cursor::MAX_WRAPPED + 1)
        )),
        Just(Value::String(String::new())),
    ];
    let next = mutate(
        (
            mutate(after),
            mutate("https://api.hubapi.com/[!-~]{0,20}".prop_map(Value::String)),
        )
            .prop_map(|(a, l)| object([("after".to_owned(), a), ("link".to_owned(), l)])),
    );
    let paging = mutate(next.prop_map(|n| object([("next".to_owned(), n)])));
    (results, paging, extras()).prop_map(|(r, p, extras)| {
        let mut body = object([("results".to_owned(), r), ("paging".to_owned(), p)]);
        if let Value::Object(map) = &mut body {
            map.extend(extras);
        }
        body
    })
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// What `parse_page` must make of a JSON value.
enum ExpectedPage {
    /// A valid page: these ids, this cursor.
    Valid(Vec<String>, Option<String>),
    Invalid,
    /// serde also reads a struct from an array of its fields (`"paging": []`); that leniency is
    /// harmless and not modelled, so only the general properties are checked.
    Unspecified,
}

fn expected_page(value: &Value, with_links: bool) -> ExpectedPage {
    use ExpectedPage::{Invalid, Unspecified, Valid};
    let opt = |v: Option<&Value>, ok: fn(&Value) -> bool| match v {
        None | Some(Value::Null) => true,
        Some(v) => ok(v),
    };
    let map = match value {
        Value::Object(map) => map,
        Value::Array(_) => return Unspecified,
        _ => return Invalid,
    };
    let Some(results) = map.get("results").and_then(Value::as_array) else {
        return Invalid;
    };
    let mut ids = Vec::new();
    for record in results {
        let record = match record {
            Value::Object(record) => record,
            Value::Array(_) => return Unspecified,
            _ => return Invalid,
        };
        let ok = opt(record.get("properties"), Value::is_object)
            && opt(record.get("createdAt"), Value::is_string)
            && opt(record.get("updatedAt"), Value::is_string);
        match id_text(record.get("id")) {
            // A record link cannot hold a dot segment.
            Some(id) if ok && !(with_links && matches!(id.as_str(), "." | "..")) => ids.push(id),
            _ => return Invalid,
        }
    }
    let next = match map.get("paging") {
        None | Some(Value::Null) => None,
        Some(Value::Object(paging)) => match paging.get("next") {
            None | Some(Value::Null) => None,
            // Any string is a cursor (the spec types it `string`), up to what we carry.
            Some(Value::Object(next)) => match id_text(next.get("after")) {
                Some(after) if after.len() <= integration_core::Cursor::MAX_WRAPPED => Some(after),
                _ => return Invalid,
            },
            Some(Value::Array(_)) => return Unspecified,
            Some(_) => return Invalid,
        },
        Some(Value::Array(_)) => return Unspecified,
        Some(_) => return Invalid,
    };
    Valid(ids, next)
}

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

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        arb_json().prop_map(|v| to_bytes(&v)),
    ]
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

fn web_base() -> Url {
    Url::parse("https://app.hubspot.com/").unwrap()
}

fn kind() -> impl Strategy<Value = ObjectKind> {
    prop_oneof![
        Just(ObjectKind::Contacts),
        Just(ObjectKind::Companies),
        Just(ObjectKind::Deals),
    ]
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]




    /// `parse_info` on anything and on almost-valid introspection answers that carry the token:
    /// never panics, fails only with `InvalidResponse`, keeps fields trimmed, non-empty and short,
    /// and never keeps the token.
    #[test]
    fn token_info_never_keeps_the_token(
        body in any_body(),
        access in token(),
        fields in (
            mutate(any::<bool>().prop_map(Value::Bool)),
            mutate("\\PC{0,40}".prop_map(Value::String)),
            mutate("\\PC{0,40}".prop_map(Value::String)),
            mutate(any::<u32>().prop_map(Value::from)),
        ),
        structured in any::<bool>(),
    ) {
        let body = if structured {
            let (active, domain, user, hub_id) = fields;
            to_bytes(&object([
                ("active".to_owned(), active),
                ("hub_domain".to_owned(), domain),
                ("user".to_owned(), user),
                ("hub_id".to_owned(), hub_id),
                ("token".to_owned(), Some(Value::String(access.clone()))),
                ("token_use".to_owned(), Some(Value::from("access_token"))),
            ]))
        } else {
            body
        };
        match parse_info(&body) {
            Ok(info) => {
                for text in [&info.hub_domain, &info.user].into_iter().flatten() {
                    prop_assert!(!text.is_empty() && text.chars().count() <= 256);
                    prop_assert_eq!(text.trim(), text.as_str());
                }
                prop_assert!(info.hub_id.as_ref().is_none_or(|h| !h.is_empty()));
                let debug = format!("{info:?}");
                prop_assert!(!debug.contains(&access), "{debug}");
            }
            Err(error) => {
                prop_assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
                let text = format!("{error:?} {error}");
                prop_assert!(!text.contains(&access), "{text}");
            }
        }
    }



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

    /// `parse_page` on anything: never panics, fails only with `InvalidResponse`, never yields an
    /// empty id.
    #[test]
    fn page_on_anything(kind in kind(), body in any_body(), hub in proptest::option::of("\\PC{0,12}")) {
        match parse_page(kind, &body, &web_base(), hub.as_deref()) {
            Ok(page) => prop_assert!(page.items.iter().all(|i| !i.id.is_empty())),
            Err(error) => prop_assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}"),
        }
    }

    /// `parse_page` on almost-valid pages agrees exactly with the documented shape: the same ids
    /// in order, `paging.next.after` as the cursor; otherwise `InvalidResponse`.
    #[test]
    fn page_on_almost_valid(
        kind in kind(),
        body in page_body(),
        hub in proptest::option::of("[1-9][0-9]{0,9}"),
        damaged in proptest::option::of((any::<Index>(), any::<u8>(), any::<bool>())),
    ) {
        let mut bytes = to_bytes(&body);
        if let Some((at, byte, cut)) = damaged {
            bytes = damage(bytes, at, byte, cut);
        }
        let expected = match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => expected_page(&value, hub.is_some()),
            // serde_json skips ignored fields without checking their UTF-8: not modelled.
            Err(_) if serde_json::from_str::<Value>(&String::from_utf8_lossy(&bytes)).is_ok() => {
                ExpectedPage::Unspecified
            }
            Err(_) => ExpectedPage::Invalid,
        };
        match (parse_page(kind, &bytes, &web_base(), hub.as_deref()), expected) {
            (Ok(page), ExpectedPage::Valid(ids, next)) => {
                let got: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
                prop_assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
                let after = page.next_cursor.as_ref().map(|c| c.unwrap_provider().unwrap());
                prop_assert_eq!(after, next);
                for item in &page.items {
                    prop_assert!(!item.id.is_empty() && !item.title.is_empty());
                    prop_assert_eq!(item.item_type.as_deref(), Some(kind.item_type()));
                    prop_assert_eq!(item.url.is_some(), hub.is_some());
                }
            }
            (Ok(page), ExpectedPage::Unspecified) => {
                prop_assert!(page.items.iter().all(|i| !i.id.is_empty()));
            }
            (Err(error), ExpectedPage::Invalid | ExpectedPage::Unspecified) => {
                prop_assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
            }
            (Ok(_), ExpectedPage::Invalid) => prop_assert!(
                false,
                "accepted an invalid page: {}",
                String::from_utf8_lossy(&bytes)
            ),
            (Err(e), ExpectedPage::Valid(..)) => prop_assert!(
                false,
                "refused a valid page ({e}): {}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }

    /// A well-formed page round-trips: N records in, N items out with the same ids, titles from
    /// the properties, record links under the web base, and `paging.next.after` as the cursor.
    #[test]
    fn page_round_trips(
        kind in kind(),
        records in prop::collection::vec(
            (
                prop_oneof![
                    "\\PC{1,30}"
                        .prop_filter("a link cannot hold a dot segment", |s| s != "." && s != "..")
                        .prop_map(Value::String),
                    any::<u64>().prop_map(Value::from),
                ],
                "[A-Za-z][A-Za-z ]{0,20}",
                (1_000_000_000i64..4_000_000_000),
                (0u32..1_000_000_000, any::<u8>()),
                prop_oneof![Just(None), Just(Some(Value::Null)), Just(Some(Value::from("")))],
            ),
            0..20,
        ),
        after in proptest::option::of(opaque_after()),
        hub in proptest::option::of("[1-9][0-9]{0,9}"),
    ) {
        let results: Vec<Value> = records
            .iter()
            .map(|(id, name, at, (nanos, style), empty)| {
                let mut record = json!({
                    "id": id,
                    "properties": {
                        "firstname": name, "name": name, "dealname": name, "hs_object_id": id,
                    },
                    "createdAt": spec_time(*at, *nanos, *style),
                    "updatedAt": spec_time(*at, *nanos, style.wrapping_add(1)),
                    "archived": false,
                });
                // Requested properties a record has no value for come back null or "".
                if let Some(empty) = empty {
                    record["properties"]["email"] = empty.clone();
                    record["properties"]["domain"] = empty.clone();
                }
                record
            })
            .collect();
        let mut body = json!({ "results": results });
        if let Some(after) = &after {
            body["paging"] = json!({
                "next": { "after": after, "link": format!("https://api.hubapi.com/x?after={after}") }
            });
        }
        let page = parse_page(kind, &to_bytes(&body), &web_base(), hub.as_deref()).unwrap();
        prop_assert_eq!(page.items.len(), records.len());
        for (item, (id, name, at, (nanos, style), _)) in page.items.iter().zip(&records) {
            let id = id_text(Some(id)).unwrap();
            prop_assert_eq!(&item.id, &id);
            prop_assert_eq!(&item.title, name.trim());
            // Whatever precision HubSpot wrote, the instant is the one it spelled.
            let spelled = |style: u8| spec_time(*at, *nanos, style).parse::<DateTime<chrono::Utc>>().ok();
            prop_assert_eq!(item.created_at, spelled(*style));
            prop_assert_eq!(item.updated_at, spelled(style.wrapping_add(1)));
            match &hub {
                Some(hub) => {
                    let url = Url::parse(item.url.as_deref().unwrap()).unwrap();
                    prop_assert_eq!(url.host_str(), Some("app.hubspot.com"));
                    let segments: Vec<_> = url.path_segments().unwrap().collect();
                    prop_assert_eq!(segments.len(), 5, "{}", url);
                    prop_assert_eq!(segments[1], hub.as_str());
                    prop_assert_eq!(segments[2], "record");
                    prop_assert_eq!(segments[3], kind.type_id());
                }
                None => prop_assert!(item.url.is_none()),
            }
        }
        let wrapped = page.next_cursor.as_ref().map(|c| c.unwrap_provider().unwrap());
        prop_assert_eq!(wrapped, after);
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

    /// An archived page as the spec allows it (`SimplePublicObject`: `archivedAt` optional,
    /// `updatedAt` required with any precision; `paging.next.after` any string, `link`
    /// optional): every record comes back with its time, and `after` byte for byte.
    #[test]
    fn archived_pages_the_spec_allows_are_read_in_full(
        records in prop::collection::vec(
            (
                "[1-9][0-9]{0,17}",
                (1_000_000_000i64..4_000_000_000, 0u32..1_000_000_000, any::<u8>()),
                proptest::option::of((1_000_000_000i64..4_000_000_000, 0u32..1_000_000_000, any::<u8>())),
            ),
            0..20,
        ),
        after in proptest::option::of(opaque_after()),
        link in any::<bool>(),
    ) {
        let results: Vec<Value> = records
            .iter()
            .map(|(id, (u, un, us), archived)| {
                let mut record = json!({
                    "id": id, "properties": {}, "archived": true,
                    "createdAt": spec_time(*u, *un, *us), "updatedAt": spec_time(*u, *un, *us),
                });
                if let Some((a, an, style)) = archived {
                    record["archivedAt"] = Value::from(spec_time(*a, *an, *style));
                }
                record
            })
            .collect();
        let mut body = json!({ "results": results });
        if let Some(after) = &after {
            body["paging"] = json!({"next": {"after": after}});
            if link {
                body["paging"]["next"]["link"] = Value::from("?after=x&limit=100");
            }
        }
        let (got, next) = parse_archived(&to_bytes(&body)).unwrap();
        prop_assert_eq!(got.len(), records.len());
        for ((id, at), (want_id, updated, archived)) in got.iter().zip(&records) {
            prop_assert_eq!(id, want_id);
            let (t, n, style) = archived.unwrap_or(*updated);
            let want = spec_time(t, n, style).parse::<DateTime<chrono::Utc>>().ok();
            prop_assert_eq!(*at, want);
        }
        prop_assert_eq!(next, after);
    }

    /// An introspection answer as the 2026-03 spec allows it: the required fields, the optional
    /// `user` and `hub_domain` present or not, any strings: never an error, and the portal and
    /// scopes are what it said.
    #[test]
    fn introspection_answers_the_spec_allows_are_read(
        hub_id in 1u32..=i32::MAX as u32,
        scopes in prop::collection::vec("[a-z.]{1,40}", 0..8),
        user in proptest::option::of("\\PC{0,40}"),
        domain in proptest::option::of("\\PC{0,40}"),
        access in token(),
    ) {
        let mut body = json!({
            "active": true, "app_id": 1, "client_id": "c", "expires_in": 1800, "hub_id": hub_id,
            "is_private_distribution": false, "scopes": scopes, "signed_access_token": {},
            "token": access, "token_type": "bearer", "token_use": "access_token", "user_id": 9,
        });
        if let Some(user) = &user {
            body["user"] = Value::from(user.clone());
        }
        if let Some(domain) = &domain {
            body["hub_domain"] = Value::from(domain.clone());
        }
        let info = parse_info(&to_bytes(&body)).unwrap();
        prop_assert_eq!(info.hub_id, Some(hub_id.to_string()));
        prop_assert_eq!(info.scopes, scopes);
        let debug = format!("{:?}", parse_info(&to_bytes(&body)));
        prop_assert!(!debug.contains(&access), "{debug}");
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

    /// HubSpot's changes cursors, as a client may forge them: never a panic, a refusal is
    /// `InvalidInput`, and what we issue parses back to itself.
    #[test]
    fn changes_cursors_of_any_content_are_parsed_or_refused_as_input(
        raw in prop_oneof!["[!-~]{1,64}", ("[ud]", "[!-~]{0,40}").prop_map(|(t, r)| format!("{t}{r}")), ("[ud]", "[0-9]{1,25}").prop_map(|(t, r)| format!("{t}{r}"))],
    ) {
        if let Ok(cursor) = integration_core::Cursor::parse(raw) {
            match crate::client::changes_cursor_round_trips(&cursor) {
                Ok(same) => prop_assert!(same, "{cursor:?}"),
                Err(error) => prop_assert!(matches!(error, Error::InvalidInput(_)), "{error:?}"),
            }
        }
    }
}
