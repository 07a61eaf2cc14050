#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(feature = "conformance")]
pub mod budget_conformance;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod crypto;
mod event_log;
#[cfg(feature = "conformance")]
pub mod local_cluster;
mod memory;
mod plain;
mod redis_store;

use std::time::Duration;

use async_trait::async_trait;
use integration_core::{CredentialStore, StoreError};

pub use integration_core::{PendingAuthorization, StateStore};

pub use crypto::{Cipher, Key, KeyError, KeyId};
pub use event_log::EventRetention;
pub use memory::MemoryTokenStore;
pub use redis_store::{Persistence, RedisStoreConfig, RedisTokenStore};

/// A [`CredentialStore`] (credentials, locks and pending OAuth authorizations) that can also say
/// whether it is reachable. Implemented by [`RedisTokenStore`] and [`MemoryTokenStore`]; usable as
/// `Arc<dyn TokenStore>`, which coerces to an `Arc<dyn CredentialStore>` of the same object
/// (`let c: Arc<dyn CredentialStore> = token_store;`) for callers that need only that half.
#[async_trait]
pub trait TokenStore: CredentialStore + integration_core::EventLog {
    /// `Ok` if the store is reachable now (for readiness checks).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Clamps a TTL to whole milliseconds, at least one (Redis refuses `PX 0`).
fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A random 128-bit lock token as hex.
fn new_lock_token() -> integration_core::LockToken {
    integration_core::LockToken(hex::encode(rand::random::<[u8; 16]>()))
}
