//! Pending OAuth authorizations: the [`StateStore`] half. Apart from credentials because their
//! life is different (minutes, taken exactly once, capped per user) and because their keys share
//! one cluster slot on purpose, which credentials must not (see
//! [`RedisTokenStore::state_redis_key`]).

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis;
use integration_core::{OAuthState, StoreError};
use zeroize::Zeroizing;

use super::RedisTokenStore;
use crate::{PendingAuthorization, StateStore, ttl_millis};

#[async_trait]
impl StateStore for RedisTokenStore {
    /// Encrypted like credentials (it holds the PKCE verifier), with the Redis key as associated
    /// data.
    #[tracing::instrument(skip_all, fields(provider = %pending.provider, user = %pending.user_id, ttl_ms = ttl_millis(ttl)))]
    async fn put_state(
        &self,
        state: &OAuthState,
        pending: &PendingAuthorization,
        ttl: Duration,
        max_per_user: usize,
    ) -> Result<(), StoreError> {
        let plain =
            Zeroizing::new(serde_json::to_vec(pending).map_err(|_| {
                StoreError::Corrupt("pending authorization not serialisable".into())
            })?);
        let key = self.state_redis_key(state);
        let value = self.inner.cipher.encrypt(&plain, key.as_bytes())?;
        let index = self.pending_index_redis_key(&pending.user_id);
        let key_prefix = self.state_key_prefix();
        let dropped: u64 = self
            .with_connection("put state", |mut connection| async move {
                self.inner
                    .put_state
                    .key(&key)
                    .key(&index)
                    .arg(value)
                    .arg(ttl_millis(ttl))
                    .arg(max_per_user.max(1))
                    .arg(state.as_str())
                    .arg(&key_prefix)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        if dropped > 0 {
            tracing::info!(
                dropped,
                "too many pending authorizations; dropped the oldest"
            );
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn peek_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        let key = self.state_redis_key(state);
        let value: Option<Vec<u8>> = self
            .query("GET", redis::cmd("GET").arg(&key).clone())
            .await?;
        value
            .map(|envelope| self.decode_pending(&key, &envelope))
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn take_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        // GETDEL (Redis 6.2+) reads and deletes in one step: a state is usable exactly once even
        // if the callback is hit twice at the same moment. Its member in the user's index goes
        // at the user's next `put_state`, which forgets members whose key is gone.
        let key = self.state_redis_key(state);
        let value: Option<Vec<u8>> = self
            .query("GETDEL", redis::cmd("GETDEL").arg(&key).clone())
            .await?;
        value
            .map(|envelope| self.decode_pending(&key, &envelope))
            .transpose()
    }
}

impl RedisTokenStore {
    fn decode_pending(
        &self,
        key: &str,
        envelope: &[u8],
    ) -> Result<PendingAuthorization, StoreError> {
        let plain = self.inner.cipher.decrypt(envelope, key.as_bytes())?;
        serde_json::from_slice(&plain)
            .map_err(|_| StoreError::Corrupt("stored pending authorization is malformed".into()))
    }
}
