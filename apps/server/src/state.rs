//! What every handler shares: the provider registry, the store, and how the deployment is set up.

use std::sync::Arc;

use integration_core::Connector;
use token_store::TokenStore;
use url::Url;

/// A registered provider and how it is reached.
#[derive(Debug)]
pub struct ProviderEntry {
    /// The machinery around the provider.
    pub connector: Arc<Connector>,
    /// Where the provider sends the browser back after consent.
    pub redirect_uri: String,
    /// Whether this provider is served by its bundled sandbox.
    pub sandbox: bool,
}

/// The registered providers, in display order.
#[derive(Debug, Default)]
pub struct Registry {
    entries: Vec<ProviderEntry>,
}

impl Registry {
    /// Adds a provider.
    pub fn register(&mut self, entry: ProviderEntry) {
        self.entries.push(entry);
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&ProviderEntry> {
        self.entries
            .iter()
            .find(|e| e.connector.integration().id() == id)
    }

    /// All providers, in display order.
    pub fn iter(&self) -> impl Iterator<Item = &ProviderEntry> {
        self.entries.iter()
    }
}

/// Shared state of every handler.
#[derive(Debug)]
pub struct AppState {
    /// Registered providers.
    pub registry: Registry,
    /// Credentials and OAuth states.
    pub store: Arc<dyn TokenStore>,
    /// Where callback outcomes send the browser.
    pub frontend_url: Url,
    /// How providers and browsers reach this server (`PUBLIC_URL`, else the bound address):
    /// webhook signatures cover the URL the provider called.
    pub public_url: Url,
    /// Whether any provider is a bundled sandbox.
    pub sandbox: bool,
    /// Whether browsers reach us over https (cookies are then `Secure`).
    pub secure_cookies: bool,
    /// Origins allowed to embed the UI and hand it a token.
    pub embed_origins: Vec<String>,
}
