//! `GET /crm/v3/properties/{objectType}` and `GET /crm-object-schemas/v3/schemas`.
//!
//! The serde types below are transcribed from HubSpot's specs (not vendored):
//!
//! - PROPERTIES = `PublicApiSpecs/CRM/Properties/Rollouts/145899/v3/properties.json`
//! - SCHEMAS = `PublicApiSpecs/CRM/Schemas/Rollouts/145900/v3/schemas.json`
//!
//! As in `schema.rs`, a required property is a non-`Option` field and an optional one an
//! `Option`, and `deny_unknown_fields` keeps the sandbox from sending undocumented fields.

use std::collections::{BTreeMap, BTreeSet};

use hubspot_sandbox::{
    CONTACT_CUSTOM_PROPERTIES, CONTACT_PROPERTIES, CUSTOM_GROUP, Contract, Faults, SandboxConfig,
    Vary,
};
use reqwest::{Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::helpers::{SCOPES, TestSandbox, assert_api_error, spawn, spawn_default};

/// PROPERTIES `#/components/schemas/CollectionResponsePropertyNoPaging`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectionResponsePropertyNoPaging {
    results: Vec<Property>,
}

/// PROPERTIES `#/components/schemas/Property` (required: description, fieldType, groupName,
/// label, name, options, type).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct Property {
    description: String,
    field_type: String,
    group_name: String,
    label: String,
    name: String,
    options: Vec<PropertyOption>,
    #[serde(rename = "type")]
    data_type: String,
    archived: Option<bool>,
    archived_at: Option<String>,
    calculated: Option<bool>,
    calculation_formula: Option<String>,
    created_at: Option<String>,
    created_user_id: Option<String>,
    currency_property_name: Option<String>,
    data_sensitivity: Option<DataSensitivity>,
    date_display_hint: Option<String>,
    display_order: Option<i32>,
    external_options: Option<bool>,
    form_field: Option<bool>,
    has_unique_value: Option<bool>,
    hidden: Option<bool>,
    hubspot_defined: Option<bool>,
    modification_metadata: Option<PropertyModificationMetadata>,
    number_display_hint: Option<String>,
    referenced_object_type: Option<String>,
    sensitive_data_categories: Option<Vec<String>>,
    show_currency_symbol: Option<bool>,
    text_display_hint: Option<String>,
    updated_at: Option<String>,
    updated_user_id: Option<String>,
}

/// PROPERTIES `#/components/schemas/Option` (required: hidden, label, value).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct PropertyOption {
    hidden: bool,
    label: String,
    value: String,
    description: Option<String>,
    display_order: Option<i32>,
}

/// PROPERTIES `#/components/schemas/PropertyModificationMetadata`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct PropertyModificationMetadata {
    archivable: bool,
    read_only_definition: bool,
    read_only_value: bool,
    read_only_options: Option<bool>,
}

/// `dataSensitivity` enum.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DataSensitivity {
    HighlySensitive,
    NonSensitive,
    Sensitive,
}

/// SCHEMAS `#/components/schemas/CollectionResponseObjectSchemaNoPaging`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectionResponseObjectSchemaNoPaging {
    results: Vec<ObjectSchema>,
}

/// SCHEMAS `#/components/schemas/ObjectSchema` (required: associations, id, labels, name,
/// properties, requiredProperties).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct ObjectSchema {
    associations: Vec<AssociationDefinition>,
    id: String,
    labels: ObjectTypeDefinitionLabels,
    name: String,
    properties: Vec<Property>,
    required_properties: Vec<String>,
    allows_sensitive_properties: Option<bool>,
    archived: Option<bool>,
    created_at: Option<String>,
    created_by_user_id: Option<i64>,
    description: Option<String>,
    fully_qualified_name: Option<String>,
    object_type_id: Option<String>,
    primary_display_property: Option<String>,
    searchable_properties: Option<Vec<String>>,
    secondary_display_properties: Option<Vec<String>>,
    updated_at: Option<String>,
    updated_by_user_id: Option<i64>,
}

/// SCHEMAS `#/components/schemas/ObjectTypeDefinitionLabels` (nothing required).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct ObjectTypeDefinitionLabels {
    singular: Option<String>,
    plural: Option<String>,
}

/// SCHEMAS `#/components/schemas/AssociationDefinition` (required: fromObjectTypeId, id,
/// toObjectTypeId).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct AssociationDefinition {
    from_object_type_id: String,
    id: String,
    to_object_type_id: String,
    created_at: Option<String>,
    name: Option<String>,
    updated_at: Option<String>,
}

impl TestSandbox {
    async fn get_with(&self, path: &str, token: Option<&str>, query: &[(&str, &str)]) -> Response {
        let mut request = self.http.get(self.url(path)).query(query);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET")
    }

    async fn properties(&self, object: &str, token: &str, query: &[(&str, &str)]) -> Response {
        self.get_with(&format!("/crm/v3/properties/{object}"), Some(token), query)
            .await
    }

    async fn property_list(&self, object: &str, token: &str, query: &[(&str, &str)]) -> Value {
        let response = self.properties(object, token, query).await;
        assert_eq!(response.status(), StatusCode::OK, "{object} {query:?}");
        response.json().await.expect("json")
    }
}

fn names(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn contacts_have_650_properties_600_of_them_custom_of_every_type() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let body = app.property_list("contacts", &token, &[]).await;
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), CONTACT_PROPERTIES);
    assert_eq!(CONTACT_PROPERTIES, 650);
    let custom: Vec<&Value> = results
        .iter()
        .filter(|p| p["hubspotDefined"] == false)
        .collect();
    assert_eq!(custom.len(), CONTACT_CUSTOM_PROPERTIES);
    assert_eq!(CONTACT_CUSTOM_PROPERTIES, 600);
    for (i, property) in custom.iter().enumerate() {
        assert_eq!(property["name"], format!("vs_custom_{:03}", i + 1));
        assert_eq!(property["groupName"], CUSTOM_GROUP);
        let label = property["label"].as_str().expect("label");
        assert!(label.contains(' ') && !label.contains('_'), "{label}");
    }
    let kinds: BTreeSet<(String, String)> = custom
        .iter()
        .map(|p| {
            (
                p["type"].as_str().expect("type").to_owned(),
                p["fieldType"].as_str().expect("fieldType").to_owned(),
            )
        })
        .collect();
    for kind in [
        ("string", "text"),
        ("string", "textarea"),
        ("number", "number"),
        ("date", "date"),
        ("datetime", "date"),
        ("bool", "booleancheckbox"),
        ("enumeration", "select"),
        ("enumeration", "radio"),
        ("enumeration", "checkbox"),
    ] {
        assert!(
            kinds.contains(&(kind.0.to_owned(), kind.1.to_owned())),
            "{kind:?} missing from {kinds:?}"
        );
    }
    // Enumerations and booleans have options, with the spec's required fields; others none.
    for property in results {
        let options = property["options"].as_array().expect("options");
        match property["type"].as_str() {
            Some("enumeration") => {
                assert!(!options.is_empty(), "{property}");
                for option in options {
                    assert!(option["label"].is_string() && option["value"].is_string());
                    assert!(option["hidden"].is_boolean());
                }
            }
            Some("bool") => {
                let values: Vec<&str> =
                    options.iter().filter_map(|o| o["value"].as_str()).collect();
                assert_eq!(values, ["true", "false"]);
            }
            _ => assert!(options.is_empty(), "{property}"),
        }
    }
    // HubSpot's standard ones, as the records carry them.
    let by_name: BTreeMap<&str, &Value> = results
        .iter()
        .map(|p| (p["name"].as_str().expect("name"), p))
        .collect();
    for name in [
        "firstname",
        "lastname",
        "email",
        "lifecyclestage",
        "hs_object_id",
        "createdate",
        "lastmodifieddate",
    ] {
        assert_eq!(by_name[name]["hubspotDefined"], true, "{name}");
    }
    let stage = by_name["lifecyclestage"];
    assert_eq!(stage["type"], "enumeration");
    let values: Vec<&str> = stage["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter_map(|o| o["value"].as_str())
        .collect();
    assert!(
        values.contains(&"customer") && values.contains(&"lead"),
        "{values:?}"
    );
    assert_eq!(by_name["createdate"]["type"], "datetime");
    assert_eq!(
        by_name["hs_object_id"]["modificationMetadata"]["readOnlyValue"],
        true
    );
    // The Rust API agrees with the answer.
    let api = app.sandbox.properties("contacts").expect("contacts");
    let live: Vec<String> = api
        .iter()
        .filter(|p| !p.archived)
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(live, names(&body));
    assert_eq!(app.sandbox.stats().properties, 1);
}

#[tokio::test]
async fn every_answer_parses_into_the_spec_schemas_under_any_contract() {
    // Seeded contracts leave optional fields out; required ones must always be there.
    for seed in [42, 7, 1_000] {
        let app = spawn(SandboxConfig::default().with_contract_seed(seed)).await;
        let token = app
            .tokens_with(&format!("{SCOPES} crm.objects.custom.read"))
            .await
            .access_token;
        let custom = app.sandbox.custom_object();
        for object in ["contacts", "companies", "deals", custom.name] {
            for query in [&[][..], &[("archived", "true")][..]] {
                let response = app.properties(object, &token, query).await;
                assert_eq!(response.status(), StatusCode::OK);
                let parsed: CollectionResponsePropertyNoPaging = response
                    .json()
                    .await
                    .expect("CollectionResponsePropertyNoPaging");
                assert!(parsed.results.iter().all(|p| !p.name.is_empty()));
            }
        }
        let response = app
            .get_with("/crm-object-schemas/v3/schemas", Some(&token), &[])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let parsed: CollectionResponseObjectSchemaNoPaging = response
            .json()
            .await
            .expect("CollectionResponseObjectSchemaNoPaging");
        assert_eq!(parsed.results.len(), 1);
    }
}

#[tokio::test]
async fn object_type_ids_and_names_are_aliases_and_unknown_types_are_refused() {
    let app = spawn_default().await;
    let token = app
        .tokens_with(&format!("{SCOPES} crm.objects.custom.read"))
        .await
        .access_token;
    for (name, id) in [("contacts", "0-1"), ("companies", "0-2"), ("deals", "0-3")] {
        let by_name = app.property_list(name, &token, &[]).await;
        let by_id = app.property_list(id, &token, &[]).await;
        assert_eq!(names(&by_name), names(&by_id), "{name}");
        assert_eq!(
            names(&by_name).len(),
            app.sandbox.properties(id).expect("known").len()
                - app
                    .sandbox
                    .properties(id)
                    .expect("known")
                    .iter()
                    .filter(|p| p.archived)
                    .count()
        );
    }
    let custom = app.sandbox.custom_object();
    assert!(custom.object_type_id.starts_with("2-"), "{custom:?}");
    assert_eq!(
        custom.fully_qualified_name,
        format!("p{}_pets", app.sandbox.hub_id())
    );
    let pets = names(&app.property_list("pets", &token, &[]).await);
    assert!(pets.contains(&"name".to_owned()), "{pets:?}");
    for alias in [&custom.object_type_id, &custom.fully_qualified_name] {
        assert_eq!(names(&app.property_list(alias, &token, &[]).await), pets);
    }
    for unknown in ["widgets", "2-1", "0-99"] {
        let body = assert_api_error(
            app.properties(unknown, &token, &[]).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(
            body["message"],
            format!("Unable to infer object type from: {unknown}")
        );
    }
    assert!(app.sandbox.properties("widgets").is_none());
}

#[tokio::test]
async fn archived_and_properties_narrow_the_listing() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let archived = app
        .property_list("contacts", &token, &[("archived", "true")])
        .await;
    let results = archived["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{archived}");
    assert_eq!(results[0]["archived"], true);
    assert!(results[0]["archivedAt"].is_string());
    let none = app
        .property_list("companies", &token, &[("archived", "true")])
        .await;
    assert_eq!(none["results"], serde_json::json!([]));

    let some = app
        .property_list(
            "contacts",
            &token,
            &[("properties", "email,lifecyclestage,nosuchproperty")],
        )
        .await;
    assert_eq!(names(&some), ["email", "lifecyclestage"]);
    let sensitive = app
        .property_list("contacts", &token, &[("dataSensitivity", "sensitive")])
        .await;
    assert_eq!(sensitive["results"], serde_json::json!([]));
    assert_api_error(
        app.properties("contacts", &token, &[("dataSensitivity", "secret")])
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
}

#[tokio::test]
async fn property_reads_need_the_object_or_schema_scope() {
    let app = spawn_default().await;
    let token = app
        .tokens_with("oauth crm.objects.companies.read")
        .await
        .access_token;
    assert_eq!(
        app.properties("companies", &token, &[]).await.status(),
        StatusCode::OK
    );
    for object in ["contacts", "0-1", "pets"] {
        let body = assert_api_error(
            app.properties(object, &token, &[]).await,
            StatusCode::FORBIDDEN,
            "MISSING_SCOPES",
        )
        .await;
        let expected = if object == "pets" {
            "crm.objects.custom.read"
        } else {
            "crm.objects.contacts.read"
        };
        assert_eq!(
            body["errors"][0]["context"]["requiredGranularScopes"][0],
            expected
        );
    }
    let schema_scope = app
        .tokens_with("oauth crm.schemas.contacts.read crm.schemas.custom.read")
        .await
        .access_token;
    for object in ["contacts", "pets"] {
        assert_eq!(
            app.properties(object, &schema_scope, &[]).await.status(),
            StatusCode::OK
        );
    }
    assert_api_error(
        app.get_with("/crm/v3/properties/contacts", None, &[]).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_AUTHENTICATION",
    )
    .await;
}

#[tokio::test]
async fn the_custom_object_schema_is_listed_with_the_spec_fields() {
    let app = spawn_default().await;
    let custom = app.sandbox.custom_object();
    // Without a custom-object scope: 403 naming crm.schemas.custom.read.
    let token = app.tokens().await.access_token;
    let body = assert_api_error(
        app.get_with("/crm-object-schemas/v3/schemas", Some(&token), &[])
            .await,
        StatusCode::FORBIDDEN,
        "MISSING_SCOPES",
    )
    .await;
    assert_eq!(
        body["errors"][0]["context"]["requiredGranularScopes"][0],
        "crm.schemas.custom.read"
    );
    let token = app
        .tokens_with("oauth crm.schemas.custom.read")
        .await
        .access_token;
    let response = app
        .get_with("/crm-object-schemas/v3/schemas", Some(&token), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .contains_key("x-hubspot-ratelimit-remaining")
    );
    let body: Value = response.json().await.expect("json");
    let schema = &body["results"][0];
    for field in [
        "associations",
        "id",
        "labels",
        "name",
        "properties",
        "requiredProperties",
    ] {
        assert!(!schema[field].is_null(), "{field} missing: {schema}");
    }
    assert_eq!(schema["id"], custom.object_type_id.as_str());
    assert_eq!(schema["objectTypeId"], custom.object_type_id.as_str());
    assert_eq!(schema["name"], "pets");
    assert_eq!(
        schema["labels"],
        serde_json::json!({"singular": "Pet", "plural": "Pets"})
    );
    assert_eq!(
        schema["fullyQualifiedName"],
        custom.fully_qualified_name.as_str()
    );
    assert_eq!(schema["primaryDisplayProperty"], "name");
    assert_eq!(schema["associations"][0]["toObjectTypeId"], "0-1");
    assert_eq!(
        schema["associations"][0]["fromObjectTypeId"],
        custom.object_type_id.as_str()
    );
    let properties = schema["properties"].as_array().expect("properties");
    assert_eq!(
        properties.len(),
        app.sandbox.properties("pets").expect("pets").len()
    );
    let lean = app
        .get_with(
            "/crm-object-schemas/v3/schemas",
            Some(&token),
            &[
                ("includePropertyDefinitions", "false"),
                ("includeAuditMetadata", "false"),
            ],
        )
        .await;
    let lean: Value = lean.json().await.expect("json");
    assert_eq!(lean["results"][0]["properties"], serde_json::json!([]));
    assert!(lean["results"][0].get("createdAt").is_none());
    let archived: Value = app
        .get_with(
            "/crm-object-schemas/v3/schemas",
            Some(&token),
            &[("archived", "true")],
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(archived["results"], serde_json::json!([]));
    assert_eq!(app.sandbox.stats().schemas, 4);
}

#[tokio::test]
async fn faults_and_rate_limits_apply_to_property_reads() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    app.sandbox.set_faults(Faults {
        fail_next: 1,
        fail_status: 503,
        ..Faults::default()
    });
    assert_api_error(
        app.properties("contacts", &token, &[]).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "INTERNAL_ERROR",
    )
    .await;
    app.sandbox.set_faults(Faults {
        malformed_next: 1,
        ..Faults::default()
    });
    let response = app.properties("contacts", &token, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.json::<Value>().await.is_err());
    let response = app.properties("deals", &token, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let remaining: u64 = response.headers()["x-hubspot-ratelimit-remaining"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    // Property reads count against the same burst limit as the objects API.
    let after = app.list("contacts", Some(&token), &[]).await;
    let left: u64 = after.headers()["x-hubspot-ratelimit-remaining"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    assert_eq!(left + 1, remaining);
    app.sandbox.update(|k| {
        k.rate_limit = Some(hubspot_sandbox::RateLimit {
            max_requests: 1,
            window: std::time::Duration::from_secs(60),
        });
    });
    app.properties("deals", &token, &[]).await;
    assert_api_error(
        app.properties("deals", &token, &[]).await,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITS",
    )
    .await;
}

#[tokio::test]
async fn optional_fields_vary_with_the_contract_and_typical_sends_them_all() {
    let typical = spawn_default().await;
    let token = typical.tokens().await.access_token;
    let body = typical.property_list("contacts", &token, &[]).await;
    assert!(
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|p| p["hubspotDefined"].is_boolean() && p["createdAt"].is_string())
    );
    let omitting = spawn(SandboxConfig::typical().with_contract(Contract {
        omit_optional: Vary::On,
        ..Contract::typical()
    }))
    .await;
    let token = omitting.tokens().await.access_token;
    let body = omitting.property_list("contacts", &token, &[]).await;
    for property in body["results"].as_array().expect("results") {
        let keys: BTreeSet<&str> = property
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "description",
                "fieldType",
                "groupName",
                "label",
                "name",
                "options",
                "type"
            ])
        );
    }
}

#[tokio::test]
async fn records_answer_a_defined_property_they_lack_with_null() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let body: Value = app
        .list(
            "contacts",
            Some(&token),
            &[("properties", "vs_custom_001,hs_lead_status,nosuchproperty")],
        )
        .await
        .json()
        .await
        .expect("json");
    let properties = &body["results"][0]["properties"];
    assert_eq!(properties["vs_custom_001"], Value::Null, "{properties}");
    assert_eq!(properties["hs_lead_status"], Value::Null, "{properties}");
    assert!(properties.get("vs_custom_001").is_some());
    assert!(properties.get("nosuchproperty").is_none());
    // An archived property is no longer defined.
    let body: Value = app
        .list(
            "contacts",
            Some(&token),
            &[("properties", "vs_legacy_score")],
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        body["results"][0]["properties"]
            .get("vs_legacy_score")
            .is_none()
    );
}

/// Listing every one of a portal's 650 properties in a list URL is refused by the edge (414),
/// before the API counts it; the same properties in a batch read's body are fine.
#[tokio::test]
async fn a_list_url_naming_every_property_is_too_long() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let all = names(&app.property_list("contacts", &token, &[]).await).join(",");
    let url = format!("{}/crm/v3/objects/contacts", app.base);
    let res = reqwest::Client::new()
        .get(&url)
        .query(&[("properties", all.as_str()), ("limit", "10")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::URI_TOO_LONG);
    let stats = app.sandbox.stats();
    assert_eq!((stats.uri_too_long, stats.objects), (1, 0));
}
