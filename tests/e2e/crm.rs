//! The whole CRM over HTTP in sandbox mode: every property and every relation of a portal in
//! one export (no 414, two calls per 100 records plus one per related kind), a custom object
//! enabled, listed and exported by its `objectTypeId`, changes that carry what was selected,
//! and requests refused before any upstream call.

use std::collections::HashSet;

use e2e::{TestApp, assert_problem, spawn_sandbox_app};
use hubspot_sandbox::{ObjectType, Pick};
use reqwest::StatusCode;
use serde_json::Value;

const API: &str = "/api/integrations/hubspot";

async fn ndjson(app: &TestApp, user: &str, path: &str) -> Vec<Value> {
    let res = app.get_as(user, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let text = res.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn items(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l.get("id").is_some()).collect()
}

/// 650 properties and two kinds of relations for each of 250 contacts: no URL too long, two
/// calls per page for the properties (ids, then a batch read) and one per related kind.
#[tokio::test]
async fn every_property_and_relation_of_every_contact_in_one_export() {
    let app = spawn_sandbox_app().await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    let fields = app
        .get_json("alice", &format!("{API}/fields?object_type=contacts"))
        .await;
    let all = fields["fields"].as_array().unwrap().len();
    assert_eq!(all, 650);
    hubspot.reset_stats();

    let lines = ndjson(
        &app,
        "alice",
        &format!("{API}/export?object_type=contacts&properties=*&associations=companies,deals"),
    )
    .await;

    let contacts = items(&lines);
    assert_eq!(contacts.len(), 250);
    assert_eq!(lines.last().unwrap()["type"], "end");
    for contact in &contacts {
        let properties = contact["properties"].as_object().unwrap();
        assert!(properties.contains_key("vs_custom_600"), "{contact}");
        assert!(contact["associations"]["companies"].is_array(), "{contact}");
        assert!(contact["associations"]["deals"].is_array(), "{contact}");
    }
    let labelled = contacts.iter().any(|c| {
        (c["associations"]["companies"].as_array().unwrap().iter()).any(|a| {
            a["labels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == "Primary")
        })
    });
    assert!(labelled, "primary companies are labelled");
    let stats = hubspot.stats();
    assert_eq!(stats.uri_too_long, 0);
    // List pages of 100 (ids, then a batch read with the properties in its body) up, search
    // pages of 200 (properties in the body) down, until they meet; one association read per
    // kind per page, never one per record.
    let pages = stats.objects + stats.search;
    assert!(stats.objects <= 3 && stats.search <= 2, "{stats:?}");
    assert!(stats.objects * 100 + stats.search * 200 >= 250, "{stats:?}");
    // (The list page in flight when the lanes met may stop before its batch read.)
    assert!(
        stats.batch_read <= stats.objects && stats.batch_read + 1 >= stats.objects,
        "{stats:?}"
    );
    assert!(
        stats.associations >= 4 && stats.associations <= 2 * pages,
        "{stats:?}"
    );
}

/// A custom object the grant cannot read yet: its scope is named, enabling it asks for that
/// scope, and then its records list and export by `objectTypeId`, with their contacts.
#[tokio::test]
async fn a_custom_object_is_enabled_listed_and_exported_by_its_object_type_id() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("alice").await;
    let kinds = app.get_json("alice", &format!("{API}/object-types")).await;
    let custom = (kinds["object_types"].as_array().unwrap().iter())
        .find(|k| k["custom"] == true)
        .unwrap()
        .clone();
    let id = custom["id"].as_str().unwrap();
    assert_eq!(custom["granted"], false, "{custom}");
    let body = assert_problem(
        app.items("alice", &format!("?object_type={id}")).await,
        403,
        "insufficient_scope",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("crm.objects.custom.read"),
        "{body}"
    );

    app.connect_through_consent_page_with("hubspot", "alice", &format!("?object_type={id}"))
        .await;

    let page = app
        .get_json("alice", &format!("{API}/items?object_type={id}&limit=5"))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5, "{page}");
    let lines = ndjson(
        &app,
        "alice",
        &format!("{API}/export?object_type={id}&associations=contacts"),
    )
    .await;
    let pets = items(&lines);
    assert_eq!(pets.len(), 45);
    let unique: HashSet<&str> = pets.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), 45);
    assert!(
        pets.iter()
            .any(|p| !p["associations"]["contacts"].as_array().unwrap().is_empty())
    );
    let kinds = app.get_json("alice", &format!("{API}/object-types")).await;
    let now = (kinds["object_types"].as_array().unwrap().iter())
        .find(|k| k["id"] == id)
        .unwrap();
    assert_eq!(
        now["granted"], true,
        "the reconnect forgot the cached answer"
    );
}

/// A changes run's upserts carry the selected properties and relations, as an export's do.
#[tokio::test]
async fn changes_carry_the_selected_properties_and_relations() {
    let app =
        e2e::spawn_sandbox_app_with(&[("INDEX_LAG_SECS", "0"), ("CHANGES_LOOKBACK_SECS", "0")])
            .await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    hubspot.update(|knobs| knobs.contract.search_lag = hubspot_sandbox::SearchLag::OFF);
    app.connect_via_sandbox("alice").await;
    let export = ndjson(&app, "alice", &format!("{API}/export?object_type=contacts")).await;
    let checkpoint = export.last().unwrap()["checkpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1_005)).await;
    let modified = hubspot.modify_records(ObjectType::Contacts, Pick::Count(3));

    let path = format!(
        "{API}/changes?object_type=contacts&since={checkpoint}&properties=vs_custom_001,email&associations=deals"
    );
    let lines = ndjson(&app, "alice", &path).await;
    let upserts: Vec<&Value> = lines.iter().filter(|l| l["type"] == "upsert").collect();
    let ids: HashSet<String> = upserts
        .iter()
        .map(|l| l["item"]["id"].as_str().unwrap().to_owned())
        .collect();
    let expected: HashSet<String> = modified.iter().map(u64::to_string).collect();
    assert_eq!(ids, expected);
    for upsert in upserts {
        let item = &upsert["item"];
        assert!(item["properties"].get("vs_custom_001").is_some(), "{item}");
        assert!(
            item["properties"].get("firstname").is_none(),
            "only what was selected: {item}"
        );
        assert!(item["associations"]["deals"].is_array(), "{item}");
    }
}

/// Bad selections are refused before anything reaches HubSpot, each with its own code.
#[tokio::test]
async fn bad_selections_are_typed_problems_before_any_upstream_call() {
    let app = spawn_sandbox_app().await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    hubspot.reset_stats();
    for (query, code, status) in [
        ("?associations=", "invalid_request", 400),
        ("?associations=a%20b", "invalid_request", 400),
        (
            "?associations=1,2,3,4,5,6,7,8,9,10,11",
            "invalid_request",
            400,
        ),
        ("?associations=widgets", "invalid_request", 400),
        ("?associations=tickets", "insufficient_scope", 403),
        ("?object_type=widgets", "invalid_request", 400),
        ("?object_type=tickets", "insufficient_scope", 403),
    ] {
        let res = app.items("alice", query).await;
        assert_problem(res, status, code).await;
        let res = app.get_as("alice", &format!("{API}/export{query}")).await;
        assert_problem(res, status, code).await;
    }
    assert_eq!(hubspot.stats().objects, 0);
    // A provider that cannot say how its records relate.
    let res = app
        .get_as("alice", "/api/integrations/notion/items?associations=pages")
        .await;
    assert_problem(res, 400, "associations_unsupported").await;
}

/// One record by id, with every one of its 650 properties and its relations: what a record
/// drawer shows. An id no record has is a 404 of its own; a malformed one a 400.
#[tokio::test]
async fn one_record_by_id_carries_every_property_and_relation() {
    let app = spawn_sandbox_app().await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    let page = app.get_json("alice", &format!("{API}/items?limit=1")).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    hubspot.reset_stats();

    let record = app
        .get_json(
            "alice",
            &format!("{API}/items/{id}?object_type=contacts&properties=*&associations=deals"),
        )
        .await;
    assert_eq!(record["id"], id.as_str());
    assert_eq!(
        record["properties"].as_object().unwrap().len(),
        650,
        "{record}"
    );
    assert!(record["associations"]["deals"].is_array(), "{record}");
    let stats = hubspot.stats();
    assert_eq!((stats.batch_read, stats.associations), (1, 1), "{stats:?}");

    let missing = app
        .get_as("alice", &format!("{API}/items/1?object_type=contacts"))
        .await;
    assert_problem(missing, 404, "record_not_found").await;
    let malformed = app.get_as("alice", &format!("{API}/items/a%20b")).await;
    assert_problem(malformed, 400, "invalid_request").await;
}
