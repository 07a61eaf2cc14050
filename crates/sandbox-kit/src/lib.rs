#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use integration_core::kit::ProviderFactory;
use url::Url;

mod api;
pub mod consent;
pub mod guard;
mod oauth;
pub mod paging;
pub mod seed;
#[cfg(feature = "testing")]
pub mod testing;

pub use api::{ApiCall, ApiHandler, ApiResult, ApiSandbox};
pub use oauth::{
    AUTHORIZE_PATH, ClientAuthMethods, ErrorInfo, ErrorShape, Event, Grant, OAuthHooks,
    OAuthSandbox, OAuthSandboxConfig, Params, Pkce, Refresh, RequestErrors, SandboxStats, Secret,
    Subject, TokenInfo, TokenKind, param, random_secret, rfc6749_error, s256,
};

/// The OAuth client a sandbox accepts (the server registers its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    /// The client id the provider will send.
    pub client_id: String,
    /// The client secret the provider will send.
    pub client_secret: String,
    /// Redirect URIs the client may use; matched exactly.
    pub redirect_uris: Vec<String>,
}

/// A provider look-alike a server mounts at `/_sandbox/{id}` in development when the provider
/// has no credentials, so every provider works on a fresh machine.
pub trait ProviderSandbox: Send + Sync + std::fmt::Debug {
    /// Adds the sandbox's routes (relative to its mount point).
    fn configure(&self, cfg: &mut web::ServiceConfig);

    /// The provider's URL settings that point it at this sandbox mounted at `root`
    /// (`auth`, `token`, `api_base`… as in `{ID}_{NAME}_URL`).
    fn urls(&self, root: &Url) -> BTreeMap<String, Url>;

    /// The concrete sandbox, for tests and admin tools that know its type.
    fn as_any(&self) -> &dyn std::any::Any;

    /// Sends the provider's webhooks for changes made in the sandbox to `target`, signed for
    /// the app `client_id`, as the provider would once the app's target URL is set. Called in
    /// the Tokio runtime that should run the sender. Default: the sandbox sends none.
    fn send_webhooks_to(&self, target: &Url, client_id: &str) -> Result<(), String> {
        let _ = (target, client_id);
        Ok(())
    }

    /// An error answer in this provider's shape, for what a server refuses around the sandbox's
    /// routes ([`guard`]: an admin call from a peer it does not allow, a body that never
    /// arrived). `code` is a lowercase word (`forbidden`); by default the body is RFC 6749's
    /// `{"error", "error_description"}`.
    fn error_response(&self, status: StatusCode, code: &str, message: &str) -> HttpResponse {
        HttpResponse::build(status)
            .json(serde_json::json!({"error": code, "error_description": message}))
    }
}

/// Builds a provider's sandbox for the server's client.
pub type SandboxBuilder = fn(RegisteredClient) -> Box<dyn ProviderSandbox>;

/// What a provider crate exports for servers: its factory and its development sandbox.
#[derive(Debug, Clone, Copy)]
pub struct Registration {
    /// Builds the provider from its settings.
    pub factory: &'static dyn ProviderFactory,
    /// Builds its sandbox, if it has one.
    pub sandbox: Option<SandboxBuilder>,
}

impl Registration {
    /// A provider served by `sandbox` in development when it has no credentials.
    pub const fn new(factory: &'static dyn ProviderFactory, sandbox: SandboxBuilder) -> Self {
        Self {
            factory,
            sandbox: Some(sandbox),
        }
    }
}

/// `root` with `path` appended to its path (keeping any prefix such as `/_sandbox/notion`).
pub fn join(root: &Url, path: &str) -> Url {
    let mut url = root.clone();
    let joined = format!("{}{}", root.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}
