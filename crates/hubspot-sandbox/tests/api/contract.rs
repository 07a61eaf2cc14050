//! The contract seed: every answer the specs allow, one test per variation.

use std::collections::BTreeSet;
use std::time::Duration;

use hubspot_sandbox::{
    Contract, CursorStyle, FaultBody, Faults, ObjectType, Pick, SandboxConfig, SearchLag, Vary,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, ok, spawn};

/// A seeded sandbox without rate limits (these tests make many calls).
fn seeded(seed: u64) -> SandboxConfig {
    SandboxConfig {
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::default().with_contract_seed(seed)
    }
}

fn pinned(contract: Contract) -> SandboxConfig {
    SandboxConfig {
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::default().with_contract(contract)
    }
}

/// Every contact, following `paging.next.after` as an opaque string; also returns the cursors.
async fn walk(app: &TestSandbox, token: &str, query: &[(&str, &str)]) -> (Vec<Value>, Vec<Value>) {
    let (mut records, mut pagings) = (Vec::new(), Vec::new());
    let mut after: Option<String> = None;
    loop {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        if let Some(after) = &after {
            q.push(("after", after));
        }
        let page = ok(app.list("contacts", Some(token), &q).await).await;
        records.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => {
                after = Some(next.to_owned());
                pagings.push(page["paging"]["next"].clone());
            }
            None => return (records, pagings),
        }
    }
}

/// The JSON error body of a 400 `VALIDATION_ERROR`, with the spec's required fields.
async fn assert_required_error(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("error json");
    for field in ["category", "correlationId", "message"] {
        assert!(body[field].is_string(), "{field} missing: {body}");
    }
    body
}

// 1. One seed decides everything.
#[tokio::test]
async fn the_same_contract_seed_gives_the_same_answers_and_another_seed_does_not() {
    async fn run(seed: u64) -> (Vec<Value>, Vec<Value>, BTreeSet<String>) {
        let app = spawn(seeded(seed)).await;
        let tokens = app.tokens().await;
        let keys = tokens.body.as_object().unwrap().keys().cloned().collect();
        let (records, pagings) = walk(&app, &tokens.access_token, &[("limit", "40")]).await;
        // Absolute links name the test server's port; the rest must be identical.
        let pagings = pagings
            .into_iter()
            .map(|p| Value::String(p.to_string().replace(&app.base, "")))
            .collect();
        (records, pagings, keys)
    }
    let (a, b, c) = (run(7).await, run(7).await, run(8).await);
    assert_eq!(a.0, b.0, "records");
    assert_eq!(a.1, b.1, "cursors and links");
    assert_eq!(a.2, b.2, "token response fields");
    assert_ne!((&a.0, &a.1), (&c.0, &c.1));
    assert_eq!(Contract::parse("7").unwrap(), Some(Contract::seeded(7)));
    assert_eq!(
        SandboxConfig::default().with_contract_seed(7).contract,
        Contract::seeded(7)
    );
}

// 2. Opaque cursors, accepted only as issued.
#[tokio::test]
async fn cursors_are_opaque_signed_and_accepted_only_byte_for_byte() {
    let mut lengths = BTreeSet::new();
    let (mut plain, mut percent, mut omitted, mut relative) = (0, 0, 0, 0);
    for seed in 0..6 {
        let app = spawn(seeded(seed)).await;
        let token = app.tokens().await.access_token;
        let (records, pagings) = walk(&app, &token, &[("limit", "9")]).await;
        let ids: BTreeSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!((records.len(), ids.len()), (250, 250), "seed {seed}");
        for next in &pagings {
            let after = next["after"].as_str().unwrap();
            assert!(after.len() <= 2048, "{}", after.len());
            assert!(after.parse::<u64>().is_err(), "{after}");
            assert!(after.contains('=') || after.contains("%3D"), "{after}");
            lengths.insert(after.len());
            if after.contains('%') {
                percent += 1;
            } else {
                plain += 1;
            }
            match next["link"].as_str() {
                None => omitted += 1,
                Some(link) if link.starts_with('?') => relative += 1,
                Some(link) => assert!(link.starts_with(&app.base), "{link}"),
            }
        }
        // Following a link (absolute, or relative to the request) gives the next page.
        if let Some(link) = pagings.iter().find_map(|n| n["link"].as_str()) {
            let url = if link.starts_with('?') {
                format!("{}/crm/v3/objects/contacts{link}", app.base)
            } else {
                link.to_owned()
            };
            assert_eq!(app.get_url(&url, &token).await.status(), StatusCode::OK);
        }
        // Anything but the issued bytes is a 400 with HubSpot's error body.
        let issued = pagings[0]["after"].as_str().unwrap();
        let decoded = issued
            .replace("%3D", "=")
            .replace("%2B", "+")
            .replace("%2F", "/");
        let mut flipped = issued.to_owned().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let mut bad = vec![
            "10".to_owned(),
            flipped,
            issued[..issued.len() - 1].to_owned(),
            format!("{issued}="),
        ];
        if decoded != issued {
            bad.push(decoded);
        } else {
            bad.push(issued.replace('=', "%3D"));
        }
        for cursor in &bad {
            let response = app
                .list(
                    "contacts",
                    Some(&token),
                    &[("limit", "9"), ("after", cursor)],
                )
                .await;
            let body = assert_required_error(response, StatusCode::BAD_REQUEST).await;
            assert_eq!(body["category"], "VALIDATION_ERROR", "{body}");
        }
        // A list cursor is not an archived-list, search or other object's cursor.
        let wrong = [
            app.list(
                "contacts",
                Some(&token),
                &[("archived", "true"), ("after", issued)],
            )
            .await,
            app.list("companies", Some(&token), &[("after", issued)])
                .await,
            app.search("contacts", Some(&token), &json!({"after": issued}))
                .await,
            app.search("contacts", Some(&token), &json!({"after": 10}))
                .await,
        ];
        for response in wrong {
            assert_required_error(response, StatusCode::BAD_REQUEST).await;
        }
        // Search cursors page through every match.
        let mut body = json!({"limit": 60});
        let mut seen = 0;
        loop {
            let page = ok(app.search("contacts", Some(&token), &body).await).await;
            seen += page["results"].as_array().unwrap().len();
            match page["paging"]["next"]["after"].as_str() {
                Some(after) => {
                    assert!(after.contains('=') || after.contains("%3D"), "{after}");
                    body["after"] = json!(after);
                }
                None => break,
            }
        }
        assert_eq!(seen, 250);
    }
    assert!(plain > 0 && percent > 0, "plain {plain}, percent {percent}");
    assert!(
        omitted > 0 && relative > 0,
        "omitted {omitted}, relative {relative}"
    );
    assert!(lengths.len() > 10, "{lengths:?}");
    assert!(*lengths.iter().next_back().unwrap() > 500, "{lengths:?}");

    let app = spawn(pinned(Contract {
        cursor_style: CursorStyle::PercentEncoded,
        cursor_len: Some(2048),
        ..Contract::seeded(1)
    }))
    .await;
    let token = app.tokens().await.access_token;
    let (_, pagings) = walk(&app, &token, &[("limit", "100")]).await;
    for next in pagings {
        let after = next["after"].as_str().unwrap();
        assert!(after.contains("%3D") && after.len() > 1_900 && after.len() <= 2048);
    }
}

// 3. Optional fields omitted.
#[tokio::test]
async fn optional_fields_are_sometimes_omitted_and_required_ones_never() {
    let app = spawn(seeded(3)).await;
    let mut missing: BTreeSet<&str> = BTreeSet::new();
    let mut id_tokens = 0;
    for round in 0..16 {
        let code = app.approve(crate::helpers::SCOPES).await;
        let response = if round % 2 == 0 {
            app.exchange_2026(&code, None).await
        } else {
            app.exchange(&code).await
        };
        let body = ok(response).await;
        for field in [
            "access_token",
            "expires_in",
            "refresh_token",
            "token_type",
            "token_use",
        ] {
            assert!(!body[field].is_null(), "required {field} missing: {body}");
        }
        for field in ["hub_id", "user_id", "scopes"] {
            if body.get(field).is_none() {
                missing.insert(field);
            }
        }
        id_tokens += usize::from(body["id_token"].is_string());
        let access = body["access_token"].as_str().unwrap();
        let info = ok(app.introspect(access, None).await).await;
        assert_eq!(info["hub_id"], app.sandbox.hub_id(), "{info}");
        for field in ["user", "hub_domain"] {
            if info.get(field).is_none() {
                missing.insert(field);
            }
        }
    }
    assert_eq!(
        missing,
        BTreeSet::from(["hub_domain", "hub_id", "scopes", "user", "user_id"])
    );
    assert!(id_tokens > 0);

    // Pinned on: every optional field is left out, and archived records lack `archivedAt`.
    let app = spawn(pinned(Contract {
        omit_optional: Vary::On,
        ..Contract::typical()
    }))
    .await;
    let tokens = app.tokens().await;
    for field in ["hub_id", "user_id", "scopes"] {
        assert!(tokens.body.get(field).is_none(), "{}", tokens.body);
    }
    app.sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(3));
    let archived = ok(app
        .list(
            "contacts",
            Some(&tokens.access_token),
            &[("archived", "true"), ("limit", "2")],
        )
        .await)
    .await;
    for record in archived["results"].as_array().unwrap() {
        assert_eq!(record["archived"], true);
        assert!(record.get("archivedAt").is_none(), "{record}");
    }
    assert!(archived["paging"]["next"]["after"].is_string());
    assert!(
        archived["paging"]["next"].get("link").is_none(),
        "{archived}"
    );
}

// 4. Timestamps with 0, 3 or 6 fraction digits.
#[tokio::test]
async fn timestamps_have_0_3_or_6_fraction_digits_and_all_parse() {
    let app = spawn(seeded(11)).await;
    let token = app.tokens().await.access_token;
    app.sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(20));
    let (mut records, _) = walk(
        &app,
        &token,
        &[
            ("limit", "100"),
            ("properties", "createdate,lastmodifieddate"),
        ],
    )
    .await;
    records.extend(
        walk(&app, &token, &[("limit", "100"), ("archived", "true")])
            .await
            .0,
    );
    let mut digits = BTreeSet::new();
    for record in &records {
        let props = &record["properties"];
        let fields = [
            &record["createdAt"],
            &record["updatedAt"],
            &props["createdate"],
            &props["lastmodifieddate"],
        ];
        let mut record_digits = BTreeSet::new();
        for value in fields.into_iter().chain(record.get("archivedAt")) {
            let text = value.as_str().unwrap();
            chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(text.ends_with('Z'), "{text}");
            let n = text
                .split_once('.')
                .map_or(0, |(_, f)| f.trim_end_matches('Z').len());
            record_digits.insert(n);
        }
        assert_eq!(record_digits.len(), 1, "one precision per record: {record}");
        digits.extend(record_digits);
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(record["createdAt"].as_str().unwrap()).unwrap(),
            chrono::DateTime::parse_from_rfc3339(props["createdate"].as_str().unwrap()).unwrap()
        );
    }
    assert_eq!(digits, BTreeSet::from([0, 3, 6]));
}

// 5. Property values null or "".
#[tokio::test]
async fn some_property_values_are_null_and_some_are_empty_strings() {
    let props = "firstname,lastname,email,phone,city,lifecyclestage";
    let count = |records: &[Value], f: fn(&Value) -> bool| {
        records
            .iter()
            .flat_map(|r| r["properties"].as_object().unwrap().values())
            .filter(|v| f(v))
            .count()
    };
    let app = spawn(seeded(5)).await;
    let token = app.tokens().await.access_token;
    let (records, _) = walk(&app, &token, &[("limit", "100"), ("properties", props)]).await;
    assert!(count(&records, |v| *v == json!("")) > 10);
    assert!(count(&records, Value::is_null) > 10);
    // The always-present ones never blank.
    assert!(
        records
            .iter()
            .all(|r| r["properties"]["hs_object_id"] == r["id"])
    );
    let typical = spawn(pinned(Contract::typical())).await;
    let token = typical.tokens().await.access_token;
    let (records, _) = walk(&typical, &token, &[("limit", "100"), ("properties", props)]).await;
    assert_eq!(count(&records, |v| *v == json!("")), 0);
}

// 6. Error bodies: minimal, MISSING_SCOPES context, 5xx HTML or empty, 429 headers.
#[tokio::test]
async fn error_bodies_vary_within_the_specs_error_schema() {
    let app = spawn(seeded(21)).await;
    let mut bare_refusals = 0;
    let mut full_refusals = 0;
    for _ in 0..30 {
        let body = assert_required_error(
            app.refresh_2026("na1-revoked").await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        if ["status", "error", "error_description"]
            .iter()
            .all(|f| body.get(*f).is_none())
        {
            bare_refusals += 1;
        }
        if body.get("error").is_some() && body.get("status").is_some() {
            full_refusals += 1;
        }
    }
    assert!(
        bare_refusals > 0 && full_refusals > 0,
        "{bare_refusals} {full_refusals}"
    );

    // 403 names the missing scope, granular or legacy.
    let token = app
        .tokens_with("oauth crm.objects.contacts.read")
        .await
        .access_token;
    let mut keys = BTreeSet::new();
    for _ in 0..20 {
        let body = assert_required_error(
            app.list("deals", Some(&token), &[]).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(body["category"], "MISSING_SCOPES");
        let context = &body["errors"][0]["context"];
        for key in ["requiredGranularScopes", "requiredScopes"] {
            if let Some(scopes) = context.get(key) {
                assert_eq!(scopes, &json!(["crm.objects.deals.read"]));
                keys.insert(key);
            }
        }
        assert!(!context.as_object().unwrap().is_empty(), "{body}");
    }
    assert_eq!(keys.len(), 2, "{keys:?}");

    // Injected 5xx: JSON, HTML or nothing.
    app.sandbox.set_faults(Faults {
        fail_next: 30,
        fail_status: 502,
        ..Faults::default()
    });
    let mut kinds = BTreeSet::new();
    for _ in 0..30 {
        let response = app.list("contacts", Some(&token), &[]).await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let text = response.text().await.unwrap();
        kinds.insert(if text.is_empty() {
            "empty"
        } else if text.starts_with('<') {
            "html"
        } else {
            serde_json::from_str::<Value>(&text).unwrap();
            "json"
        });
    }
    assert_eq!(kinds, BTreeSet::from(["empty", "html", "json"]));

    // 429: with and without Retry-After and the rate-limit headers.
    let limited = spawn(SandboxConfig::default().with_contract_seed(21)).await;
    let token = limited.tokens().await.access_token;
    limited.sandbox.set_faults(Faults {
        rate_limit_next: 30,
        ..Faults::default()
    });
    let mut seen = BTreeSet::new();
    for _ in 0..30 {
        let response = limited.list("contacts", Some(&token), &[]).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let h = response.headers();
        seen.insert((
            h.contains_key("retry-after"),
            h.contains_key("x-hubspot-ratelimit-max"),
        ));
    }
    assert_eq!(seen.len(), 4, "{seen:?}");

    // Pinned: only the required fields, even for the refresh refusal.
    let minimal = spawn(pinned(Contract {
        minimal_errors: Vary::On,
        fault_body: FaultBody::Json,
        ..Contract::typical()
    }))
    .await;
    let body =
        assert_required_error(minimal.refresh_2026("na1-x").await, StatusCode::BAD_REQUEST).await;
    let keys: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["category", "correlationId", "message"])
    );
}

// 7. A lagging search index.
#[tokio::test]
async fn search_sees_changes_only_after_the_index_lag_and_list_at_once() {
    let lag = Duration::from_millis(1_500);
    let app = spawn(pinned(Contract {
        search_lag: SearchLag::Fixed(lag),
        ..Contract::typical()
    }))
    .await;
    let token = app.tokens().await.access_token;
    let since = chrono::Utc::now().timestamp_millis() - 1;
    let recent = json!({"filterGroups": [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": since.to_string()}
    ]}]});
    let modified = app
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(3));
    let archived = app
        .sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(1));
    let before = ok(app.search("contacts", Some(&token), &recent).await).await;
    assert_eq!(before["total"], 0, "not indexed yet: {before}");
    // The archived record is still in the index.
    let id_filter = |id: u64| {
        json!({"filterGroups": [{"filters": [
            {"propertyName": "hs_object_id", "operator": "EQ", "value": id.to_string()}
        ]}]})
    };
    let stale = ok(app
        .search("contacts", Some(&token), &id_filter(archived[0]))
        .await)
    .await;
    assert_eq!(stale["total"], 1);
    // The list endpoint is not lagged.
    let (live, _) = walk(&app, &token, &[("limit", "100")]).await;
    assert_eq!(live.len(), 249);
    tokio::time::sleep(lag + Duration::from_millis(200)).await;
    let after = ok(app.search("contacts", Some(&token), &recent).await).await;
    let expected = modified.iter().filter(|id| !archived.contains(id)).count();
    assert_eq!(after["total"], expected, "{after}");
    let gone = ok(app
        .search("contacts", Some(&token), &id_filter(archived[0]))
        .await)
    .await;
    assert_eq!(gone["total"], 0);

    // Seeded lags are at least a second, so a fresh change is never found at once; a knob
    // turns the lag off.
    let seeded_app = spawn(seeded(2)).await;
    let token = seeded_app.tokens().await.access_token;
    // Records printed without fraction digits hold whole-second times.
    let since = chrono::Utc::now().timestamp_millis() / 1_000 * 1_000;
    let recent = json!({"filterGroups": [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": since.to_string()}
    ]}]});
    seeded_app
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(5));
    let page = ok(seeded_app.search("contacts", Some(&token), &recent).await).await;
    assert_eq!(page["total"], 0);
    seeded_app
        .sandbox
        .update(|k| k.contract.search_lag = SearchLag::OFF);
    let page = ok(seeded_app.search("contacts", Some(&token), &recent).await).await;
    assert_eq!(page["total"], 5);
}

// 8. Records that vanish without an archived entry.
#[tokio::test]
async fn hard_deleted_records_vanish_from_list_search_and_the_archived_list() {
    let app = spawn(pinned(Contract::typical())).await;
    let token = app.tokens().await.access_token;
    let archived = app
        .sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(2));
    let (live, _) = walk(&app, &token, &[("limit", "100")]).await;
    let victim: u64 = live[10]["id"].as_str().unwrap().parse().unwrap();
    let response = app
        .admin_post(
            "/_admin/crm/contacts/delete",
            &json!({"ids": [victim.to_string(), archived[0]]}),
        )
        .await;
    let body = ok(response).await;
    assert_eq!(
        body,
        json!({"objectType": "contacts", "ids": [archived[0].min(victim).to_string(), archived[0].max(victim).to_string()]})
    );
    let (live, _) = walk(&app, &token, &[("limit", "100")]).await;
    assert_eq!(live.len(), 247);
    assert!(
        live.iter()
            .all(|r| r["id"].as_str() != Some(victim.to_string().as_str()))
    );
    let (gone, _) = walk(&app, &token, &[("limit", "100"), ("archived", "true")]).await;
    let gone: Vec<&str> = gone.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(gone, [archived[1].to_string()]);
    for id in [victim, archived[0]] {
        let found = ok(app
            .search(
                "contacts",
                Some(&token),
                &json!({"filterGroups": [{"filters": [
                    {"propertyName": "hs_object_id", "operator": "EQ", "value": id.to_string()}
                ]}]}),
            )
            .await)
        .await;
        assert_eq!(found["total"], 0);
    }
    assert!(
        app.sandbox
            .delete_records(ObjectType::Contacts, Pick::Ids(vec![victim]))
            .is_empty()
    );
    let total = ok(app.search("contacts", Some(&token), &json!({})).await).await;
    assert_eq!(total["total"], 247);
}

// 9. EU portals and record URLs.
#[tokio::test]
async fn records_link_to_their_hublet_and_us_records_sometimes_have_no_url() {
    let eu = spawn(SandboxConfig {
        hublet: Some("eu1".to_owned()),
        ..seeded(4)
    })
    .await;
    let tokens = eu.tokens().await;
    let (records, _) = walk(&eu, &tokens.access_token, &[("limit", "100")]).await;
    let hub = eu.sandbox.hub_id();
    for record in &records {
        let id = record["id"].as_str().unwrap();
        assert_eq!(
            record["url"],
            format!("https://app-eu1.hubspot.com/contacts/{hub}/record/0-1/{id}")
        );
    }
    let info = ok(eu.introspect(&tokens.access_token, None).await).await;
    assert_eq!(info["signed_access_token"]["hublet"], "eu1");

    let us = spawn(seeded(4)).await;
    let token = us.tokens().await.access_token;
    let (records, _) = walk(&us, &token, &[("limit", "100")]).await;
    let with_url: Vec<&Value> = records.iter().filter(|r| r.get("url").is_some()).collect();
    assert!(!with_url.is_empty() && with_url.len() < records.len());
    for record in with_url {
        let id = record["id"].as_str().unwrap();
        assert_eq!(
            record["url"],
            format!("https://app.hubspot.com/contacts/{hub}/record/0-1/{id}")
        );
    }
}

// The knobs over HTTP, for browser tests: pin typical answers, set the search lag.
#[tokio::test]
async fn admin_knobs_pin_the_contract_and_the_search_lag() {
    let app = spawn(seeded(9)).await;
    let patch = |body: Value| {
        let request = app.http.patch(app.url("/_admin/knobs")).json(&body);
        async move { ok(request.send().await.unwrap()).await }
    };
    let knobs = patch(json!({"contract_typical": true, "search_lag_ms": 2500})).await;
    let expected = Contract {
        seed: 9,
        search_lag: SearchLag::Fixed(Duration::from_millis(2_500)),
        ..Contract::typical()
    };
    assert_eq!(knobs["contract"], serde_json::to_value(expected).unwrap());
    assert_eq!(app.sandbox.contract(), expected);
    patch(json!({"contract_seed": 10, "search_lag_ms": 0})).await;
    assert_eq!(
        app.sandbox.contract(),
        Contract {
            search_lag: SearchLag::OFF,
            ..Contract::seeded(10)
        }
    );
    patch(json!({"search_lag_seeded": true})).await;
    assert_eq!(app.sandbox.contract(), Contract::seeded(10));
}
