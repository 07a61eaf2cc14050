use std::collections::HashSet;
use std::time::Duration;

use hubspot_sandbox::{OverLimit, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_api_error, spawn, spawn_default};

async fn json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

#[tokio::test]
async fn paging_250_contacts_by_100_gives_100_100_50_with_absolute_links() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    let mut page = json(
        app.list("contacts", Some(&token), &[("limit", "100")])
            .await,
    )
    .await;
    loop {
        let results = page["results"].as_array().unwrap();
        sizes.push(results.len());
        ids.extend(
            results
                .iter()
                .map(|r| r["id"].as_str().unwrap().parse::<u64>().unwrap()),
        );
        let Some(next) = page.get("paging") else {
            break;
        };
        // Opaque: whatever it is, the link carries it back byte for byte.
        let after = next["next"]["after"].as_str().unwrap();
        let link = next["next"]["link"].as_str().unwrap();
        assert!(
            link.starts_with(&format!("{}/crm/v3/objects/contacts?", app.base)),
            "{link}"
        );
        let pairs = crate::helpers::query_of(link);
        assert_eq!(
            crate::helpers::param(&pairs, "limit"),
            Some("100"),
            "{link}"
        );
        assert_eq!(
            crate::helpers::param(&pairs, "after"),
            Some(after),
            "{link}"
        );
        page = json(app.get_url(link, &token).await).await;
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids must ascend");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
    assert_eq!(app.sandbox.stats().objects, 3);
}

#[tokio::test]
async fn the_after_cursor_alone_continues_where_the_page_ended() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let first = json(app.list("contacts", Some(&token), &[("limit", "5")]).await).await;
    let after = first["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = json(
        app.list(
            "contacts",
            Some(&token),
            &[("limit", "5"), ("after", &after)],
        )
        .await,
    )
    .await;
    let all = json(app.list("contacts", Some(&token), &[("limit", "10")]).await).await;
    assert_eq!(all["results"][5]["id"], second["results"][0]["id"]);
    assert_eq!(all["results"][9]["id"], second["results"][4]["id"]);
}

#[tokio::test]
async fn defaults_are_ten_records_with_hubspots_default_properties() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let page = json(app.list("contacts", Some(&token), &[]).await).await;
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    let record = &results[0];
    let keys: HashSet<&str> = record["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from([
            "firstname",
            "lastname",
            "email",
            "createdate",
            "lastmodifieddate",
            "hs_object_id"
        ])
    );
    assert_eq!(record["properties"]["hs_object_id"], record["id"]);
    assert_eq!(record["archived"], false);
    for field in ["createdAt", "updatedAt"] {
        let at = record[field].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok(),
            "{field}={at}"
        );
    }
    let email = record["properties"]["email"].as_str().unwrap();
    let first = record["properties"]["firstname"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(
        email.starts_with(&first),
        "email {email} should derive from the name {first}"
    );

    let companies = json(app.list("companies", Some(&token), &[]).await).await;
    let keys: HashSet<&str> = companies["results"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from([
            "name",
            "domain",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id"
        ])
    );

    let deals = json(app.list("deals", Some(&token), &[("limit", "100")]).await).await;
    assert_eq!(deals["results"].as_array().unwrap().len(), 60);
    assert!(deals.get("paging").is_none());
    let keys: HashSet<&str> = deals["results"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from([
            "dealname",
            "amount",
            "dealstage",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id"
        ])
    );
}

#[tokio::test]
async fn contact_emails_use_their_companys_domain() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let page = json(
        app.list(
            "contacts",
            Some(&token),
            &[("limit", "100"), ("properties", "email,company,website")],
        )
        .await,
    )
    .await;
    let with_company: Vec<&Value> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["company"].is_string())
        .collect();
    assert!(with_company.len() > 50);
    for record in with_company {
        let email = record["properties"]["email"].as_str().unwrap();
        let website = record["properties"]["website"].as_str().unwrap();
        let domain = email.split('@').nth(1).unwrap();
        assert!(website.ends_with(domain), "{email} vs {website}");
    }
}

#[tokio::test]
async fn properties_selects_known_properties_null_when_empty_and_ignores_unknown() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let page = json(
        app.list(
            "contacts",
            Some(&token),
            &[
                ("limit", "100"),
                ("properties", "email,phone"),
                ("properties", "no_such_property"),
            ],
        )
        .await,
    )
    .await;
    let results = page["results"].as_array().unwrap();
    for record in results {
        let props = record["properties"].as_object().unwrap();
        let keys: HashSet<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            HashSet::from([
                "email",
                "phone",
                "createdate",
                "lastmodifieddate",
                "hs_object_id"
            ])
        );
    }
    assert!(
        results.iter().any(|r| r["properties"]["phone"].is_null()),
        "some contacts have no phone"
    );
    assert!(results.iter().any(|r| r["properties"]["phone"].is_string()));
}

#[tokio::test]
async fn limit_above_100_is_rejected_by_default() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let response = app
        .list("contacts", Some(&token), &[("limit", "101")])
        .await;
    assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    for bad in ["0", "ten"] {
        let response = app.list("contacts", Some(&token), &[("limit", bad)]).await;
        assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn limit_above_100_is_clamped_when_configured() {
    let app = spawn(SandboxConfig {
        over_limit: OverLimit::Clamp,
        ..SandboxConfig::typical()
    })
    .await;
    let token = app.tokens().await.access_token;
    let page = json(
        app.list("contacts", Some(&token), &[("limit", "101")])
            .await,
    )
    .await;
    assert_eq!(page["results"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn a_malformed_after_cursor_is_a_validation_error() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let response = app
        .list("contacts", Some(&token), &[("after", "abc")])
        .await;
    assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn an_unknown_object_type_is_404() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let response = app.list("widgets", Some(&token), &[]).await;
    assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
}

#[tokio::test]
async fn archived_listing_is_empty() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let page = json(
        app.list("contacts", Some(&token), &[("archived", "true")])
            .await,
    )
    .await;
    assert_eq!(page["results"], serde_json::json!([]));
    assert!(page.get("paging").is_none());
}

#[tokio::test]
async fn a_missing_authorization_header_is_invalid_authentication() {
    let app = spawn_default().await;
    let body = assert_api_error(
        app.list("contacts", None, &[]).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_AUTHENTICATION",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Authentication credentials not found")
    );
}

#[tokio::test]
async fn an_unknown_token_is_invalid_authentication() {
    let app = spawn_default().await;
    let response = app.list("contacts", Some("COmadeup"), &[]).await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION").await;
}

#[tokio::test]
async fn a_token_minted_with_zero_ttl_is_expired_authentication() {
    let app = spawn(SandboxConfig {
        access_token_ttl: Duration::ZERO,
        ..SandboxConfig::typical()
    })
    .await;
    let tokens = app.tokens().await;
    assert_eq!(tokens.body["expires_in"], 0);
    let body = assert_api_error(
        app.list("contacts", Some(&tokens.access_token), &[]).await,
        StatusCode::UNAUTHORIZED,
        "EXPIRED_AUTHENTICATION",
    )
    .await;
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("The OAuth token used to make this call expired"),
        "{message}"
    );
    assert!(body["context"]["expire time"][0].is_string(), "{body}");
}

#[tokio::test]
async fn expire_access_tokens_expires_them_but_refresh_still_works() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    app.sandbox.expire_access_tokens();
    let response = app.list("contacts", Some(&tokens.access_token), &[]).await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "EXPIRED_AUTHENTICATION").await;
    let refreshed: Value = app
        .refresh(&tokens.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        app.list("contacts", Some(access), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_without_the_objects_scope_is_missing_scopes() {
    let app = spawn_default().await;
    let token = app
        .tokens_with("oauth crm.objects.contacts.read")
        .await
        .access_token;
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
    let body = assert_api_error(
        app.list("deals", Some(&token), &[]).await,
        StatusCode::FORBIDDEN,
        "MISSING_SCOPES",
    )
    .await;
    assert_eq!(
        body["errors"][0]["context"]["requiredGranularScopes"][0],
        "crm.objects.deals.read"
    );
    app.sandbox.update(|k| k.enforce_scopes = false);
    assert_eq!(
        app.list("deals", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn records_are_deterministic_for_a_seed() {
    let a = spawn_default().await;
    let b = spawn_default().await;
    let c = spawn(SandboxConfig {
        seed: 7,
        ..SandboxConfig::typical()
    })
    .await;
    let query = [
        ("limit", "50"),
        ("properties", "firstname,lastname,email,phone,company"),
    ];
    let mut pages = Vec::new();
    for app in [&a, &b, &c] {
        let token = app.tokens().await.access_token;
        pages.push(json(app.list("contacts", Some(&token), &query).await).await);
    }
    assert_eq!(pages[0]["results"], pages[1]["results"]);
    assert_eq!(
        pages[0]["paging"]["next"]["after"],
        pages[1]["paging"]["next"]["after"]
    );
    assert_ne!(pages[0]["results"], pages[2]["results"]);
}

#[tokio::test]
async fn record_counts_follow_the_config() {
    let app = spawn(SandboxConfig {
        contacts: 3,
        companies: 0,
        deals: 1,
        ..SandboxConfig::typical()
    })
    .await;
    let token = app.tokens().await.access_token;
    for (object, count) in [("contacts", 3), ("companies", 0), ("deals", 1)] {
        let page = json(app.list(object, Some(&token), &[("limit", "100")]).await).await;
        assert_eq!(page["results"].as_array().unwrap().len(), count, "{object}");
    }
}
