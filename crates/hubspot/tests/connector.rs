//! The core machinery (`integration_core::Connector`) driven through the HubSpot provider against
//! a wiremock HubSpot: refresh before expiry, refresh-and-retry on 401, single-flight refresh,
//! rate-limit waits, bounded retries and forgetting a dead grant.
//!
//! Credentials live in `token-store`'s `MemoryTokenStore`; the Redis store runs the same
//! conformance suite, and the end-to-end tests repeat the key scenarios on Redis.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use integration_core::{
    AuthorizationCode, Connector, ConnectorOptions, CredentialStore, Error, ExposeSecret as _,
    ItemQuery, RetryPolicy,
};
use serde_json::json;
use token_store::MemoryTokenStore;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONTACTS: &str = "/crm/v3/objects/contacts";

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
    server: MockServer,
    store: Arc<dyn CredentialStore>,
    connector: Arc<Connector>,
}

async fn harness() -> Harness {
    let store: Arc<dyn CredentialStore> = Arc::new(MemoryTokenStore::new());
    let server = MockServer::start().await;
    let connector = Connector::with_options(
        Arc::new(hubspot(config_for(&server))),
        store.clone(),
        ConnectorOptions {
            retry: fast_retries(),
            lock_poll: Duration::from_millis(10),
            ..ConnectorOptions::default()
        },
    );
    Harness {
        server,
        store,
        connector: Arc::new(connector),
    }
}

impl Harness {
    async fn seed(&self, access: &str, expires_in: chrono::Duration) {
        self.store
            .save("hubspot", &user(), &credentials(access, expires_in))
            .await
            .unwrap();
    }

    async fn stored_access_token(&self) -> Option<String> {
        self.store
            .load("hubspot", &user())
            .await
            .unwrap()
            .map(|c| c.access_token.expose_secret().to_owned())
    }
}

fn one_contact() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "results": [contact("1", json!("Ada"), json!("Lovelace"), json!(null))]
    }))
}

fn refresh_ok(access: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(
            ResponseTemplate::new(200)
                // No scopes, no hub_id: the connector must keep the stored ones.
                .set_body_json(json!({
                    "token_type": "bearer", "refresh_token": "rt-1",
                    "access_token": access, "expires_in": 1800
                })),
        )
}

#[tokio::test]
async fn expired_token_is_refreshed_before_use() {
    let h = harness().await;
    h.seed("at-old", chrono::Duration::minutes(-1)).await;
    refresh_ok("at-new").expect(1).mount(&h.server).await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .and(header("authorization", "Bearer at-new"))
        .respond_with(one_contact())
        .expect(1)
        .mount(&h.server)
        .await;

    let page = h.connector.items(&user(), &ItemQuery::new()).await.unwrap();
    assert_eq!(page.items[0].title, "Ada Lovelace");
    assert_eq!(h.stored_access_token().await.as_deref(), Some("at-new"));
    let stored = h.store.load("hubspot", &user()).await.unwrap().unwrap();
    assert_eq!(stored.account_id.as_deref(), Some("62515"), "inherited");
    assert!(!stored.scopes.is_empty(), "inherited");
}

#[tokio::test]
async fn a_401_triggers_exactly_one_refresh_and_one_retry() {
    let h = harness().await;
    h.seed("at-old", chrono::Duration::minutes(30)).await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .and(header("authorization", "Bearer at-old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error", "message": "expired", "category": "EXPIRED_AUTHENTICATION"
        })))
        .expect(1)
        .mount(&h.server)
        .await;
    refresh_ok("at-new").expect(1).mount(&h.server).await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .and(header("authorization", "Bearer at-new"))
        .respond_with(one_contact())
        .expect(1)
        .mount(&h.server)
        .await;

    let page = h.connector.items(&user(), &ItemQuery::new()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(h.stored_access_token().await.as_deref(), Some("at-new"));
}

#[tokio::test]
async fn a_401_after_refreshing_requires_reauthorisation() {
    let h = harness().await;
    h.seed("at-old", chrono::Duration::minutes(30)).await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error", "message": "bad", "category": "INVALID_AUTHENTICATION"
        })))
        .expect(2)
        .mount(&h.server)
        .await;
    refresh_ok("at-new").expect(1).mount(&h.server).await;
    let error = h
        .connector
        .items(&user(), &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_refreshed_once_under_concurrency() {
    refreshed_once_under_concurrency(harness().await).await;
}

async fn refreshed_once_under_concurrency(h: Harness) {
    h.seed("at-old", chrono::Duration::minutes(-1)).await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("at-new", "rt-2"))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .and(header("authorization", "Bearer at-new"))
        .respond_with(one_contact())
        .expect(50)
        .mount(&h.server)
        .await;

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let connector = h.connector.clone();
        tasks.spawn(async move { connector.items(&user(), &ItemQuery::new()).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap().items.len(), 1);
    }
    h.server.verify().await;
}

#[tokio::test]
async fn rate_limits_are_waited_out_then_succeed() {
    let h = harness().await;
    h.seed("at-1", chrono::Duration::minutes(30)).await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(one_contact())
        .expect(1)
        .mount(&h.server)
        .await;
    // Both mocks expect exactly one call: the 429 was retried, not surfaced. (How long the
    // wait is comes from integration-core's retry tests, on a paused clock.)
    let page = h.connector.items(&user(), &ItemQuery::new()).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn persistent_outages_fail_as_upstream_after_bounded_retries() {
    let h = harness().await;
    h.seed("at-1", chrono::Duration::minutes(30)).await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(ResponseTemplate::new(503))
        .expect(3) // first call + max_retries (2)
        .mount(&h.server)
        .await;
    let error = h
        .connector
        .items(&user(), &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Upstream { status: 503 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_dead_refresh_token_requires_reauthorisation_and_forgets_the_grant() {
    dead_refresh_token_is_forgotten(harness().await).await;
}

async fn dead_refresh_token_is_forgotten(h: Harness) {
    h.seed("at-old", chrono::Duration::minutes(-1)).await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "BAD_REFRESH_TOKEN",
            "message": "missing or invalid refresh token",
            "correlationId": "c"
        })))
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(one_contact())
        .expect(0)
        .mount(&h.server)
        .await;
    let error = h
        .connector
        .items(&user(), &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
    assert_eq!(h.stored_access_token().await, None);
    assert!(matches!(
        h.connector.items(&user(), &ItemQuery::new()).await,
        Err(Error::ReauthRequired { .. })
    ));
}

#[tokio::test]
async fn connect_stores_credentials_and_disconnect_revokes_them() {
    let h = harness().await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("at-1", "rt-1")))
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token/revoke"))
        .and(body_string_contains("token=rt-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&h.server)
        .await;
    let code = AuthorizationCode::parse("code-1").unwrap();
    let info = h
        .connector
        .connect(&user(), &code, "https://app.example.com/cb", None)
        .await
        .unwrap();
    assert_eq!(info.account_id.as_deref(), Some("62515"));
    assert_eq!(h.stored_access_token().await.as_deref(), Some("at-1"));
    assert!(h.connector.disconnect(&user()).await.unwrap());
    assert_eq!(h.stored_access_token().await, None);
}

/// A refresh that would outlive its lock is cut off (so no second process can take the expired
/// lock and refresh again), and the lock is released for the next attempt.
#[tokio::test]
async fn a_refresh_never_outlives_its_lock() {
    let server = MockServer::start().await;
    let store: Arc<dyn CredentialStore> = Arc::new(MemoryTokenStore::new());
    let connector = Connector::with_options(
        Arc::new(hubspot(config_for(&server))),
        store.clone(),
        ConnectorOptions {
            retry: fast_retries(),
            lock_ttl: Duration::from_millis(500),
            ..ConnectorOptions::default()
        },
    );
    store
        .save(
            "hubspot",
            &user(),
            &credentials("at-old", chrono::Duration::minutes(-1)),
        )
        .await
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("at-new", "rt-1"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;

    let result = connector.items(&user(), &ItemQuery::new()).await;
    assert!(
        matches!(&result, Err(Error::Unavailable(why)) if why.contains("did not finish")),
        "cut off, not waited out: {result:?}"
    );
    // The lock was released: the next caller may take it at once.
    let lock = store
        .try_lock("refresh:hubspot:test_user", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(lock.is_some());
}

#[tokio::test]
async fn a_portal_with_no_calls_left_holds_the_shared_budget_for_its_interval() {
    let store = Arc::new(MemoryTokenStore::new());
    let server = MockServer::start().await;
    let budget = integration_core::SharedBudget::new(
        store.clone(),
        integration_core::Limit::new(110, Duration::from_secs(10)),
    );
    let connector = Connector::with_options(
        Arc::new(hubspot(config_for(&server))),
        store.clone(),
        ConnectorOptions {
            retry: fast_retries(),
            budget: Some(budget),
            request_deadline: Duration::from_secs(2),
            ..ConnectorOptions::default()
        },
    );
    store
        .save(
            "hubspot",
            &user(),
            &credentials("at-1", chrono::Duration::minutes(30)),
        )
        .await
        .unwrap();
    // Other apps of the portal spent its budget: HubSpot says so in its headers. We hold for a
    // tenth of the interval (6 s), past this test's 2 s deadline, so the answer is immediate.
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(
            one_contact()
                .insert_header("X-HubSpot-RateLimit-Max", "110")
                .insert_header("X-HubSpot-RateLimit-Remaining", "0")
                .insert_header("X-HubSpot-RateLimit-Interval-Milliseconds", "60000"),
        )
        .mount(&server)
        .await;
    connector.items(&user(), &ItemQuery::new()).await.unwrap();
    let held = connector.items(&user(), &ItemQuery::new()).await;
    assert!(
        matches!(held, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(5)),
        "{held:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no call HubSpot would refuse"
    );
}
