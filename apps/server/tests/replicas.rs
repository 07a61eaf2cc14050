//! Three real `vs-server` processes sharing one Redis (one `REDIS_KEY_PREFIX`, one
//! `TOKEN_ENCRYPTION_KEY`) and one HubSpot played by wiremock, as production runs them behind a
//! load balancer: an OAuth flow may start on one replica and finish on another, a token refresh
//! happens once across all of them, and a replica that dies holding the refresh lock blocks the
//! others only until the lock's TTL.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::task::JoinSet;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const USER: &str = "alice";
const TOKEN_PATH: &str = "/oauth/2026-03/token";
const CONTACTS_PATH: &str = "/crm/v3/objects/contacts";

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
    /// Starts three replicas pointed at `hubspot`, with `extra` settings on each, and waits until
    /// every one answers `/healthz`.
    async fn start(hubspot: &MockServer, extra: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("vs-replicas-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        let prefix = format!("vs-replicas-{}:", uuid::Uuid::new_v4().simple());
        // 32 random bytes as hex.
        let key = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let redis = std::env::var("REDIS_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
        let mock = hubspot.uri();
        let mut cluster = Cluster {
            replicas: Vec::new(),
            dir: dir.clone(),
        };
        for i in 1..=3 {
            let port = free_port();
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
                .env("HUBSPOT_CLIENT_ID", "test-client-id")
                .env("HUBSPOT_CLIENT_SECRET", "test-client-secret-DO-NOT-LOG")
                .env("HUBSPOT_AUTH_URL", format!("{mock}/oauth/authorize"))
                .env("HUBSPOT_API_BASE_URL", &mock)
                .env("HUBSPOT_TOKEN_URL", format!("{mock}{TOKEN_PATH}"))
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

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// A client that keeps cookies (for the OAuth binding cookie) and does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A token-endpoint answer shaped as HubSpot's.
fn token_response(access: &str, refresh: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "bearer",
        "token_use": "access_token",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": expires_in,
        "hub_id": 62_515,
        "user_id": 777,
        "scopes": ["crm.objects.contacts.read", "oauth"]
    }))
}

/// The code `good-code` yields `access-1` living `expires_in` seconds; introspection knows it.
async fn mock_code_exchange(hubspot: &MockServer, expires_in: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=good-code"))
        .respond_with(token_response("access-1", "refresh-1", expires_in))
        .mount(hubspot)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{TOKEN_PATH}/introspect")))
        .and(body_string_contains("token=access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "active": true,
            "token_use": "access_token",
            "hub_id": 62_515,
            "hub_domain": "acme-62515.hubspot.com",
            "user": "owner@acme.example",
            "scopes": ["crm.objects.contacts.read", "oauth"],
        })))
        .mount(hubspot)
        .await;
}

/// Contacts for requests bearing `token` only.
async fn mock_contacts(hubspot: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path(CONTACTS_PATH))
        .and(header("authorization", format!("Bearer {token}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [{
                "id": "1000",
                "properties": {
                    "firstname": "Ada",
                    "lastname": "Lovelace",
                    "email": "ada@example.com",
                    "hs_object_id": "1000"
                },
                "createdAt": "2024-01-02T03:04:05.000Z",
                "updatedAt": "2024-02-03T04:05:06.000Z",
                "archived": false
            }]
        })))
        .mount(hubspot)
        .await;
}

fn is_refresh_grant(request: &Request) -> bool {
    request.method.as_str() == "POST"
        && request.url.path() == TOKEN_PATH
        && String::from_utf8_lossy(&request.body).contains("grant_type=refresh_token")
}

async fn refresh_grants(hubspot: &MockServer) -> usize {
    hubspot
        .received_requests()
        .await
        .expect("request recording is on")
        .iter()
        .filter(|r| is_refresh_grant(r))
        .count()
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
        .find(|v| v.starts_with("vs_oauth_hubspot="))
        .expect("the vs_oauth_hubspot binding cookie")
        .to_owned();
    assert!(
        cookie.contains("Path=/api/integrations/hubspot/callback"),
        "{cookie}"
    );
    let body: serde_json::Value = res.json().await.expect("authorize json");
    let consent = url::Url::parse(body["url"].as_str().expect("url")).expect("consent url");
    let state = consent
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state in the consent url");

    let res = client
        .get(finish.url("/api/integrations/hubspot/callback"))
        .query(&[("code", "good-code"), ("state", state.as_str())])
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
    let hubspot = MockServer::start().await;
    mock_code_exchange(&hubspot, 1800).await;
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
    assert_eq!(status["account_id"], "62515", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_concurrent_requests_with_an_expired_token_refresh_exactly_once() {
    let hubspot = MockServer::start().await;
    // The access token lives one second: expired by the time the requests arrive.
    mock_code_exchange(&hubspot, 1).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-1"))
        .respond_with(token_response("access-2", "refresh-2", 1800))
        .expect(1)
        .named("refresh grant")
        .mount(&hubspot)
        .await;
    mock_contacts(&hubspot, "access-2").await;
    let cluster = Cluster::start(
        &hubspot,
        &[("REDIS_POOL_SIZE", "32"), ("REDIS_TIMEOUT_MS", "10000")],
    )
    .await;
    let client = browser();
    connect(&client, &cluster[0], &cluster[0]).await;
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
    assert_eq!(
        refresh_grants(&hubspot).await,
        1,
        "one refresh across replicas"
    );
    hubspot.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_replica_holding_the_refresh_lock_dies_the_others_recover_within_the_lock_ttl() {
    let hubspot = MockServer::start().await;
    mock_code_exchange(&hubspot, 1).await;
    // The first refresh hangs at HubSpot long enough for its replica to die holding the lock.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(
            token_response("access-2", "refresh-2", 1800).set_delay(Duration::from_secs(8)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("refresh grant that hangs")
        .mount(&hubspot)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(token_response("access-3", "refresh-3", 1800))
        .with_priority(2)
        .expect(1)
        .named("refresh grant after the holder died")
        .mount(&hubspot)
        .await;
    mock_contacts(&hubspot, "access-3").await;
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
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Replica 1 takes the lock and waits on HubSpot...
    let first = {
        let api = reqwest::Client::new();
        let base = cluster[0].base.clone();
        let url = format!("{base}/api/integrations/hubspot/items");
        tokio::spawn(async move { api.get(url).header("X-User-Id", USER).send().await })
    };
    let seen = Instant::now() + Duration::from_secs(30);
    while refresh_grants(&hubspot).await == 0 {
        assert!(Instant::now() < seen, "replica 1 never asked for a refresh");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...and dies holding it.
    cluster.replicas[0].child.kill().expect("SIGKILL replica 1");
    cluster.replicas[0].child.wait().expect("reap replica 1");
    // Its caller sees the connection drop (or, at worst, an answer): nothing to assert.
    let _ = first.await;

    let (status, body) = items(&reqwest::Client::new(), &cluster[1].base).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        refresh_grants(&hubspot).await,
        2,
        "the dead holder's refresh and one more"
    );
    hubspot.verify().await;
}

/// HubSpot's contacts endpoint limited to `RATE` calls in any `WINDOW`: records arrivals and
/// answers 429 past the limit.
#[derive(Clone, Default)]
struct SlidingWindow {
    admitted: std::sync::Arc<std::sync::Mutex<Vec<Instant>>>,
    refused: std::sync::Arc<std::sync::Mutex<usize>>,
}

const RATE: usize = 20;
const WINDOW: Duration = Duration::from_secs(10);

impl wiremock::Respond for SlidingWindow {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let mut admitted = self.admitted.lock().expect("lock");
        if admitted.iter().filter(|t| now - **t < WINDOW).count() >= RATE {
            *self.refused.lock().expect("lock") += 1;
            return ResponseTemplate::new(429).insert_header("Retry-After", "1");
        }
        admitted.push(now);
        ResponseTemplate::new(200).set_body_json(json!({"results": []}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_pace_one_portal_through_one_budget_and_nobody_sees_a_429() {
    let hubspot = MockServer::start().await;
    mock_code_exchange(&hubspot, 1800).await;
    let upstream = SlidingWindow::default();
    Mock::given(method("GET"))
        .and(path(CONTACTS_PATH))
        .respond_with(upstream.clone())
        .mount(&hubspot)
        .await;
    let rate = RATE.to_string();
    let budget = [
        ("RATE_BUDGET_ENABLED", "true"),
        ("RATE_BUDGET_PER_10S", rate.as_str()),
    ];
    let cluster = Cluster::start(&hubspot, &budget).await;
    let client = browser();
    connect(&client, &cluster[0], &cluster[1]).await;

    // More calls than one window allows, all at once, spread over the three processes.
    let calls = RATE + 4;
    let mut tasks = JoinSet::new();
    for i in 0..calls {
        let (client, base) = (client.clone(), cluster[i % 3].base.clone());
        tasks.spawn(async move { items(&client, &base).await });
    }
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        *upstream.refused.lock().expect("lock"),
        0,
        "HubSpot answered 429"
    );
    let mut arrivals = upstream.admitted.lock().expect("lock").clone();
    arrivals.sort();
    assert_eq!(arrivals.len(), calls);
    for (i, start) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .take_while(|t| **t - *start < WINDOW)
            .count();
        assert!(in_window <= RATE, "{in_window} calls within one window");
    }
}
