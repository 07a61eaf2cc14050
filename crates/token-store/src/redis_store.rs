//! The production [`TokenStore`]: Redis through a `deadpool-redis` pool, credentials encrypted.
//!
//! Every operation (waiting for a pooled connection, connecting, recycling, and the command
//! itself) is bounded by one timeout, so a dead or hung Redis yields
//! [`StoreError::Unavailable`] promptly instead of a stuck request. The pool connects lazily:
//! building the store never needs Redis to be up, and the store recovers by itself once Redis
//! is back.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::{self, FromRedisValue, IntoConnectionInfo as _};
use deadpool_redis::{Manager, Pool, PoolError, Runtime, cluster};
use integration_core::{
    Admission, CredentialStore, Credentials, Limit, LockToken, OAuthState, Priority, RateBudget,
    StoreError, UserId, credentials_key,
};
use zeroize::Zeroizing;

use crate::{
    Cipher, PendingAuthorization, StateStore, TokenStore, new_lock_token, plain, ttl_millis,
};

/// Deletes a lock only if it still holds the caller's token, so a holder whose lock expired and
/// was taken by someone else does not release the new holder's lock.
const UNLOCK_SCRIPT: &str = r#"
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
else
    return 0
end
"#;

/// One GCRA step (`integration_core::budget::gcra`) on one key, atomically: the key holds the
/// theoretical arrival time (TAT) of the next call in microseconds of Redis's own clock (`TIME`,
/// so replicas with skewed clocks agree; Redis 5+ replicates the script's effects, not the
/// script). Returns 0 when the call is admitted (and counted), else the microseconds to wait.
/// The key expires when the TAT passes, so idle budgets vanish. One key per call, so the script
/// runs on any Redis Cluster node that owns it.
const BUDGET_SCRIPT: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = now
local stored = redis.call("GET", KEYS[1])
if stored then
    tat = math.max(tonumber(stored) or now, now)
end
local ahead = tat - now
if ahead > tolerance then
    return ahead - tolerance
end
local next_tat = tat + interval
redis.call("SET", KEYS[1], string.format("%.0f", next_tat),
    "PX", math.floor((next_tat - now) / 1000) + 1)
return 0
"#;

/// Pushes a budget's schedule to at least `now + ARGV[1]` microseconds (never back).
const HOLD_SCRIPT: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local hold = tonumber(ARGV[1])
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local target = now + hold
local stored = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if stored < target then
    redis.call("SET", KEYS[1], string.format("%.0f", target), "PX", math.floor(hold / 1000) + 1)
end
return 0
"#;

/// Stores a pending authorization and keeps at most `ARGV[3]` of its user's, atomically.
/// `KEYS[1]` is the state's key, `KEYS[2]` the user's index: a sorted set of their pending states,
/// scored by order of arrival. Members whose key is gone (taken or expired) are forgotten first;
/// then the oldest beyond the cap are deleted with their keys. `ARGV[5]` is what precedes a
/// state in its key: every key touched shares the `{…oauth}` hash tag of `KEYS`, so in a Redis
/// Cluster they all live in one slot and the script may name them. Returns how many were dropped.
const PUT_STATE_SCRIPT: &str = r#"
local index = KEYS[2]
local ttl = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
for _, member in ipairs(redis.call("ZRANGE", index, 0, -1)) do
    if redis.call("EXISTS", ARGV[5] .. member) == 0 then
        redis.call("ZREM", index, member)
    end
end
local newest = redis.call("ZRANGE", index, -1, -1, "WITHSCORES")
local seq = 1
if newest[2] then
    seq = tonumber(newest[2]) + 1
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ttl)
redis.call("ZADD", index, seq, ARGV[4])
if redis.call("PTTL", index) < ttl then
    redis.call("PEXPIRE", index, ttl)
end
local dropped = 0
local excess = redis.call("ZCARD", index) - max
if excess > 0 then
    for _, member in ipairs(redis.call("ZRANGE", index, 0, excess - 1)) do
        redis.call("DEL", ARGV[5] .. member)
        redis.call("ZREM", index, member)
        dropped = dropped + 1
    end
end
return dropped
"#;

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
            .finish()
    }
}

/// Whether Redis keeps its data across a restart, as [`RedisTokenStore::persistence`] found it.
///
/// Without persistence a Redis restart forgets every stored grant, and every user has to
/// reconnect every integration. The server can warn (or refuse to start in production) when
/// [`is_durable`](Self::is_durable) is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Persistence {
    /// Read from `CONFIG GET appendonly` and `CONFIG GET save`: exact.
    Configured {
        /// The append-only file is on (`appendonly yes`).
        aof: bool,
        /// RDB snapshot points are configured (`save` is not empty).
        rdb: bool,
    },
    /// Read from `INFO persistence`, because `CONFIG` is disabled or renamed (as on most managed
    /// Redis services).
    Reported {
        /// The append-only file is on (`aof_enabled:1`): exact.
        aof: bool,
        /// Redis has written an RDB snapshot since it started (`rdb_saves` or
        /// `rdb_last_bgsave_time_sec`). `INFO` does not list save points, so this is evidence
        /// rather than configuration: a server with save points that has not reached one yet
        /// shows `false`.
        rdb: bool,
    },
    /// Neither `CONFIG GET` nor `INFO persistence` answered (both disabled, or not allowed to
    /// this user).
    Unknown,
}

impl Persistence {
    /// `true` if Redis writes its data to disk (AOF, or RDB snapshots), so a restart keeps
    /// stored credentials (up to the last fsync or snapshot). `false` when it does not, and when
    /// that is [`Unknown`](Self::Unknown).
    pub fn is_durable(&self) -> bool {
        match *self {
            Self::Configured { aof, rdb } | Self::Reported { aof, rdb } => aof || rdb,
            Self::Unknown => false,
        }
    }
}

impl fmt::Display for Persistence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |yes: bool| if yes { "on" } else { "off" };
        match *self {
            Self::Configured { aof, rdb } => {
                write!(f, "AOF {}, RDB snapshots {} (CONFIG GET)", on(aof), on(rdb))
            }
            Self::Reported { aof, rdb } => write!(
                f,
                "AOF {}, RDB snapshots {} (INFO persistence; CONFIG is disabled)",
                on(aof),
                if rdb { "seen" } else { "not seen" }
            ),
            Self::Unknown => f.write_str("unknown (CONFIG and INFO are both disabled)"),
        }
    }
}

/// One server (or a TLS one with a private CA), or a Redis Cluster.
enum Pools {
    Single(Pool),
    Cluster(cluster::Pool),
}

/// A pooled connection of either kind; commands to a cluster are routed by their keys.
enum Conn {
    Single(deadpool_redis::Connection),
    Cluster(cluster::Connection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

impl Pools {
    async fn get(&self) -> Result<Conn, PoolError> {
        match self {
            Pools::Single(pool) => pool.get().await.map(Conn::Single),
            Pools::Cluster(pool) => pool.get().await.map(Conn::Cluster).map_err(|e| match e {
                cluster::PoolError::Backend(e) => PoolError::Backend(e),
                cluster::PoolError::Timeout(kind) => PoolError::Timeout(kind),
                cluster::PoolError::Closed => PoolError::Closed,
                cluster::PoolError::NoRuntimeSpecified => PoolError::NoRuntimeSpecified,
                cluster::PoolError::PostCreateHook(_) => PoolError::Closed,
            }),
        }
    }

    fn status(&self) -> deadpool_redis::Status {
        match self {
            Pools::Single(pool) => pool.status(),
            Pools::Cluster(pool) => pool.status(),
        }
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
}

/// A [`TokenStore`] on Redis. Cheap to clone; clones share the pool.
///
/// Keys (after the configured prefix `P`): `hubspot:{user_id}` for credentials (encrypted, no
/// TTL), `oauth_state:{Poauth}:{state}` for pending authorizations (encrypted JSON, with TTL) and
/// `oauth_pending:{Poauth}:{user_id}` for each user's index of them, `lock:{name}` for locks,
/// `budget:{{provider}:{account}}` for rate budgets (see [`budget_redis_key`]).
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
        let pool = if config.url.contains(',') {
            Self::cluster_pool(&config)?
        } else {
            Pools::Single(Self::single_pool(&config)?)
        };
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
            }),
        })
    }

    /// A cluster from its comma-separated seed nodes; the client discovers the rest and follows
    /// slot moves and failovers.
    fn cluster_pool(config: &RedisStoreConfig) -> Result<Pools, StoreError> {
        if config.ca_cert_pem.is_some() {
            return Err(StoreError::Unavailable(
                "a Redis CA certificate is not supported with a cluster REDIS_URL".into(),
            ));
        }
        let urls: Vec<String> = config
            .url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if urls
            .iter()
            .any(|u| u.as_str().into_connection_info().is_err())
        {
            return Err(StoreError::Unavailable(
                "a Redis cluster node URL is malformed (not shown: it may contain a password)"
                    .into(),
            ));
        }
        if urls.iter().any(|u| u.starts_with("rediss://")) {
            install_crypto_provider();
        }
        let mut cluster = cluster::Config::from_urls(urls);
        cluster.pool = Some(deadpool_redis::PoolConfig {
            max_size: config.pool_size.max(1),
            timeouts: deadpool_redis::Timeouts {
                wait: Some(config.timeout),
                create: Some(config.timeout),
                recycle: Some(config.timeout),
            },
            ..deadpool_redis::PoolConfig::default()
        });
        cluster
            .create_pool(Some(Runtime::Tokio1))
            .map(Pools::Cluster)
            .map_err(|e| StoreError::Unavailable(format!("redis cluster pool: {e}")))
    }

    fn single_pool(config: &RedisStoreConfig) -> Result<Pool, StoreError> {
        let timeout = config.timeout;
        let malformed = || {
            StoreError::Unavailable(
                "the Redis URL is malformed or uses an unsupported scheme (not shown: it may \
                 contain a password)"
                    .into(),
            )
        };
        let info = config
            .url
            .as_str()
            .into_connection_info()
            .map_err(|_| malformed())?;
        let tls = matches!(info.addr, redis::ConnectionAddr::TcpTls { .. });
        if tls {
            install_crypto_provider();
        }
        let info = match &config.ca_cert_pem {
            None => info,
            Some(path) => {
                if !tls {
                    return Err(StoreError::Unavailable(
                        "a Redis CA certificate is configured but the Redis URL is not \
                         rediss:// (TLS)"
                            .into(),
                    ));
                }
                let root_cert = read_ca_certificates(path)?;
                let client = redis::Client::build_with_tls(
                    info,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(root_cert),
                    },
                )
                .map_err(|_| {
                    StoreError::Unavailable(format!(
                        "the Redis CA certificate file {} is not usable",
                        path.display()
                    ))
                })?;
                client.get_connection_info().clone()
            }
        };
        // Built from the parsed connection info rather than deadpool's URL-based `Config`, which
        // has no place for a root certificate.
        let manager = Manager::new(info).map_err(|_| malformed())?;
        Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("redis pool: {e}")))
    }

    /// Whether Redis persists its data: `CONFIG GET appendonly` and `CONFIG GET save`, or, when
    /// `CONFIG` is refused (renamed or forbidden, as on managed Redis), `INFO persistence`;
    /// [`Persistence::Unknown`] when both are refused. `Err` only if Redis is unreachable.
    #[tracing::instrument(skip_all)]
    pub async fn persistence(&self) -> Result<Persistence, StoreError> {
        self.with_connection("CONFIG GET/INFO", |mut connection| async move {
            match config_persistence(&mut connection).await {
                Ok(Some(persistence)) => return Ok(persistence),
                Ok(None) => {}
                Err(e) if refused(&e) => {}
                Err(e) => return Err(e),
            }
            match redis::cmd("INFO")
                .arg("persistence")
                .query_async::<String>(&mut connection)
                .await
            {
                Ok(info) => Ok(info_persistence(&info)),
                Err(e) if refused(&e) => Ok(Persistence::Unknown),
                Err(e) => Err(e),
            }
        })
        .await
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

    fn lock_key(&self, name: &str) -> String {
        format!("{}lock:{name}", self.inner.prefix)
    }

    /// The full Redis key of a rate budget: `{prefix}budget:{{key}}`, e.g.
    /// `vs:budget:{hubspot:62515}`. The braces are a Redis Cluster hash tag: the slot is chosen
    /// by the account alone, so budgets of different accounts spread over the cluster.
    pub fn budget_redis_key(&self, key: &str) -> String {
        format!("{}budget:{{{key}}}", self.inner.prefix)
    }

    /// Runs `work` with a pooled connection, bounded by the timeout as a whole.
    async fn with_connection<T, F, Fut>(&self, op: &'static str, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let bounded = async {
            let connection = self
                .inner
                .pool
                .get()
                .await
                .map_err(|e| pool_error(op, &e))?;
            work(connection).await.map_err(|e| redis_error(op, &e))
        };
        let result = match tokio::time::timeout(self.inner.timeout, bounded).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!("redis {op} timed out"))),
        };
        if result.is_err() {
            metrics::counter!("redis_errors_total", "operation" => op).increment(1);
        }
        result
    }

    async fn query<T: FromRedisValue>(
        &self,
        op: &'static str,
        cmd: redis::Cmd,
    ) -> Result<T, StoreError> {
        self.with_connection(op, |mut connection| async move {
            cmd.query_async::<T>(&mut connection).await
        })
        .await
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

/// `CONFIG GET appendonly` / `save`; `None` if Redis answered without those parameters.
async fn config_persistence(connection: &mut Conn) -> redis::RedisResult<Option<Persistence>> {
    let Some(appendonly) = config_get(connection, "appendonly").await? else {
        return Ok(None);
    };
    let Some(save) = config_get(connection, "save").await? else {
        return Ok(None);
    };
    Ok(Some(Persistence::Configured {
        aof: appendonly.trim().eq_ignore_ascii_case("yes"),
        rdb: !save.trim().is_empty(),
    }))
}

/// One `CONFIG GET` parameter; `None` if Redis does not list it.
async fn config_get(
    connection: &mut Conn,
    name: &'static str,
) -> redis::RedisResult<Option<String>> {
    // A flat [name, value] array (RESP2) or a map (RESP3): both read as a map.
    let mut answer: std::collections::HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query_async(connection)
        .await?;
    Ok(answer.remove(name))
}

/// Reads `INFO persistence`; [`Persistence::Unknown`] if it lacks `aof_enabled`.
fn info_persistence(info: &str) -> Persistence {
    let field = |name: &str| {
        info.lines().find_map(|line| {
            let (key, value) = line.trim().split_once(':')?;
            (key == name).then(|| value.trim().parse::<i64>().ok())?
        })
    };
    let Some(aof) = field("aof_enabled") else {
        return Persistence::Unknown;
    };
    let rdb = field("rdb_saves").is_some_and(|saves| saves > 0)
        || field("rdb_last_bgsave_time_sec").is_some_and(|seconds| seconds >= 0);
    Persistence::Reported { aof: aof == 1, rdb }
}

/// Redis answered, with an error reply (unknown command, no permission), rather than failing to
/// answer.
fn refused(error: &redis::RedisError) -> bool {
    matches!(
        error.kind(),
        redis::ErrorKind::ResponseError | redis::ErrorKind::ExtensionError
    )
}

/// rustls needs one process-wide crypto provider. Only `ring` is compiled in by this crate, but
/// another crate in the same binary may enable `aws-lc-rs` too, and then rustls cannot choose by
/// itself; install `ring` unless the application already installed one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: some provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The CA file's contents, checked to hold at least one PEM certificate (rustls would otherwise
/// start with an empty trust store and refuse every server).
fn read_ca_certificates(path: &Path) -> Result<Vec<u8>, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;

    let pem = std::fs::read(path).map_err(|e| {
        StoreError::Unavailable(format!(
            "the Redis CA certificate file {} could not be read: {e}",
            path.display()
        ))
    })?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "the Redis CA certificate file {} is not valid PEM: {e}",
                path.display()
            ))
        })?;
    if certificates.is_empty() {
        return Err(StoreError::Unavailable(format!(
            "the Redis CA certificate file {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(pem)
}

/// The TLS error behind a Redis error, as a sentence, if the failure was the TLS handshake (an
/// untrusted or mismatched certificate, a protocol mismatch). Its text names no password.
fn tls_failure(error: &redis::RedisError) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        let tls = current.downcast_ref::<rustls::Error>().or_else(|| {
            current
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = tls {
            let untrusted = matches!(
                tls,
                rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                        | rustls::CertificateError::BadSignature
                )
            );
            return Some(if untrusted {
                format!(
                    "TLS handshake failed: {tls}: the server's certificate does not chain to a \
                     trusted root (for a private CA, set RedisStoreConfig::ca_cert_pem)"
                )
            } else {
                format!("TLS handshake failed: {tls}")
            });
        }
        source = current.source();
    }
    None
}

/// A pool error as a message that names no address or password.
fn pool_error(op: &str, error: &PoolError) -> StoreError {
    match error {
        PoolError::Backend(e) => redis_error(op, e),
        PoolError::Timeout(kind) => StoreError::Unavailable(format!(
            "redis {op}: timed out getting a connection ({kind:?})"
        )),
        PoolError::Closed => StoreError::Unavailable(format!("redis {op}: the pool is closed")),
        PoolError::NoRuntimeSpecified => {
            StoreError::Unavailable(format!("redis {op}: no async runtime for timeouts"))
        }
        PoolError::PostCreateHook(_) => {
            StoreError::Unavailable(format!("redis {op}: connection set-up failed"))
        }
    }
}

/// A Redis error as a message built from its classification only: the detail text of some
/// errors can carry connection parameters.
fn redis_error(op: &str, error: &redis::RedisError) -> StoreError {
    let what = if let Some(tls) = tls_failure(error) {
        tls
    } else if error.is_connection_refusal() {
        "connection refused".to_owned()
    } else if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connection_dropped() {
        "connection dropped".to_owned()
    } else {
        match error.code() {
            Some(code) => format!("{:?} ({code})", error.kind()),
            None => format!("{:?}", error.kind()),
        }
    };
    StoreError::Unavailable(format!("redis {op} failed: {what}"))
}

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

#[async_trait]
impl RateBudget for RedisTokenStore {
    #[tracing::instrument(skip_all, fields(budget = key))]
    async fn acquire(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
    ) -> Result<Admission, StoreError> {
        let key = self.budget_redis_key(key);
        let interval = micros(limit.emission_interval());
        let tolerance = micros(limit.tolerance(priority));
        let wait: u64 = self
            .with_connection("budget", |mut connection| async move {
                self.inner
                    .budget
                    .key(&key)
                    .arg(interval)
                    .arg(tolerance)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(match wait {
            0 => Admission::Admitted,
            wait => Admission::Wait(Duration::from_micros(wait)),
        })
    }

    #[tracing::instrument(skip_all, fields(budget = key))]
    async fn hold(&self, key: &str, limit: &Limit, wait: Duration) -> Result<(), StoreError> {
        let key = self.budget_redis_key(key);
        // The interactive tolerance on top: the first call is admitted when the wait ends.
        let ahead = micros(wait + limit.tolerance(Priority::Interactive));
        self.with_connection("budget hold", |mut connection| async move {
            self.inner
                .hold
                .key(&key)
                .arg(ahead)
                .invoke_async::<i64>(&mut connection)
                .await
        })
        .await
        .map(drop)
    }
}

/// Whole microseconds (a `Limit`'s interval is at least a millisecond).
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[async_trait]
impl TokenStore for RedisTokenStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = self.query("PING", redis::cmd("PING")).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_persistence_reads_aof_and_snapshot_evidence() {
        let info = "# Persistence\r\nloading:0\r\nrdb_saves:0\r\nrdb_last_bgsave_time_sec:-1\r\naof_enabled:0\r\n";
        let found = info_persistence(info);
        assert_eq!(
            found,
            Persistence::Reported {
                aof: false,
                rdb: false
            }
        );
        assert!(!found.is_durable());

        let snapshotted = info.replace("rdb_saves:0", "rdb_saves:3");
        assert!(info_persistence(&snapshotted).is_durable());
        // Older servers have no rdb_saves; a finished background save is the evidence.
        let older = "rdb_last_bgsave_time_sec:0\naof_enabled:0\n";
        assert!(info_persistence(older).is_durable());
        assert!(info_persistence("aof_enabled:1\n").is_durable());
        assert_eq!(info_persistence("# nothing useful\n"), Persistence::Unknown);
    }
}
