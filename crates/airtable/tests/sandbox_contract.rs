//! Airtable against its own sandbox: the consent page with PKCE, the code exchange, every base
//! and table listed, and an expired token refreshed.

mod common;

use std::sync::Arc;

use integration_core::{AuthorizationCode, AuthorizationRequest, Error, ItemQuery};
use integration_core::{OAuthState, PkceVerifier};
use sandbox_kit::testing::{decide, query_value, serve};
use sandbox_kit::{ApiSandbox, RegisteredClient};

#[tokio::test]
async fn a_user_connects_through_the_consent_page_and_every_base_and_table_is_listed() {
    let client = RegisteredClient {
        client_id: "client-1".into(),
        client_secret: common::SECRET.into(),
        redirect_uris: vec![common::REDIRECT.into()],
    };
    let sandbox: Arc<dyn sandbox_kit::ProviderSandbox> =
        Arc::from(airtable_sandbox::sandbox(client));
    let root = serve(sandbox.clone(), "/_sandbox/airtable").await;
    let urls_of = sandbox.urls(&root);
    let urls: Vec<(&str, String)> = urls_of
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_string()))
        .collect();
    let provider = common::airtable(&urls);

    // Without PKCE the sandbox refuses, as Airtable does.
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
        extra_scopes: &[],
        ..plain
    };
    let back = decide(&provider.authorization_url(&request).unwrap(), true)
        .await
        .unwrap();
    assert_eq!(query_value(&back, "state").as_deref(), Some(state.as_str()));
    let code = AuthorizationCode::parse(&query_value(&back, "code").unwrap()).unwrap();
    let wrong = provider
        .exchange_code(&code, common::REDIRECT, Some(&PkceVerifier::generate()))
        .await;
    assert!(matches!(wrong, Err(Error::Rejected { .. })), "{wrong:?}");
    let back = decide(&provider.authorization_url(&request).unwrap(), true)
        .await
        .unwrap();
    let code = AuthorizationCode::parse(&query_value(&back, "code").unwrap()).unwrap();
    let credentials = provider
        .exchange_code(&code, common::REDIRECT, Some(&verifier))
        .await
        .unwrap();
    assert!(credentials.expires_at.is_some() && credentials.refresh_token.is_some());
    assert!(credentials.scopes.iter().any(|s| s == "schema.bases:read"));

    let mut all = Vec::new();
    for kind in ["bases", "tables"] {
        let mut cursor = None;
        loop {
            let query = ItemQuery::new().object_type(kind).after(cursor);
            let page = provider.list_items(&credentials, &query).await.unwrap();
            all.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    let bases: Vec<_> = all
        .iter()
        .filter(|i| i.item_type.as_deref() == Some("base"))
        .collect();
    let tables: Vec<_> = all
        .iter()
        .filter(|i| i.item_type.as_deref() == Some("table"))
        .collect();
    assert_eq!(bases.len(), 12);
    let expected: usize = (0..12).map(|b| 2 + b % 3).sum();
    assert_eq!(tables.len(), expected);
    for table in &tables {
        assert!(
            bases
                .iter()
                .any(|b| Some(b.id.as_str()) == table.parent_id.as_deref()),
            "{table:?}"
        );
    }
    let mut ids: Vec<_> = all.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no item twice");

    // An expired token is refused; the refresh token (single use) mints a new one.
    let inner = sandbox
        .as_any()
        .downcast_ref::<ApiSandbox>()
        .unwrap()
        .oauth();
    inner.expire_access_tokens();
    let expired = provider.list_items(&credentials, &ItemQuery::new()).await;
    assert!(matches!(expired, Err(Error::Unauthorized)), "{expired:?}");
    let fresh = provider.refresh(&credentials).await.unwrap();
    assert_eq!(
        provider
            .list_items(&fresh, &ItemQuery::new())
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    let reused = provider.refresh(&credentials).await;
    assert!(
        matches!(reused, Err(Error::ReauthRequired { .. })),
        "{reused:?}"
    );
}
