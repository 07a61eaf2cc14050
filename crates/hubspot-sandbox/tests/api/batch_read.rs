//! `POST /crm/v3/objects/{type}/batch/read`: the spec's `BatchReadInputSimplePublicObjectId` in,
//! `BatchResponseSimplePublicObject` (200) or `…WithErrors` (207) out.

use hubspot_sandbox::{Faults, ObjectType, Pick, SandboxConfig};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, assert_api_error, spawn, spawn_default};

async fn batch_read(
    sandbox: &TestSandbox,
    object: &str,
    token: &str,
    query: &[(&str, &str)],
    body: &Value,
) -> Response {
    sandbox
        .http
        .post(sandbox.url(&format!("/crm/v3/objects/{object}/batch/read")))
        .query(query)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn inputs(ids: &[u64]) -> Value {
    let inputs: Vec<Value> = ids.iter().map(|id| json!({"id": id.to_string()})).collect();
    json!({"inputs": inputs, "properties": ["email", "lifecyclestage", "nope"],
        "propertiesWithHistory": []})
}

#[tokio::test]
async fn records_render_exactly_as_the_list_renders_them() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    let query = [("limit", "3"), ("properties", "email,lifecyclestage,nope")];
    let listed: Value = sandbox
        .list("contacts", Some(&token), &query)
        .await
        .json()
        .await
        .unwrap();
    let listed = listed["results"].as_array().unwrap().clone();
    let ids: Vec<u64> = listed
        .iter()
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let response = batch_read(&sandbox, "contacts", &token, &[], &inputs(&ids)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "COMPLETE");
    assert!(body["startedAt"].as_str().is_some() && body["completedAt"].as_str().is_some());
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["results"].as_array().unwrap(), &listed);
    assert!(body["results"][0]["properties"].get("nope").is_none());
    assert_eq!(sandbox.sandbox.stats().batch_read, 1);

    // No properties: the defaults, as the list gives them.
    let listed: Value = sandbox
        .list("contacts", Some(&token), &[("limit", "1")])
        .await
        .json()
        .await
        .unwrap();
    let body: Value = batch_read(
        &sandbox,
        "contacts",
        &token,
        &[],
        &json!({"inputs": [{"id": listed["results"][0]["id"]}], "properties": [],
            "propertiesWithHistory": []}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["results"][0], listed["results"][0]);
}

#[tokio::test]
async fn missing_archived_and_deleted_ids_are_207_with_object_not_found() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    let s = &sandbox.sandbox;
    let archived = s.archive_records(ObjectType::Contacts, Pick::Count(2));
    let deleted = s.delete_records(ObjectType::Contacts, Pick::Ids(vec![archived[1]]));
    assert_eq!(deleted, [archived[1]]);
    let modified = s.modify_records(ObjectType::Contacts, Pick::Count(1));
    let ids = [modified[0], archived[0], archived[1], 1];

    let response = batch_read(&sandbox, "contacts", &token, &[], &inputs(&ids)).await;
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "COMPLETE");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["id"], modified[0].to_string());
    assert_eq!(body["numErrors"], 1);
    let error = &body["errors"][0];
    assert_eq!(error["category"], "OBJECT_NOT_FOUND");
    assert_eq!(error["status"], "error");
    let missing: Vec<String> = [archived[0], archived[1], 1]
        .iter()
        .map(u64::to_string)
        .collect();
    assert_eq!(error["context"]["ids"], json!(missing));
    for field in ["message", "errors", "links"] {
        assert!(error.get(field).is_some(), "{error}");
    }
    // The modification shows, as in the list.
    let listed: Value = sandbox
        .list(
            "contacts",
            Some(&token),
            &[
                ("properties", "email,lifecyclestage,nope"),
                ("limit", "100"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let in_list = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == results[0]["id"])
        .unwrap();
    assert_eq!(&results[0], in_list);

    // archived=true: only the archived one is found.
    let response = batch_read(
        &sandbox,
        "contacts",
        &token,
        &[("archived", "true")],
        &inputs(&ids),
    )
    .await;
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["results"][0]["id"], archived[0].to_string());
    assert_eq!(body["results"][0]["archived"], true);
    assert_eq!(
        body["errors"][0]["context"]["ids"],
        json!([modified[0].to_string(), archived[1].to_string(), "1"])
    );
}

#[tokio::test]
async fn more_than_100_inputs_and_bad_bodies_are_validation_errors() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    let ids: Vec<u64> = (101..202).collect();
    let response = batch_read(&sandbox, "contacts", &token, &[], &inputs(&ids)).await;
    assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    for body in [
        json!({"properties": []}),
        json!({"inputs": [{"nope": 1}]}),
        json!([]),
    ] {
        let response = batch_read(&sandbox, "contacts", &token, &[], &body).await;
        assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    }
    let response = batch_read(&sandbox, "widgets", &token, &[], &inputs(&[1])).await;
    assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
}

#[tokio::test]
async fn scopes_limits_and_faults_apply_as_on_the_list() {
    let mut config = SandboxConfig::typical();
    config.rate_limit = Some(hubspot_sandbox::RateLimit {
        max_requests: 1,
        window: std::time::Duration::from_secs(60),
    });
    let sandbox = spawn(config).await;
    let deals_only = sandbox
        .tokens_with("crm.objects.deals.read")
        .await
        .access_token;
    let response = batch_read(&sandbox, "contacts", &deals_only, &[], &inputs(&[101])).await;
    assert_api_error(response, StatusCode::FORBIDDEN, "MISSING_SCOPES").await;

    sandbox.sandbox.set_faults(Faults {
        fail_next: 1,
        fail_status: 503,
        ..Faults::default()
    });
    let response = batch_read(&sandbox, "contacts", "whatever", &[], &inputs(&[101])).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    let token = sandbox.tokens().await.access_token;
    let response = batch_read(&sandbox, "contacts", &token, &[], &inputs(&[101])).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.headers()["x-hubspot-ratelimit-max"], "1");
    let response = batch_read(&sandbox, "contacts", &token, &[], &inputs(&[101])).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sandbox.sandbox.stats().batch_read, 4);
}
