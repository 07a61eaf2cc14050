//! Tests that start their own `redis-server`: the conformance suite over TLS (`rediss://`) with a
//! CA generated here, refusal of certificates the store does not trust, and the persistence
//! check against servers configured with and without persistence.
//!
//! Each test is skipped, with a message, if `redis-server` is not on `PATH` (a failure when `CI`
//! is set: `test_support::redis_server`); the TLS tests also if that `redis-server` was built
//! without TLS.

use std::io::Read as _;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use integration_core::StoreError;
use test_support::free_port;
use token_store::{
    Cipher, Key, KeyId, Persistence, RedisStoreConfig, RedisTokenStore, TokenStore as _,
};

fn cipher() -> Cipher {
    Cipher::new((KeyId(1), Key::generate()), Vec::new()).expect("cipher")
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "token-store-test-{}",
            hex::encode(rand::random::<[u8; 8]>())
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Why a private server could not be started.
enum NotStarted {
    /// This machine's `redis-server` cannot run the test (it has no TLS): skip.
    Unsupported(String),
    /// It should have started: fail.
    Failed(String),
}

/// A private `redis-server` with its own working directory; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Server {
    /// Starts `redis_server` with `args` (plus a private `--dir` and log file) and waits until
    /// `port` accepts connections.
    fn start(
        redis_server: &Path,
        dir: TempDir,
        port: u16,
        args: &[&str],
    ) -> Result<Self, NotStarted> {
        let log = dir.0.join("redis.log");
        let child = Command::new(redis_server)
            .args(["--bind", "127.0.0.1", "--dir"])
            .arg(&dir.0)
            .arg("--logfile")
            .arg(&log)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| NotStarted::Failed(format!("cannot run `redis-server`: {e}")))?;
        let mut server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut output = String::new();
                if let Some(mut stderr) = server.child.stderr.take() {
                    let _ = stderr.read_to_string(&mut output);
                }
                output.push_str(&std::fs::read_to_string(&log).unwrap_or_default());
                // What a redis-server built without TLS says about the `tls-*` options.
                if output.contains("Bad directive") && output.contains("tls") {
                    return Err(NotStarted::Unsupported(format!(
                        "`redis-server` has no TLS support: {}",
                        output.trim()
                    )));
                }
                return Err(NotStarted::Failed(format!(
                    "redis-server exited ({status}): {}",
                    output.trim()
                )));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(NotStarted::Failed(format!(
                    "redis-server did not listen on port {port} within 15 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// [`Server::start`], or `None` after printing why the test is skipped (no `redis-server`
    /// outside CI, or one without TLS).
    fn start_or_skip(test: &str, dir: TempDir, port: u16, args: &[&str]) -> Option<Self> {
        let redis_server = test_support::redis_server(test)?;
        match Self::start(&redis_server, dir, port, args) {
            Ok(server) => Some(server),
            Err(NotStarted::Unsupported(why)) => {
                eprintln!("SKIPPED {test}: {why}");
                None
            }
            Err(NotStarted::Failed(why)) => panic!("{test}: {why}"),
        }
    }
}

impl Server {
    /// A store on this server (plain TCP).
    fn store(&self) -> RedisTokenStore {
        let config = RedisStoreConfig::new(format!("redis://127.0.0.1:{}", self.port))
            .with_timeout(Duration::from_secs(2));
        RedisTokenStore::new(config, cipher()).expect("store")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- TLS ---------------------------------------------------------------------------------------

/// A CA and a server certificate it signed, as PEM.
struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
}

impl Pki {
    /// A fresh CA, and a certificate from it for `names` (DNS names or IP addresses).
    fn new(names: &[&str]) -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };

        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own: a CA with the same name would be taken for the issuer and fail
        // with BadSignature rather than UnknownIssuer.
        let ca_name = format!(
            "token-store test CA {}",
            hex::encode(rand::random::<[u8; 4]>())
        );
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("server key");
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "redis test server");
        let server_cert = params
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        Self {
            ca: ca.pem(),
            server_cert: server_cert.pem(),
            server_key: server_key.serialize_pem(),
        }
    }
}

/// A TLS-only `redis-server` (`--port 0`) presenting a certificate from `pki`.
fn start_tls_server(test: &str, pki: &Pki) -> Option<(Server, PathBuf)> {
    let dir = TempDir::new();
    let ca = dir.write("ca.pem", &pki.ca);
    let cert = dir.write("server.pem", &pki.server_cert);
    let key = dir.write("server.key", &pki.server_key);
    let port = free_port();
    let port_arg = port.to_string();
    let args = [
        "--port",
        "0",
        "--tls-port",
        &port_arg,
        "--tls-cert-file",
        path_str(&cert),
        "--tls-key-file",
        path_str(&key),
        "--tls-ca-cert-file",
        path_str(&ca),
        "--tls-auth-clients",
        "no",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    let server = Server::start_or_skip(test, dir, port, &args)?;
    let ca_path = server.dir.0.join("ca.pem");
    Some((server, ca_path))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn tls_store(port: u16, host: &str, ca: Option<&Path>) -> RedisTokenStore {
    let mut config = RedisStoreConfig::new(format!("rediss://{host}:{port}"))
        .with_key_prefix("test:")
        .with_timeout(Duration::from_secs(2));
    if let Some(ca) = ca {
        config = config.with_ca_cert_pem(ca);
    }
    RedisTokenStore::new(config, cipher()).expect("store")
}

/// A store on a private TLS server, which stops when this is dropped.
struct TlsFixture {
    store: RedisTokenStore,
    _server: Server,
}

impl Deref for TlsFixture {
    type Target = RedisTokenStore;
    fn deref(&self) -> &RedisTokenStore {
        &self.store
    }
}

async fn store_over_tls() -> Option<TlsFixture> {
    let pki = Pki::new(&["localhost", "127.0.0.1"]);
    let (server, ca) = start_tls_server("conformance over TLS", &pki)?;
    let store = tls_store(server.port, "127.0.0.1", Some(&ca));
    store.ping().await.expect("ping over TLS");
    Some(TlsFixture {
        store,
        _server: server,
    })
}

mod over_tls {
    use super::store_over_tls;

    token_store::conformance_tests!(optional store_over_tls);
}

#[tokio::test]
async fn tls_works_with_a_host_name_too() {
    let pki = Pki::new(&["localhost", "127.0.0.1"]);
    let Some((server, ca)) = start_tls_server("tls_works_with_a_host_name_too", &pki) else {
        return;
    };
    tls_store(server.port, "localhost", Some(&ca))
        .ping()
        .await
        .expect("ping rediss://localhost");
}

fn assert_tls_refused(result: Result<(), StoreError>, expected: &str) {
    match result {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                message.contains("TLS handshake failed") && message.contains(expected),
                "unclear error: {message}"
            );
        }
        other => panic!("expected the certificate to be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_the_store_does_not_trust_is_refused_with_a_clear_error() {
    let pki = Pki::new(&["localhost", "127.0.0.1"]);
    let test = "a_certificate_the_store_does_not_trust_is_refused_with_a_clear_error";
    let Some((server, _)) = start_tls_server(test, &pki) else {
        return;
    };
    let elsewhere = TempDir::new();
    let other_ca = elsewhere.write("other-ca.pem", &Pki::new(&["localhost"]).ca);

    // Another private CA, then the public roots: neither vouches for the server's certificate.
    assert_tls_refused(
        tls_store(server.port, "127.0.0.1", Some(&other_ca))
            .ping()
            .await,
        "does not chain to a trusted root",
    );
    assert_tls_refused(
        tls_store(server.port, "127.0.0.1", None).ping().await,
        "UnknownIssuer",
    );
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let pki = Pki::new(&["redis.internal.example"]);
    let Some((server, ca)) = start_tls_server("a_certificate_for_another_host_is_refused", &pki)
    else {
        return;
    };
    assert_tls_refused(
        tls_store(server.port, "127.0.0.1", Some(&ca)).ping().await,
        "not valid for name",
    );
}

#[test]
fn an_unusable_ca_file_is_refused_when_the_store_is_built() {
    let dir = TempDir::new();
    let build = |url: &str, ca: &Path| {
        RedisTokenStore::new(RedisStoreConfig::new(url).with_ca_cert_pem(ca), cipher()).map(|_| ())
    };
    let message = |result: Result<(), StoreError>| match result {
        Err(StoreError::Unavailable(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };

    let missing = dir.0.join("missing.pem");
    let m = message(build("rediss://127.0.0.1:6380", &missing));
    assert!(
        m.contains("could not be read") && m.contains("missing.pem"),
        "{m}"
    );

    let empty = dir.write("empty.pem", "not a certificate\n");
    let m = message(build("rediss://127.0.0.1:6380", &empty));
    assert!(m.contains("no PEM certificate"), "{m}");

    let ca = dir.write("ca.pem", &Pki::new(&["localhost"]).ca);
    let m = message(build("redis://:hunter2@127.0.0.1:6380", &ca));
    assert!(m.contains("not rediss://") && !m.contains("hunter2"), "{m}");

    build("rediss://127.0.0.1:6380", &ca).expect("a good CA file is accepted");
}

// --- Persistence -------------------------------------------------------------------------------

/// What [`RedisTokenStore::persistence`] says about a plain-TCP `redis-server` started with `args`.
async fn persistence_of(test: &str, args: &[&str]) -> Option<Persistence> {
    let port = free_port();
    let port_arg = port.to_string();
    let mut all = vec!["--port", &port_arg];
    all.extend_from_slice(args);
    let server = Server::start_or_skip(test, TempDir::new(), port, &all)?;
    Some(server.store().persistence().await.expect("persistence"))
}

#[tokio::test]
async fn a_redis_without_persistence_is_not_durable() {
    let test = "a_redis_without_persistence_is_not_durable";
    let Some(found) = persistence_of(test, &["--save", "", "--appendonly", "no"]).await else {
        return;
    };
    assert_eq!(
        found,
        Persistence::Configured {
            aof: false,
            rdb: false
        }
    );
    assert!(!found.is_durable());
    assert_eq!(found.to_string(), "AOF off, RDB snapshots off (CONFIG GET)");
}

#[tokio::test]
async fn a_redis_with_an_append_only_file_is_durable() {
    let test = "a_redis_with_an_append_only_file_is_durable";
    let Some(found) = persistence_of(test, &["--save", "", "--appendonly", "yes"]).await else {
        return;
    };
    assert_eq!(
        found,
        Persistence::Configured {
            aof: true,
            rdb: false
        }
    );
    assert!(found.is_durable());
}

#[tokio::test]
async fn a_redis_with_snapshot_points_is_durable() {
    let test = "a_redis_with_snapshot_points_is_durable";
    let args = ["--save", "3600 1 300 100", "--appendonly", "no"];
    let Some(found) = persistence_of(test, &args).await else {
        return;
    };
    assert_eq!(
        found,
        Persistence::Configured {
            aof: false,
            rdb: true
        }
    );
    assert!(found.is_durable());
}

#[tokio::test]
async fn with_config_disabled_persistence_is_read_from_info() {
    let test = "with_config_disabled_persistence_is_read_from_info";
    let args = [
        "--rename-command",
        "CONFIG",
        "",
        "--save",
        "",
        "--appendonly",
        "yes",
    ];
    let Some(found) = persistence_of(test, &args).await else {
        return;
    };
    assert_eq!(
        found,
        Persistence::Reported {
            aof: true,
            rdb: false
        }
    );
    assert!(found.is_durable());

    let args = [
        "--rename-command",
        "CONFIG",
        "",
        "--save",
        "",
        "--appendonly",
        "no",
    ];
    let Some(found) = persistence_of(test, &args).await else {
        return;
    };
    assert!(!found.is_durable(), "{found}");
}

#[tokio::test]
async fn with_config_and_info_disabled_persistence_is_unknown() {
    let test = "with_config_and_info_disabled_persistence_is_unknown";
    let args = [
        "--rename-command",
        "CONFIG",
        "",
        "--rename-command",
        "INFO",
        "",
        "--appendonly",
        "yes",
    ];
    let Some(found) = persistence_of(test, &args).await else {
        return;
    };
    assert_eq!(found, Persistence::Unknown);
    assert!(!found.is_durable(), "unknown is not taken for durable");
}

#[tokio::test]
async fn persistence_of_an_unreachable_redis_is_an_error() {
    let config = RedisStoreConfig::new(format!("redis://127.0.0.1:{}", free_port()))
        .with_timeout(Duration::from_millis(500));
    let store = RedisTokenStore::new(config, cipher()).expect("store");
    assert!(matches!(
        store.persistence().await,
        Err(StoreError::Unavailable(_))
    ));
}

// --- Replicas ----------------------------------------------------------------------------------

fn upsert(id: &str) -> integration_core::ProviderEvent {
    integration_core::ProviderEvent {
        kind: integration_core::EventKind::Upsert,
        object_type: "contacts".into(),
        id: id.into(),
        occurred_at: chrono::Utc::now(),
        property: None,
        merged_ids: Vec::new(),
        associated: None,
    }
}

/// With `event_replicas` set, an event batch is acknowledged only once that many replicas have
/// it (`WAIT`), so a failover cannot lose what a provider was told was received; with the
/// replica gone, `append` fails (the provider retries) while the primary keeps the events, so
/// the retry is a duplicate rather than a loss.
#[tokio::test]
async fn events_wait_for_their_replicas_and_fail_without_them() {
    use deadpool_redis::redis;
    use integration_core::EventLog as _;
    let test = "events_wait_for_their_replicas_and_fail_without_them";
    let plain = ["--save", "", "--appendonly", "no"];
    let primary_port = free_port();
    let port = primary_port.to_string();
    let primary_args = [&plain[..], &["--port", port.as_str()]].concat();
    let Some(_primary) = Server::start_or_skip(test, TempDir::new(), primary_port, &primary_args)
    else {
        return;
    };
    let replica_port = free_port();
    let replica_port_arg = replica_port.to_string();
    let replica_args = [
        &plain[..],
        &[
            "--port",
            replica_port_arg.as_str(),
            "--replicaof",
            "127.0.0.1",
            port.as_str(),
        ],
    ]
    .concat();
    let Some(replica) = Server::start_or_skip(test, TempDir::new(), replica_port, &replica_args)
    else {
        return;
    };
    let url = format!("redis://127.0.0.1:{primary_port}");
    let client = redis::Client::open(url.as_str()).expect("client");
    let mut raw = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut raw)
            .await
            .expect("INFO");
        if info.contains("connected_slaves:1") && info.contains("state=online") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never synced: {info}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = RedisTokenStore::new(
        RedisStoreConfig::new(url.as_str())
            .with_timeout(Duration::from_secs(2))
            .with_event_replicas(1),
        cipher(),
    )
    .expect("store");
    let batch = |id: &str| vec![(format!("identity-{id}"), upsert(id))];
    let stored = store
        .append("hubspot", "1", &batch("a"))
        .await
        .expect("append");
    assert_eq!(stored.stored, 1);

    drop(replica);
    let refused = store.append("hubspot", "1", &batch("b")).await;
    match refused {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("0 of 1"), "{why}"),
        other => panic!("acknowledged without its replica: {other:?}"),
    }
    let kept = store.read("hubspot", "1", None, 10).await.expect("read");
    assert_eq!(
        kept.len(),
        2,
        "the primary kept both: a retry is a duplicate, not a loss"
    );
}

#[test]
fn waiting_for_replicas_is_refused_with_a_cluster_url() {
    let config = RedisStoreConfig::new("redis://127.0.0.1:7000,redis://127.0.0.1:7001")
        .with_event_replicas(1);
    assert!(matches!(
        RedisTokenStore::new(config, cipher()),
        Err(StoreError::Unavailable(_))
    ));
}
