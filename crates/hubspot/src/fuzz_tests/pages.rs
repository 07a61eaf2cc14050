//! CRM pages (`parse_page`, `parse_archived`) and changes cursors: any bytes fail only as
//! `InvalidResponse`, an almost-valid page is read exactly as its documented shape says, and
//! a page the spec allows round-trips ids, times, links and an opaque `after` byte for byte.
//!
//! `paging.next.after` is typed only as a string, so the cursor generators reach far past what
//! HubSpot sends today (percent-escapes, `=`, non-ASCII, 2 KiB): a client that assumes today's
//! spelling breaks on the next portal.

use chrono::DateTime;
use integration_core::Error;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use url::Url;

use super::{any_body, arb_json, config, extras, mutate, object, to_bytes};
use crate::objects::{ObjectKind, parse_archived, parse_page};

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

fn web_base() -> Url {
    Url::parse("https://app.hubspot.com/").unwrap()
}

fn kind() -> impl Strategy<Value = ObjectKind> {
    prop_oneof![
        Just(ObjectKind::CONTACTS),
        Just(ObjectKind::COMPANIES),
        Just(ObjectKind::DEALS),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// `parse_page` on anything: never panics, fails only with `InvalidResponse`, never yields an
    /// empty id.
    #[test]
    fn page_on_anything(kind in kind(), body in any_body(), hub in proptest::option::of("\\PC{0,12}")) {
        match parse_page(&kind, &body, &web_base(), hub.as_deref()) {
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
        match (parse_page(&kind, &bytes, &web_base(), hub.as_deref()), expected) {
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
        let page = parse_page(&kind, &to_bytes(&body), &web_base(), hub.as_deref()).unwrap();
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
