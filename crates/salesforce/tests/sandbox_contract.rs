//! Salesforce against its own sandbox: the consent page with PKCE, a token answer naming the
//! sandbox as the account's instance, every contact, account and opportunity listed across
//! pages, Salesforce's times parsed, foreign and stale cursors refused, and an expired session
//! refreshed.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use integration_core::{AuthorizationCode, AuthorizationRequest, Cursor, Error, ItemQuery};
use integration_core::{OAuthState, PkceVerifier};
use sandbox_kit::testing::{decide, query_value, serve};
use sandbox_kit::{ApiSandbox, RegisteredClient, seed};

#[tokio::test]
async fn a_user_connects_and_every_record_of_every_kind_is_listed_from_the_granted_instance() {
    let client = RegisteredClient {
        client_id: "client-1".into(),
        client_secret: common::SECRET.into(),
        redirect_uris: vec![common::REDIRECT.into()],
    };
    let sandbox: Arc<dyn sandbox_kit::ProviderSandbox> =
        Arc::from(salesforce_sandbox::sandbox(client));
    let root = serve(sandbox.clone(), "/_sandbox/salesforce").await;
    let urls_of = sandbox.urls(&root);
    let urls: Vec<(&str, String)> = urls_of
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_string()))
        .collect();
    let provider = common::salesforce(&urls);
    let instance = root.as_str().trim_end_matches('/').to_owned();

    // Without PKCE the sandbox refuses, as a connected app requiring PKCE does.
    let state = OAuthState::generate();
    let plain = AuthorizationRequest {
        state: &state,
        redirect_uri: common::REDIRECT,
        pkce_challenge: None,
        extra_scopes: &[],
    };
    let refused = decide(&provider.authorization_url(&plain).unwrap(), true)
        .await
        .unwrap();
    assert_eq!(
        query_value(&refused, "error").as_deref(),
        Some("invalid_request")
    );
    let verifier = PkceVerifier::generate();
    let challenge = verifier.challenge();
    let request = AuthorizationRequest {
        pkce_challenge: Some(&challenge),
        ..plain
    };
    let consent = provider.authorization_url(&request).unwrap();
    assert_eq!(
        query_value(&consent, "scope").as_deref(),
        Some("api refresh_token")
    );
    let back = decide(&consent, true).await.unwrap();
    let code = AuthorizationCode::parse(&query_value(&back, "code").unwrap()).unwrap();
    let credentials = provider
        .exchange_code(&code, common::REDIRECT, Some(&verifier))
        .await
        .unwrap();
    assert_eq!(
        credentials
            .api_base
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/')),
        Some(instance.as_str()),
        "the instance comes from the grant"
    );
    assert_eq!(
        credentials.account_id.as_deref(),
        Some(salesforce_sandbox::ORG_ID)
    );
    let identity = credentials.account_user.clone().unwrap();
    assert!(identity.starts_with(&format!("{instance}/id/{}/005", salesforce_sandbox::ORG_ID)));
    assert!(credentials.expires_at.is_none() && credentials.refresh_token.is_some());
    assert!(credentials.scopes.iter().any(|s| s == "api"));

    let mut seen = HashSet::new();
    for (kind, object, count, pages) in [
        ("contacts", "Contact", 450, 3),
        ("accounts", "Account", 60, 1),
        ("opportunities", "Opportunity", 120, 1),
    ] {
        let (mut items, mut cursor, mut requests) = (Vec::new(), None, 0);
        loop {
            let query = ItemQuery::new().object_type(kind).after(cursor);
            let page = provider.list_items(&credentials, &query).await.unwrap();
            requests += 1;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => {
                    assert!(provider.accepts_cursor(&next), "{next:?}");
                    cursor = Some(next);
                }
                None => break,
            }
        }
        assert_eq!((items.len(), requests), (count, pages), "{kind}");
        for item in &items {
            assert!(seen.insert(item.id.clone()), "{kind}: {} twice", item.id);
            assert_eq!(item.item_type.as_deref(), Some(object));
            assert!(!item.title.is_empty());
            assert_eq!(item.url, Some(format!("{instance}/{}", item.id)));
            let (created, updated) = (item.created_at.unwrap(), item.updated_at.unwrap());
            assert!(created <= updated, "{item:?}");
            assert!(!item.properties.contains_key("attributes"));
        }
        // `+0000` times, parsed to the second the sandbox generated.
        assert_eq!(items[0].created_at, Some(seed::time(object, 0)));
        if kind != "accounts" {
            assert!(
                items
                    .iter()
                    .all(|i| i.parent_id.as_deref().is_some_and(|p| p.starts_with("001")))
            );
        }
    }
    let contacts = provider
        .list_items(&credentials, &ItemQuery::new())
        .await
        .unwrap();
    assert_eq!(
        contacts.items[0].item_type.as_deref(),
        Some("Contact"),
        "contacts by default"
    );
    assert_eq!(contacts.items.len(), 200);

    // A cursor not of Salesforce's shape is refused before any request; one of its shape that
    // the org never issued is Salesforce's INVALID_QUERY_LOCATOR.
    let foreign = Cursor::parse("c1MjAw").unwrap();
    assert!(!provider.accepts_cursor(&foreign));
    let refused = provider
        .list_items(&credentials, &ItemQuery::new().after(Some(foreign)))
        .await;
    assert!(
        matches!(refused, Err(Error::InvalidInput(_))),
        "{refused:?}"
    );
    let stale = Cursor::parse("/services/data/v60.0/query/01gD0000002HU6KIAW-2000").unwrap();
    let refused = provider
        .list_items(&credentials, &ItemQuery::new().after(Some(stale)))
        .await;
    assert!(
        matches!(&refused, Err(Error::Rejected { code, .. }) if code == "INVALID_QUERY_LOCATOR"),
        "{refused:?}"
    );

    // Just enough SOQL: unknown objects and fields are refused in Salesforce's shape; the
    // batch size is the caller's (200 to 2000); every answer reports the org's API usage.
    let http = reqwest::Client::new();
    let query = format!("{instance}/services/data/v60.0/query");
    let token = integration_core::ExposeSecret::expose_secret(&credentials.access_token);
    for (soql, code) in [
        ("SELECT Id FROM Lead", "INVALID_TYPE"),
        ("SELECT Id, Nope FROM Contact", "INVALID_FIELD"),
        ("DELETE Contact", "MALFORMED_QUERY"),
    ] {
        let res = http.get(&query).query(&[("q", soql)]).bearer_auth(token);
        let res = res.send().await.unwrap();
        assert_eq!(res.status(), 400, "{soql}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body[0]["errorCode"], code, "{soql}: {body}");
    }
    let res = http
        .get(&query)
        .query(&[("q", "select id, name from contact")])
        .header("Sforce-Query-Options", "batchSize=500")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let usage = res.headers()["sforce-limit-info"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        usage.starts_with("api-usage=") && usage.ends_with("/15000"),
        "{usage}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["records"].as_array().unwrap().len(),
        450,
        "one batch of up to 500"
    );
    assert_eq!(
        (body["done"].as_bool(), body["totalSize"].as_u64()),
        (Some(true), Some(450))
    );

    // An expired session is a 401; the refresh token (reused) opens a new one on the instance.
    let inner = sandbox
        .as_any()
        .downcast_ref::<ApiSandbox>()
        .unwrap()
        .oauth();
    inner.expire_access_tokens();
    let expired = provider.list_items(&credentials, &ItemQuery::new()).await;
    assert!(matches!(expired, Err(Error::Unauthorized)), "{expired:?}");
    let fresh = provider.refresh(&credentials).await.unwrap();
    assert_eq!(fresh.api_base, credentials.api_base);
    let page = provider
        .list_items(&fresh, &ItemQuery::new())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 200);
    assert!(
        provider.refresh(&credentials).await.is_ok(),
        "refresh tokens are reused"
    );

    // Disconnecting revokes the grant at Salesforce's revocation endpoint (declared, not
    // hand-written): the refresh token and what it minted stop working.
    provider.revoke(&fresh).await.unwrap();
    assert!(inner.stats().revocations >= 1);
    let revoked = provider.refresh(&fresh).await;
    assert!(
        matches!(revoked, Err(Error::ReauthRequired { .. })),
        "{revoked:?}"
    );
}
