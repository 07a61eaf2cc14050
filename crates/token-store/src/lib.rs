#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod crypto;
mod memory;
mod plain;
mod redis_store;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use integration_core::{CredentialStore, OAuthState, StoreError, UserId};
use serde::{Deserialize, Serialize};

pub use crypto::{Cipher, Key, KeyError, KeyId};
pub use memory::MemoryTokenStore;
pub use redis_store::{Persistence, RedisStoreConfig, RedisTokenStore};

/// What the server remembers between sending a user to the consent page and the provider sending
/// them back: who started the flow, for which provider, and where to return afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// The user who started the flow; the callback connects this user, whoever calls it.
    pub user_id: UserId,
    /// The provider being connected (`"hubspot"`).
    pub provider: String,
    /// Where to send the browser afterwards, if the caller asked (validated by the server).
    pub return_to: Option<String>,
    /// When the flow started.
    pub created_at: DateTime<Utc>,
}

/// A [`CredentialStore`] that also keeps pending OAuth authorizations, and can say whether it is
/// reachable. Implemented by [`RedisTokenStore`] and [`MemoryTokenStore`]; usable as
/// `Arc<dyn TokenStore>`.
#[async_trait]
pub trait TokenStore: CredentialStore + AsCredentialStore {
    /// Remembers `pending` under `state` for at most `ttl`. Replaces any earlier value.
    async fn put_state(
        &self,
        state: &OAuthState,
        pending: &PendingAuthorization,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Returns and forgets what was stored under `state`, atomically: of two concurrent calls at
    /// most one gets `Some`. `None` if the state is unknown, was taken already, or expired.
    async fn take_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError>;

    /// `Ok` if the store is reachable now (for readiness checks).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Turns an `Arc` of a store into an `Arc<dyn CredentialStore>` of the same object, for callers
/// (such as `integration_core::Connector`) that need only the credential half. Implemented for
/// every sized [`CredentialStore`]; with Rust 1.86 or newer a plain coercion
/// (`let c: Arc<dyn CredentialStore> = token_store;`) works too.
pub trait AsCredentialStore {
    /// The same object, seen as a [`CredentialStore`].
    fn as_credential_store(self: Arc<Self>) -> Arc<dyn CredentialStore>;
}

impl<T: CredentialStore + 'static> AsCredentialStore for T {
    fn as_credential_store(self: Arc<Self>) -> Arc<dyn CredentialStore> {
        self
    }
}

/// Clamps a TTL to whole milliseconds, at least one (Redis refuses `PX 0`).
fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A random 128-bit lock token as hex.
fn new_lock_token() -> integration_core::LockToken {
    integration_core::LockToken(hex::encode(rand::random::<[u8; 16]>()))
}
