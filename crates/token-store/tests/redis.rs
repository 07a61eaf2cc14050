//! The conformance suite against [`RedisTokenStore`] on a real Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`; each test uses its own random key prefix and deletes its keys), plus
//! what only the Redis store promises: encryption at rest, key prefixes, bounded failure when
//! Redis is gone, and recovery when it returns.

use std::ops::Deref;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use deadpool_redis::redis::{self, AsyncCommands as _};
use integration_core::{
    CredentialStore as _, ExposeSecret as _, OAuthState, StateStore as _, StoreError, UserId,
    credentials_key,
};
use test_support::free_port;
use token_store::conformance::{assert_same_credentials, full_credentials, minimal_credentials};
use token_store::{
    Cipher, Key, KeyId, PendingAuthorization, Persistence, RedisStoreConfig, RedisTokenStore,
    TokenStore as _,
};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn random_prefix() -> String {
    format!(
        "test:token-store:{}:",
        hex::encode(rand::random::<[u8; 8]>())
    )
}

fn user(id: &str) -> UserId {
    UserId::parse(id).expect("valid user id")
}

fn cipher_with(id: u8, key: &Key) -> Cipher {
    Cipher::new((KeyId(id), key.clone()), Vec::new()).expect("cipher")
}

/// A store under a fresh key prefix; deletes every key under the prefix when dropped (also when
/// the test panics).
struct Fixture {
    store: RedisTokenStore,
    prefix: String,
}

impl Fixture {
    fn new(cipher: Cipher) -> Self {
        Self::with_prefix(random_prefix(), cipher)
    }

    fn with_prefix(prefix: String, cipher: Cipher) -> Self {
        let config = RedisStoreConfig::new(redis_url()).with_key_prefix(prefix.clone());
        let store = RedisTokenStore::new(config, cipher).expect("store");
        Self { store, prefix }
    }

    /// A plain connection for looking at raw values the way `redis-cli` would.
    async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(redis_url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("Redis is needed for these tests (REDIS_URL): {e}"))
    }
}

impl Deref for Fixture {
    type Target = RedisTokenStore;
    fn deref(&self) -> &RedisTokenStore {
        &self.store
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(redis_url()) else {
            return;
        };
        let Ok(mut connection) = client.get_connection_with_timeout(Duration::from_secs(2)) else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut connection)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut connection);
        }
    }
}

async fn store() -> Fixture {
    let fixture = Fixture::new(cipher_with(1, &Key::generate()));
    fixture
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis is needed for these tests (set REDIS_URL): {e}"));
    fixture
}

token_store::conformance_tests!(store);

mod rate_budget {
    use super::store;

    token_store::rate_budget_conformance_tests!(store);
}

#[tokio::test]
async fn credentials_are_encrypted_at_rest() {
    let store = store().await;
    let alice = user("alice");
    let credentials = full_credentials("alice");
    store
        .save("hubspot", &alice, &credentials)
        .await
        .expect("save");

    let raw: Vec<u8> = store
        .raw()
        .await
        .get(store.credentials_redis_key("hubspot", &alice))
        .await
        .expect("raw GET");
    assert!(raw.starts_with(b"v1\x01"), "versioned envelope, key id 1");
    let secrets = [
        credentials.access_token.expose_secret().to_owned(),
        credentials
            .refresh_token
            .as_ref()
            .expect("refresh token")
            .expose_secret()
            .to_owned(),
        "access-".into(),
        "refresh-".into(),
        "hub-alice".into(),
        "crm.objects".into(),
    ];
    for secret in secrets {
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} is readable in Redis"
        );
    }
    assert_eq!(
        store.credentials_redis_key("hubspot", &alice),
        format!("{}{}", store.prefix, credentials_key("hubspot", &alice))
    );
}

#[tokio::test]
async fn a_value_copied_under_another_users_key_does_not_decrypt() {
    let store = store().await;
    let (alice, mallory) = (user("alice"), user("mallory"));
    store
        .save("hubspot", &alice, &full_credentials("alice"))
        .await
        .expect("save");
    let mut raw = store.raw().await;
    let value: Vec<u8> = raw
        .get(store.credentials_redis_key("hubspot", &alice))
        .await
        .expect("raw GET");
    let _: () = raw
        .set(store.credentials_redis_key("hubspot", &mallory), value)
        .await
        .expect("raw SET");

    match store.load("hubspot", &mallory).await {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(store.load("hubspot", &alice).await.expect("load").is_some());
}

#[tokio::test]
async fn garbage_under_a_credentials_key_is_corrupt_not_a_panic() {
    let store = store().await;
    let alice = user("alice");
    for garbage in [
        &b"not an envelope"[..],
        b"v1",
        b"v9\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let _: () = store
            .raw()
            .await
            .set(store.credentials_redis_key("hubspot", &alice), garbage)
            .await
            .expect("raw SET");
        assert!(matches!(
            store.load("hubspot", &alice).await,
            Err(StoreError::Corrupt(_))
        ));
    }
}

#[tokio::test]
async fn rotated_keys_read_old_values_and_write_new_ones() {
    let (old, new) = (Key::generate(), Key::generate());
    let before = Fixture::new(cipher_with(1, &old));
    let alice = user("alice");
    before
        .save("hubspot", &alice, &full_credentials("a"))
        .await
        .expect("save");

    let rotated = Cipher::new((KeyId(2), new.clone()), vec![(KeyId(1), old)]).expect("cipher");
    let after = Fixture::with_prefix(before.prefix.clone(), rotated);
    let loaded = after.load("hubspot", &alice).await.expect("load");
    assert_same_credentials(&loaded.expect("found"), &full_credentials("a"));

    after
        .save("hubspot", &alice, &minimal_credentials("b"))
        .await
        .expect("save");
    let raw: Vec<u8> = after
        .raw()
        .await
        .get(after.credentials_redis_key("hubspot", &alice))
        .await
        .expect("raw GET");
    assert!(raw.starts_with(b"v1\x02"), "rewritten with the primary key");

    // A cipher that forgot key 1 cannot read what `before` wrote.
    before
        .save("hubspot", &user("bob"), &full_credentials("bob"))
        .await
        .expect("save");
    let only_new = Fixture::with_prefix(before.prefix.clone(), cipher_with(2, &new));
    assert!(matches!(
        only_new.load("hubspot", &user("bob")).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(
        only_new
            .load("hubspot", &alice)
            .await
            .expect("load")
            .is_some()
    );
}

#[tokio::test]
async fn every_key_carries_the_prefix() {
    let store = store().await;
    let alice = user("alice");
    let state = OAuthState::generate();
    store
        .save("hubspot", &alice, &minimal_credentials("a"))
        .await
        .expect("save");
    store
        .put_state(
            &state,
            &PendingAuthorization {
                user_id: alice.clone(),
                provider: "hubspot".into(),
                redirect_uri: "http://x/cb".into(),
                binding_hash: "h".into(),
                pkce_verifier: None,
                created_at: chrono::Utc::now(),
            },
            Duration::from_secs(60),
            10,
        )
        .await
        .expect("put");
    let _token = store
        .try_lock("refresh:hubspot:alice", Duration::from_secs(60))
        .await
        .expect("lock")
        .expect("granted");

    let mut raw = store.raw().await;
    let mut keys: Vec<String> = raw.keys(format!("{}*", store.prefix)).await.expect("KEYS");
    keys.sort();
    let mut expected = vec![
        format!("{}hubspot:alice", store.prefix),
        format!("{}lock:refresh:hubspot:alice", store.prefix),
        format!(
            "{p}oauth_state:{{{p}oauth}}:{}",
            state.as_str(),
            p = store.prefix
        ),
        format!("{p}oauth_pending:{{{p}oauth}}:alice", p = store.prefix),
    ];
    expected.sort();
    assert_eq!(keys, expected);

    let credentials_ttl: i64 = raw.pttl(&expected[0]).await.expect("PTTL");
    assert_eq!(credentials_ttl, -1, "credentials never expire");
    // Sorted: credentials, lock, the user's pending index, the state.
    for pending in &expected[2..] {
        let ttl: i64 = raw.pttl(pending).await.expect("PTTL");
        assert!(ttl > 0 && ttl <= 60_000, "{pending}: {ttl}");
    }

    // A store with another prefix sees none of it.
    let other = store_with_prefix(random_prefix());
    assert!(other.load("hubspot", &alice).await.expect("load").is_none());
    assert!(other.take_state(&state).await.expect("take").is_none());
}

#[tokio::test]
async fn the_development_redis_does_not_persist_and_says_so() {
    // `REDIS_URL` is the Redis `scripts/ensure-redis.sh` starts for development and CI: no AOF,
    // no snapshots. Pointing the tests at a persistent Redis fails this test, on purpose.
    let store = store().await;
    let found = store.persistence().await.expect("persistence");
    assert_eq!(
        found,
        Persistence::Configured {
            aof: false,
            rdb: false
        },
        "REDIS_URL's Redis persists ({found}); these tests expect the non-persistent one"
    );
    assert!(!found.is_durable());
}

fn store_with_prefix(prefix: String) -> Fixture {
    Fixture::with_prefix(prefix, cipher_with(1, &Key::generate()))
}

fn assert_unavailable<T: std::fmt::Debug>(result: Result<T, StoreError>, secret: &str) {
    match result {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                secret.is_empty() || !message.contains(secret),
                "error leaks the URL: {message}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_and_the_url_is_never_shown() {
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}", free_port());
    let config = RedisStoreConfig::new(url).with_timeout(Duration::from_millis(500));
    // Building the store does not need Redis.
    let store = RedisTokenStore::new(config.clone(), cipher_with(1, &Key::generate()))
        .expect("store builds without Redis");
    assert!(!format!("{store:?} {config:?}").contains("hunter2"));

    let everything = async {
        assert_unavailable(store.ping().await, "hunter2");
        assert_unavailable(store.load("hubspot", &user("alice")).await, "hunter2");
        assert_unavailable(
            store
                .save("hubspot", &user("alice"), &minimal_credentials("a"))
                .await,
            "hunter2",
        );
        assert_unavailable(store.try_lock("l", Duration::from_secs(1)).await, "hunter2");
        assert_unavailable(store.take_state(&OAuthState::generate()).await, "hunter2");
    };
    // Generous: only here so that a regression fails instead of hanging the suite.
    tokio::time::timeout(Duration::from_secs(30), everything)
        .await
        .expect("calls against a dead Redis return instead of hanging");
}

#[tokio::test]
async fn a_redis_that_never_answers_is_unavailable_rather_than_a_hang() {
    // Accepts connections (the kernel completes the handshake) but never reads or replies.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = RedisStoreConfig::new(format!("redis://127.0.0.1:{port}"))
        .with_timeout(Duration::from_millis(300));
    let store = RedisTokenStore::new(config, cipher_with(1, &Key::generate())).expect("store");
    tokio::time::timeout(Duration::from_secs(30), async {
        assert_unavailable(store.ping().await, "");
        assert_unavailable(store.load("hubspot", &user("alice")).await, "");
    })
    .await
    .expect("calls against a silent Redis return instead of hanging");
    drop(listener);
}

#[tokio::test]
async fn a_malformed_url_is_refused_without_repeating_it() {
    let config = RedisStoreConfig::new("http://:hunter2-secret@nowhere");
    match RedisTokenStore::new(config, cipher_with(1, &Key::generate())) {
        Err(error) => assert!(!error.to_string().contains("hunter2")),
        Ok(_) => panic!("a non-redis URL was accepted"),
    }
}

/// A private `redis-server` on a fixed port, killed when dropped.
struct RedisServer {
    child: Child,
}

impl RedisServer {
    fn start(redis_server: &Path, port: u16) -> Option<Self> {
        let child = Command::new(redis_server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(Self { child })
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_until_reachable(store: &RedisTokenStore) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match store.ping().await {
            Ok(()) => return,
            Err(error) if tokio::time::Instant::now() > deadline => {
                panic!("store did not recover: {error}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn the_store_recovers_when_redis_comes_back() {
    let Some(redis_server) = test_support::redis_server("the_store_recovers_when_redis_comes_back")
    else {
        return;
    };
    let port = free_port();
    let server = RedisServer::start(&redis_server, port).expect("start redis-server");
    let config = RedisStoreConfig::new(format!("redis://127.0.0.1:{port}"))
        .with_timeout(Duration::from_millis(500));
    let store = RedisTokenStore::new(config, cipher_with(1, &Key::generate())).expect("store");
    let alice = user("alice");

    wait_until_reachable(&store).await;
    store
        .save("hubspot", &alice, &minimal_credentials("a"))
        .await
        .expect("save while up");

    server.stop();
    assert_unavailable(store.ping().await, "");
    assert_unavailable(store.load("hubspot", &alice).await, "");

    let _server = RedisServer::start(&redis_server, port).expect("restart redis-server");
    wait_until_reachable(&store).await;
    // The new server started empty (no persistence); the store works again without a restart.
    assert!(store.load("hubspot", &alice).await.expect("load").is_none());
    store
        .save("hubspot", &alice, &full_credentials("a"))
        .await
        .expect("save after recovery");
    let loaded = store.load("hubspot", &alice).await.expect("load");
    assert_same_credentials(&loaded.expect("found"), &full_credentials("a"));
}

#[tokio::test]
async fn a_rate_budget_is_one_hash_tagged_key_that_expires_when_idle() {
    use integration_core::{Limit, Priority, RateBudget as _};

    let store = store().await;
    let limit = Limit::new(110, Duration::from_secs(10));
    for _ in 0..3 {
        store
            .acquire("hubspot:62515", &limit, Priority::Interactive)
            .await
            .expect("acquire");
    }
    let key = store.budget_redis_key("hubspot:62515");
    // The prefix is kept; the account is the Redis Cluster hash tag, so the script's keys live
    // in the account's slot.
    assert_eq!(key, format!("{}window:{{hubspot:62515}}", store.prefix));
    let mut raw = store.raw().await;
    let ttl_ms: i64 = raw.pttl(&key).await.expect("PTTL");
    let window = limit.window().as_millis() as i64;
    assert!(ttl_ms > 0 && ttl_ms <= window + 1, "TTL {ttl_ms} ms");
    // One member per admitted call, scored by its time in microseconds.
    let calls: Vec<(String, f64)> = raw.zrange_withscores(&key, 0, -1).await.expect("ZRANGE");
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls.iter().all(|(_, at)| *at > 1e15), "{calls:?}");
}

/// A log keeps about `max_events` (Redis trims whole nodes at a time, so a little more) and says
/// that it dropped the older ones.
#[tokio::test]
async fn an_event_log_past_its_retention_drops_the_oldest_and_says_so() {
    use integration_core::{EventKind, EventLog as _, ProviderEvent};
    let prefix = random_prefix();
    let config = RedisStoreConfig::new(redis_url())
        .with_key_prefix(prefix.clone())
        .with_event_retention(token_store::EventRetention {
            max_events: 50,
            ..token_store::EventRetention::default()
        });
    let fixture = Fixture {
        store: RedisTokenStore::new(config, cipher_with(1, &Key::generate())).expect("store"),
        prefix,
    };
    let event = |n: usize| ProviderEvent {
        kind: EventKind::Upsert,
        object_type: "contacts".into(),
        id: n.to_string(),
        occurred_at: chrono::Utc::now(),
        property: None,
        merged_ids: Vec::new(),
        associated: None,
    };
    for chunk in (0..1_000).collect::<Vec<_>>().chunks(100) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&n| (format!("id-{n}"), event(n)))
            .collect();
        fixture
            .store
            .append("hubspot", "9", &batch)
            .await
            .expect("append");
    }
    let kept = fixture
        .store
        .read("hubspot", "9", None, 2_000)
        .await
        .expect("read");
    assert!(
        kept.len() < 1_000 && kept.len() >= 50,
        "kept {}",
        kept.len()
    );
    assert_eq!(kept.last().map(|e| e.event.id.as_str()), Some("999"));
    let oldest = fixture
        .store
        .dropped_before("hubspot", "9")
        .await
        .expect("dropped_before")
        .expect("events were dropped");
    assert_eq!(
        oldest, kept[0].offset,
        "the oldest kept is where the loss ends"
    );
}
