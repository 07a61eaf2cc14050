//! Credentials and refresh locks: the [`CredentialStore`] half. Apart from the OAuth flow and
//! the rate budgets because these keys outlive both: a grant stays until it is replaced or
//! revoked, and a stolen copy of the database must not yield it (every value is an envelope
//! sealed to its own key).

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis;
use integration_core::{CredentialStore, Credentials, LockToken, StoreError, UserId};

use super::RedisTokenStore;
use crate::{new_lock_token, plain, ttl_millis};

#[async_trait]
impl CredentialStore for RedisTokenStore {
    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn load(&self, provider: &str, user: &UserId) -> Result<Option<Credentials>, StoreError> {
        let key = self.credentials_redis_key(provider, user);
        let envelope: Option<Vec<u8>> = self
            .query("GET", redis::cmd("GET").arg(&key).clone())
            .await?;
        let Some(envelope) = envelope else {
            return Ok(None);
        };
        let plaintext = self.inner.cipher.decrypt(&envelope, key.as_bytes())?;
        plain::decode(&plaintext).map(Some)
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn save(
        &self,
        provider: &str,
        user: &UserId,
        credentials: &Credentials,
    ) -> Result<(), StoreError> {
        let key = self.credentials_redis_key(provider, user);
        let envelope = {
            let plaintext = plain::encode(credentials)?;
            self.inner.cipher.encrypt(&plaintext, key.as_bytes())?
        };
        let reauth = self.reauth_key(provider, user);
        // No TTL: refresh tokens outlive any access token by far. A new grant clears the
        // "needs reconnect" mark in the same transaction.
        self.with_connection("SET", |mut connection| async move {
            redis::pipe()
                .atomic()
                .set(&key, envelope)
                .ignore()
                .del(&reauth)
                .ignore()
                .query_async::<()>(&mut connection)
                .await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn delete(&self, provider: &str, user: &UserId) -> Result<bool, StoreError> {
        let key = self.credentials_redis_key(provider, user);
        let reauth = self.reauth_key(provider, user);
        let (removed, _): (u64, u64) = self
            .with_connection("DEL", |mut connection| async move {
                redis::pipe()
                    .atomic()
                    .del(&key)
                    .del(&reauth)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(removed > 0)
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn mark_reauth_required(&self, provider: &str, user: &UserId) -> Result<(), StoreError> {
        let key = self.credentials_redis_key(provider, user);
        let reauth = self.reauth_key(provider, user);
        self.with_connection("DEL+SET", |mut connection| async move {
            redis::pipe()
                .atomic()
                .del(&key)
                .ignore()
                // Remembered for 30 days: long enough for a user to come back and see why.
                .set_ex(&reauth, 1, 30 * 24 * 3600)
                .ignore()
                .query_async::<()>(&mut connection)
                .await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn reauth_required(&self, provider: &str, user: &UserId) -> Result<bool, StoreError> {
        let reauth = self.reauth_key(provider, user);
        self.query("EXISTS", redis::cmd("EXISTS").arg(&reauth).clone())
            .await
    }

    #[tracing::instrument(skip_all, fields(lock = name, ttl_ms = ttl_millis(ttl)))]
    async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, StoreError> {
        let token = new_lock_token();
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.lock_key(name))
            .arg(&token.0)
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(ttl));
        // `SET NX` answers OK when it set the key and nil when the key exists.
        let set: Option<String> = self.query("SET NX", cmd).await?;
        Ok(set.map(|_| token))
    }

    #[tracing::instrument(skip_all, fields(lock = name))]
    async fn unlock(&self, name: &str, token: &LockToken) -> Result<(), StoreError> {
        let key = self.lock_key(name);
        let released: u64 = self
            .with_connection("unlock", |mut connection| async move {
                self.inner
                    .unlock
                    .key(&key)
                    .arg(&token.0)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        if released == 0 {
            tracing::debug!("lock was no longer ours (expired or taken over)");
        }
        Ok(())
    }
}

#[cfg(feature = "conformance")]
#[async_trait]
impl crate::conformance::RawCredentials for RedisTokenStore {
    async fn put_raw_credentials(&self, provider: &str, user: &UserId, bytes: &[u8]) {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.credentials_redis_key(provider, user))
            .arg(bytes);
        self.query::<()>("SET", cmd).await.expect("raw SET");
    }

    async fn put_credentials_plaintext(&self, provider: &str, user: &UserId, plaintext: &[u8]) {
        let key = self.credentials_redis_key(provider, user);
        let envelope = self
            .inner
            .cipher
            .encrypt(plaintext, key.as_bytes())
            .expect("encrypt");
        self.put_raw_credentials(provider, user, &envelope).await;
    }
}
