//! The production [`TokenStore`]: Redis through a `deadpool-redis` pool, credentials encrypted.
//!
//! Every operation (waiting for a pooled connection, connecting, recycling, and the command
//! itself) is bounded by one timeout, so a dead or hung Redis yields
//! [`StoreError::Unavailable`] promptly instead of a stuck request. The pool connects lazily:
//! building the store never needs Redis to be up, and the store recovers by itself once Redis
//! is back.
//!
//! This file holds the type, its configuration and its key layout, kept together because every
//! key's hash tag is a decision about which keys may meet in one Redis Cluster slot. Reaching
//! Redis, the Lua scripts, the persistence probe and each trait the store implements live in
//! their own submodules, so each guarantee has one place to be read and changed.

mod budget;
mod connection;
mod credentials;
mod durability;
mod events;
mod oauth;
mod scripts;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis;
use integration_core::{OAuthState, StoreError, UserId, credentials_key};

use crate::{Cipher, EventRetention, TokenStore};
use connection::Pools;
use scripts::{APPEND_EVENTS_SCRIPT, BUDGET_SCRIPT, HOLD_SCRIPT, PUT_STATE_SCRIPT, UNLOCK_SCRIPT};

pub use durability::Persistence;

/// How to reach Redis.
#[derive(Clone)]
pub struct RedisStoreConfig {
    /// `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. May hold a password,
    /// so it is never logged or shown in errors or `Debug`. A comma-separated list of node URLs
    /// (`redis://10.0.0.1:7000,redis://10.0.0.2:7000,…`) is a Redis Cluster: every key and
    /// script of this store stays within one hash slot.
    ///
    /// With `rediss://` the server's certificate must be valid for the host in the URL and chain
    /// to a trusted root: the public (Mozilla/webpki) roots compiled in, or [`ca_cert_pem`]
    /// if set.
    ///
    /// [`ca_cert_pem`]: Self::ca_cert_pem
    pub url: String,
    /// A PEM file of CA certificates to trust for `rediss://` **instead of** the public roots:
    /// for a self-hosted Redis whose certificate comes from your own CA. Read once, when the store
    /// is built. Requires a `rediss://` URL. Default: none (public roots).
    pub ca_cert_pem: Option<PathBuf>,
    /// Prepended to every key (`"vs:"`; a random prefix per test). Default: none.
    pub key_prefix: String,
    /// Most connections the pool opens. Default: 16.
    pub pool_size: usize,
    /// Bound on every operation, including getting a connection. Default: 2 s.
    pub timeout: Duration,
    /// How much of each account's provider events is kept. Default: [`EventRetention::default`].
    pub event_retention: EventRetention,
    /// Replicas that must acknowledge an event batch (`WAIT`) before `append` succeeds, so a
    /// failover to a replica cannot lose events a provider was told were received. Default 0:
    /// the primary's word. Not available with a Redis Cluster URL (`WAIT` is per connection).
    pub event_replicas: usize,
}

impl RedisStoreConfig {
    /// Defaults for everything but the URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// With `key_prefix` set.
    pub fn with_key_prefix(mut self, key_prefix: impl Into<String>) -> Self {
        self.key_prefix = key_prefix.into();
        self
    }

    /// With [`ca_cert_pem`](Self::ca_cert_pem) set.
    pub fn with_ca_cert_pem(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert_pem = Some(path.into());
        self
    }

    /// With `event_retention` set.
    pub fn with_event_retention(mut self, retention: EventRetention) -> Self {
        self.event_retention = retention;
        self
    }

    /// With [`event_replicas`](Self::event_replicas) set.
    pub fn with_event_replicas(mut self, replicas: usize) -> Self {
        self.event_replicas = replicas;
        self
    }

    /// With `timeout` set.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Default for RedisStoreConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".into(),
            ca_cert_pem: None,
            key_prefix: String::new(),
            pool_size: 16,
            timeout: Duration::from_secs(2),
            event_retention: EventRetention::default(),
            event_replicas: 0,
        }
    }
}

impl fmt::Debug for RedisStoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreConfig")
            .field("url", &"[redacted]")
            .field("ca_cert_pem", &self.ca_cert_pem)
            .field("key_prefix", &self.key_prefix)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("event_retention", &self.event_retention)
            .field("event_replicas", &self.event_replicas)
            .finish()
    }
}

struct Inner {
    pool: Pools,
    cipher: Cipher,
    prefix: String,
    timeout: Duration,
    unlock: redis::Script,
    budget: redis::Script,
    hold: redis::Script,
    put_state: redis::Script,
    append_events: redis::Script,
    event_retention: EventRetention,
    event_replicas: usize,
}

/// A [`TokenStore`] on Redis. Cheap to clone; clones share the pool.
///
/// Keys (after the configured prefix `P`): `hubspot:{user_id}` for credentials (encrypted, no
/// TTL), `oauth_state:{Poauth}:{state}` for pending authorizations (encrypted JSON, with TTL) and
/// `oauth_pending:{Poauth}:{user_id}` for each user's index of them, `lock:{name}` for locks,
/// `window:{{provider}:{account}}` and `window:{{provider}:{account}}:hold` for rate budgets (see
/// [`budget_redis_key`]).
///
/// [`budget_redis_key`]: Self::budget_redis_key
#[derive(Clone)]
pub struct RedisTokenStore {
    inner: Arc<Inner>,
}

impl RedisTokenStore {
    /// Builds the store without connecting; the first operation connects. Fails only if the
    /// URL is malformed (the error does not repeat it), or if [`RedisStoreConfig::ca_cert_pem`]
    /// is set but unreadable, holds no certificate, or comes with a non-TLS URL.
    pub fn new(config: RedisStoreConfig, cipher: Cipher) -> Result<Self, StoreError> {
        let timeout = config.timeout;
        if config.key_prefix.contains(['{', '}']) {
            // Braces would become a cluster hash tag and change which keys share a slot.
            return Err(StoreError::Unavailable(
                "the Redis key prefix may not contain '{' or '}'".into(),
            ));
        }
        if config.event_replicas > 0 && config.url.contains(',') {
            return Err(StoreError::Unavailable(
                "waiting for replicas is not available with a Redis Cluster URL".into(),
            ));
        }
        let pool = Pools::new(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                cipher,
                prefix: config.key_prefix,
                timeout,
                unlock: redis::Script::new(UNLOCK_SCRIPT),
                budget: redis::Script::new(BUDGET_SCRIPT),
                hold: redis::Script::new(HOLD_SCRIPT),
                put_state: redis::Script::new(PUT_STATE_SCRIPT),
                append_events: redis::Script::new(APPEND_EVENTS_SCRIPT),
                event_retention: config.event_retention,
                event_replicas: config.event_replicas,
            }),
        })
    }

    /// The configured key prefix.
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The full Redis key of a user's credentials (also the associated data of their envelope).
    pub fn credentials_redis_key(&self, provider: &str, user: &UserId) -> String {
        format!("{}{}", self.inner.prefix, credentials_key(provider, user))
    }

    /// `{prefix}reauth:{{credentials key}}`: the hash tag is the whole credentials key, so in a
    /// cluster both live in one slot and the transactions that touch both stay possible.
    fn reauth_key(&self, provider: &str, user: &UserId) -> String {
        format!(
            "{}reauth:{{{}}}",
            self.inner.prefix,
            self.credentials_redis_key(provider, user)
        )
    }

    /// `{prefix}oauth_state:{{prefix}oauth}:`, followed by the state. The hash tag is the same
    /// for every pending authorization (and every user's index of them): a callback knows only
    /// the state, yet capping a user's pending flows must touch the state keys and the user's
    /// index in one atomic script, which a Redis Cluster allows only within one slot. Pending
    /// flows are few, small and short-lived (at most `pending_per_user` per user, minutes), so
    /// one slot holds them easily; credentials and budgets still spread over the cluster.
    fn state_key_prefix(&self) -> String {
        let prefix = &self.inner.prefix;
        format!("{prefix}oauth_state:{{{prefix}oauth}}:")
    }

    /// The full Redis key of a pending authorization (also the associated data of its
    /// envelope).
    pub fn state_redis_key(&self, state: &OAuthState) -> String {
        format!("{}{}", self.state_key_prefix(), state.as_str())
    }

    /// The sorted set of `user`'s pending states, in the same slot as the states.
    pub fn pending_index_redis_key(&self, user: &UserId) -> String {
        let prefix = &self.inner.prefix;
        format!("{prefix}oauth_pending:{{{prefix}oauth}}:{user}")
    }

    /// `{prefix}account:{{credentials key}}`: the account id the user's credentials are for, in
    /// their slot, so a save or delete reads and replaces it in the same transaction.
    fn account_link_key(&self, provider: &str, user: &UserId) -> String {
        format!(
            "{}account:{{{}}}",
            self.inner.prefix,
            self.credentials_redis_key(provider, user)
        )
    }

    /// `{prefix}users:{{provider:account}}`: the set of users connected to an account, in the
    /// account's slot with its event log, so intake asks one node.
    pub fn account_users_key(&self, provider: &str, account: &str) -> String {
        format!("{}users:{{{provider}:{account}}}", self.inner.prefix)
    }

    /// `{prefix}events:{{provider:account}}`: the account's event log, a Redis Stream; its
    /// remembered identities are the sorted set at the same key with `:seen`.
    pub fn events_redis_key(&self, provider: &str, account: &str) -> String {
        format!("{}events:{{{provider}:{account}}}", self.inner.prefix)
    }

    fn lock_key(&self, name: &str) -> String {
        format!("{}lock:{name}", self.inner.prefix)
    }

    /// The full Redis key of a cached value: `{prefix}cache:{key}` (not secret, not encrypted).
    fn cache_key(&self, key: &str) -> String {
        format!("{}cache:{key}", self.inner.prefix)
    }

    /// The full Redis key of a rate budget's window: `{prefix}window:{{key}}`, e.g.
    /// `vs:window:{hubspot:62515}` (its hold: the same with `:hold`). The braces are a Redis
    /// Cluster hash tag: the slot is chosen by the account alone, so budgets of different accounts
    /// spread over the cluster while a budget's two keys share one. (`window:`, not the `budget:`
    /// of the earlier single-value budgets, so a rolling upgrade never reads one as the other.)
    pub fn budget_redis_key(&self, key: &str) -> String {
        format!("{}window:{{{key}}}", self.inner.prefix)
    }
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.pool.status();
        f.debug_struct("RedisTokenStore")
            .field("key_prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .field("pool_size", &status.size)
            .field("pool_max_size", &status.max_size)
            .field("cipher", &self.inner.cipher)
            .finish()
    }
}

#[async_trait]
impl TokenStore for RedisTokenStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = self.query("PING", redis::cmd("PING")).await?;
        Ok(())
    }
}
