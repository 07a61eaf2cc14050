//! The HubSpot provider against its sandbox on a port of its own, and a person pressing Approve
//! on the sandbox's consent page: shared by the contract and the incremental-sync tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::time::Duration;

use hubspot::{HubSpot, HubSpotConfig};
use hubspot_sandbox::{RegisteredClient, Sandbox, SandboxConfig};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, Credentials, Integration, OAuthState, PkceVerifier,
};
use url::Url;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub struct Peer {
    pub sandbox: Sandbox,
    pub base: Url,
    pub hubspot: HubSpot,
}

/// The provider against a sandbox of `config`, at the contract seed of `HUBSPOT_SANDBOX_SEED`
/// when it is set (CI runs several): only the seed changes, so a test's pins still hold.
pub async fn peer(mut config: SandboxConfig) -> Peer {
    if let Some(env) = hubspot_sandbox::Contract::from_env().unwrap() {
        config.contract.seed = env.seed;
    }
    let sandbox = Sandbox::new(SandboxConfig {
        clients: vec![RegisteredClient {
            client_id: "contract-client".into(),
            client_secret: "contract-secret".into(),
            redirect_uris: vec![REDIRECT.into()],
        }],
        ..config
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(sandbox.run(listener).unwrap());
    let config = HubSpotConfig::new("contract-client", "contract-secret".to_owned().into())
        .with_base_url(&base)
        .unwrap();
    let http = hubspot::http_client(Duration::from_secs(5));
    Peer {
        sandbox,
        base,
        hubspot: hubspot::provider(config, http),
    }
}

impl Peer {
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
            })
            .unwrap();
        let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
        form.push(("decision".into(), "approve".into()));
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = no_redirects
            .post(self.base.join("oauth/authorize/decision").unwrap())
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
