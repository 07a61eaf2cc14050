use std::collections::BTreeSet;

use hubspot_sandbox::{ObjectType, Pick, RateLimit, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, assert_api_error, ok, spawn, unlimited};

/// Every live record of `object` via the list endpoint: (id, last-modified ms).
async fn listed(app: &TestSandbox, token: &str, object: &str, modified: &str) -> Vec<(u64, i64)> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![
            ("limit", "100".to_owned()),
            ("properties", modified.to_owned()),
        ];
        if let Some(after) = &after {
            query.push(("after", after.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = ok(app.list(object, Some(token), &query).await).await;
        for record in page["results"].as_array().unwrap() {
            let at = record["properties"][modified].as_str().unwrap();
            all.push((
                record["id"].as_str().unwrap().parse().unwrap(),
                chrono::DateTime::parse_from_rfc3339(at)
                    .unwrap()
                    .timestamp_millis(),
            ));
        }
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// Every search result for `body`, following `paging.next.after`.
async fn searched(app: &TestSandbox, token: &str, object: &str, body: &Value) -> (u64, Vec<Value>) {
    let mut body = body.clone();
    let mut results = Vec::new();
    loop {
        let page = ok(app.search(object, Some(token), &body).await).await;
        results.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => body["after"] = json!(next),
            None => return (page["total"].as_u64().unwrap(), results),
        }
    }
}

fn ids(results: &[Value]) -> Vec<u64> {
    results
        .iter()
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_last_modified_window_finds_exactly_the_records_in_it_in_id_order() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let all = listed(&app, &token, "contacts", "lastmodifieddate").await;
    assert_eq!(all.len(), 250);
    let mut times: Vec<i64> = all.iter().map(|(_, t)| *t).collect();
    times.sort_unstable();
    let (from, to) = (times[60], times[190]);
    let body = json!({
        "filterGroups": [{"filters": [
            {"propertyName": "lastmodifieddate", "operator": "GTE", "value": from.to_string()},
            {"propertyName": "lastmodifieddate", "operator": "LT", "value": to.to_string()},
        ]}],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "properties": ["email", "lastmodifieddate"],
        "limit": 50,
    });
    let (total, results) = searched(&app, &token, "contacts", &body).await;
    let expected: Vec<u64> = all
        .iter()
        .filter(|(_, t)| *t >= from && *t < to)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(ids(&results), expected);
    assert_eq!(total, expected.len() as u64);
    // Many contacts share one last-modified time, so a window boundary splits a tie.
    let shared = times.iter().filter(|t| **t == times[200]).count();
    assert!(
        shared >= 10,
        "{shared} contacts share the busiest timestamp"
    );
}

#[tokio::test]
async fn sorting_by_last_modified_descending_breaks_ties_by_id_ascending() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let mut expected = listed(&app, &token, "contacts", "lastmodifieddate").await;
    expected.sort_by_key(|&(id, t)| (std::cmp::Reverse(t), id));
    let body = json!({
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
        "limit": 200,
    });
    let (total, results) = searched(&app, &token, "contacts", &body).await;
    assert_eq!(total, 250);
    assert_eq!(
        ids(&results),
        expected.iter().map(|(id, _)| *id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_response_has_hubspots_shape_and_default_search_properties() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let page = ok(app.search("contacts", Some(&token), &json!({})).await).await;
    assert_eq!(page["total"], 250);
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    // Search pages carry only the opaque cursor (the spec's `NextPage.link` is optional).
    let next = page["paging"]["next"].as_object().unwrap();
    assert!(
        next["after"].as_str().is_some_and(|a| !a.is_empty()),
        "{page}"
    );
    let second = ok(app
        .search("contacts", Some(&token), &json!({"after": next["after"]}))
        .await)
    .await;
    let all = ok(app
        .search("contacts", Some(&token), &json!({"limit": 20}))
        .await)
    .await;
    assert_eq!(second["results"][0]["id"], all["results"][10]["id"]);
    let keys: BTreeSet<&str> = results[0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname"
        ])
    );
    assert_eq!(results[0]["archived"], false);
    let deal = ok(app
        .search("deals", Some(&token), &json!({"limit": 1}))
        .await)
    .await;
    let keys: BTreeSet<&str> = deal["results"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline"
        ])
    );
    let last = ok(app
        .search(
            "contacts",
            Some(&token),
            &json!({
                "limit": 200,
                "after": app.sandbox.search_cursor(hubspot_sandbox::ObjectType::Contacts, 200),
            }),
        )
        .await)
    .await;
    assert_eq!(last["results"].as_array().unwrap().len(), 50);
    assert!(last.get("paging").is_none(), "{last}");
}

#[tokio::test]
async fn other_objects_filter_on_hs_lastmodifieddate_and_contacts_on_lastmodifieddate() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let filter = |property: &str| {
        json!({"filterGroups": [{"filters": [
            {"propertyName": property, "operator": "GT", "value": "0"}
        ]}]})
    };
    let companies = ok(app
        .search("companies", Some(&token), &filter("hs_lastmodifieddate"))
        .await)
    .await;
    assert_eq!(companies["total"], 40);
    let contacts = ok(app
        .search("contacts", Some(&token), &filter("lastmodifieddate"))
        .await)
    .await;
    assert_eq!(contacts["total"], 250);
    for (object, wrong) in [
        ("contacts", "hs_lastmodifieddate"),
        ("companies", "lastmodifieddate"),
    ] {
        let body = assert_api_error(
            app.search(object, Some(&token), &filter(wrong)).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        )
        .await;
        assert!(body["message"].as_str().unwrap().contains(wrong), "{body}");
    }
}

#[tokio::test]
async fn filters_combine_and_within_a_group_and_or_across_groups() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let all = listed(&app, &token, "contacts", "lastmodifieddate").await;
    let (a, b, c) = (all[3].0, all[100].0, all[200].0);
    let body = json!({"filterGroups": [
        {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": a.to_string()}]},
        {"filters": [
            {"propertyName": "hs_object_id", "operator": "BETWEEN", "value": b.to_string(), "highValue": c.to_string()},
            {"propertyName": "hs_object_id", "operator": "NOT_IN", "values": [b.to_string()]},
        ]},
    ], "limit": 200});
    let (total, results) = searched(&app, &token, "contacts", &body).await;
    let expected: Vec<u64> = all
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| *id == a || (*id > b && *id <= c))
        .collect();
    assert_eq!(ids(&results), expected);
    assert_eq!(total, 101);

    let first = ok(app
        .list("contacts", Some(&token), &[("properties", "email")])
        .await)
    .await;
    let email = first["results"][0]["properties"]["email"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let by_email = ok(app
        .search(
            "contacts",
            Some(&token),
            &json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]}),
        )
        .await)
    .await;
    assert!(by_email["total"].as_u64().unwrap() >= 1);
    assert!(ids(by_email["results"].as_array().unwrap()).contains(&all[0].0));
}

#[tokio::test]
async fn bad_bodies_are_validation_errors() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    for body in [
        json!({"limit": 201}),
        json!({"after": "abc"}),
        json!({"sorts": [{"propertyName": "hs_object_id"}, {"propertyName": "createdate"}]}),
        json!({"sorts": [{"propertyName": "hs_object_id", "direction": "UP"}]}),
        json!({"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "LIKE", "value": "1"}]}]}),
        json!({"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GT", "value": "yesterday"}]}]}),
        json!({"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "BETWEEN", "value": "1"}]}]}),
        json!({"filterGroups": [{"filters": []}, {"filters": []}, {"filters": []}, {"filters": []}, {"filters": []}, {"filters": []}]}),
        json!("not an object"),
    ] {
        let response = app.search("contacts", Some(&token), &body).await;
        assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    }
    assert_api_error(
        app.search("contacts", None, &json!({})).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_AUTHENTICATION",
    )
    .await;
    assert_api_error(
        app.search("widgets", Some(&token), &json!({})).await,
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
    )
    .await;
    assert_eq!(app.sandbox.stats().search, 11);
}

#[tokio::test]
async fn the_sixth_search_in_a_second_is_hubspots_secondly_429() {
    let app = spawn(SandboxConfig::typical()).await;
    let token = app.tokens().await.access_token;
    for _ in 0..5 {
        let response = app.search("contacts", Some(&token), &json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        // Exempt from the ten-second window: nothing to say about it.
        assert!(
            !response
                .headers()
                .contains_key("x-hubspot-ratelimit-remaining")
        );
    }
    let response = app.search("contacts", Some(&token), &json!({})).await;
    let body = assert_api_error(response, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITS").await;
    assert_eq!(body["policyName"], "SECONDLY");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    // The list endpoint is not held back by the search limit.
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_050)).await;
    assert_eq!(
        app.search("contacts", Some(&token), &json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    // Off through the knobs.
    let patched = app
        .http
        .patch(app.url("/_admin/knobs"))
        .json(&json!({"search_rate_limit_enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    for _ in 0..10 {
        assert_eq!(
            app.search("contacts", Some(&token), &json!({}))
                .await
                .status(),
            StatusCode::OK
        );
    }
    // One search is still in the window (the others aged out of the 1 s window before it, and
    // none was counted while the limit was off).
    app.sandbox.update(|k| {
        k.search_rate_limit = Some(RateLimit {
            max_requests: 2,
            window: std::time::Duration::from_secs(60),
        });
    });
    assert_eq!(
        app.search("contacts", Some(&token), &json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.search("contacts", Some(&token), &json!({}))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn modified_records_are_found_by_a_search_since_the_checkpoint_and_nothing_else_is() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let checkpoint = chrono::Utc::now().timestamp_millis();
    let since = json!({"filterGroups": [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": checkpoint.to_string()}
    ]}], "properties": ["lifecyclestage"], "limit": 200});
    assert_eq!(
        ok(app.search("contacts", Some(&token), &since).await).await["total"],
        0
    );

    let response = app
        .admin_post("/_admin/crm/contacts/modify", &json!({"count": 7}))
        .await;
    let changed: Value = ok(response).await;
    let changed: Vec<u64> = changed["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(changed.len(), 7);
    let by_rust = app
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Ids(vec![changed[0], 1]));
    assert_eq!(by_rust, [changed[0]], "an unknown id is skipped");

    let (total, results) = searched(&app, &token, "contacts", &since).await;
    assert_eq!(total, 7);
    assert_eq!(ids(&results), changed);
    for record in &results {
        let at =
            chrono::DateTime::parse_from_rfc3339(record["updatedAt"].as_str().unwrap()).unwrap();
        assert!(at.timestamp_millis() >= checkpoint);
        assert_eq!(
            record["properties"]["lastmodifieddate"],
            record["updatedAt"]
        );
    }
    // The list endpoint shows the new values too.
    let listed = listed(&app, &token, "contacts", "lastmodifieddate").await;
    let recent: Vec<u64> = listed
        .iter()
        .filter(|(_, t)| *t >= checkpoint)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(recent, changed);
}

#[tokio::test]
async fn archived_records_leave_list_and_search_and_appear_in_the_archived_listing() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let all = listed(&app, &token, "deals", "hs_lastmodifieddate").await;
    let wanted = vec![all[0].0, all[59].0];
    let response = app
        .admin_post(
            "/_admin/crm/deals/archive",
            &json!({"ids": [wanted[0].to_string(), wanted[1]]}),
        )
        .await;
    let body: Value = ok(response).await;
    assert_eq!(
        body["ids"],
        json!([wanted[0].to_string(), wanted[1].to_string()])
    );
    assert_eq!(body["objectType"], "deals");

    let live = listed(&app, &token, "deals", "hs_lastmodifieddate").await;
    assert_eq!(live.len(), 58);
    assert!(live.iter().all(|(id, _)| !wanted.contains(id)));
    let (total, results) = searched(&app, &token, "deals", &json!({"limit": 200})).await;
    assert_eq!(total, 58);
    assert!(ids(&results).iter().all(|id| !wanted.contains(id)));

    let archived = ok(app
        .list(
            "deals",
            Some(&token),
            &[("archived", "true"), ("limit", "1")],
        )
        .await)
    .await;
    let first = &archived["results"][0];
    assert_eq!(first["id"], wanted[0].to_string());
    assert_eq!(first["archived"], true);
    assert!(chrono::DateTime::parse_from_rfc3339(first["archivedAt"].as_str().unwrap()).is_ok());
    let next = archived["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = ok(app
        .list(
            "deals",
            Some(&token),
            &[("archived", "true"), ("after", &next)],
        )
        .await)
    .await;
    assert_eq!(rest["results"][0]["id"], wanted[1].to_string());
    assert!(rest.get("paging").is_none());

    // Archived records cannot be modified or archived again.
    let again = app
        .sandbox
        .archive_records(ObjectType::Deals, Pick::Ids(wanted.clone()));
    assert!(again.is_empty());
    for bad in [
        json!({}),
        json!({"count": 1, "ids": []}),
        json!({"ids": ["x"]}),
    ] {
        let response = app.admin_post("/_admin/crm/deals/modify", &bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let response = app
        .admin_post("/_admin/crm/widgets/modify", &json!({"count": 1}))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// The spec exempts search from the ten-second limit (`x-hubspot-rate-limit-exemptions:
/// ten-secondly`): with that window spent by a list call, searches still answer (up to their own
/// limit), and the next list call is refused.
#[tokio::test]
async fn searches_are_exempt_from_the_ten_second_limit() {
    let mut config = SandboxConfig::typical();
    config.rate_limit = Some(RateLimit {
        max_requests: 1,
        window: std::time::Duration::from_secs(60),
    });
    let app = spawn(config).await;
    let token = app.tokens().await.access_token;
    let listed = app.list("contacts", Some(&token), &[("limit", "1")]).await;
    assert_eq!(listed.status(), StatusCode::OK);
    for _ in 0..3 {
        let response = app.search("contacts", Some(&token), &json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let refused = app.list("contacts", Some(&token), &[("limit", "1")]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_daily_cap_answers_hubspots_daily_429_with_daily_headers() {
    let app = spawn(SandboxConfig {
        daily_limit: Some(3),
        ..unlimited()
    })
    .await;
    let token = app.tokens().await.access_token;
    let mut remaining = Vec::new();
    for i in 0..3 {
        let response = if i == 1 {
            app.search("contacts", Some(&token), &json!({})).await
        } else {
            app.list("contacts", Some(&token), &[]).await
        };
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-hubspot-ratelimit-daily"], "3");
        remaining.push(
            response.headers()["x-hubspot-ratelimit-daily-remaining"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let response = app.list("contacts", Some(&token), &[]).await;
    assert_eq!(
        response.headers()["x-hubspot-ratelimit-daily-remaining"],
        "0"
    );
    let body = assert_api_error(response, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITS").await;
    assert_eq!(body["policyName"], "DAILY");
    assert_eq!(body["message"], "You have reached your daily limit.");
    // Raising the cap through the knobs lets requests through again; 0 turns it off.
    let patched: Value = app
        .http
        .patch(app.url("/_admin/knobs"))
        .json(&json!({"daily_limit": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["daily_limit"], Value::Null);
    let response = app.list("contacts", Some(&token), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers().contains_key("x-hubspot-ratelimit-daily"));
}

/// The descending lane of a first export: each page a new query below the lowest id so far,
/// sorted by id descending. Every live record comes once, highest first, and each `total`
/// counts the live records below the bound, archived ones left out (the sandbox answers such
/// id-range searches without walking the range; a second, equal group takes the walking path
/// and must agree).
#[tokio::test]
async fn paging_down_by_id_finds_every_live_record_once_and_counts_those_below() {
    let app = spawn(unlimited()).await;
    let token = app.tokens().await.access_token;
    let all = listed(&app, &token, "contacts", "lastmodifieddate").await;
    let archived = [all[3].0, all[120].0, all[249].0];
    let response = app
        .admin_post(
            "/_admin/crm/contacts/archive",
            &json!({"ids": archived.iter().map(u64::to_string).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let live: Vec<u64> = all
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !archived.contains(id))
        .collect();
    let mut down = Vec::new();
    let mut below: Option<u64> = None;
    loop {
        let filter = |bound: u64| {
            json!({"filters": [
                {"propertyName": "hs_object_id", "operator": "LT", "value": bound.to_string()},
            ]})
        };
        let mut body = json!({
            "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
            "limit": 37,
        });
        if let Some(bound) = below {
            body["filterGroups"] = json!([filter(bound)]);
        }
        let page = ok(app.search("contacts", Some(&token), &body).await).await;
        let expected_total = live
            .iter()
            .filter(|id| below.is_none_or(|b| **id < b))
            .count();
        assert_eq!(page["total"], expected_total as u64);
        if let Some(bound) = below {
            // The walking path answers the same.
            body["filterGroups"] = json!([filter(bound), filter(bound)]);
            let walked = ok(app.search("contacts", Some(&token), &body).await).await;
            assert_eq!(walked["total"], page["total"]);
            assert_eq!(walked["results"], page["results"]);
        }
        let results = ids(page["results"].as_array().unwrap());
        let Some(lowest) = results.last() else { break };
        below = Some(*lowest);
        down.extend(results);
    }
    let mut expected = live.clone();
    expected.reverse();
    assert_eq!(down, expected);
}
