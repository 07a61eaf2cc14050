//! `POST /crm/v4/associations/{from}/{to}/batch/read`: `BatchInputPublicFetchAssociationsBatchRequest`
//! in, `BatchResponsePublicAssociationMultiWithLabel` (200) or `…WithErrors` (207) out, paged
//! per input; and `GET …/labels`.

use std::collections::{BTreeMap, BTreeSet};

use hubspot_sandbox::{ObjectType, Pick, SandboxConfig};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{SCOPES, TestSandbox, assert_api_error, spawn, spawn_default};

async fn read(sandbox: &TestSandbox, path: &str, token: &str, body: &Value) -> Response {
    sandbox
        .http
        .post(sandbox.url(&format!("/crm/v4/associations/{path}/batch/read")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn inputs(ids: &[u64]) -> Value {
    let inputs: Vec<Value> = ids.iter().map(|id| json!({"id": id.to_string()})).collect();
    json!({ "inputs": inputs })
}

/// Every live id of `object`, ascending, through the list endpoint.
async fn all_ids(sandbox: &TestSandbox, object: &str, token: &str) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_owned())];
        if let Some(after) = &after {
            query.push(("after", after.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body: Value = sandbox
            .list(object, Some(token), &query)
            .await
            .json()
            .await
            .unwrap();
        for record in body["results"].as_array().unwrap() {
            ids.push(record["id"].as_str().unwrap().parse().unwrap());
        }
        match body["paging"]["next"]["after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return ids,
        }
    }
}

/// Follows one input's `paging.next.after` to the end: every target with its types, in
/// the order given, and the number of requests.
async fn page_through(
    sandbox: &TestSandbox,
    path: &str,
    token: &str,
    id: u64,
) -> (Vec<(u64, Vec<Value>)>, usize) {
    let mut targets = Vec::new();
    let mut input = json!({"id": id.to_string()});
    let mut requests = 0;
    loop {
        requests += 1;
        let response = read(sandbox, path, token, &json!({ "inputs": [input] })).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "COMPLETE");
        let result = &body["results"][0];
        assert_eq!(result["from"]["id"], id.to_string());
        for target in result["to"].as_array().unwrap() {
            let to = target["toObjectId"]
                .as_u64()
                .expect("toObjectId is an integer");
            targets.push((to, target["associationTypes"].as_array().unwrap().clone()));
        }
        match result["paging"]["next"]["after"].as_str() {
            Some(after) => {
                assert_eq!(result["to"].as_array().unwrap().len(), 500, "full pages");
                assert!(after.parse::<u64>().is_err(), "opaque cursor: {after}");
                input = json!({"id": id.to_string(), "after": after});
            }
            None => {
                assert!(result.get("paging").is_none(), "{result}");
                return (targets, requests);
            }
        }
    }
}

fn has_type(types: &[Value], category: &str, type_id: u64, label: Value) -> bool {
    types
        .iter()
        .any(|t| t["category"] == category && t["typeId"] == type_id && t["label"] == label)
}

fn busy_portal() -> SandboxConfig {
    SandboxConfig {
        deals: 1_300,
        ..SandboxConfig::typical()
    }
}

#[tokio::test]
async fn the_busy_contact_pages_through_all_1200_deals_exactly_once_with_labels() {
    let sandbox = spawn(busy_portal()).await;
    let token = sandbox.tokens().await.access_token;
    let contacts = all_ids(&sandbox, "contacts", &token).await;
    let deals = all_ids(&sandbox, "deals", &token).await;
    let (targets, requests) = page_through(&sandbox, "contacts/deals", &token, contacts[0]).await;
    assert_eq!(requests, 3);
    let ids: Vec<u64> = targets.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        deals[..1_200],
        "the first 1,200 deals, ascending, once each"
    );
    assert!(
        targets
            .iter()
            .all(|(_, types)| has_type(types, "HUBSPOT_DEFINED", 4, Value::Null))
    );
    let decision_makers = targets
        .iter()
        .filter(|(_, types)| has_type(types, "USER_DEFINED", 37, json!("Decision maker")))
        .count();
    assert!((100..400).contains(&decision_makers), "{decision_makers}");
    // The other way: each of those deals lists the busy contact, with the mirrored types.
    let body: Value = read(&sandbox, "deals/contacts", &token, &inputs(&ids[..3]))
        .await
        .json()
        .await
        .unwrap();
    for (result, (deal, types)) in body["results"].as_array().unwrap().iter().zip(&targets) {
        assert_eq!(result["from"]["id"], deal.to_string());
        let first = &result["to"][0];
        assert_eq!(first["toObjectId"], contacts[0]);
        let back = first["associationTypes"].as_array().unwrap();
        assert!(has_type(back, "HUBSPOT_DEFINED", 3, Value::Null));
        let labelled = has_type(types, "USER_DEFINED", 37, json!("Decision maker"));
        assert_eq!(
            has_type(back, "USER_DEFINED", 38, json!("Decision maker")),
            labelled
        );
    }
    assert_eq!(sandbox.sandbox.stats().associations, 4);
}

#[tokio::test]
async fn contact_company_links_agree_in_both_directions() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    let contacts = all_ids(&sandbox, "contacts", &token).await;
    let companies = all_ids(&sandbox, "companies", &token).await;
    let links = |body: &Value| -> BTreeMap<(u64, u64), Vec<u64>> {
        let mut links = BTreeMap::new();
        for result in body["results"].as_array().unwrap() {
            let from: u64 = result["from"]["id"].as_str().unwrap().parse().unwrap();
            for target in result["to"].as_array().unwrap() {
                let mut types: Vec<u64> = target["associationTypes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["typeId"].as_u64().unwrap())
                    .collect();
                types.sort_unstable();
                links.insert((from, target["toObjectId"].as_u64().unwrap()), types);
            }
        }
        links
    };
    let response = read(&sandbox, "contacts/companies", &token, &inputs(&contacts)).await;
    // Contacts without a company are errors, so the answer is a 207.
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let forward = links(&response.json().await.unwrap());
    let response = read(&sandbox, "0-2/0-1", &token, &inputs(&companies)).await;
    let body: Value = response.json().await.unwrap();
    let backward = links(&body);
    assert!(forward.len() > 150, "{}", forward.len());
    let mirrored: BTreeMap<(u64, u64), Vec<u64>> = backward
        .iter()
        .map(|(&(company, contact), types)| {
            let types = types
                .iter()
                .map(|t| match t {
                    2 => 1,
                    280 => 279,
                    other => panic!("company → contact type {other}"),
                })
                .collect();
            ((contact, company), types)
        })
        .collect();
    assert_eq!(forward, mirrored);
    // At most one primary company per contact, always alongside the unlabelled type.
    let mut primaries: BTreeMap<u64, usize> = BTreeMap::new();
    for ((contact, _), types) in &forward {
        assert!(types.contains(&279), "{types:?}");
        if types.contains(&1) {
            *primaries.entry(*contact).or_default() += 1;
        }
    }
    assert!(primaries.values().all(|&n| n == 1));
    assert!(primaries.len() > 100);
    let per_contact: BTreeMap<u64, usize> = forward.keys().fold(BTreeMap::new(), |mut m, k| {
        *m.entry(k.0).or_default() += 1;
        m
    });
    assert!(per_contact.values().all(|&n| n <= 2));
}

#[tokio::test]
async fn ids_without_a_record_or_associations_are_a_207_with_one_error_each() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    let companies = all_ids(&sandbox, "companies", &token).await;
    let response = read(
        &sandbox,
        "companies/contacts",
        &token,
        &json!({"inputs": [{"id": companies[0].to_string()}, {"id": "999"}, {"id": "nope"}]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "COMPLETE");
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["numErrors"], 2);
    let errors = body["errors"].as_array().unwrap();
    for (error, id) in errors.iter().zip(["999", "nope"]) {
        assert_eq!(error["status"], "error");
        assert_eq!(error["category"], "OBJECT_NOT_FOUND");
        assert_eq!(
            error["subCategory"],
            "crm.associations.NO_ASSOCIATIONS_FOUND"
        );
        assert_eq!(
            error["message"],
            format!("No contact is associated with company {id}.")
        );
        assert_eq!(error["context"]["fromObjectId"], json!([id]));
        assert_eq!(error["context"]["fromObjectType"], json!(["company"]));
        assert_eq!(error["context"]["toObjectType"], json!(["contact"]));
        assert_eq!(
            (&error["errors"], &error["links"]),
            (&json!([]), &json!({}))
        );
    }
    assert!(body["startedAt"].is_string() && body["completedAt"].is_string());
}

#[tokio::test]
async fn a_garbled_or_foreign_after_is_a_400() {
    let sandbox = spawn(busy_portal()).await;
    let token = sandbox.tokens().await.access_token;
    let contacts = all_ids(&sandbox, "contacts", &token).await;
    let body: Value = read(&sandbox, "contacts/deals", &token, &inputs(&contacts[..1]))
        .await
        .json()
        .await
        .unwrap();
    let after = body["results"][0]["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = contacts[0].to_string();
    for (path, after) in [
        ("contacts/deals", "NTI1Cg%3D%3D".to_owned()),
        ("contacts/deals", after[1..].to_owned()),
        ("contacts/deals", "500".to_owned()),
        // Another pair's cursor.
        ("companies/deals", after.clone()),
        ("contacts/companies", after.clone()),
    ] {
        let response = read(
            &sandbox,
            path,
            &token,
            &json!({"inputs": [{"id": id, "after": after}]}),
        )
        .await;
        let error = assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
        assert!(
            error["message"].as_str().unwrap().contains("after"),
            "{error}"
        );
    }
    let response = read(
        &sandbox,
        "contacts/deals",
        &token,
        &json!({"inputs": [{"id": id, "after": after}]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn more_than_1000_inputs_is_a_400() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    let ids: Vec<u64> = (0..1_001).map(|i| 101 + i).collect();
    let response = read(&sandbox, "contacts/companies", &token, &inputs(&ids)).await;
    assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    let response = read(
        &sandbox,
        "contacts/companies",
        &token,
        &inputs(&ids[..1_000]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let response = read(
        &sandbox,
        "contacts/companies",
        &token,
        &json!({"input": []}),
    )
    .await;
    assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn reading_associations_needs_read_access_to_both_types() {
    let sandbox = spawn_default().await;
    for (scope, missing) in [
        ("oauth crm.objects.contacts.read", "crm.objects.deals.read"),
        ("oauth crm.objects.deals.read", "crm.objects.contacts.read"),
    ] {
        let token = sandbox.tokens_with(scope).await.access_token;
        let response = read(&sandbox, "contacts/deals", &token, &inputs(&[101])).await;
        let error = assert_api_error(response, StatusCode::FORBIDDEN, "MISSING_SCOPES").await;
        assert_eq!(
            error["errors"][0]["context"]["requiredGranularScopes"],
            json!([missing])
        );
    }
    let token = sandbox.tokens().await.access_token;
    let response = read(&sandbox, "contacts/tickets-nope", &token, &inputs(&[101])).await;
    assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
}

#[tokio::test]
async fn archived_and_deleted_targets_are_left_out() {
    let sandbox = spawn(busy_portal()).await;
    let token = sandbox.tokens().await.access_token;
    let contacts = all_ids(&sandbox, "contacts", &token).await;
    let deals = all_ids(&sandbox, "deals", &token).await;
    let archived = sandbox.sandbox.archive_records(
        ObjectType::Deals,
        Pick::Ids(vec![deals[0], deals[499], deals[700]]),
    );
    let deleted = sandbox
        .sandbox
        .delete_records(ObjectType::Deals, Pick::Ids(vec![deals[1], deals[1_199]]));
    assert_eq!((archived.len(), deleted.len()), (3, 2));
    let (targets, _) = page_through(&sandbox, "contacts/deals", &token, contacts[0]).await;
    let ids: BTreeSet<u64> = targets.iter().map(|(id, _)| *id).collect();
    assert_eq!((ids.len(), targets.len()), (1_195, 1_195));
    for gone in archived.iter().chain(&deleted) {
        assert!(!ids.contains(gone));
    }
    // An archived record has no associations to read either.
    let response = read(&sandbox, "deals/contacts", &token, &inputs(&archived[..1])).await;
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
}

#[tokio::test]
async fn labels_list_the_defined_types() {
    let sandbox = spawn_default().await;
    let token = sandbox.tokens().await.access_token;
    for path in [
        "/crm/v4/associations/contacts/companies/labels",
        "/crm/associations/v4/contacts/companies/labels",
    ] {
        let response = sandbox.get_url(&sandbox.url(path), &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"results": [
                {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
                {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null},
            ]})
        );
    }
    let body: Value = sandbox
        .get_url(
            &sandbox.url("/crm/v4/associations/deals/contacts/labels"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(has_type(
        body["results"].as_array().unwrap(),
        "USER_DEFINED",
        38,
        json!("Decision maker")
    ));
    assert_eq!(sandbox.sandbox.stats().association_labels, 3);
}

#[tokio::test]
async fn pets_and_contacts_are_associated_through_the_schema_definition() {
    let sandbox = spawn_default().await;
    let token = sandbox
        .tokens_with(&format!("{SCOPES} crm.objects.custom.read"))
        .await
        .access_token;
    let custom = sandbox.sandbox.custom_object();
    let type_id: u64 = custom.contact_association_id.parse().unwrap();
    let pets = all_ids(&sandbox, "pets", &token).await;
    let path = format!("{}/contacts", custom.object_type_id);
    let body: Value = read(&sandbox, &path, &token, &inputs(&pets))
        .await
        .json()
        .await
        .unwrap();
    let mut links = BTreeSet::new();
    for result in body["results"].as_array().unwrap() {
        for target in result["to"].as_array().unwrap() {
            let types = target["associationTypes"].as_array().unwrap();
            assert!(
                has_type(types, "USER_DEFINED", type_id, Value::Null),
                "{types:?}"
            );
            links.insert((
                result["from"]["id"].as_str().unwrap().to_owned(),
                target["toObjectId"].as_u64().unwrap(),
            ));
        }
    }
    assert!(links.len() >= pets.len() / 2, "{}", links.len());
    // The contacts' side lists the same pets.
    let contacts: BTreeSet<u64> = links.iter().map(|(_, c)| *c).collect();
    let contacts: Vec<u64> = contacts.into_iter().collect();
    let body: Value = read(&sandbox, "contacts/pets", &token, &inputs(&contacts))
        .await
        .json()
        .await
        .unwrap();
    let mut back = BTreeSet::new();
    for result in body["results"].as_array().unwrap() {
        let contact: u64 = result["from"]["id"].as_str().unwrap().parse().unwrap();
        for target in result["to"].as_array().unwrap() {
            let types = target["associationTypes"].as_array().unwrap();
            assert!(has_type(types, "USER_DEFINED", type_id + 1, Value::Null));
            back.insert((target["toObjectId"].as_u64().unwrap().to_string(), contact));
        }
    }
    assert_eq!(links, back);
}

/// The spec exempts the batch read from the ten-second limit: with that window spent by a list
/// call, association reads still answer, and the next list call is refused.
#[tokio::test]
async fn association_reads_are_exempt_from_the_ten_second_limit() {
    let mut config = SandboxConfig::typical();
    config.rate_limit = Some(hubspot_sandbox::RateLimit {
        max_requests: 1,
        window: std::time::Duration::from_secs(60),
    });
    let sandbox = spawn(config).await;
    let token = sandbox.tokens().await.access_token;
    let listed = sandbox
        .list("contacts", Some(&token), &[("limit", "1")])
        .await;
    assert_eq!(listed.status(), StatusCode::OK);
    for _ in 0..3 {
        let response = read(&sandbox, "contacts/companies", &token, &inputs(&[101])).await;
        assert!(response.status().is_success(), "{}", response.status());
    }
    let refused = sandbox
        .list("contacts", Some(&token), &[("limit", "1")])
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}
