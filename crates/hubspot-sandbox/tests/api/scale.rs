use std::time::Instant;

use hubspot_sandbox::{ObjectType, Pick, SandboxConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_api_error, ok, spawn};

const MILLION: usize = 1_000_000;

fn million() -> SandboxConfig {
    SandboxConfig {
        contacts: MILLION,
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::typical()
    }
}

#[tokio::test]
async fn a_million_contacts_build_instantly_and_list_their_first_and_last_pages() {
    let started = Instant::now();
    let app = spawn(million()).await;
    assert!(
        started.elapsed().as_millis() < 1_000,
        "building took {:?}",
        started.elapsed()
    );
    let token = app.tokens().await.access_token;
    let first = ok(app
        .list("contacts", Some(&token), &[("limit", "100")])
        .await)
    .await;
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    assert!(first["paging"]["next"]["after"].is_string());

    // The highest id, from a search sorted by id descending.
    let top = ok(app
        .search(
            "contacts",
            Some(&token),
            &json!({"sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}], "limit": 100}),
        )
        .await)
    .await;
    assert_eq!(top["total"], MILLION);
    let hundredth: u64 = top["results"][99]["id"].as_str().unwrap().parse().unwrap();
    let cursor = app
        .sandbox
        .list_cursor(ObjectType::Contacts, hundredth, false);
    let last = ok(app
        .list(
            "contacts",
            Some(&token),
            &[("limit", "100"), ("after", &cursor)],
        )
        .await)
    .await;
    let results = last["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert!(last.get("paging").is_none(), "the last page has no next");
    assert_eq!(results[99]["id"], top["results"][0]["id"]);
    assert!(
        results[99]["properties"]["email"]
            .as_str()
            .unwrap()
            .contains('@')
    );
}

#[tokio::test]
async fn paging_a_search_past_10000_results_is_hubspots_400_and_an_id_filter_continues() {
    let app = spawn(million()).await;
    let token = app.tokens().await.access_token;
    let body = |after: &str, min_id: &str| {
        json!({
            "filterGroups": [{"filters": [
                {"propertyName": "hs_object_id", "operator": "GT", "value": min_id}
            ]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "limit": 200,
            "after": after,
        })
    };
    let at_9800 = app.sandbox.search_cursor(ObjectType::Contacts, 9_800);
    let near = ok(app
        .search("contacts", Some(&token), &body(&at_9800, "0"))
        .await)
    .await;
    assert_eq!(near["total"], MILLION);
    assert_eq!(near["results"].as_array().unwrap().len(), 200);
    // The page ending at result 10,000 still has a cursor, which is then refused.
    let beyond = near["paging"]["next"]["after"].as_str().unwrap().to_owned();
    let last_id = near["results"][199]["id"].as_str().unwrap().to_owned();
    assert_api_error(
        app.search("contacts", Some(&token), &body(&beyond, "0"))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
    // A new query starting after the last id seen carries on exactly.
    let carried = ok(app
        .search("contacts", Some(&token), &body("", &last_id))
        .await)
    .await;
    assert_eq!(carried["total"], MILLION - 10_000);
    let listed = ok(app
        .list(
            "contacts",
            Some(&token),
            &[
                ("limit", "1"),
                (
                    "after",
                    &app.sandbox.list_cursor(
                        ObjectType::Contacts,
                        last_id.parse::<u64>().unwrap() + 1,
                        false,
                    ),
                ),
            ],
        )
        .await)
    .await;
    assert_eq!(carried["results"][0]["id"], listed["results"][0]["id"]);
}

#[tokio::test]
async fn a_search_over_a_million_contacts_is_exact_and_prints_its_latency() {
    let app = spawn(million()).await;
    let token = app.tokens().await.access_token;
    let mutated = app
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(5_000));
    let archived = app
        .sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(100));
    assert_eq!((mutated.len(), archived.len()), (5_000, 100));
    let since = chrono::Utc::now().timestamp_millis() - 60_000;
    let incremental = json!({
        "filterGroups": [{"filters": [
            {"propertyName": "lastmodifieddate", "operator": "GTE", "value": since.to_string()}
        ]}],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "limit": 200,
    });
    let by_date = json!({
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 200,
        "after": app.sandbox.search_cursor(ObjectType::Contacts, 9_800),
    });
    for (name, body) in [
        ("incremental window", &incremental),
        ("sorted by date, page 50", &by_date),
    ] {
        let started = Instant::now();
        let page = ok(app.search("contacts", Some(&token), body).await).await;
        eprintln!(
            "search over 1,000,000 contacts ({name}): {:?}, total {}",
            started.elapsed(),
            page["total"]
        );
    }
    let page = ok(app.search("contacts", Some(&token), &incremental).await).await;
    // Modified records that were later archived are not found.
    let expected = mutated.iter().filter(|id| !archived.contains(id)).count();
    assert_eq!(page["total"], expected);
    let by_date = ok(app.search("contacts", Some(&token), &by_date).await).await;
    assert_eq!(by_date["total"], MILLION - 100);
    let results = by_date["results"].as_array().unwrap();
    let keys: Vec<(String, u64)> = results
        .iter()
        .map(|r| {
            (
                r["properties"]["lastmodifieddate"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                r["id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "ordered by date, then id"
    );
}
