//! __Name__ against its own sandbox: the consent page with PKCE, the code exchange, every record
//! listed once across pages, and a cursor it never issued refused before any call.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};
use integration_core::{AuthorizationCode, AuthorizationRequest, Cursor, ItemQuery};
use integration_core::{OAuthState, PkceVerifier};
use sandbox_kit::RegisteredClient;
use sandbox_kit::testing::{decide, query_value, serve};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

#[tokio::test]
async fn a_user_connects_through_the_consent_page_and_every_record_is_listed_once() {
    let client = RegisteredClient {
        client_id: "client-1".into(),
        client_secret: "sandbox-secret".into(),
        redirect_uris: vec![REDIRECT.into()],
    };
    let sandbox: Arc<dyn sandbox_kit::ProviderSandbox> = Arc::from(__name___sandbox::sandbox(client));
    let root = serve(sandbox.clone(), "/_sandbox/__name__").await;
    let mut vars = HashMap::from([
        ("__NAME___CLIENT_ID".to_owned(), "client-1".to_owned()),
        ("__NAME___CLIENT_SECRET".to_owned(), "sandbox-secret".to_owned()),
        ("__NAME___REDIRECT_URI".to_owned(), REDIRECT.to_owned()),
    ]);
    for (name, url) in sandbox.urls(&root) {
        vars.insert(format!("__NAME___{}_URL", name.to_uppercase()), url.to_string());
    }
    let Ok(Configured::Live(settings)) = ProviderSettings::from_vars("__name__", &vars) else {
        panic!("live settings");
    };
    let http = http::client(Duration::from_secs(5), "__name__-tests");
    let provider = ProviderFactory::build(&__name__::FACTORY, &settings, http).expect("builds");

    let (state, verifier) = (OAuthState::generate(), PkceVerifier::generate());
    let challenge = verifier.challenge();
    let request = AuthorizationRequest {
        state: &state,
        redirect_uri: REDIRECT,
        pkce_challenge: Some(&challenge),
        extra_scopes: &[],
    };
    let consent = provider.authorization_url(&request).expect("consent URL");
    let back = decide(&consent, true).await.expect("approved");
    assert_eq!(query_value(&back, "state").as_deref(), Some(state.as_str()));
    let code = query_value(&back, "code").expect("a code");
    let code = AuthorizationCode::parse(&code).expect("code");
    let credentials = provider
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .expect("exchanged");
    assert_eq!(credentials.account_id.as_deref(), Some("acct-1"));

    let (mut ids, mut cursor, mut pages) = (HashSet::new(), None, 0);
    loop {
        let query = ItemQuery::new().after(cursor);
        let page = provider.list_items(&credentials, &query).await.expect("a page");
        pages += 1;
        for item in page.items {
            assert!(item.updated_at.is_some() && !item.title.is_empty(), "{item:?}");
            assert!(ids.insert(item.id), "listed twice");
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(ids.len(), __name___sandbox::RECORDS);
    assert!(pages > 1, "paged");
    let foreign = Cursor::parse("../../admin?x=1").expect("a cursor");
    assert!(!provider.accepts_cursor(&foreign));
}
