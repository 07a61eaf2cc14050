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
        let linked = self.account_link_key(provider, user);
        let account = credentials.account_id.clone();
        // No TTL: refresh tokens outlive any access token by far. A new grant clears the
        // "needs reconnect" mark in the same transaction, and records the account it is for
        // (answering the account it was for before, to move the user between indexes).
        let previous: Option<String> = self
            .with_connection("SET", |mut connection| async move {
                let mut pipe = redis::pipe();
                pipe.atomic()
                    .set(&key, envelope)
                    .ignore()
                    .del(&reauth)
                    .ignore();
                match &account {
                    Some(account) => pipe.cmd("SET").arg(&linked).arg(account).arg("GET"),
                    None => pipe.cmd("GETDEL").arg(&linked),
                };
                let (previous,): (Option<String>,) = pipe.query_async(&mut connection).await?;
                Ok(previous)
            })
            .await?;
        self.relink(provider, user, previous, credentials.account_id.as_deref())
            .await
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn delete(&self, provider: &str, user: &UserId) -> Result<bool, StoreError> {
        let key = self.credentials_redis_key(provider, user);
        let reauth = self.reauth_key(provider, user);
        let linked = self.account_link_key(provider, user);
        let (removed, _, previous): (u64, u64, Option<String>) = self
            .with_connection("DEL", |mut connection| async move {
                redis::pipe()
                    .atomic()
                    .del(&key)
                    .del(&reauth)
                    .cmd("GETDEL")
                    .arg(&linked)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        self.relink(provider, user, previous, None).await?;
        Ok(removed > 0)
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn mark_reauth_required(&self, provider: &str, user: &UserId) -> Result<(), StoreError> {
        let key = self.credentials_redis_key(provider, user);
        let reauth = self.reauth_key(provider, user);
        let linked = self.account_link_key(provider, user);
        let (previous,): (Option<String>,) = self
            .with_connection("DEL+SET", |mut connection| async move {
                redis::pipe()
                    .atomic()
                    .del(&key)
                    .ignore()
                    // Remembered for 30 days: long enough for a user to come back and see why.
                    .set_ex(&reauth, 1, 30 * 24 * 3600)
                    .ignore()
                    .cmd("GETDEL")
                    .arg(&linked)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        self.relink(provider, user, previous, None).await
    }

    #[tracing::instrument(skip_all, fields(provider = provider, user = %user))]
    async fn reauth_required(&self, provider: &str, user: &UserId) -> Result<bool, StoreError> {
        let reauth = self.reauth_key(provider, user);
        self.query("EXISTS", redis::cmd("EXISTS").arg(&reauth).clone())
            .await
    }

    #[tracing::instrument(skip_all, fields(provider = provider))]
    async fn connected_users(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Vec<UserId>, StoreError> {
        let users: Vec<String> = self
            .query(
                "SMEMBERS",
                redis::cmd("SMEMBERS")
                    .arg(self.account_users_key(provider, account))
                    .clone(),
            )
            .await?;
        Ok(users
            .into_iter()
            .filter_map(|user| UserId::parse(user).ok())
            .collect())
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

    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.cache_key(key));
        self.query("GET", cmd).await
    }

    async fn cache_put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.cache_key(key))
            .arg(value)
            .arg("PX")
            .arg(ttl_millis(ttl));
        let _: Option<String> = self.query("SET", cmd).await?;
        Ok(())
    }

    async fn cache_delete(&self, key: &str) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.cache_key(key));
        let _: u64 = self.query("DEL", cmd).await?;
        Ok(())
    }
}

impl RedisTokenStore {
    /// Moves `user` from the index of the account their credentials were for to the one they
    /// are for now. Not in the credentials' transaction: in a cluster the indexes live in their
    /// accounts' slots. A crash between the two leaves the user in an index with no credentials
    /// for it (harmless: events are kept for an account one user too many), never the reverse:
    /// the new account's index is written before the old one is left.
    async fn relink(
        &self,
        provider: &str,
        user: &UserId,
        previous: Option<String>,
        current: Option<&str>,
    ) -> Result<(), StoreError> {
        if let Some(account) = current {
            let add = redis::cmd("SADD")
                .arg(self.account_users_key(provider, account))
                .arg(user.as_str())
                .clone();
            self.query::<u64>("SADD", add).await?;
        }
        if let Some(previous) = previous.filter(|p| Some(p.as_str()) != current) {
            let remove = redis::cmd("SREM")
                .arg(self.account_users_key(provider, &previous))
                .arg(user.as_str())
                .clone();
            self.query::<u64>("SREM", remove).await?;
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
