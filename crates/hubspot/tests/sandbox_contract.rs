//! Contract tests: the HubSpot client against the sandbox, a stateful peer that behaves as HubSpot
//! documents itself — the same scenarios as the wiremock tests (OAuth, paging to the end, refresh,
//! revoke, 401, 429), now with real state behind them.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::time::Duration;

use hubspot::{HubSpot, HubSpotConfig};
use hubspot_sandbox::{RateLimit, RegisteredClient, Sandbox, SandboxConfig};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, Connector, ConnectorOptions, CredentialStore,
    Credentials, Error, ExposeSecret as _, Integration, ItemQuery, OAuthState, PkceVerifier,
    RetryPolicy, UserId,
};
use token_store::MemoryTokenStore;
use url::Url;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

struct Peer {
    sandbox: Sandbox,
    base: Url,
    hubspot: HubSpot,
}

async fn peer(config: SandboxConfig) -> Peer {
    let sandbox = Sandbox::new(SandboxConfig {
        clients: vec![RegisteredClient {
            client_id: "contract-client".into(),
            client_secret: "contract-secret".into(),
            redirect_uris: vec![REDIRECT.into()],
        }],
        ..config
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(sandbox.run(listener).unwrap());
    let config = HubSpotConfig::new("contract-client", "contract-secret".to_owned().into())
        .with_base_url(&base)
        .unwrap();
    let http = HubSpot::http_client(Duration::from_secs(5));
    Peer {
        sandbox,
        base,
        hubspot: HubSpot::new(config, http),
    }
}

impl Peer {
    /// The user presses Approve on the consent page: returns the authorization code.
    async fn approve(&self) -> (AuthorizationCode, PkceVerifier) {
        let state = OAuthState::generate();
        let verifier = PkceVerifier::generate();
        let challenge = verifier.challenge();
        let consent = self
            .hubspot
            .authorization_url(&AuthorizationRequest {
                state: &state,
                redirect_uri: REDIRECT,
                pkce_challenge: Some(&challenge),
            })
            .unwrap();
        let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
        form.push(("decision".into(), "approve".into()));
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = no_redirects
            .post(self.base.join("oauth/authorize/decision").unwrap())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        let back = Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        let get = |k: &str| {
            back.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(get("state").as_deref(), Some(state.as_str()));
        (
            AuthorizationCode::parse(&get("code").unwrap()).unwrap(),
            verifier,
        )
    }

    async fn connect(&self) -> Credentials {
        let (code, verifier) = self.approve().await;
        self.hubspot
            .exchange_code(&code, REDIRECT, Some(&verifier))
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn full_oauth_then_paging_to_the_end() {
    let peer = peer(SandboxConfig::default()).await;
    let credentials = peer.connect().await;
    assert_eq!(
        credentials.account_id.as_deref(),
        Some(peer.sandbox.hub_id().to_string().as_str())
    );
    assert!(
        credentials
            .scopes
            .contains(&"crm.objects.contacts.read".to_owned())
    );
    assert!(credentials.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(29));
    // Introspection at connect time names the portal and the installing user.
    assert!(
        credentials
            .account_name
            .as_deref()
            .is_some_and(|d| d.contains('.')),
        "{credentials:?}"
    );
    assert!(
        credentials
            .account_user
            .as_deref()
            .is_some_and(|u| u.contains('@')),
        "{credentials:?}"
    );

    let mut ids = std::collections::HashSet::new();
    let mut query = ItemQuery::new().limit(100);
    let mut pages = 0;
    loop {
        let page = peer.hubspot.list_items(&credentials, &query).await.unwrap();
        pages += 1;
        for item in &page.items {
            assert!(!item.title.is_empty());
            assert!(item.properties.contains_key("email"));
            assert!(ids.insert(item.id.clone()), "duplicate {}", item.id);
        }
        match page.next_cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
    }
    assert_eq!((pages, ids.len()), (3, 250));
    assert_eq!(peer.sandbox.stats().objects, 3);
}

#[tokio::test]
async fn a_code_works_once() {
    let peer = peer(SandboxConfig::default()).await;
    let (code, verifier) = peer.approve().await;
    peer.hubspot
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .unwrap();
    let again = peer
        .hubspot
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await;
    assert!(
        // 2026-03 answers carry RFC 6749's code beside the legacy BAD_AUTH_CODE; the kit reports it.
        matches!(&again, Err(Error::Rejected { code, .. }) if code == "invalid_grant"),
        "{again:?}"
    );
}

#[tokio::test]
async fn refresh_mints_a_new_access_token_and_keeps_the_grant() {
    let peer = peer(SandboxConfig::default()).await;
    let credentials = peer.connect().await;
    let fresh = peer.hubspot.refresh(&credentials).await.unwrap();
    assert_ne!(
        fresh.access_token.expose_secret(),
        credentials.access_token.expose_secret()
    );
    let page = peer
        .hubspot
        .list_items(&fresh, &ItemQuery::new().limit(5))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
}

#[tokio::test]
async fn an_expired_access_token_is_unauthorized() {
    let peer = peer(SandboxConfig::default()).await;
    let credentials = peer.connect().await;
    peer.sandbox.expire_access_tokens();
    let result = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new())
        .await;
    assert!(matches!(result, Err(Error::Unauthorized)), "{result:?}");
}

#[tokio::test]
async fn after_revoke_refresh_needs_reauthorisation_and_the_token_is_dead() {
    let peer = peer(SandboxConfig::default()).await;
    let credentials = peer.connect().await;
    peer.hubspot.revoke(&credentials).await.unwrap();
    assert_eq!(peer.sandbox.stats().revoke, 1);
    let refresh = peer.hubspot.refresh(&credentials).await;
    assert!(
        matches!(refresh, Err(Error::ReauthRequired { .. })),
        "{refresh:?}"
    );
    let list = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new())
        .await;
    assert!(matches!(list, Err(Error::Unauthorized)), "{list:?}");
    // Revoking twice is fine (already gone).
    peer.hubspot.revoke(&credentials).await.unwrap();
}

#[tokio::test]
async fn rate_limits_with_and_without_retry_after() {
    let peer = peer(SandboxConfig {
        rate_limit: Some(RateLimit {
            max_requests: 2,
            window: Duration::from_secs(10),
        }),
        ..SandboxConfig::default()
    })
    .await;
    let credentials = peer.connect().await;
    let query = ItemQuery::new().limit(1);
    for _ in 0..2 {
        peer.hubspot.list_items(&credentials, &query).await.unwrap();
    }
    let limited = peer.hubspot.list_items(&credentials, &query).await;
    assert!(
        matches!(limited, Err(Error::RateLimited { retry_after: None })),
        "{limited:?}"
    );
    peer.sandbox.update(|k| k.send_retry_after = true);
    let limited = peer.hubspot.list_items(&credentials, &query).await;
    assert!(
        matches!(limited, Err(Error::RateLimited { retry_after: Some(wait) }) if wait <= Duration::from_secs(10)),
        "{limited:?}"
    );
}

/// The connector over the real client and the stateful peer: an expired token is refreshed once
/// (the peer counts), a short rate-limit window is waited out.
#[tokio::test]
async fn the_connector_refreshes_once_and_waits_out_rate_limits() {
    let peer = peer(SandboxConfig {
        rate_limit: Some(RateLimit {
            max_requests: 3,
            window: Duration::from_millis(600),
        }),
        send_retry_after: true,
        ..SandboxConfig::default()
    })
    .await;
    let store = Arc::new(MemoryTokenStore::new());
    let user = UserId::parse("contract_user").unwrap();
    let mut credentials = peer.connect().await;
    credentials.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    store.save("hubspot", &user, &credentials).await.unwrap();
    let connector = Arc::new(Connector::with_options(
        Arc::new(peer.hubspot),
        store,
        ConnectorOptions {
            retry: RetryPolicy {
                max_retries: 4,
                min_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(500),
                ..RetryPolicy::default()
            },
            ..ConnectorOptions::default()
        },
    ));

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let connector = connector.clone();
        let user = user.clone();
        tasks.spawn(async move { connector.items(&user, &ItemQuery::new().limit(2)).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap().items.len(), 2);
    }
    let stats = peer.sandbox.stats();
    assert_eq!(stats.token_refresh, 1);
    assert!(
        stats.rate_limited >= 1,
        "the peer did rate-limit: {stats:?}"
    );
}
