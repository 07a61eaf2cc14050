//! Spawning sandboxes and driving the OAuth dance, so each test reads as its behaviour.

use std::net::TcpListener;

use actix_web::{App, HttpServer, web};
use hubspot_sandbox::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, Sandbox, SandboxConfig,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub const SCOPES: &str =
    "oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read";

pub struct TestSandbox {
    pub sandbox: Sandbox,
    /// Base URL including any mount prefix, without a trailing slash.
    pub base: String,
    pub http: reqwest::Client,
}

/// HubSpot's typical answers without its rate limits (for tests that page a lot).
pub fn unlimited() -> SandboxConfig {
    SandboxConfig {
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::typical()
    }
}

/// The JSON of a 200 answer (any other status fails the test).
pub async fn ok(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// The sandbox alone at the root, via `Sandbox::run`.
pub async fn spawn(config: SandboxConfig) -> TestSandbox {
    let sandbox = Sandbox::new(config);
    let (base, _) = sandbox.spawn().expect("run");
    let base = base.as_str().trim_end_matches('/').to_owned();
    TestSandbox {
        sandbox,
        base,
        http: client(),
    }
}

pub async fn spawn_default() -> TestSandbox {
    spawn(SandboxConfig::typical()).await
}

/// The sandbox mounted under `prefix` inside a host app, as the product server does.
pub async fn spawn_mounted(config: SandboxConfig, prefix: &'static str) -> TestSandbox {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}{prefix}", listener.local_addr().expect("addr"));
    let sandbox = Sandbox::new(config);
    let for_server = sandbox.clone();
    let server = HttpServer::new(move || {
        let s = for_server.clone();
        App::new()
            .route("/health", web::get().to(|| async { "ok" }))
            .service(web::scope(prefix).configure(move |c| s.configure(c)))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    TestSandbox {
        sandbox,
        base,
        http: client(),
    }
}

pub fn query_of(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .expect("absolute location")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .expect("location header")
        .to_str()
        .expect("ascii location")
        .to_owned()
}

pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub body: Value,
}

impl TestSandbox {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn consent(&self, query: &[(&str, &str)]) -> Response {
        self.http
            .get(self.url("/oauth/authorize"))
            .query(query)
            .send()
            .await
            .expect("GET authorize")
    }

    pub async fn decide(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/oauth/authorize/decision"))
            .form(form)
            .send()
            .await
            .expect("POST decision")
    }

    /// Approves the default client with `scope` and returns the code from the redirect.
    pub async fn approve(&self, scope: &str) -> String {
        let response = self
            .decide(&[
                ("client_id", DEFAULT_CLIENT_ID),
                ("redirect_uri", DEFAULT_REDIRECT_URI),
                ("scope", scope),
                ("state", "s"),
                ("decision", "approve"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let pairs = query_of(&location(&response));
        param(&pairs, "code").expect("code").to_owned()
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/oauth/v1/token"))
            .form(form)
            .send()
            .await
            .expect("POST token")
    }

    pub async fn exchange(&self, code: &str) -> Response {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code", code),
        ])
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Runs consent and code exchange for all CRM read scopes.
    pub async fn tokens(&self) -> Tokens {
        self.tokens_with(SCOPES).await
    }

    pub async fn tokens_with(&self, scope: &str) -> Tokens {
        let code = self.approve(scope).await;
        let response = self.exchange(&code).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("token json");
        Tokens {
            access_token: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
            body,
        }
    }

    pub async fn list(
        &self,
        object: &str,
        token: Option<&str>,
        query: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .http
            .get(self.url(&format!("/crm/v3/objects/{object}")))
            .query(query);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET objects")
    }

    pub async fn search(&self, object: &str, token: Option<&str>, body: &Value) -> Response {
        let mut request = self
            .http
            .post(self.url(&format!("/crm/v3/objects/{object}/search")))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("POST search")
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST admin")
    }

    pub async fn get_url(&self, url: &str, token: &str) -> Response {
        self.http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }
}

/// Asserts a v3 API error body and returns it.
pub async fn assert_api_error(response: Response, status: StatusCode, category: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("error json");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["category"], category, "{body}");
    assert!(
        body["correlationId"]
            .as_str()
            .is_some_and(|c| c.len() == 36),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// Asserts an OAuth error body (`{"status":"BAD_…"}`) with status 400.
pub async fn assert_oauth_error(response: Response, status: &str) -> Value {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("error json");
    assert_eq!(body["status"], status, "{body}");
    assert!(body["correlationId"].as_str().is_some(), "{body}");
    assert!(body["message"].as_str().is_some(), "{body}");
    body
}
