//! The provider-agnostic half of every integration: one [`Connector`] wraps one
//! [`Integration`] and a [`CredentialStore`] and gives callers "list this user's items" without
//! them ever seeing a token expire.
//!
//! Why it is shaped like this:
//! - Refresh happens *before* expiry (configurable skew). HubSpot documents that a 401 is not a
//!   reliable expiry signal, so the expiry time is the primary trigger and a 401 only a fallback
//!   (refresh once, retry once).
//! - Refresh is single-flight. Concurrent requests for one user would otherwise each spend the
//!   refresh token; within a process an async mutex per user serialises them, across processes a
//!   store lock (`SET NX PX`, compare-and-delete) does, and every waiter re-reads the store before
//!   refreshing, so N requests cause one provider call.
//! - A grant the provider rejects for good is deleted, so the UI shows "reconnect" rather than
//!   failing the same way forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::Utc;
use secrecy::ExposeSecret as _;
use serde::Serialize;
use url::Url;

use crate::{
    AuthorizationCode, CredentialStore, Credentials, Error, Integration, ItemQuery, OAuthState,
    Page, RetryPolicy, UserId, credentials_key,
};

/// Tuning for a [`Connector`].
#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    /// Refresh when the access token expires within this long (default 5 minutes).
    pub refresh_skew: Duration,
    /// Retries of provider calls.
    pub retry: RetryPolicy,
    /// How long a refresh lock is held at most if its holder dies (default 30 s). A refresh,
    /// retries included, is cut off at 80% of this so it never outlives its lock.
    pub lock_ttl: Duration,
    /// How long to wait for another process's refresh before giving up (default 20 s).
    pub lock_wait: Duration,
    /// Pause between looks at the store while another process refreshes (default 50 ms).
    pub lock_poll: Duration,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        Self {
            refresh_skew: Duration::from_secs(5 * 60),
            retry: RetryPolicy::default(),
            lock_ttl: Duration::from_secs(30),
            lock_wait: Duration::from_secs(20),
            lock_poll: Duration::from_millis(50),
        }
    }
}

/// What a caller may know about a connection; no tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionInfo {
    /// The provider's account id.
    pub account_id: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When the current access token expires.
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

/// One provider plus the store of its users' credentials.
#[derive(Debug)]
pub struct Connector {
    integration: Arc<dyn Integration>,
    store: Arc<dyn CredentialStore>,
    options: ConnectorOptions,
    /// Per-user async locks; entries die with their last holder.
    local_locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl Connector {
    /// Wraps `integration` with the default options.
    pub fn new(integration: Arc<dyn Integration>, store: Arc<dyn CredentialStore>) -> Self {
        Self::with_options(integration, store, ConnectorOptions::default())
    }

    /// Wraps `integration` with explicit options.
    pub fn with_options(
        integration: Arc<dyn Integration>,
        store: Arc<dyn CredentialStore>,
        options: ConnectorOptions,
    ) -> Self {
        Self {
            integration,
            store,
            options,
            local_locks: Mutex::new(HashMap::new()),
        }
    }

    /// The wrapped provider.
    pub fn integration(&self) -> &Arc<dyn Integration> {
        &self.integration
    }

    /// The consent page for `state`.
    pub fn authorization_url(&self, state: &OAuthState, redirect_uri: &str) -> Result<Url, Error> {
        self.integration.authorization_url(state, redirect_uri)
    }

    /// Finishes the authorization-code flow: exchanges `code` and stores the credentials for
    /// `user`. The caller must have checked `state` first.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn connect(
        &self,
        user: &UserId,
        code: &AuthorizationCode,
        redirect_uri: &str,
    ) -> Result<ConnectionInfo, Error> {
        // Not retried: a code is single-use, and a retry after a lost response would fail anyway.
        let credentials = self.integration.exchange_code(code, redirect_uri).await?;
        self.store
            .save(self.integration.id(), user, &credentials)
            .await?;
        tracing::info!(account = ?credentials.account_id, "connected");
        Ok(info(&credentials))
    }

    /// The user's connection, if any.
    pub async fn status(&self, user: &UserId) -> Result<Option<ConnectionInfo>, Error> {
        let stored = self.store.load(self.integration.id(), user).await?;
        Ok(stored.as_ref().map(info))
    }

    /// Whether the user's grant was rejected by the provider and they have not reconnected since
    /// (the UI says "needs reconnect" rather than "not connected").
    pub async fn needs_reconnect(&self, user: &UserId) -> Result<bool, Error> {
        Ok(self
            .store
            .reauth_required(self.integration.id(), user)
            .await?)
    }

    /// Revokes the grant at the provider (best effort) and forgets it. `false` if there was none.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn disconnect(&self, user: &UserId) -> Result<bool, Error> {
        let Some(credentials) = self.store.load(self.integration.id(), user).await? else {
            return Ok(false);
        };
        if let Err(error) = self.integration.revoke(&credentials).await {
            // The user asked to disconnect; an unreachable provider must not keep our copy alive.
            tracing::warn!(%error, "revoking at the provider failed; deleting our copy anyway");
        }
        Ok(self.store.delete(self.integration.id(), user).await?)
    }

    /// One page of the user's items, refreshing the access token as needed.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn items(&self, user: &UserId, query: &ItemQuery) -> Result<Page, Error> {
        let credentials = self.fresh_credentials(user).await?;
        let call = |credentials: Credentials| async move {
            let credentials = &credentials;
            self.options
                .retry
                .run("list_items", || {
                    self.integration.list_items(credentials, query)
                })
                .await
        };
        match call(credentials.clone()).await {
            Err(Error::Unauthorized) => {
                tracing::info!("provider rejected the access token; refreshing once");
                let refreshed = self.refresh_single_flight(user, &credentials).await?;
                call(refreshed).await.map_err(|e| match e {
                    Error::Unauthorized => Error::ReauthRequired {
                        reason: "the provider rejects even a freshly refreshed token".into(),
                    },
                    other => other,
                })
            }
            other => other,
        }
    }

    /// The user's credentials, refreshed first if they expire within the skew.
    pub async fn fresh_credentials(&self, user: &UserId) -> Result<Credentials, Error> {
        let credentials = self
            .store
            .load(self.integration.id(), user)
            .await?
            .ok_or(Error::NotConnected)?;
        if self.expiring(&credentials) {
            return self.refresh_single_flight(user, &credentials).await;
        }
        Ok(credentials)
    }

    fn expiring(&self, credentials: &Credentials) -> bool {
        let skew = chrono::Duration::from_std(self.options.refresh_skew)
            .unwrap_or(chrono::Duration::zero());
        credentials.expires_within(skew, Utc::now())
    }

    /// Replaces `stale` with fresh credentials, making at most one refresh call across every
    /// task and process that shares the store.
    async fn refresh_single_flight(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Credentials, Error> {
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

    async fn refresh_holding_lock(
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
            self.options
                .retry
                .run("refresh", || self.integration.refresh(stale)),
        )
        .await
        .unwrap_or_else(|_| {
            Err(Error::Unavailable(format!(
                "token refresh did not finish within {budget:?}"
            )))
        });
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
    async fn replaced(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Option<Credentials>, Error> {
        let current = self
            .store
            .load(self.integration.id(), user)
            .await?
            .ok_or_else(|| Error::ReauthRequired {
                reason: "the connection was removed".into(),
            })?;
        let changed = current.access_token.expose_secret() != stale.access_token.expose_secret();
        Ok((changed && !self.expiring(&current)).then_some(current))
    }

    fn local_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
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

fn info(credentials: &Credentials) -> ConnectionInfo {
    ConnectionInfo {
        account_id: credentials.account_id.clone(),
        scopes: credentials.scopes.clone(),
        expires_at: credentials.expires_at,
    }
}
