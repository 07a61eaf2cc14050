//! Refresh locks: exclusive until released by their holder, expiring, independent by name.

use super::*;

/// While a lock is held nobody else gets it; after `unlock` the next caller does.
pub async fn lock_is_exclusive_until_released(store: &dyn TokenStore) {
    let first = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("a free lock is granted");
    assert!(
        store
            .try_lock("refresh:hubspot:alice", LONG_TTL)
            .await
            .expect("lock")
            .is_none()
    );
    store
        .unlock("refresh:hubspot:alice", &first)
        .await
        .expect("unlock");
    let second = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("a released lock is granted again");
    assert_ne!(first, second, "lock tokens are unique");
    assert_eq!(second.0.len(), 32, "128-bit hex token");
    store
        .unlock("refresh:hubspot:alice", &second)
        .await
        .expect("unlock");
}

/// `unlock` with a token that does not hold the lock leaves it held.
pub async fn unlock_with_a_wrong_token_does_not_release(store: &dyn TokenStore) {
    let held = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("granted");
    store
        .unlock(
            "refresh:hubspot:alice",
            &LockToken("00000000000000000000000000000000".into()),
        )
        .await
        .expect("unlock with a wrong token is not an error");
    assert!(
        store
            .try_lock("refresh:hubspot:alice", LONG_TTL)
            .await
            .expect("lock")
            .is_none()
    );
    store
        .unlock("refresh:hubspot:alice", &held)
        .await
        .expect("unlock");
}

/// A lock whose holder never releases it frees itself after its TTL, and the stale holder's
/// late `unlock` does not release the new holder's lock.
pub async fn lock_expires_after_its_ttl(store: &dyn TokenStore) {
    let stale = store
        .try_lock("refresh:hubspot:alice", SHORT_TTL)
        .await
        .expect("lock")
        .expect("granted");
    tokio::time::sleep(PAST_SHORT_TTL).await;
    let fresh = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("an expired lock is granted again");
    store
        .unlock("refresh:hubspot:alice", &stale)
        .await
        .expect("unlock");
    assert!(
        store
            .try_lock("refresh:hubspot:alice", LONG_TTL)
            .await
            .expect("lock")
            .is_none(),
        "the stale holder released the new holder's lock"
    );
    store
        .unlock("refresh:hubspot:alice", &fresh)
        .await
        .expect("unlock");
}

/// Locks with different names do not exclude each other.
pub async fn locks_are_independent_by_name(store: &dyn TokenStore) {
    let a = store.try_lock("a", LONG_TTL).await.expect("lock");
    let b = store.try_lock("b", LONG_TTL).await.expect("lock");
    let (a, b) = (a.expect("a granted"), b.expect("b granted"));
    store.unlock("a", &a).await.expect("unlock");
    store.unlock("b", &b).await.expect("unlock");
}

/// Write access below a store's encoding, so that the conformance suite can put there what a bit
/// flip, a forgotten key, an older format or a foreign writer would leave. Implemented (with the
/// `conformance` feature) by [`RedisTokenStore`](crate::RedisTokenStore) and
/// [`MemoryTokenStore`](crate::MemoryTokenStore); another store implements it to run the suite.
#[async_trait]
pub trait RawCredentials {
    /// Stores `bytes` as `user`'s credentials at `provider` exactly as given: in place of the
    /// encrypted envelope (Redis) or of the encoded value (memory). Panics if it cannot.
    async fn put_raw_credentials(&self, provider: &str, user: &UserId, bytes: &[u8]);

    /// Stores `plaintext` as if it were encoded credentials, sealed the way the store seals real
    /// ones (encrypted under the current key for this very key, in Redis), so that it opens but
    /// does not decode. Panics if it cannot.
    async fn put_credentials_plaintext(&self, provider: &str, user: &UserId, plaintext: &[u8]);
}

/// A cached value reads back until its TTL passes or it is deleted; keys are independent.
pub async fn a_cached_value_reads_back_until_it_expires_or_is_deleted(store: &dyn TokenStore) {
    let (key, other) = ("discovery:hubspot:1:types", "discovery:hubspot:2:types");
    assert_eq!(store.cache_get(key).await.expect("get"), None);
    store.cache_put(key, b"[1]", LONG_TTL).await.expect("put");
    store
        .cache_put(other, b"[2]", SHORT_TTL)
        .await
        .expect("put");
    assert_eq!(
        store.cache_get(key).await.expect("get").as_deref(),
        Some(&b"[1]"[..])
    );
    assert_eq!(
        store.cache_get(other).await.expect("get").as_deref(),
        Some(&b"[2]"[..])
    );
    store
        .cache_put(key, b"[3]", LONG_TTL)
        .await
        .expect("put again");
    assert_eq!(
        store.cache_get(key).await.expect("get").as_deref(),
        Some(&b"[3]"[..])
    );
    tokio::time::sleep(PAST_SHORT_TTL).await;
    assert_eq!(store.cache_get(other).await.expect("get"), None, "expired");
    store.cache_delete(key).await.expect("delete");
    assert_eq!(store.cache_get(key).await.expect("get"), None, "deleted");
    store
        .cache_delete(key)
        .await
        .expect("deleting nothing is fine");
}
