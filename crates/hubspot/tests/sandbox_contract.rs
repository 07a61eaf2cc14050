//! Contract tests: the HubSpot client against the sandbox, a stateful peer that behaves as HubSpot
//! documents itself — whole flows (OAuth, paging to the end, refresh, revoke, 401, 429) with real
//! state behind them. `api.rs` takes HubSpot's answers one at a time, `connector.rs` the core's
//! machinery over them.

use std::sync::Arc;
use std::time::Duration;

use hubspot_sandbox::{RateLimit, SandboxConfig};
use integration_core::{
    Connector, ConnectorOptions, CredentialStore, Error, ExposeSecret as _, Integration, ItemQuery,
    RetryPolicy, UserId,
};
use token_store::MemoryTokenStore;

#[path = "common/peer.rs"]
mod peer;

use peer::{REDIRECT, peer};

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
    // Introspection at connect time names the portal and the installing user, when it says
    // (both are optional in HubSpot's spec; the seeded sandbox leaves them out at times).
    assert!(
        (credentials.account_name.as_deref()).is_none_or(|d| d.contains('.')),
        "{credentials:?}"
    );
    assert!(
        (credentials.account_user.as_deref()).is_none_or(|u| u.contains('@')),
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
    // Refused, whatever code names it: RFC 6749's `invalid_grant`, the legacy `BAD_AUTH_CODE`,
    // or only the spec's required `category` (seeded sandboxes answer each).
    assert!(
        matches!(&again, Err(Error::Rejected { code, .. })
            if ["invalid_grant", "BAD_AUTH_CODE", "VALIDATION_ERROR"].contains(&code.as_str())),
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
    // `Retry-After` is not promised: first without it, then with it.
    peer.sandbox
        .update(|k| k.contract.retry_after = hubspot_sandbox::Vary::Off);
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

/// An EU portal's records live on `app-eu1.hubspot.com`: the links are HubSpot's own `url`
/// (optional in the spec, sent here for every record), not one built on the default host.
#[tokio::test]
async fn an_eu_portals_records_link_to_its_own_hublet() {
    let peer = peer(SandboxConfig {
        hublet: Some("eu1".into()),
        ..SandboxConfig::default()
    })
    .await;
    let credentials = peer.connect().await;
    let page = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().limit(20))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 20);
    for item in &page.items {
        let url = url::Url::parse(item.url.as_deref().unwrap()).unwrap();
        assert_eq!(url.host_str(), Some("app-eu1.hubspot.com"), "{url}");
        assert!(url.path().ends_with(&format!("/{}", item.id)), "{url}");
    }
}
