//! Three real `vs-server` processes sharing one Redis (one `REDIS_KEY_PREFIX`, one
//! `TOKEN_ENCRYPTION_KEY`) and one HubSpot (the sandbox, on a port of its own), as production
//! runs them behind a load balancer: an OAuth flow may start on one replica and finish on
//! another, a token refresh happens once across all of them, and a replica that dies holding the
//! refresh lock blocks the others only until the lock's TTL.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hubspot_sandbox::{Contract, RateLimit, RegisteredClient, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use test_support::free_port;
use tokio::task::JoinSet;

const USER: &str = "alice";
const CLIENT_ID: &str = "test-client-id";
const CLIENT_SECRET: &str = "test-client-secret-DO-NOT-LOG";
/// The callback URL registered in the HubSpot app: the load balancer's, the same for every
/// replica (`HUBSPOT_REDIRECT_URI`), whichever replica the browser comes back to.
const REDIRECT_URI: &str = "http://replicas.test/api/integrations/hubspot/callback";

/// One `vs-server` process and where it listens.
#[derive(Debug)]
struct Replica {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Replica {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The replicas of one test. Dropping it (also while the test panics) kills every child; when
/// the test failed, the tail of each replica's log is printed.
#[derive(Debug)]
struct Cluster {
    replicas: Vec<Replica>,
    dir: PathBuf,
    /// The replicas' `REDIS_KEY_PREFIX`.
    prefix: String,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            // Already dead (killed by the test) is fine.
            let _ = replica.child.kill();
            let _ = replica.child.wait();
        }
        if std::thread::panicking() {
            for (i, replica) in self.replicas.iter().enumerate() {
                let lines: Vec<String> = File::open(&replica.log)
                    .map(|f| BufReader::new(f).lines().map_while(Result::ok).collect())
                    .unwrap_or_default();
                let tail = &lines[lines.len().saturating_sub(40)..];
                eprintln!("--- replica {} log (last {} lines) ---", i + 1, tail.len());
                for line in tail {
                    eprintln!("{line}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl std::ops::Index<usize> for Cluster {
    type Output = Replica;
    fn index(&self, i: usize) -> &Replica {
        &self.replicas[i]
    }
}

impl Cluster {
    /// Starts three replicas pointed at the HubSpot at `hubspot`, with `extra` settings on each,
    /// and waits until every one answers `/healthz`.
    async fn start(hubspot: &str, extra: &[(&str, &str)]) -> Self {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        Self::start_on(&ports, hubspot, extra).await
    }

    /// [`start`](Self::start) on the given ports, one replica each.
    async fn start_on(ports: &[u16], hubspot: &str, extra: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("vs-replicas-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        let prefix = format!("vs-replicas-{}:", uuid::Uuid::new_v4().simple());
        // 32 random bytes as hex.
        let key = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let redis = redis_url();
        let mut cluster = Cluster {
            replicas: Vec::new(),
            dir: dir.clone(),
            prefix: prefix.clone(),
        };
        for (i, &port) in (1..).zip(ports) {
            let log = dir.join(format!("replica-{i}.log"));
            let out = File::create(&log).expect("create the log file");
            let err = out.try_clone().expect("clone the log file");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_vs-server"));
            // A directory of its own, so no developer `.env` is read (nor one written).
            cmd.current_dir(&dir)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("RUST_LOG", "info")
                .env("BIND_ADDR", format!("127.0.0.1:{port}"))
                .env("WEB_DIST_DIR", "/nonexistent")
                .env("AUTH_MODE", "dev")
                // What is under test is refresh and locking, not the shared rate budget
                // (300 requests would be paced over half a minute).
                .env("RATE_BUDGET_ENABLED", "false")
                .env("REDIS_URL", &redis)
                .env("REDIS_KEY_PREFIX", &prefix)
                .env("TOKEN_ENCRYPTION_KEY", &key)
                .env("HUBSPOT_CLIENT_ID", CLIENT_ID)
                .env("HUBSPOT_CLIENT_SECRET", CLIENT_SECRET)
                .env("HUBSPOT_REDIRECT_URI", REDIRECT_URI)
                .env(
                    "HUBSPOT_AUTH_URL",
                    format!("{hubspot}{}", hubspot_sandbox::paths::AUTHORIZE),
                )
                // The token endpoint follows from the API base.
                .env("HUBSPOT_API_BASE_URL", hubspot)
                .envs(extra.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err));
            let child = cmd.spawn().expect("spawn vs-server");
            cluster.replicas.push(Replica {
                child,
                base: format!("http://127.0.0.1:{port}"),
                log,
            });
        }
        let client = reqwest::Client::new();
        for i in 0..cluster.replicas.len() {
            cluster.wait_healthy(i, &client).await;
        }
        cluster
    }

    async fn wait_healthy(&mut self, i: usize, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let replica = &mut self.replicas[i];
            if let Some(status) = replica.child.try_wait().expect("poll the child") {
                panic!("replica {} exited before it was healthy: {status}", i + 1);
            }
            let health = client
                .get(replica.url("/healthz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "replica {} never answered /healthz",
                i + 1
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A client that keeps cookies (for the OAuth binding cookie) and does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The HubSpot sandbox on a port of its own with our client registered, at the contract seed
/// of `HUBSPOT_SANDBOX_SEED` when it is set (only the seed: the pins in `config` hold). Returns
/// it and its base URL.
fn hubspot(config: SandboxConfig) -> (Sandbox, String) {
    let mut config = SandboxConfig {
        clients: vec![RegisteredClient {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![REDIRECT_URI.into()],
        }],
        ..config
    };
    if let Some(env) = Contract::from_env().expect("HUBSPOT_SANDBOX_SEED") {
        config.contract.seed = env.seed;
    }
    let sandbox = Sandbox::new(config);
    let (base, _) = sandbox.spawn().expect("the sandbox runs");
    (sandbox, base.as_str().trim_end_matches('/').to_owned())
}

/// The sandbox's defaults without its burst limit: what is under test is not HubSpot's 429.
fn unlimited() -> SandboxConfig {
    SandboxConfig {
        rate_limit: None,
        ..SandboxConfig::default()
    }
}

/// Whether a refresh lock is held in Redis under `prefix` (one `KEYS` over a plain socket).
async fn refresh_lock_held(prefix: &str) -> bool {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    let url = url::Url::parse(&redis_url()).expect("REDIS_URL");
    let addr = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(6379)
    );
    let stream = tokio::net::TcpStream::connect(addr).await.expect("redis");
    let mut conn = tokio::io::BufReader::new(stream);
    let pattern = format!("{prefix}lock:*");
    let command = format!("*2\r\n$4\r\nKEYS\r\n${}\r\n{pattern}\r\n", pattern.len());
    conn.get_mut()
        .write_all(command.as_bytes())
        .await
        .expect("write");
    let mut header = String::new();
    conn.read_line(&mut header).await.expect("read");
    header.trim_end().strip_prefix('*').expect("an array reply") != "0"
}

fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
}

/// Starts the flow on `start` and calls back on `finish` with the same browser; returns the
/// callback's JSON.
async fn connect(client: &reqwest::Client, start: &Replica, finish: &Replica) -> serde_json::Value {
    let res = client
        .get(start.url("/api/integrations/hubspot/authorize"))
        .header("X-User-Id", USER)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("authorize");
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vs_oauth_hubspot_"))
        .expect("the flow's vs_oauth_hubspot_{key} binding cookie")
        .to_owned();
    assert!(
        cookie.contains("Path=/api/integrations/hubspot/callback"),
        "{cookie}"
    );
    let body: serde_json::Value = res.json().await.expect("authorize json");
    let consent = url::Url::parse(body["url"].as_str().expect("url")).expect("consent url");

    // The user presses Approve; HubSpot sends the browser to the load balancer's callback.
    let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let res = client
        .post(consent.join("authorize/decision").expect("decision url"))
        .form(&form)
        .send()
        .await
        .expect("approve");
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = url::Url::parse(
        res.headers()["location"]
            .to_str()
            .expect("an ASCII Location"),
    )
    .expect("a Location URL");
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{name} in {back}"))
    };
    let (code, state) = (param("code"), param("state"));

    let res = client
        .get(finish.url("/api/integrations/hubspot/callback"))
        .query(&[("code", code.as_str()), ("state", state.as_str())])
        .header("Accept", "application/json")
        .send()
        .await
        .expect("callback");
    let status = res.status();
    let body: serde_json::Value = res.json().await.expect("callback json");
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn items(client: &reqwest::Client, replica: &str) -> (StatusCode, String) {
    let res = client
        .get(format!("{replica}/api/integrations/hubspot/items"))
        .header("X-User-Id", USER)
        .send()
        .await
        .expect("items request");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_flow_started_on_one_replica_completes_on_another() {
    let (sandbox, hubspot) = hubspot(unlimited());
    let cluster = Cluster::start(&hubspot, &[]).await;
    let client = browser();

    let connected = connect(&client, &cluster[0], &cluster[1]).await;
    assert_eq!(connected["connected"], true, "{connected}");

    let res = client
        .get(cluster[2].url("/api/integrations/hubspot/status"))
        .header("X-User-Id", USER)
        .send()
        .await
        .expect("status");
    assert_eq!(res.status(), StatusCode::OK);
    let status: serde_json::Value = res.json().await.expect("status json");
    assert_eq!(status["status"], "connected", "{status}");
    assert_eq!(status["connected"], true, "{status}");
    assert_eq!(
        status["account_id"],
        sandbox.hub_id().to_string(),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_concurrent_requests_with_an_expired_token_refresh_exactly_once() {
    // The first access token lives one second: expired by the time the requests arrive.
    let (sandbox, hubspot) = hubspot(SandboxConfig {
        access_token_ttl: Duration::from_secs(1),
        ..unlimited()
    });
    let cluster = Cluster::start(
        &hubspot,
        &[("REDIS_POOL_SIZE", "32"), ("REDIS_TIMEOUT_MS", "10000")],
    )
    .await;
    let client = browser();
    connect(&client, &cluster[0], &cluster[0]).await;
    sandbox.update(|k| k.access_token_ttl = Duration::from_secs(1800));
    sandbox.reset_stats();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let api = reqwest::Client::new();
    let mut requests = JoinSet::new();
    for i in 0..300 {
        let api = api.clone();
        let base = cluster[i % 3].base.clone();
        requests.spawn(async move { (i % 3 + 1, items(&api, &base).await) });
    }
    let mut failures = Vec::new();
    while let Some(done) = requests.join_next().await {
        let (replica, (status, body)) = done.expect("request task");
        if status != StatusCode::OK {
            failures.push(format!("replica {replica}: {status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 300 failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let stats = sandbox.stats();
    assert_eq!(stats.token_refresh, 1, "one refresh across replicas");
    assert_eq!(stats.token_errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_replica_holding_the_refresh_lock_dies_the_others_recover_within_the_lock_ttl() {
    let (sandbox, hubspot) = hubspot(SandboxConfig {
        access_token_ttl: Duration::from_secs(1),
        ..unlimited()
    });
    let mut cluster = Cluster::start(
        &hubspot,
        &[
            ("REFRESH_LOCK_TTL_SECS", "3"),
            ("REQUEST_DEADLINE_SECS", "10"),
        ],
    )
    .await;
    let client = browser();
    connect(&client, &cluster[0], &cluster[0]).await;
    sandbox.update(|k| k.access_token_ttl = Duration::from_secs(1800));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // HubSpot hangs long enough for the refreshing replica to die holding the lock.
    sandbox.update(|k| k.latency = Duration::from_secs(30));
    sandbox.reset_stats();

    // Replica 1 takes the lock and waits on HubSpot...
    let first = {
        let api = reqwest::Client::new();
        let base = cluster[0].base.clone();
        let url = format!("{base}/api/integrations/hubspot/items");
        tokio::spawn(async move { api.get(url).header("X-User-Id", USER).send().await })
    };
    let seen = Instant::now() + Duration::from_secs(30);
    while !refresh_lock_held(&cluster.prefix).await {
        assert!(
            Instant::now() < seen,
            "replica 1 never took the refresh lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...and dies holding it.
    cluster.replicas[0].child.kill().expect("SIGKILL replica 1");
    cluster.replicas[0].child.wait().expect("reap replica 1");
    // Its caller sees the connection drop (or, at worst, an answer): nothing to assert.
    let _ = first.await;
    sandbox.update(|k| k.latency = Duration::ZERO);

    let (status, body) = items(&reqwest::Client::new(), &cluster[1].base).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The survivor refreshed once the lock expired; the dead holder's refresh, still hanging
    // at HubSpot, never completed.
    let stats = sandbox.stats();
    assert_eq!(stats.token_refresh, 1, "one refresh after the holder died");
    assert_eq!(stats.token_errors, 0);
}

const RATE: u32 = 20;
const WINDOW: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_pace_one_portal_through_one_budget_and_nobody_sees_a_429() {
    // HubSpot's burst limit as a rolling window of `RATE` calls in any `WINDOW`: a call that
    // would make more is answered 429 (and counted in `rate_limited`).
    let (sandbox, hubspot) = hubspot(SandboxConfig {
        rate_limit: Some(RateLimit {
            max_requests: RATE,
            window: WINDOW,
        }),
        ..SandboxConfig::default()
    });
    let rate = RATE.to_string();
    let budget = [
        ("RATE_BUDGET_ENABLED", "true"),
        ("RATE_BUDGET_PER_10S", rate.as_str()),
    ];
    let cluster = Cluster::start(&hubspot, &budget).await;
    let client = browser();
    connect(&client, &cluster[0], &cluster[1]).await;
    sandbox.reset_stats();

    // More calls than one window allows, all at once, spread over the three processes.
    let calls = RATE as usize + 4;
    let mut tasks = JoinSet::new();
    for i in 0..calls {
        let (client, base) = (client.clone(), cluster[i % 3].base.clone());
        tasks.spawn(async move { items(&client, &base).await });
    }
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Every call was admitted by the rolling window, none refused: no window held more than
    // `RATE` of them.
    let stats = sandbox.stats();
    assert_eq!(stats.rate_limited, 0, "HubSpot answered 429");
    assert_eq!(stats.objects, calls as u64);
}

/// A TCP load balancer in front of the replicas: every connection goes to the backend named by
/// `target` at the time it arrives (a test moves it, as a balancer notices a dead backend). A
/// backend that refuses the connection gets the client's connection closed, as a balancer's
/// 502 would be: the sender must retry.
async fn load_balancer(
    backends: Vec<String>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the balancer");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let target = std::sync::Arc::new(AtomicUsize::new(0));
    let chosen = target.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let backend = backends[chosen.load(Ordering::SeqCst)].clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (address, target)
}

/// One user's events on `replica` after `since` (the `end` offset with them).
async fn events(replica: &Replica, since: Option<&str>) -> (Vec<serde_json::Value>, String) {
    let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
    let res = reqwest::Client::new()
        .get(replica.url(&format!("/api/integrations/hubspot/events{query}")))
        .header("X-User-Id", USER)
        .send()
        .await
        .expect("events");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("body");
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let end = lines.pop().expect("an end line");
    assert_eq!(end["type"], "end", "{text}");
    (lines, end["offset"].as_str().expect("offset").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_through_one_url_survive_a_replica_killed_between_send_and_retry() {
    let (sandbox, hubspot) = hubspot(unlimited());
    // HubSpot's retry schedule, compressed: the first retry after about 200 ms.
    sandbox.update(|k| k.webhook_retry_base = Duration::from_millis(200));
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let backends = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let (balancer, target) = load_balancer(backends).await;
    // Every replica knows the one public URL HubSpot calls (and signs).
    let cluster = Cluster::start_on(&ports, &hubspot, &[("PUBLIC_URL", balancer.as_str())]).await;
    let mut cluster = cluster;
    let client = browser();
    connect(&client, &cluster[1], &cluster[1]).await;
    let (_, since) = events(&cluster[2], None).await;
    sandbox
        .subscribe_webhooks(
            url::Url::parse(&format!("{balancer}/api/webhooks/hubspot")).expect("url"),
            CLIENT_ID,
        )
        .expect("subscribe");

    // Delivered through replica 1, read on replica 3.
    let first = sandbox.modify_records(
        hubspot_sandbox::ObjectType::Contacts,
        hubspot_sandbox::Pick::Count(5),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let mut at = since.clone();
    while seen.len() < first.len() {
        assert!(Instant::now() < deadline, "only {seen:?} of {first:?}");
        let (lines, end) = events(&cluster[2], Some(&at)).await;
        seen.extend(lines);
        at = end;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Replica 1 dies (SIGKILL); HubSpot's next batch fails at the balancer, which still sends
    // there, and is retried after the balancer moves to replica 2.
    cluster.replicas[0].child.kill().expect("SIGKILL replica 1");
    cluster.replicas[0].child.wait().expect("reap replica 1");
    sandbox.reset_stats();
    let second = sandbox.modify_records(
        hubspot_sandbox::ObjectType::Contacts,
        hubspot_sandbox::Pick::Count(5),
    );
    let failed = Instant::now() + Duration::from_secs(10);
    while sandbox.webhook_stats().failed_attempts == 0 {
        assert!(
            Instant::now() < failed,
            "the send to the dead replica never failed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    target.store(1, std::sync::atomic::Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < first.len() + second.len() {
        assert!(
            Instant::now() < deadline,
            "lost events: saw {} lines",
            seen.len()
        );
        let (lines, end) = events(&cluster[2], Some(&at)).await;
        seen.extend(lines);
        at = end;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every change exactly once, in the order HubSpot sent them.
    let ids: Vec<String> = seen
        .iter()
        .map(|l| l["id"].as_str().expect("id").to_owned())
        .collect();
    let expected: Vec<String> = first.iter().chain(&second).map(u64::to_string).collect();
    let mut sorted_ids = ids.clone();
    let mut sorted_expected = expected.clone();
    sorted_ids.sort();
    sorted_expected.sort();
    assert_eq!(sorted_ids, sorted_expected, "each change once");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (late, _) = events(&cluster[2], Some(&at)).await;
    assert!(late.is_empty(), "nothing delivered twice: {late:?}");
}
