//! The HubSpot provider against its sandbox on a port of its own, and a person pressing Approve
//! on the sandbox's consent page: shared by every test binary that talks to HubSpot.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Service as _;
use actix_web::{App, HttpServer, web};
use hubspot::{HubSpot, HubSpotConfig};
use hubspot_sandbox::{RegisteredClient, Sandbox, SandboxConfig};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, Credentials, Integration, OAuthState, PkceVerifier,
    UserId,
};
use url::Url;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const CLIENT_ID: &str = "contract-client";
pub const CLIENT_SECRET: &str = "contract-secret";

/// One request the sandbox received, as it arrived (what a test may check about the wire).
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The path, mount prefix included.
    pub path: String,
    /// The raw query string (empty when there was none).
    pub query: String,
    /// Whether it carried an `Authorization` header.
    pub authorization: bool,
}

impl Seen {
    /// The query's values for `name`, decoded.
    pub fn param(&self, name: &str) -> Vec<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }
}

pub struct Peer {
    pub sandbox: Sandbox,
    /// Where the sandbox is mounted (with its prefix, if any).
    pub base: Url,
    /// The provider configured for [`CLIENT_ID`] against `base`.
    pub config: HubSpotConfig,
    pub hubspot: HubSpot,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The provider against a sandbox of `config`, at the contract seed of `HUBSPOT_SANDBOX_SEED`
/// when it is set (CI runs several): only the seed changes, so a test's pins still hold.
pub async fn peer(config: SandboxConfig) -> Peer {
    peer_under(config, "").await
}

/// [`peer`] with the sandbox mounted under `prefix` (`/_sandbox/hubspot`), as the server mounts
/// it in sandbox mode; `""` serves it at the root.
pub async fn peer_under(mut config: SandboxConfig, prefix: &str) -> Peer {
    if let Some(env) = hubspot_sandbox::Contract::from_env().unwrap() {
        config.contract.seed = env.seed;
    }
    let sandbox = Sandbox::new(SandboxConfig {
        clients: vec![RegisteredClient {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![REDIRECT.into()],
        }],
        ..config
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!(
        "http://{}{prefix}",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    let (served, log, prefix) = (sandbox.clone(), seen.clone(), prefix.to_owned());
    let server = HttpServer::new(move || {
        let (sandbox, log) = (served.clone(), log.clone());
        let app = App::new().wrap_fn(move |req, service| {
            log.lock().unwrap().push(Seen {
                method: req.method().to_string(),
                path: req.path().to_owned(),
                query: req.query_string().to_owned(),
                authorization: req.headers().contains_key("authorization"),
            });
            service.call(req)
        });
        if prefix.is_empty() {
            app.configure(|c| sandbox.configure(c))
        } else {
            app.service(web::scope(&prefix).configure(|c| sandbox.configure(c)))
        }
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into())
        .with_base_url(&base)
        .unwrap();
    Peer {
        sandbox,
        base,
        hubspot: build(config.clone()),
        config,
        seen,
    }
}

fn build(config: HubSpotConfig) -> HubSpot {
    hubspot::provider(config, hubspot::http_client(Duration::from_secs(5)))
}

pub fn user() -> UserId {
    UserId::parse("test_user").unwrap()
}

impl Peer {
    /// Another provider against the same sandbox, its configuration edited by `edit`.
    pub fn provider(&self, edit: impl FnOnce(&mut HubSpotConfig)) -> HubSpot {
        let mut config = self.config.clone();
        edit(&mut config);
        build(config)
    }

    /// Every request the sandbox received so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests received so far whose path ends with `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Seen> {
        let all = self.requests();
        all.into_iter().filter(|r| r.path.ends_with(path)).collect()
    }

    /// The user presses Approve on the consent page: returns the authorization code.
    pub async fn approve(&self) -> (AuthorizationCode, PkceVerifier) {
        let state = OAuthState::generate();
        let verifier = PkceVerifier::generate();
        let challenge = verifier.challenge();
        let consent = self
            .hubspot
            .authorization_url(&AuthorizationRequest {
                state: &state,
                redirect_uri: REDIRECT,
                pkce_challenge: Some(&challenge),
                extra_scopes: &[],
            })
            .unwrap();
        let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
        form.push(("decision".into(), "approve".into()));
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // The consent form posts to `authorize/decision`, relative to the consent page.
        let res = no_redirects
            .post(consent.join("authorize/decision").unwrap())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        let back = Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        let get = |k: &str| {
            back.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(get("state").as_deref(), Some(state.as_str()));
        (
            AuthorizationCode::parse(&get("code").unwrap()).unwrap(),
            verifier,
        )
    }

    pub async fn connect(&self) -> Credentials {
        let (code, verifier) = self.approve().await;
        self.hubspot
            .exchange_code(&code, REDIRECT, Some(&verifier))
            .await
            .unwrap()
    }
}
