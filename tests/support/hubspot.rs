//! HubSpot for tests that need the server in live mode (real `HUBSPOT_*` settings) or several
//! servers on one HubSpot: the sandbox (crates/hubspot-sandbox) on a port of its own, at the
//! contract seed of `HUBSPOT_SANDBOX_SEED` when it is set. Tests about one server in sandbox
//! mode use the in-process sandbox instead ([`crate::spawn_sandbox_app`], `TestApp::sandbox`).

use std::sync::Mutex;

use hubspot_sandbox::{Contract, RegisteredClient, Sandbox, SandboxConfig};
use url::Url;

use crate::{AppOptions, TestApp, spawn_app_with};

pub const TEST_CLIENT_ID: &str = "test-client-id";
pub const TEST_CLIENT_SECRET: &str = "test-client-secret-DO-NOT-LOG";

/// The sandbox serving on `127.0.0.1:{port}`, routes at the root, our test client registered.
pub struct HubSpot {
    pub sandbox: Sandbox,
    base: Url,
    /// Callback URLs registered so far (the sandbox matches redirect URIs exactly).
    redirects: Mutex<Vec<String>>,
    server: actix_web::dev::ServerHandle,
}

impl HubSpot {
    /// The sandbox with its defaults.
    pub async fn start() -> Self {
        Self::start_with(SandboxConfig::default()).await
    }

    /// The sandbox with `config` (its clients replaced by our test client); only the contract
    /// seed comes from `HUBSPOT_SANDBOX_SEED`, so the test's pins in `config.contract` hold.
    pub async fn start_with(mut config: SandboxConfig) -> Self {
        if let Some(env) = Contract::from_env().expect("HUBSPOT_SANDBOX_SEED") {
            config.contract.seed = env.seed;
        }
        config.clients = vec![client(Vec::new())];
        let sandbox = Sandbox::new(config);
        let (base, server) = sandbox.spawn().expect("the sandbox runs");
        Self {
            sandbox,
            base,
            redirects: Mutex::new(Vec::new()),
            server,
        }
    }

    pub fn uri(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// Server settings that point the app at this sandbox with our client's credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        let base = self.uri();
        [
            ("HUBSPOT_CLIENT_ID", TEST_CLIENT_ID.to_owned()),
            ("HUBSPOT_CLIENT_SECRET", TEST_CLIENT_SECRET.to_owned()),
            (
                "HUBSPOT_AUTH_URL",
                format!("{base}{}", hubspot_sandbox::paths::AUTHORIZE),
            ),
            (
                "HUBSPOT_TOKEN_URL",
                format!("{base}{}", hubspot_sandbox::paths::TOKEN_2026_03),
            ),
            ("HUBSPOT_API_BASE_URL", base),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Lets `redirect_uri` receive codes (as registering it in the HubSpot app does).
    pub fn allow_redirect(&self, redirect_uri: String) {
        let mut redirects = self.redirects.lock().unwrap_or_else(|e| e.into_inner());
        redirects.push(redirect_uri);
        self.sandbox.register_client(client(redirects.clone()));
    }

    /// The app in live mode against this sandbox, its callback registered.
    pub async fn app(&self, options: AppOptions) -> TestApp {
        let app = spawn_app_with(self.env(), options).await;
        self.allow_redirect(app.url("/api/integrations/hubspot/callback"));
        app
    }

    /// Stops serving: nothing listens at [`uri`](Self::uri) any more.
    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

fn client(redirect_uris: Vec<String>) -> RegisteredClient {
    RegisteredClient {
        client_id: TEST_CLIENT_ID.to_owned(),
        client_secret: TEST_CLIENT_SECRET.to_owned(),
        redirect_uris,
    }
}
