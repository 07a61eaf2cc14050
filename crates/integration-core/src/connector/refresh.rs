//! Keeping a user's access token fresh: refresh before expiry, at most once across every task
//! and process sharing the store (an async lock per user in-process, a store lock across
//! processes, and a re-read of the store by every waiter), within the lock's lifetime.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use chrono::Utc;
use secrecy::ExposeSecret as _;

use super::{Connector, record};
use crate::{Credentials, Error, UserId, credentials_key};

impl Connector {
    /// The user's credentials, refreshed first if they expire within the skew.
    pub async fn fresh_credentials(&self, user: &UserId) -> Result<Credentials, Error> {
        let Some(credentials) = self.load(user).await? else {
            // A grant dropped because the provider rejected it (or it became unreadable) says
            // "reconnect" on every later call too, not "never connected".
            return Err(if self.needs_reconnect(user).await? {
                Error::ReauthRequired {
                    reason: "the previous connection was rejected or unreadable; reconnect".into(),
                }
            } else {
                Error::NotConnected
            });
        };
        if self.expiring(&credentials) {
            return self.refresh_single_flight(user, &credentials).await;
        }
        Ok(credentials)
    }

    /// Whether `credentials` should be refreshed now. The skew is clamped to half the token's
    /// lifetime: with a skew at least as long as the lifetime, a token would be "expiring" the
    /// moment it is minted and every request would refresh.
    pub(super) fn expiring(&self, credentials: &Credentials) -> bool {
        let skew = chrono::Duration::from_std(self.options.refresh_skew)
            .unwrap_or(chrono::Duration::zero());
        let skew = match credentials.lifetime() {
            Some(lifetime) if lifetime > chrono::Duration::zero() && skew >= lifetime => {
                if !self.skew_clamp_logged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        skew_secs = skew.num_seconds(),
                        lifetime_secs = lifetime.num_seconds(),
                        "TOKEN_REFRESH_SKEW_SECS is not shorter than the provider's token lifetime; using half the lifetime"
                    );
                }
                lifetime / 2
            }
            _ => skew,
        };
        credentials.expires_within(skew, Utc::now())
    }

    /// Replaces `stale` with fresh credentials, making at most one refresh call across every
    /// task and process that shares the store.
    pub(super) async fn refresh_single_flight(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Credentials, Error> {
        if stale.refresh_token.is_none() {
            // Nothing to refresh with: no provider call, no lock.
            return Err(Error::ReauthRequired {
                reason: "the access token expired and the provider issued no refresh token".into(),
            });
        }
        let provider = self.integration.id();
        let key = credentials_key(provider, user);
        let local = self.local_lock(&key);
        let _local_guard = local.lock().await;

        // Whoever held the lock before us may have refreshed already.
        if let Some(current) = self.replaced(user, stale).await? {
            return Ok(current);
        }

        let lock_name = format!("refresh:{key}");
        let deadline = tokio::time::Instant::now() + self.options.lock_wait;
        let token = loop {
            if let Some(token) = self
                .store
                .try_lock(&lock_name, self.options.lock_ttl)
                .await?
            {
                break token;
            }
            // Another process is refreshing: wait for its result rather than refresh again.
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Unavailable(
                    "timed out waiting for another process to refresh the token".into(),
                ));
            }
            tokio::time::sleep(self.options.lock_poll).await;
            if let Some(current) = self.replaced(user, stale).await? {
                return Ok(current);
            }
        };

        let result = self.refresh_holding_lock(user, stale).await;
        if let Err(error) = self.store.unlock(&lock_name, &token).await {
            // The lock expires on its own after `lock_ttl`.
            tracing::warn!(%error, "could not release the refresh lock");
        }
        result
    }

    pub(super) async fn refresh_holding_lock(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Credentials, Error> {
        let provider = self.integration.id();
        // Another process may have finished between our last look and taking the lock.
        if let Some(current) = self.replaced(user, stale).await? {
            return Ok(current);
        }
        tracing::info!("refreshing access token");
        // The refresh (with its retries) must finish while we still hold the lock, or another
        // process could take the expired lock and refresh a second time.
        let budget = self.options.lock_ttl.mul_f64(0.8);
        let refreshed = tokio::time::timeout(
            budget,
            self.options.retry.run("refresh", || async {
                let result = self.integration.refresh(stale).await;
                record(self.integration.id(), "refresh", &result);
                result
            }),
        )
        .await
        .unwrap_or_else(|_| {
            Err(Error::Unavailable(format!(
                "token refresh did not finish within {budget:?}"
            )))
        });
        metrics::counter!(
            "token_refreshes_total",
            "provider" => provider,
            "outcome" => match &refreshed { Ok(_) => "ok", Err(e) => e.kind() }
        )
        .increment(1);
        match refreshed {
            Ok(fresh) => {
                let fresh = fresh.inherit_from(stale);
                self.store.save(provider, user, &fresh).await?;
                Ok(fresh)
            }
            Err(Error::ReauthRequired { reason }) => {
                tracing::warn!(%reason, "provider rejected the refresh token; forgetting the grant");
                self.store.mark_reauth_required(provider, user).await?;
                Err(Error::ReauthRequired { reason })
            }
            Err(error) => Err(error),
        }
    }

    /// The stored credentials if someone already replaced `stale` with usable ones; an error if
    /// the grant disappeared meanwhile.
    pub(super) async fn replaced(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Option<Credentials>, Error> {
        let current = self
            .load(user)
            .await?
            .ok_or_else(|| Error::ReauthRequired {
                reason: "the connection was removed".into(),
            })?;
        let changed = current.access_token.expose_secret() != stale.access_token.expose_secret();
        Ok((changed && !self.expiring(&current)).then_some(current))
    }

    pub(super) fn local_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .local_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= 1024 {
            locks.retain(|_, weak| weak.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_owned(), Arc::downgrade(&lock));
        lock
    }
}
