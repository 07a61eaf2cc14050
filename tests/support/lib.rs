//! Test support: `spawn_app` starts the real server (exactly what `vs-server` builds) on port 0
//! against a real Redis with a fresh key prefix, and HubSpot as the bundled sandbox: in process
//! (sandbox mode) or on a port of its own ([`HubSpot`], live mode).
//! Typed helpers keep the tests about behaviour, not plumbing.

#![expect(
    missing_debug_implementations,
    reason = "test fixtures hold servers and clients with nothing useful to print"
)]

pub mod contract;
mod hubspot;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use integration_core::{ConnectorOptions, CredentialStore, Credentials, RetryPolicy, UserId};
use reqwest::{Response, StatusCode};
use server::settings::Settings;
use server::startup::Application;
use token_store::{Cipher, RedisStoreConfig, RedisTokenStore};
use url::Url;

pub use hubspot::{HubSpot, TEST_CLIENT_ID, TEST_CLIENT_SECRET};

/// The test encryption key (32 bytes of 0x2a, base64).
pub const TEST_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
/// Where callback outcomes are sent in tests.
pub const FRONTEND: &str = "http://frontend.test";

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Connector tuning that keeps failure tests fast while exercising the same code paths.
pub fn fast_options() -> ConnectorOptions {
    ConnectorOptions {
        retry: RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
            min_rate_limit_delay: Duration::from_millis(20),
        },
        lock_poll: Duration::from_millis(10),
        ..ConnectorOptions::default()
    }
}

/// How to build a test app.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Extra or overriding environment variables.
    pub vars: Vec<(String, String)>,
    /// Redis key prefix; share it to make two instances share state.
    pub key_prefix: String,
    /// Connector tuning.
    pub connector: ConnectorOptions,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            vars: Vec::new(),
            key_prefix: fresh_prefix(),
            connector: fast_options(),
        }
    }
}

pub fn fresh_prefix() -> String {
    format!("test-{}:", uuid::Uuid::new_v4().simple())
}

/// A running server.
pub struct TestApp {
    pub address: Url,
    pub client: reqwest::Client,
    pub key_prefix: String,
    /// The app's store, seen from outside (same Redis, prefix and key).
    pub store: RedisTokenStore,
    pub sandbox: Option<hubspot_sandbox::Sandbox>,
    /// Where the app's metrics listener (`METRICS_ADDR`) bound; `None` when it is `off`.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

/// The app in live mode against the stand-alone sandbox `hubspot`, its callback registered there.
pub async fn spawn_app(hubspot: &HubSpot) -> TestApp {
    hubspot.app(AppOptions::default()).await
}

/// The app in sandbox mode (no HubSpot credentials), as `just run` starts it.
pub async fn spawn_sandbox_app() -> TestApp {
    spawn_app_with(Vec::new(), AppOptions::default()).await
}

/// The app in sandbox mode with `vars` set (`("INDEX_LAG_SECS", "0")`…).
pub async fn spawn_sandbox_app_with(vars: &[(&str, &str)]) -> TestApp {
    let vars = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    spawn_app_with(
        Vec::new(),
        AppOptions {
            vars,
            ..AppOptions::default()
        },
    )
    .await
}

/// Everything every test app logged, at debug level, in the server's JSON format.
pub fn captured_logs() -> String {
    let buffer = LOGS.get_or_init(Default::default);
    String::from_utf8_lossy(&buffer.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

static LOGS: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
    std::sync::OnceLock::new();

#[derive(Clone)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The in-process HubSpot sandbox, when HubSpot is served by it.
fn hubspot_sandbox_of(app: &Application) -> Option<hubspot_sandbox::Sandbox> {
    app.sandbox("hubspot")?
        .as_any()
        .downcast_ref::<providers::HubSpotSandbox>()
        .map(|s| s.inner().clone())
}

fn capture_logs() {
    let buffer = LOGS.get_or_init(Default::default).clone();
    // Everything the server, the sandbox and our crates log, at every level; not wiremock's own
    // debug dump of unmatched requests (the identity provider some tests fake).
    let filter = "debug,wiremock=info";
    server::telemetry::init_with(server::settings::LogFormat::Json, filter, move || {
        LogBuffer(buffer.clone())
    });
}

pub async fn spawn_app_with(hubspot_vars: Vec<(String, String)>, options: AppOptions) -> TestApp {
    spawn(hubspot_vars, options, false).await
}

async fn spawn(
    hubspot_vars: Vec<(String, String)>,
    options: AppOptions,
    local_address: bool,
) -> TestApp {
    capture_logs();
    let mut vars: HashMap<String, String> = [
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        // `/metrics` has a listener of its own: loopback, any free port (`TestApp::metrics_url`).
        ("METRICS_ADDR", "127.0.0.1:0".to_owned()),
        ("TOKEN_ENCRYPTION_KEY", TEST_KEY.to_owned()),
        ("REDIS_URL", redis_url()),
        ("REDIS_KEY_PREFIX", options.key_prefix.clone()),
        ("REDIS_TIMEOUT_MS", "500".to_owned()),
        ("FRONTEND_URL", FRONTEND.to_owned()),
        ("WEB_DIST_DIR", "/nonexistent".to_owned()),
        // Tests about other things (and the benchmarks) are not paced; the rate-budget tests
        // turn it on through `AppOptions::vars`.
        ("RATE_BUDGET_ENABLED", "false".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(hubspot_vars);
    vars.extend(options.vars.iter().cloned());
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    let redis = settings.redis.clone();
    let app = Application::build_with(settings, options.connector)
        .await
        .expect("app builds");
    let address = if local_address {
        Url::parse(&format!("http://127.0.0.1:{}", app.port())).expect("local url")
    } else {
        app.base_url().clone()
    };
    let sandbox = hubspot_sandbox_of(&app);
    let metrics_addr = app.metrics_addr();
    tokio::spawn(app.run_until_stopped());

    let store = RedisTokenStore::new(
        RedisStoreConfig::new(secrecy::ExposeSecret::expose_secret(&redis.url).to_owned())
            .with_key_prefix(options.key_prefix.clone())
            .with_timeout(Duration::from_secs(2)),
        Cipher::from_key_material(TEST_KEY).expect("test key"),
    )
    .expect("store");
    TestApp {
        address,
        // A browser: keeps cookies (the OAuth flow's binding cookie), follows no redirects.
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client"),
        key_prefix: options.key_prefix,
        store,
        sandbox,
        metrics_addr,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address.as_str().trim_end_matches('/'), path)
    }

    /// `GET /metrics` on the app's metrics listener (`METRICS_ADDR`), not its public port.
    /// Panics when the app runs with `METRICS_ADDR=off`.
    pub fn metrics_url(&self) -> String {
        let addr = self.metrics_addr.expect("the metrics listener is on");
        format!("http://{addr}/metrics")
    }

    /// The Prometheus text the metrics listener serves, expecting 200.
    pub async fn metrics_text(&self) -> String {
        let res = self
            .client
            .get(self.metrics_url())
            .send()
            .await
            .expect("metrics request");
        assert_eq!(res.status(), reqwest::StatusCode::OK, "GET /metrics");
        res.text().await.expect("metrics body")
    }

    pub async fn get_as(&self, user: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("X-User-Id", user)
            .send()
            .await
            .expect("request")
    }

    /// `GET path` as `user`, expecting 200 and a JSON body.
    pub async fn get_json(&self, user: &str, path: &str) -> serde_json::Value {
        let res = self.get_as(user, path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("JSON body")
    }

    pub async fn items(&self, user: &str, query: &str) -> Response {
        self.get_as(user, &format!("/api/integrations/hubspot/items{query}"))
            .await
    }

    /// Starts the consent flow for `user` and returns the consent URL the server made.
    pub async fn authorize(&self, user: &str) -> Url {
        let res = self
            .client
            .get(self.url("/api/integrations/hubspot/authorize"))
            .header("X-User-Id", user)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.expect("json");
        Url::parse(body["url"].as_str().expect("url")).expect("valid url")
    }

    /// Starts the consent flow for `user` and returns the `state` the server issued.
    pub async fn issue_state(&self, user: &str) -> String {
        query_value(&self.authorize(user).await, "state").expect("state in consent url")
    }

    /// Calls the OAuth callback as an API client (JSON outcome).
    pub async fn callback_json(&self, query: &[(&str, &str)], user: Option<&str>) -> Response {
        let mut req = self
            .client
            .get(self.url("/api/integrations/hubspot/callback"))
            .query(query)
            .header("Accept", "application/json");
        if let Some(user) = user {
            req = req.header("X-User-Id", user);
        }
        req.send().await.expect("request")
    }

    /// Calls the OAuth callback as a browser would (redirect outcome).
    pub async fn callback_browser(&self, query: &[(&str, &str)]) -> Response {
        self.client
            .get(self.url("/api/integrations/hubspot/callback"))
            .query(query)
            .send()
            .await
            .expect("request")
    }

    /// Makes `user`'s stored access token expire `expires_in` from now (negative: already
    /// expired), as far as the server knows, as if it had been obtained earlier (its lifetime
    /// kept); HubSpot's view of the token is unchanged.
    pub async fn expire_in(&self, user: &str, expires_in: chrono::Duration) {
        let mut credentials = self.stored(user).await.expect("connected");
        let lifetime = credentials.lifetime().expect("an expiring token");
        let expires_at = Utc::now() + expires_in;
        credentials.expires_at = Some(expires_at);
        credentials.obtained_at = expires_at - lifetime;
        self.store
            .save("hubspot", &user_id(user), &credentials)
            .await
            .expect("save");
    }

    /// Starts the flow for `user` and presses Approve on the sandbox's consent page (in process
    /// or stand-alone): returns where the sandbox sends the browser back (our callback, with
    /// `code` and `state`), not yet followed.
    pub async fn approve_at_sandbox(&self, user: &str) -> Url {
        let consent = self.authorize(user).await;
        let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
        form.push(("decision".into(), "approve".into()));
        let decision = consent.join("authorize/decision").expect("decision url");
        let res = self
            .client
            .post(decision)
            .form(&form)
            .send()
            .await
            .expect("approve");
        assert_eq!(res.status(), StatusCode::FOUND);
        location(&res)
    }

    /// Connects `user` through the sandbox (in process or stand-alone): consent URL, Approve,
    /// callback. Panics unless the server reports success.
    pub async fn connect_via_sandbox(&self, user: &str) {
        let callback = self.approve_at_sandbox(user).await;
        let res = self.client.get(callback).send().await.expect("callback");
        assert_eq!(
            query_value(&location(&res), "result").as_deref(),
            Some("success")
        );
    }

    pub async fn stored(&self, user: &str) -> Option<Credentials> {
        self.stored_for("hubspot", user).await
    }

    /// `user`'s stored credentials at `provider`.
    pub async fn stored_for(&self, provider: &str, user: &str) -> Option<Credentials> {
        self.store
            .load(provider, &user_id(user))
            .await
            .expect("load")
    }

    /// One page of `user`'s items at `provider` (`query` starts with `?` or is empty).
    pub async fn items_of(&self, provider: &str, user: &str, query: &str) -> Response {
        self.get_as(user, &format!("/api/integrations/{provider}/items{query}"))
            .await
    }

    /// Connects `user` to `provider` through its in-process sandbox as a person would: asks for
    /// the consent URL, loads the consent page, presses its Approve button (whatever the
    /// sandbox's form looks like), follows the redirect to our callback. Panics unless the
    /// server reports success.
    pub async fn connect_through_consent_page(&self, provider: &str, user: &str) {
        self.connect_through_consent_page_with(provider, user, "")
            .await;
    }

    /// [`connect_through_consent_page`](Self::connect_through_consent_page) with `query`
    /// (empty or starting with `?`) on the authorize request, e.g. `?object_type=companies`.
    pub async fn connect_through_consent_page_with(&self, provider: &str, user: &str, query: &str) {
        let res = self
            .client
            .get(self.url(&format!("/api/integrations/{provider}/authorize{query}")))
            .header("X-User-Id", user)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("authorize");
        assert_eq!(res.status(), StatusCode::OK, "{provider} authorize");
        let body: serde_json::Value = res.json().await.expect("json");
        let consent = Url::parse(body["url"].as_str().expect("url")).expect("consent url");
        let page = self
            .client
            .get(consent.clone())
            .send()
            .await
            .expect("consent page");
        assert_eq!(page.status(), StatusCode::OK, "{provider} consent page");
        let html = page.text().await.expect("html");
        let form = html::approve_form(&html)
            .unwrap_or_else(|| panic!("{provider}: no Approve form in {html}"));
        let action = consent.join(&form.action).expect("form action");
        let res = self
            .client
            .post(action)
            .form(&form.fields)
            .send()
            .await
            .expect("approve");
        assert_eq!(res.status(), StatusCode::FOUND, "{provider} approve");
        let res = self
            .client
            .get(location(&res))
            .send()
            .await
            .expect("callback");
        let outcome = location(&res);
        assert_eq!(
            query_value(&outcome, "result").as_deref(),
            Some("success"),
            "{provider}: {outcome}"
        );
    }
}

/// Reading a consent page as a browser would, without a browser.
pub mod html {
    /// The consent form: where it posts and what pressing Approve sends.
    #[derive(Debug)]
    pub struct ApproveForm {
        /// The form's `action` (relative to the page).
        pub action: String,
        /// Hidden inputs plus the Approve button's name and value.
        pub fields: Vec<(String, String)>,
    }

    /// The form holding an Approve button, if the page has one.
    pub fn approve_form(html: &str) -> Option<ApproveForm> {
        html.split("<form").skip(1).find_map(|form| {
            let form = form.split("</form>").next()?;
            let action = attr(form, "action").unwrap_or_default();
            let mut fields: Vec<(String, String)> = form
                .split("<input")
                .skip(1)
                .filter(|tag| tag.contains("type=\"hidden\""))
                .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value")?)))
                .collect();
            let button = form.split("<button").skip(1).find(|tag| {
                let tag = tag
                    .split('>')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                tag.contains("approve") || tag.contains("allow")
            })?;
            if let (Some(name), Some(value)) = (attr(button, "name"), attr(button, "value")) {
                fields.push((name, value));
            }
            Some(ApproveForm { action, fields })
        })
    }

    fn attr(tag: &str, name: &str) -> Option<String> {
        let tag = tag.split('>').next()?;
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[start..].find('"')? + start;
        Some(unescape(&tag[start..end]))
    }

    fn unescape(s: &str) -> String {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#x2F;", "/")
            .replace("&amp;", "&")
    }
}

/// Sends `n` concurrent item requests for `user`, spread round-robin over `apps`, and asserts
/// that every one succeeds.
pub async fn concurrent_items(apps: &[&TestApp], user: &str, n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let app = apps[i % apps.len()];
        let request = app
            .client
            .get(app.url("/api/integrations/hubspot/items"))
            .header("X-User-Id", user);
        tasks.spawn(async move { request.send().await.expect("request").status() });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), StatusCode::OK);
    }
}

/// The provider's cursor inside a cursor the server handed out: ours are `{seal}.{wrapped}`, the
/// provider's text base64url-encoded after a MAC (see `integration_core::Seal`).
pub fn provider_cursor(ours: &str) -> String {
    let (_, wrapped) = ours.split_once('.').expect("a sealed cursor");
    let wrapped = integration_core::Cursor::parse(wrapped).expect("a cursor");
    wrapped
        .unwrap_provider()
        .expect("a wrapped provider cursor")
}

pub fn user_id(raw: &str) -> UserId {
    UserId::parse(raw).expect("valid user id")
}

pub fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Asserts a problem+json response with `status` and `code`, returning the body.
pub async fn assert_problem(res: Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

/// The `Location` of a redirect, parsed.
pub fn location(res: &Response) -> Url {
    let raw = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header");
    Url::parse(raw).expect("absolute Location")
}

/// One Redis command on `REDIS_URL`'s Redis (as `redis-cli` would send it), so tests can look at
/// what is really stored. Returns the reply's payload: a bulk string's bytes, an integer's or a
/// status's text; empty for nil. Panics on an error reply.
pub async fn redis_command(args: &[&str]) -> Vec<u8> {
    use deadpool_redis::redis::{self, Value};
    let (name, rest) = args.split_first().expect("a command");
    let client = redis::Client::open(redis_url()).expect("REDIS_URL");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let reply: Value = redis::cmd(name)
        .arg(rest)
        .query_async(&mut conn)
        .await
        .unwrap_or_else(|error| panic!("redis replied {error}"));
    match reply {
        Value::Nil => Vec::new(),
        Value::BulkString(bytes) => bytes,
        Value::Int(n) => n.to_string().into_bytes(),
        Value::Okay => b"OK".to_vec(),
        Value::SimpleString(text) => text.into_bytes(),
        other => panic!("redis replied {other:?}"),
    }
}

/// Like [`spawn_app_with`], but the returned app is addressed at its bound local port whatever
/// `PUBLIC_URL` says (the server believes it is reached at `PUBLIC_URL`, e.g. behind a TLS
/// proxy; the test talks to it directly).
pub async fn spawn_app_behind_proxy(
    hubspot_vars: Vec<(String, String)>,
    options: AppOptions,
) -> TestApp {
    spawn(hubspot_vars, options, true).await
}

/// Helpers the load benchmarks share.
pub mod bench {
    /// The number in environment variable `name`, else `default`.
    pub fn env_or(name: &str, default: usize) -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// This process's peak resident memory (`VmHWM`), in MiB.
    pub fn peak_rss_mib() -> f64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}
