//! No secret in any sandbox log line, at any level, over full OAuth flows on both API versions.
//!
//! Its own test binary: it installs a process-wide tracing subscriber (the sandbox logs from
//! actix worker threads, which a thread-local default would miss). The subscriber is a few
//! lines over `tracing` itself, so no new dependency is needed.

#![expect(clippy::unwrap_used, reason = "a test: panics are failures")]

use std::fmt::Write as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hubspot_sandbox::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, Sandbox, SandboxConfig,
};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// Every event and span field at every level, one line each, as text.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<String>>,
    next_id: Arc<AtomicU64>,
}

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl Capture {
    fn push(&self, metadata: &Metadata<'_>, record: impl FnOnce(&mut Line<'_>)) {
        let mut line = format!(
            "{} {} {}:",
            metadata.level(),
            metadata.target(),
            metadata.name()
        );
        record(&mut Line(&mut line));
        let mut lines = self.lines.lock().unwrap();
        lines.push_str(&line);
        lines.push('\n');
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.push(span.metadata(), |line| span.record(line));
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("record:");
        values.record(&mut Line(&mut line));
        self.lines.lock().unwrap().push_str(&(line + "\n"));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        self.push(event.metadata(), |line| event.record(line));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

const SCOPES: &str = "oauth crm.objects.contacts.read";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Flow {
    http: reqwest::Client,
    base: String,
    secrets: Vec<String>,
}

impl Flow {
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn code(&mut self, pkce: bool) -> String {
        let mut query = vec![
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", SCOPES),
            ("state", "st"),
        ];
        if pkce {
            query.extend([
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ]);
        }
        let page = self
            .http
            .get(format!("{}/oauth/authorize", self.base))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        query.push(("decision", "approve"));
        let response = self.post("/oauth/authorize/decision", &query).await;
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let code = url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        self.secrets.push(code.clone());
        code
    }

    /// Exchanges (with a wrong verifier first, when PKCE is on), refreshes, and records tokens.
    async fn tokens(&mut self, token_path: &str, pkce: bool) -> (String, String) {
        let code = self.code(pkce).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code", code.as_str()),
        ];
        if pkce {
            let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-2";
            self.secrets.push(wrong.to_owned());
            let mut bad = form.clone();
            bad.push(("code_verifier", wrong));
            assert_eq!(self.post(token_path, &bad).await.status(), 400);
            form.push(("code_verifier", VERIFIER));
        }
        let body: Value = self.post(token_path, &form).await.json().await.unwrap();
        let access = body["access_token"].as_str().unwrap().to_owned();
        let refresh = body["refresh_token"].as_str().unwrap().to_owned();
        let refreshed: Value = self
            .post(
                token_path,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", DEFAULT_CLIENT_ID),
                    ("client_secret", DEFAULT_CLIENT_SECRET),
                    ("refresh_token", &refresh),
                ],
            )
            .await
            .json()
            .await
            .unwrap();
        let second = refreshed["access_token"].as_str().unwrap().to_owned();
        self.secrets
            .extend([access.clone(), refresh.clone(), second.clone()]);
        let contacts = self
            .http
            .get(format!("{}/crm/v3/objects/contacts", self.base))
            .bearer_auth(&second)
            .send()
            .await
            .unwrap();
        assert_eq!(contacts.status(), 200);
        (second, refresh)
    }
}

#[tokio::test]
async fn no_secret_reaches_the_logs_over_full_flows_on_both_versions() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = Sandbox::new(SandboxConfig::typical());
    tokio::spawn(sandbox.run(listener).unwrap());
    let mut flow = Flow {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base,
        secrets: vec![
            DEFAULT_CLIENT_SECRET.to_owned(),
            VERIFIER.to_owned(),
            "wrong-secret-value".to_owned(),
        ],
    };

    // v1: token, refresh, metadata, revoke; a refused secret.
    let (access, refresh) = flow.tokens("/oauth/v1/token", true).await;
    for path in [
        format!("/oauth/v1/access-tokens/{access}"),
        format!("/oauth/v1/refresh-tokens/{refresh}"),
    ] {
        let response = flow
            .http
            .get(format!("{}{path}", flow.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let refused = flow
        .post(
            "/oauth/v1/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", "wrong-secret-value"),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    let deleted = flow
        .http
        .delete(format!("{}/oauth/v1/refresh-tokens/{refresh}", flow.base))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // 2026-03: token, refresh, introspect both kinds, revoke, introspect again.
    let (access, refresh) = flow.tokens("/oauth/2026-03/token", true).await;
    let (_, _) = flow.tokens("/oauth/2026-03/token", false).await;
    let credentials = |token: &str| {
        vec![
            ("client_id", DEFAULT_CLIENT_ID.to_owned()),
            ("client_secret", DEFAULT_CLIENT_SECRET.to_owned()),
            ("token", token.to_owned()),
        ]
    };
    for token in [&access, &refresh] {
        let response = flow
            .http
            .post(format!("{}/oauth/2026-03/token/introspect", flow.base))
            .form(&credentials(token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let response = flow
        .http
        .post(format!("{}/oauth/2026-03/token/revoke", flow.base))
        .form(&credentials(&refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let expired = flow
        .http
        .get(format!("{}/crm/v3/objects/contacts", flow.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);

    let logs = capture.lines.lock().unwrap().clone();
    // The capture works and saw the sandbox: its events, with field values, are in it.
    for expected in [
        "hubspot_sandbox",
        "authorization code exchanged",
        "access token refreshed",
        "token request refused",
        "token introspected",
        "revoke request",
        &format!("client_id={DEFAULT_CLIENT_ID}"),
    ] {
        assert!(logs.contains(expected), "{expected:?} not logged:\n{logs}");
    }
    assert!(flow.secrets.len() >= 15, "{}", flow.secrets.len());
    for secret in &flow.secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "secret {secret:?} appears in the logs:\n{logs}"
        );
    }
}
