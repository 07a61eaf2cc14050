//! What a provider may configure, and RFC 6749's defaults for it.
//!
//! Providers differ mostly in small, well-documented choices (how the client authenticates,
//! which body types the token endpoint reads, whether PKCE is required, how refresh tokens
//! rotate). Keeping each choice a plain field lets a provider's sandbox state its differences
//! in one struct literal, and lets the flow read as RFC 6749 with a few branches.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ErrorShape, Secret, random_secret, rfc6749_error};
use crate::RegisteredClient;

/// How clients may authenticate at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAuthMethods {
    /// `Authorization: Basic base64(client_id:client_secret)`.
    pub basic: bool,
    /// `client_id` and `client_secret` in the request body.
    pub body: bool,
}

impl ClientAuthMethods {
    /// HTTP Basic only (Notion, Airtable).
    pub const BASIC: Self = Self {
        basic: true,
        body: false,
    };
    /// Body only (HubSpot).
    pub const BODY: Self = Self {
        basic: false,
        body: true,
    };
    /// Either (what RFC 6749 servers usually accept).
    pub const EITHER: Self = Self {
        basic: true,
        body: true,
    };
}

/// Whether the authorization request carries a PKCE challenge (RFC 7636; only `S256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkce {
    /// The provider does not know PKCE: challenge and verifier are ignored.
    Off,
    /// A challenge is optional; when given, the verifier is checked.
    Allowed,
    /// A challenge is required (Airtable).
    Required,
}

/// What the `refresh_token` grant does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// No refresh tokens are issued; the grant is `unsupported_grant_type`.
    Off,
    /// The same refresh token keeps working.
    Reuse,
    /// Each refresh returns a new refresh token and retires the old one.
    Rotate,
}

/// Where a refused authorization request (after client and redirect URI were verified) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestErrors {
    /// Back to the client with `error` and `state` (RFC 6749 §4.1.2.1).
    Redirect,
    /// An error page, as providers that explain the problem to the person do.
    Page,
}

/// One provider's OAuth behaviour. Start from [`OAuthSandboxConfig::new`] (RFC 6749 defaults) and
/// change what the provider does differently with struct update syntax.
#[derive(Debug, Clone)]
pub struct OAuthSandboxConfig {
    /// The provider's name on the consent page ("Notion").
    pub provider: &'static str,
    /// The account the sandbox user grants access to ("Acme workspace").
    pub account: String,
    /// The signed-in user the consent page names; `None`: "the sandbox user".
    pub user: Option<String>,
    /// The app's name on the consent page; `None`: its client id.
    pub client_name: Option<String>,
    /// What the consent page says is granted (see [`OAuthHooks::permissions`](super::OAuthHooks::permissions)).
    pub permissions: Vec<String>,
    /// The client the sandbox accepts; more with [`OAuthSandbox::register_client`](super::OAuthSandbox::register_client).
    pub client: RegisteredClient,
    /// Token endpoint path under the mount (`/oauth/token`), read strictly: a missing required
    /// parameter is `invalid_request`, a parameter sent twice is refused, a `code_verifier`
    /// for a code without a challenge is refused (unless PKCE is off), a body of another type
    /// is `unsupported_media_status`.
    pub token_path: &'static str,
    /// Further token endpoints with legacy leniency (HubSpot's v1): a body of another type
    /// reads as no parameters, the last of a repeated parameter wins, a missing grant type is
    /// `unsupported_grant_type`, a missing code or refresh token `invalid_grant`, a missing
    /// `redirect_uri` a mismatch, and a `code_verifier` without a challenge is ignored.
    pub legacy_token_paths: Vec<&'static str>,
    /// RFC 7662 introspection endpoint (strict, client-authenticated, `token` in the body).
    pub introspect_path: Option<&'static str>,
    /// RFC 7009 revocation endpoint (strict, client-authenticated, `token` in the body).
    pub revoke_path: Option<&'static str>,
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuthMethods,
    /// HTTP status of `invalid_client` (RFC 6749: 401; some providers answer 400).
    pub client_error_status: u16,
    /// Token requests as `application/x-www-form-urlencoded`.
    pub accept_form: bool,
    /// Token requests as `application/json` (string values).
    pub accept_json: bool,
    /// HTTP status of a strict endpoint's body of a type it does not take (400 or 415).
    pub unsupported_media_status: u16,
    /// Largest request body read by the decision and token endpoints (413 above).
    pub max_body: usize,
    /// Whether the authorization request must carry `response_type` (when present it must be
    /// `code` either way).
    pub require_response_type: bool,
    /// Whether the authorization request must carry `state` (when absent, none comes back).
    pub require_state: bool,
    /// Whether the authorization request must name at least one scope.
    pub require_scope: bool,
    /// Where refused authorization requests go.
    pub request_errors: RequestErrors,
    /// Provider-specific authorization parameters carried from the consent page to the
    /// decision (`optional_scope`), beside the standard ones.
    pub carry: Vec<&'static str>,
    /// PKCE.
    pub pkce: Pkce,
    /// How long a code may be redeemed (see [`OAuthSandbox::set_lifetimes`](super::OAuthSandbox::set_lifetimes)).
    pub code_ttl: Duration,
    /// Access-token lifetime; `None`: never expires (no `expires_in`).
    pub access_ttl: Option<Duration>,
    /// The refresh grant.
    pub refresh: Refresh,
    /// Fields added to every token response (a JSON object: `workspace_name`…).
    pub token_extras: Value,
    /// For a provider whose API host comes from the grant: the token response field naming
    /// the account's API root (`instance_url`), filled with the `api_base` URL the sandbox was
    /// mounted with ([`ApiSandbox`](crate::ApiSandbox)), so the provider is tested on a host
    /// it learns from the grant. `None`: no such field.
    pub api_base_field: Option<&'static str>,
    /// `token_type` in token responses.
    pub token_type: &'static str,
    /// Makes codes and tokens ([`random_secret`] by default).
    pub secret: fn(Secret) -> String,
    /// Error bodies of the token, introspection and revocation endpoints.
    pub token_error: ErrorShape,
    /// Error bodies of API routes (401 from bearer checks, 400 from bad requests, 405).
    pub api_error: ErrorShape,
    /// The code of a 401 from a bearer check (`invalid_token`, RFC 6750; Notion: `unauthorized`).
    pub unauthorized_code: &'static str,
    /// Scopes the `client_credentials` grant (RFC 6749 §4.4) may ask for; empty (the default):
    /// the grant is `unsupported_grant_type`. A request must name at least one scope, all of
    /// them from this list (else `invalid_scope`); it gets an access token only, whose
    /// [`Grant::client_credentials`](super::Grant::client_credentials) is set.
    pub client_credentials_scopes: Vec<&'static str>,
}

impl OAuthSandboxConfig {
    /// RFC 6749 defaults: token at `/oauth/token`, Basic or body client auth, form bodies, PKCE
    /// allowed, codes for 10 minutes, access tokens for an hour, rotating refresh tokens, RFC
    /// error bodies, `response_type` and `state` required, errors redirected.
    pub fn new(
        provider: &'static str,
        account: impl Into<String>,
        client: RegisteredClient,
    ) -> Self {
        Self {
            provider,
            account: account.into(),
            user: None,
            client_name: None,
            permissions: Vec::new(),
            client,
            token_path: "/oauth/token",
            legacy_token_paths: Vec::new(),
            introspect_path: None,
            revoke_path: None,
            client_auth: ClientAuthMethods::EITHER,
            client_error_status: 401,
            accept_form: true,
            accept_json: false,
            unsupported_media_status: 400,
            max_body: 16 * 1024,
            require_response_type: true,
            require_state: true,
            require_scope: false,
            request_errors: RequestErrors::Redirect,
            carry: Vec::new(),
            pkce: Pkce::Allowed,
            code_ttl: Duration::from_secs(600),
            access_ttl: Some(Duration::from_secs(3600)),
            refresh: Refresh::Rotate,
            token_extras: json!({}),
            api_base_field: None,
            token_type: "bearer",
            secret: random_secret,
            token_error: rfc6749_error,
            api_error: rfc6749_error,
            unauthorized_code: "invalid_token",
            client_credentials_scopes: Vec::new(),
        }
    }
}
