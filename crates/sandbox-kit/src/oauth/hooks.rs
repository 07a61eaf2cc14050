//! The provider's say in the generic flow, where a configuration value is not enough.
//!
//! Token metadata, error variations, injected faults and logging differ in ways no enum
//! captures (HubSpot's `hub_id`, a contract seed choosing optional fields), so the flow calls
//! out at fixed points instead. Hooks run without the sandbox's lock held, so a hook may call
//! back into the [`OAuthSandbox`](super::OAuthSandbox) without deadlocking.

use std::time::Duration;

use actix_web::HttpResponse;
use serde_json::{Map, Value};

use super::{ErrorInfo, Grant, Params, TokenInfo, param};

/// Something that happened, for a provider's logs ([`OAuthHooks::on_event`]). Carries no secret.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A code was redeemed at `path`.
    CodeRedeemed {
        /// The client.
        client_id: &'a str,
        /// The token endpoint.
        path: &'a str,
    },
    /// A refresh token was used at `path`.
    Refreshed {
        /// The client.
        client_id: &'a str,
        /// The token endpoint.
        path: &'a str,
    },
    /// A token request was refused.
    TokenRefused {
        /// The token endpoint.
        path: &'a str,
        /// Why.
        error: &'a ErrorInfo,
    },
    /// A token was introspected.
    Introspected {
        /// Whether it was active.
        active: bool,
    },
    /// A revocation request was answered.
    Revoked {
        /// Whether a token of the client was revoked.
        revoked: bool,
    },
}

/// What a provider adds to the generic server. Every method has a default that does nothing
/// provider-specific; hooks are called without the sandbox's lock held.
pub trait OAuthHooks: Send + Sync + 'static {
    /// Delay before the token, introspection and revocation endpoints answer.
    fn latency(&self) -> Duration {
        Duration::ZERO
    }

    /// An answer replacing a token, introspection or revocation endpoint's (an injected fault),
    /// before the request is read; `path` says which.
    fn intercept(&self, path: &str) -> Option<HttpResponse> {
        let _ = path;
        None
    }

    /// The scope an approval grants, from the authorization request (default: its `scope`).
    fn granted_scope(&self, params: &Params) -> String {
        param(params, "scope").unwrap_or_default().to_owned()
    }

    /// Why this account cannot grant the request at all (a required scope its plan lacks): the
    /// consent page and its form then answer an error page with this text and never redirect
    /// (default: never).
    fn refusal(&self, params: &Params) -> Option<String> {
        let _ = params;
        None
    }

    /// What the consent page lists for this request (default: the configured permissions).
    fn permissions(&self, params: &Params, configured: &[String]) -> Vec<String> {
        let _ = params;
        configured.to_vec()
    }

    /// Edits a successful token answer (`access_token`, `token_type`, `expires_in`,
    /// `refresh_token`, `scope` and the configured extras).
    fn token_answer(&self, body: &mut Map<String, Value>, grant: &Grant) {
        let _ = (body, grant);
    }

    /// Edits an error body of the token, introspection or revocation endpoints after
    /// [`OAuthSandboxConfig::token_error`](super::OAuthSandboxConfig::token_error) made it.
    fn error_answer(&self, body: &mut Value, error: &ErrorInfo) {
        let _ = (body, error);
    }

    /// Edits the answer for an active token at the introspection endpoint (RFC 7662 fields:
    /// `active`, `client_id`, `scope`, `token_type`, `exp`).
    fn introspection(&self, token: &str, info: &TokenInfo, body: &mut Map<String, Value>) {
        let _ = (token, info, body);
    }

    /// The answer to a known path called with another method; `None`: 405 with `Allow` and an
    /// API error body.
    fn method_not_allowed(&self, method: &str, path: &str, allow: &str) -> Option<HttpResponse> {
        let _ = (method, path, allow);
        None
    }

    /// Something happened (for logs).
    fn on_event(&self, event: &Event<'_>) {
        let _ = event;
    }
}

/// The hooks of a provider that needs none.
#[derive(Debug)]
pub(super) struct NoHooks;

impl OAuthHooks for NoHooks {}
