//! The core machinery (`integration_core::Connector`) driven through the HubSpot provider against
//! the HubSpot sandbox: refresh before expiry, refresh-and-retry on 401, single-flight refresh,
//! rate-limit waits, bounded retries and forgetting a dead grant. The sandbox counts the calls.
//!
//! Credentials live in `token-store`'s `MemoryTokenStore`; the Redis store runs the same
//! conformance suite, and the end-to-end tests repeat the key scenarios on Redis.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

#[path = "common/peer.rs"]
mod peer;

use std::sync::Arc;
use std::time::Duration;

use hubspot_sandbox::{Faults, RateLimit, SandboxConfig, Vary};
use integration_core::{
    Connector, ConnectorOptions, CredentialStore, Credentials, Error, ExposeSecret as _,
    Integration, ItemQuery, RetryPolicy,
};
use peer::{Peer, REDIRECT, peer, user};
use token_store::MemoryTokenStore;

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        min_rate_limit_delay: Duration::from_millis(10),
    }
}

struct Harness {
    peer: Peer,
    store: Arc<dyn CredentialStore>,
    connector: Arc<Connector>,
}

async fn harness() -> Harness {
    harness_with(SandboxConfig::default(), ConnectorOptions::default()).await
}

/// A connector over the provider against a sandbox of `config`, with fast retries.
async fn harness_with(config: SandboxConfig, options: ConnectorOptions) -> Harness {
    let peer = peer(config).await;
    let store: Arc<dyn CredentialStore> = Arc::new(MemoryTokenStore::new());
    let connector = Connector::with_options(
        Arc::new(peer.provider(|_| {})),
        store.clone(),
        ConnectorOptions {
            retry: fast_retries(),
            lock_poll: Duration::from_millis(10),
            ..options
        },
    );
    Harness {
        peer,
        store,
        connector: Arc::new(connector),
    }
}

impl Harness {
    /// The user approves and the grant is stored, expiring in `expires_in` as far as we know.
    async fn seed(&self, expires_in: chrono::Duration) -> Credentials {
        let mut credentials = self.peer.connect().await;
        credentials.expires_at = Some(chrono::Utc::now() + expires_in);
        self.store
            .save("hubspot", &user(), &credentials)
            .await
            .unwrap();
        self.peer.sandbox.reset_stats();
        credentials
    }

    async fn stored(&self) -> Option<Credentials> {
        self.store.load("hubspot", &user()).await.unwrap()
    }

    async fn stored_access_token(&self) -> Option<String> {
        (self.stored().await).map(|c| c.access_token.expose_secret().to_owned())
    }
}

fn one() -> ItemQuery {
    ItemQuery::new().limit(1)
}

#[tokio::test]
async fn expired_token_is_refreshed_before_use() {
    let h = harness().await;
    let old = h.seed(chrono::Duration::minutes(-1)).await;
    // No scopes, no hub_id in the refresh answer: the connector must keep the stored ones.
    h.peer
        .sandbox
        .update(|k| k.contract.omit_optional = Vary::On);

    let page = h.connector.items(&user(), &one()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let stats = h.peer.sandbox.stats();
    assert_eq!((stats.token_refresh, stats.objects), (1, 1), "no 401 first");
    let stored = h.stored().await.unwrap();
    assert_ne!(
        stored.access_token.expose_secret(),
        old.access_token.expose_secret()
    );
    assert_eq!(stored.account_id, old.account_id, "inherited");
    assert_eq!(stored.scopes, old.scopes, "inherited");
    assert!(!stored.scopes.is_empty());
}

#[tokio::test]
async fn a_401_triggers_exactly_one_refresh_and_one_retry() {
    let h = harness().await;
    let old = h.seed(chrono::Duration::minutes(30)).await;
    // HubSpot says the token expired before we thought it would.
    h.peer.sandbox.expire_access_tokens();

    let page = h.connector.items(&user(), &one()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let stats = h.peer.sandbox.stats();
    assert_eq!((stats.objects, stats.token_refresh), (2, 1));
    assert_ne!(
        h.stored_access_token().await.as_deref(),
        Some(old.access_token.expose_secret())
    );
}

#[tokio::test]
async fn a_401_after_refreshing_requires_reauthorisation() {
    let h = harness().await;
    h.seed(chrono::Duration::minutes(30)).await;
    // The token in hand is refused, and so is the one the refresh mints (born expired).
    h.peer.sandbox.expire_access_tokens();
    h.peer
        .sandbox
        .update(|k| k.access_token_ttl = Duration::ZERO);
    let error = h.connector.items(&user(), &one()).await.unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
    let stats = h.peer.sandbox.stats();
    assert_eq!((stats.objects, stats.token_refresh), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_refreshed_once_under_concurrency() {
    let h = harness_with(
        SandboxConfig {
            rate_limit: None,
            ..SandboxConfig::default()
        },
        ConnectorOptions::default(),
    )
    .await;
    h.seed(chrono::Duration::minutes(-1)).await;
    // Every answer takes a while, so the 50 callers overlap the refresh.
    h.peer
        .sandbox
        .update(|k| k.latency = Duration::from_millis(100));

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let connector = h.connector.clone();
        tasks.spawn(async move { connector.items(&user(), &one()).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap().items.len(), 1);
    }
    let stats = h.peer.sandbox.stats();
    assert_eq!((stats.token_refresh, stats.objects), (1, 50));
}

#[tokio::test]
async fn rate_limits_are_waited_out_then_succeed() {
    let h = harness_with(
        // An injected 429 says `Retry-After: 1` when no real limit is configured.
        SandboxConfig {
            send_retry_after: true,
            rate_limit: None,
            ..SandboxConfig::default()
        },
        ConnectorOptions::default(),
    )
    .await;
    h.seed(chrono::Duration::minutes(30)).await;
    h.peer.sandbox.set_faults(Faults {
        rate_limit_next: 1,
        ..Faults::default()
    });
    // The 429 was retried, not surfaced. (How long the wait is comes from integration-core's
    // retry tests, on a paused clock.)
    let page = h.connector.items(&user(), &one()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let stats = h.peer.sandbox.stats();
    assert_eq!((stats.rate_limited, stats.objects), (1, 2));
}

#[tokio::test]
async fn persistent_outages_fail_as_upstream_after_bounded_retries() {
    let h = harness().await;
    h.seed(chrono::Duration::minutes(30)).await;
    h.peer.sandbox.set_faults(Faults {
        fail_next: 10,
        fail_status: 503,
        ..Faults::default()
    });
    let error = h.connector.items(&user(), &one()).await.unwrap_err();
    assert!(
        matches!(error, Error::Upstream { status: 503 }),
        "{error:?}"
    );
    // The first call and max_retries (2).
    assert_eq!(h.peer.sandbox.stats().objects, 3);
    assert_eq!(h.peer.sandbox.faults().fail_next, 7);
}

#[tokio::test]
async fn a_dead_refresh_token_requires_reauthorisation_and_forgets_the_grant() {
    let h = harness().await;
    h.seed(chrono::Duration::minutes(-1)).await;
    // The app was uninstalled from the portal.
    h.peer.sandbox.revoke_all_tokens();
    let error = h.connector.items(&user(), &one()).await.unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
    assert_eq!(h.stored_access_token().await, None);
    assert!(matches!(
        h.connector.items(&user(), &one()).await,
        Err(Error::ReauthRequired { .. })
    ));
    let stats = h.peer.sandbox.stats();
    assert_eq!((stats.token_errors, stats.objects), (1, 0));
}

#[tokio::test]
async fn connect_stores_credentials_and_disconnect_revokes_them() {
    let h = harness().await;
    let (code, verifier) = h.peer.approve().await;
    let info = h
        .connector
        .connect(&user(), &code, REDIRECT, Some(&verifier))
        .await
        .unwrap();
    let hub = h.peer.sandbox.hub_id().to_string();
    assert_eq!(info.account_id.as_deref(), Some(hub.as_str()));
    let stored = h.stored().await.unwrap();
    assert_eq!(h.peer.sandbox.stats().token_authorization_code, 1);

    assert!(h.connector.disconnect(&user()).await.unwrap());
    assert_eq!(h.stored_access_token().await, None);
    assert_eq!(h.peer.sandbox.stats().revoke, 1);
    // Revoked at HubSpot, not only forgotten here.
    let refresh = h.peer.hubspot.refresh(&stored).await;
    assert!(
        matches!(refresh, Err(Error::ReauthRequired { .. })),
        "{refresh:?}"
    );
}

/// A refresh that would outlive its lock is cut off (so no second process can take the expired
/// lock and refresh again), and the lock is released for the next attempt.
#[tokio::test]
async fn a_refresh_never_outlives_its_lock() {
    let h = harness_with(
        SandboxConfig::default(),
        ConnectorOptions {
            lock_ttl: Duration::from_millis(500),
            ..ConnectorOptions::default()
        },
    )
    .await;
    h.seed(chrono::Duration::minutes(-1)).await;
    h.peer
        .sandbox
        .update(|k| k.latency = Duration::from_secs(3));

    let result = h.connector.items(&user(), &one()).await;
    assert!(
        matches!(&result, Err(Error::Unavailable(why)) if why.contains("did not finish")),
        "cut off, not waited out: {result:?}"
    );
    // The lock was released: the next caller may take it at once.
    let lock = h
        .store
        .try_lock("refresh:hubspot:test_user", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(lock.is_some());
}

/// A connected user's connector pacing HubSpot's calls through a shared budget (110 per 10 s),
/// with a 2 s deadline so that any hold is answered at once.
async fn budgeted(peer: &Peer) -> Connector {
    budgeted_to(peer, 110).await
}

/// [`budgeted`] with `slots` calls per 10 s.
async fn budgeted_to(peer: &Peer, slots: u32) -> Connector {
    let store = Arc::new(MemoryTokenStore::new());
    let budget = integration_core::SharedBudget::new(
        store.clone(),
        integration_core::Limit::new(slots, Duration::from_secs(10)),
    );
    let connector = Connector::with_options(
        Arc::new(peer.provider(|_| {})),
        store.clone(),
        ConnectorOptions {
            retry: fast_retries(),
            budget: Some(budget),
            request_deadline: Duration::from_secs(2),
            ..ConnectorOptions::default()
        },
    );
    store
        .save("hubspot", &user(), &peer.connect().await)
        .await
        .unwrap();
    connector
}

#[tokio::test]
async fn a_portal_with_no_calls_left_holds_the_shared_budget_for_its_interval() {
    // Other apps of the portal spent its budget: HubSpot's headers say 0 remaining of a minute's
    // allowance. We hold for a tenth of the interval (6 s), past this test's 2 s deadline, so
    // the answer is immediate.
    let peer = peer(SandboxConfig {
        rate_limit: Some(RateLimit {
            max_requests: 1,
            window: Duration::from_secs(60),
        }),
        ..SandboxConfig::default()
    })
    .await;
    let connector = budgeted(&peer).await;
    connector.items(&user(), &one()).await.unwrap();
    let held = connector.items(&user(), &one()).await;
    assert!(
        matches!(held, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(5)),
        "{held:?}"
    );
    let stats = peer.sandbox.stats();
    assert_eq!(
        (stats.objects, stats.rate_limited),
        (1, 0),
        "no call HubSpot would refuse"
    );
}

#[tokio::test]
async fn a_spent_daily_cap_holds_the_shared_budget_for_a_tenth_of_a_day() {
    // The portal's daily allowance is two calls: the second answer says none remain today, so
    // the third call is refused at once, with the wait, and never reaches HubSpot.
    let peer = peer(SandboxConfig {
        daily_limit: Some(2),
        ..SandboxConfig::default()
    })
    .await;
    let connector = budgeted(&peer).await;
    connector.items(&user(), &one()).await.unwrap();
    connector.items(&user(), &one()).await.unwrap();
    let held = connector.items(&user(), &one()).await;
    assert!(
        matches!(held, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(2 * 3600)),
        "{held:?}"
    );
    let stats = peer.sandbox.stats();
    assert_eq!(
        (stats.objects, stats.rate_limited),
        (2, 0),
        "no call HubSpot would refuse"
    );
}

/// A page with hundreds of properties is two requests (the ids, then a batch read): each waits
/// for its own slot in the portal's budget, so the window is never overrun. With one slot, the
/// second would have to wait past the deadline: refused before HubSpot sees it; with two, both go.
#[tokio::test]
async fn the_batch_read_of_a_long_property_list_is_paced_like_the_list() {
    let many: Vec<String> = (1..=600).map(|i| format!("vs_custom_{i:03}")).collect();
    let mut query = ItemQuery::new().limit(10);
    query.properties = Some(many);
    for (slots, pages) in [(1, 0), (2, 1)] {
        let peer = peer(SandboxConfig::default()).await;
        let connector = budgeted_to(&peer, slots).await;
        peer.sandbox.reset_stats();
        let result = connector.items(&user(), &query).await;
        let stats = peer.sandbox.stats();
        if pages == 0 {
            assert!(
                matches!(result, Err(Error::RateLimited { .. })),
                "{result:?}"
            );
            assert_eq!((stats.objects, stats.batch_read), (1, 0), "{stats:?}");
        } else {
            let page = result.unwrap();
            assert_eq!(page.items.len(), 10);
            assert!(page.items[0].properties.contains_key("vs_custom_600"));
            assert_eq!((stats.objects, stats.batch_read), (1, 1), "{stats:?}");
        }
    }
}
