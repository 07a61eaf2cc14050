//! Discovery: what the portal holds, from HubSpot's schemas and properties APIs through the
//! sandbox, cached per portal, forgotten on reconnect; and providers that cannot discover say so.

use e2e::{assert_problem, spawn_sandbox_app};
use reqwest::StatusCode;
use serde_json::Value;

const TYPES: &str = "/api/integrations/hubspot/object-types";

fn fields(object_type: &str) -> String {
    format!("/api/integrations/hubspot/fields?object_type={object_type}")
}

#[tokio::test]
async fn the_portal_lists_every_standard_and_custom_object_type_with_its_grant() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("alice").await;
    let body = app.get_json("alice", TYPES).await;
    let kinds = body["object_types"].as_array().expect("object_types");
    let by_id = |id: &str| kinds.iter().find(|k| k["id"] == id).cloned();
    for id in [
        "contacts",
        "companies",
        "deals",
        "tickets",
        "products",
        "line_items",
        "quotes",
        "calls",
        "emails",
        "meetings",
        "notes",
        "tasks",
    ] {
        let kind = by_id(id).unwrap_or_else(|| panic!("{id} in {body}"));
        assert_eq!(kind["custom"], false, "{kind}");
        assert!(!kind["scopes"].as_array().unwrap().is_empty(), "{kind}");
    }
    assert_eq!(by_id("contacts").unwrap()["granted"], true);
    assert_eq!(by_id("deals").unwrap()["granted"], true);
    // Tickets need a scope this app does not ask for: listed, not granted.
    assert_eq!(by_id("tickets").unwrap()["granted"], false);
    let custom: Vec<&Value> = kinds.iter().filter(|k| k["custom"] == true).collect();
    assert!(!custom.is_empty(), "the portal's custom objects: {body}");
    for kind in custom {
        let id = kind["id"].as_str().unwrap();
        assert!(
            id.starts_with("2-"),
            "a custom object is named by its objectTypeId: {kind}"
        );
        assert!(!kind["label"].as_str().unwrap().is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn every_property_of_a_portal_with_650_is_listed_with_its_options() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("alice").await;
    let body = app.get_json("alice", &fields("contacts")).await;
    let all = body["fields"].as_array().expect("fields");
    assert_eq!(all.len(), 650, "every contact property");
    let field = |name: &str| all.iter().find(|f| f["name"] == name).cloned();
    let email = field("email").expect("email");
    assert_eq!(
        (email["type"].as_str(), email["label"].is_string()),
        (Some("string"), true)
    );
    let stage = field("lifecyclestage").expect("lifecyclestage");
    assert_eq!(stage["type"], "enumeration");
    assert!(!stage["options"].as_array().unwrap().is_empty(), "{stage}");
    assert!(stage["options"][0]["value"].is_string() && stage["options"][0]["label"].is_string());
    for f in all {
        for key in ["name", "label", "type", "field_type"] {
            assert!(
                f[key].as_str().is_some_and(|v| !v.is_empty()),
                "{key} of {f}"
            );
        }
        for key in ["read_only", "hidden", "calculated"] {
            assert!(f[key].is_boolean(), "{key} of {f}");
        }
    }
    let enumerations = all.iter().filter(|f| f["type"] == "enumeration").count();
    assert!(enumerations > 10, "{enumerations} enumerations");

    // A custom object's fields, by its objectTypeId.
    let types = app.get_json("alice", TYPES).await;
    let custom = types["object_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["custom"] == true)
        .expect("a custom object");
    let id = custom["id"].as_str().unwrap();
    let custom_fields = app.get_json("alice", &fields(id)).await;
    assert!(
        !custom_fields["fields"].as_array().unwrap().is_empty(),
        "{custom_fields}"
    );
}

#[tokio::test]
async fn discovery_is_cached_per_portal_and_forgotten_on_reconnect() {
    let app = spawn_sandbox_app().await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    app.connect_via_sandbox("bob").await;
    hubspot.reset_stats();
    app.get_json("alice", &fields("contacts")).await;
    app.get_json("alice", &fields("contacts")).await;
    app.get_json("bob", &fields("contacts")).await;
    app.get_json("alice", TYPES).await;
    app.get_json("bob", TYPES).await;
    let asked = hubspot.stats();
    assert_eq!(
        (asked.properties, asked.schemas),
        (1, 1),
        "one portal, one answer each: {asked:?}"
    );
    // A reconnect may see more: the portal's answers are asked again.
    app.connect_via_sandbox("alice").await;
    app.get_json("alice", TYPES).await;
    app.get_json("alice", &fields("contacts")).await;
    let asked = hubspot.stats();
    assert_eq!((asked.properties, asked.schemas), (2, 2), "{asked:?}");
}

#[tokio::test]
async fn bad_discovery_requests_are_typed_problems() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("alice").await;
    for query in ["", "?object_type=", "?object_type=a%20b"] {
        let res = app
            .get_as("alice", &format!("/api/integrations/hubspot/fields{query}"))
            .await;
        assert_problem(res, 400, "invalid_request").await;
    }
    let body = assert_problem(
        app.get_as("alice", &fields("no_such_kind")).await,
        400,
        "invalid_request",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("no_such_kind"),
        "{body}"
    );
    // Not connected.
    assert_problem(app.get_as("carol", TYPES).await, 404, "not_connected").await;
    // Notion discovers its shared databases (through the kit), whose properties are fields;
    // its declared kinds have no fixed fields to list.
    app.connect_through_consent_page("notion", "alice").await;
    let notion = app
        .get_json("alice", "/api/integrations/notion/object-types")
        .await;
    let kinds = notion["object_types"].as_array().expect("object_types");
    assert_eq!(
        (kinds[0]["id"].as_str(), kinds[1]["id"].as_str()),
        (Some("pages"), Some("databases"))
    );
    let database = kinds
        .iter()
        .find(|k| k["custom"] == true)
        .expect("a shared database");
    let id = database["id"].as_str().unwrap();
    let fields = app
        .get_json(
            "alice",
            &format!("/api/integrations/notion/fields?object_type={id}"),
        )
        .await;
    let status = (fields["fields"].as_array().unwrap().iter())
        .find(|f| f["name"] == "Status")
        .expect("a Status property");
    assert!(
        !status["options"].as_array().unwrap().is_empty(),
        "{status}"
    );
    let res = app
        .get_as("alice", "/api/integrations/notion/fields?object_type=pages")
        .await;
    assert_problem(res, 400, "discovery_unsupported").await;
}

/// `properties=*`: every one of the portal's 650 properties on every item, with no 414 and two
/// HubSpot calls per page (the ids, then a batch read with the properties in its body).
#[tokio::test]
async fn every_property_of_every_record_costs_two_calls_a_page_and_no_414() {
    let app = spawn_sandbox_app().await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    app.get_json("alice", &fields("contacts")).await; // discovery, cached
    hubspot.reset_stats();

    let page = app
        .get_json(
            "alice",
            "/api/integrations/hubspot/items?properties=*&limit=100",
        )
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 100);
    for item in items {
        let properties = item["properties"].as_object().expect("properties");
        assert!(properties.len() >= 650, "{} properties", properties.len());
        assert!(properties.contains_key("vs_custom_600"), "custom ones too");
    }
    let asked = hubspot.stats();
    assert_eq!(
        (asked.objects, asked.batch_read, asked.uri_too_long),
        (1, 1, 0),
        "{asked:?}"
    );

    // A few named ones stay in the URL: one call.
    hubspot.reset_stats();
    let page = app
        .get_json(
            "alice",
            "/api/integrations/hubspot/items?properties=email,vs_custom_007&limit=5",
        )
        .await;
    let first = page["items"][0]["properties"].as_object().unwrap();
    assert!(
        first.contains_key("vs_custom_007") && first.contains_key("email"),
        "{first:?}"
    );
    assert_eq!(
        (hubspot.stats().objects, hubspot.stats().batch_read),
        (1, 0)
    );

    // The export carries them too, page after page.
    hubspot.reset_stats();
    let res = app
        .get_as("alice", "/api/integrations/hubspot/export?properties=*")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l.get("type").is_none())
        .collect();
    assert_eq!(records.len(), 250);
    assert!(
        records
            .iter()
            .all(|r| r["properties"].as_object().unwrap().len() >= 650)
    );
    // List pages cost two calls (their ids, then a batch read with the properties in its
    // body), search pages one (the properties in its body); none is a 414.
    let asked = hubspot.stats();
    assert_eq!(asked.uri_too_long, 0, "{asked:?}");
    // (The list page in flight when the lanes met may stop before its batch read.)
    assert!(
        asked.batch_read <= asked.objects && asked.batch_read + 1 >= asked.objects,
        "{asked:?}"
    );
    assert!(asked.objects <= 3 && asked.search <= 2, "{asked:?}");
    assert!(asked.objects * 100 + asked.search * 200 >= 250, "{asked:?}");
}

#[tokio::test]
async fn unknown_properties_are_named_in_a_400_before_any_listing() {
    let app = spawn_sandbox_app().await;
    let hubspot = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    hubspot.reset_stats();
    let body = assert_problem(
        app.get_as(
            "alice",
            "/api/integrations/hubspot/items?properties=email,nope_1,nope_2",
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("nope_1") && detail.contains("nope_2"),
        "{detail}"
    );
    assert!(!detail.contains("email"), "{detail}");
    assert_eq!(hubspot.stats().objects, 0, "no listing");
    for bad in ["", ",", "a%20b", "*,email"] {
        let res = app
            .get_as(
                "alice",
                &format!("/api/integrations/hubspot/items?properties={bad}"),
            )
            .await;
        assert_problem(res, 400, "invalid_request").await;
    }
    // A kind without fields to list (Notion's pages) cannot check them.
    app.connect_through_consent_page("notion", "alice").await;
    let res = app
        .get_as("alice", "/api/integrations/notion/items?properties=title")
        .await;
    assert_problem(res, 400, "discovery_unsupported").await;
}
