//! What the machinery needs from storage. The `token-store` crate implements it on Redis and in
//! memory; it is declared here so that core does not depend on any storage technology.

use std::time::Duration;

use async_trait::async_trait;

use crate::{Credentials, StateStore, StoreError, UserId};

/// The storage key of one user's credentials at one provider, before any deployment prefix:
/// `{provider}:{user_id}` (e.g. `hubspot:test_user`). User ids cannot contain `:`.
pub fn credentials_key(provider: &str, user: &UserId) -> String {
    format!("{provider}:{user}")
}

/// Proof of holding a lock, needed to release it (compare-and-delete: a lock that expired and was
/// taken by someone else is not released by the previous holder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken(pub String);

/// Durable, shared storage of credentials, plus the short-lived locks that make a refresh happen
/// once across every process sharing the store, and the pending authorizations of the OAuth flow
/// ([`StateStore`]).
#[async_trait]
pub trait CredentialStore: StateStore {
    /// The user's credentials at `provider`, if connected.
    async fn load(&self, provider: &str, user: &UserId) -> Result<Option<Credentials>, StoreError>;

    /// Stores (replaces) the user's credentials at `provider`.
    async fn save(
        &self,
        provider: &str,
        user: &UserId,
        credentials: &Credentials,
    ) -> Result<(), StoreError>;

    /// Removes the user's credentials at `provider`; `true` if there were any.
    async fn delete(&self, provider: &str, user: &UserId) -> Result<bool, StoreError>;

    /// Removes the user's credentials because the provider rejected the grant for good, and
    /// remembers that until the next [`save`](Self::save) or [`delete`](Self::delete), so a
    /// listing can say "needs reconnect" rather than "not connected". Stores that cannot
    /// remember it just delete.
    async fn mark_reauth_required(&self, provider: &str, user: &UserId) -> Result<(), StoreError> {
        self.delete(provider, user).await.map(|_| ())
    }

    /// Whether the user's last grant at `provider` was rejected and they have not reconnected.
    async fn reauth_required(&self, _provider: &str, _user: &UserId) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// The users whose stored credentials at `provider` are for `account` (the credentials'
    /// `account_id`), in no particular order: where a provider's event for that account goes.
    /// Kept current by [`save`](Self::save), [`delete`](Self::delete) and
    /// [`mark_reauth_required`](Self::mark_reauth_required).
    async fn connected_users(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Vec<UserId>, StoreError>;

    /// Takes the named lock for at most `ttl` if nobody holds it (`SET NX PX`).
    async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, StoreError>;

    /// Releases the named lock if `token` still holds it.
    async fn unlock(&self, name: &str, token: &LockToken) -> Result<(), StoreError>;

    /// A cached value that is not a secret (a provider account's discovered object types and
    /// fields), if present and younger than the `ttl` it was put with. Default: a store that
    /// caches nothing.
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let _ = key;
        Ok(None)
    }

    /// Caches `value` under `key` for `ttl`.
    async fn cache_put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let _ = (key, value, ttl);
        Ok(())
    }

    /// Forgets the cached value under `key`, if any.
    async fn cache_delete(&self, key: &str) -> Result<(), StoreError> {
        let _ = key;
        Ok(())
    }
}
