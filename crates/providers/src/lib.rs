//! The providers a server offers, in display order. Adding a provider is its crate and its sandbox's
//! crate, their dependency lines in this crate's `Cargo.toml`, and one line in [`all`].
#![warn(missing_docs)]

use std::collections::BTreeMap;

use actix_web::web;
use sandbox_kit::{ProviderSandbox, RegisteredClient, Registration, join};
use url::Url;

/// Every provider, in display order.
pub fn all() -> Vec<Registration> {
    vec![
        HUBSPOT,
        Registration::new(&notion::FACTORY, notion_sandbox::sandbox),
        Registration::new(&airtable::FACTORY, airtable_sandbox::sandbox),
        Registration::new(&salesforce::FACTORY, salesforce_sandbox::sandbox),
    ]
}

/// HubSpot: its sandbox is the full-fidelity `hubspot-sandbox` crate, adapted here.
const HUBSPOT: Registration = Registration::new(&hubspot::FACTORY, hubspot_sandbox);

/// The HubSpot sandbox answers within everything HubSpot's specs allow, varied by its contract
/// seed: `HUBSPOT_SANDBOX_SEED` (a number, or `typical` for the common answer everywhere), else
/// the sandbox's default. The seed is logged, so a surprise can be replayed.
fn hubspot_sandbox(client: RegisteredClient) -> Box<dyn ProviderSandbox> {
    let config = hubspot_sandbox::SandboxConfig {
        clients: vec![hubspot_sandbox::RegisteredClient {
            client_id: client.client_id,
            client_secret: client.client_secret,
            redirect_uris: client.redirect_uris,
        }],
        ..hubspot_sandbox::SandboxConfig::default()
    }
    .with_unavailable_scopes_from_env();
    let config = match hubspot_sandbox::Contract::from_env() {
        Ok(Some(contract)) => config.with_contract(contract),
        Ok(None) => config,
        Err(error) => {
            tracing::warn!(%error, "HUBSPOT_SANDBOX_SEED ignored");
            config
        }
    };
    tracing::info!(
        seed = config.contract.seed,
        "HubSpot sandbox contract seed (replay with HUBSPOT_SANDBOX_SEED)"
    );
    Box::new(HubSpotSandbox(hubspot_sandbox::Sandbox::new(config)))
}

/// The HubSpot sandbox as a [`ProviderSandbox`]; [`HubSpotSandbox::inner`] reaches its admin API.
#[derive(Debug, Clone)]
pub struct HubSpotSandbox(pub hubspot_sandbox::Sandbox);

impl ProviderSandbox for HubSpotSandbox {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        self.0.configure(cfg);
    }

    fn urls(&self, root: &Url) -> BTreeMap<String, Url> {
        BTreeMap::from([
            (
                "auth".to_owned(),
                join(root, hubspot_sandbox::paths::AUTHORIZE),
            ),
            ("api_base".to_owned(), root.clone()),
            ("web_base".to_owned(), root.clone()),
        ])
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn send_webhooks_to(&self, target: &Url, client_id: &str) -> Result<(), String> {
        self.0.subscribe_webhooks(target.clone(), client_id)
    }

    fn error_response(
        &self,
        status: actix_web::http::StatusCode,
        code: &str,
        message: &str,
    ) -> actix_web::HttpResponse {
        hubspot_sandbox::Sandbox::error_response(status, code, message)
    }
}

impl HubSpotSandbox {
    /// The sandbox itself.
    pub fn inner(&self) -> &hubspot_sandbox::Sandbox {
        &self.0
    }
}
