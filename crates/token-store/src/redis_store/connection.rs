//! Reaching Redis: one server or a Redis Cluster, plain or TLS, behind one connection type, and
//! every failure turned into a [`StoreError`] that is safe to show.
//!
//! Kept in one place because the guarantees here are easy to lose one call at a time: every
//! operation goes through [`RedisTokenStore::with_connection`], so none can wait on Redis longer
//! than the configured timeout, none escapes the error counter, and no error text can carry the
//! URL (which may hold a password). The rest of the store never sees which kind of Redis it
//! talks to.

use std::future::Future;
use std::path::Path;

use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::{self, FromRedisValue, IntoConnectionInfo as _};
use deadpool_redis::{Manager, Pool, PoolError, Runtime, cluster};
use integration_core::StoreError;

use super::{RedisStoreConfig, RedisTokenStore};

/// One server (or a TLS one with a private CA), or a Redis Cluster.
pub(super) enum Pools {
    Single(Pool),
    Cluster(cluster::Pool),
}

/// A pooled connection of either kind; commands to a cluster are routed by their keys.
pub(super) enum Conn {
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
    /// The pools for `config`: a comma-separated URL is a cluster, anything else one server.
    pub(super) fn new(config: &RedisStoreConfig) -> Result<Self, StoreError> {
        Ok(if config.url.contains(',') {
            Self::cluster(config)?
        } else {
            Pools::Single(Self::single(config)?)
        })
    }

    /// A cluster from its comma-separated seed nodes; the client discovers the rest and follows
    /// slot moves and failovers.
    fn cluster(config: &RedisStoreConfig) -> Result<Pools, StoreError> {
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

    fn single(config: &RedisStoreConfig) -> Result<Pool, StoreError> {
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

    pub(super) async fn get(&self) -> Result<Conn, PoolError> {
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

    pub(super) fn status(&self) -> deadpool_redis::Status {
        match self {
            Pools::Single(pool) => pool.status(),
            Pools::Cluster(pool) => pool.status(),
        }
    }
}

impl RedisTokenStore {
    /// Runs `work` with a pooled connection, bounded by the timeout as a whole.
    pub(super) async fn with_connection<T, F, Fut>(
        &self,
        op: &'static str,
        work: F,
    ) -> Result<T, StoreError>
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

    pub(super) async fn query<T: FromRedisValue>(
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
