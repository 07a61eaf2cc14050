//! A generic OAuth 2.0 authorization server (RFC 6749 §4.1, §6; RFC 7636; RFC 7662; RFC 7009),
//! configured per provider: the consent page, the decision, token endpoints, introspection,
//! revocation and bearer checks for API routes. What a provider does beyond configuration
//! (its token metadata, error variations, fault injection, logging) goes in [`OAuthHooks`].
//!
//! Every provider's sandbox needs the same server with small differences, so the differences
//! are data ([`OAuthSandboxConfig`]) or hooks, never a copy of the flow. The submodules follow
//! the order a client meets them in: [`authorize`] (consent page and decision), [`token`] (the
//! grants), [`introspect`] (introspection and revocation), [`bearer`] (API calls); [`store`]
//! holds the codes and tokens they share, [`routes`] mounts them. What is here is the
//! vocabulary all of them speak: errors, secrets and request parameters.

mod authorize;
mod bearer;
mod config;
mod hooks;
mod introspect;
mod routes;
mod store;
mod token;

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

pub use config::{ClientAuthMethods, OAuthSandboxConfig, Pkce, Refresh, RequestErrors};
pub use hooks::{Event, OAuthHooks};
pub use store::{Grant, OAuthSandbox, SandboxStats, TokenInfo, TokenKind};

/// The consent page's path under the mount (the authorization endpoint).
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";

/// What a token-endpoint error is about, finer than its RFC 6749 code: providers with their own
/// error codes (`BAD_CLIENT_SECRET`, `EXPIRED_AUTH_CODE`) map these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The request as a whole (its body, a missing `token`, a repeated parameter).
    Request,
    /// `grant_type`.
    GrantType,
    /// `client_id`: missing or unknown.
    ClientId,
    /// `client_secret`: missing or wrong.
    ClientSecret,
    /// `code`: missing, unknown, used, another client's, or its PKCE verifier failed.
    Code,
    /// `code`: expired.
    ExpiredCode,
    /// `redirect_uri`: missing or not the authorization request's.
    RedirectUri,
    /// `refresh_token`: missing, unknown or revoked.
    RefreshToken,
    /// A bearer token of an API call, or anything an API route refuses.
    Api,
}

/// An error the sandbox answers with, before it is put in the provider's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// HTTP status.
    pub status: u16,
    /// RFC 6749/6750 code (`invalid_grant`, `invalid_token`) or the route's own.
    pub code: String,
    /// Human description.
    pub message: String,
    /// What the error is about.
    pub subject: Subject,
}

impl ErrorInfo {
    fn new(status: u16, code: &str, subject: Subject, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            subject,
        }
    }
}

/// Renders an [`ErrorInfo`] as the provider's error body.
pub type ErrorShape = fn(&ErrorInfo) -> Value;

/// RFC 6749 §5.2: `{"error", "error_description"}`.
pub fn rfc6749_error(e: &ErrorInfo) -> Value {
    json!({"error": e.code, "error_description": e.message})
}

/// Which secret [`OAuthSandboxConfig::secret`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// An authorization code.
    Code,
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// A random secret: a prefix (`code_`, `at_`, `rt_`) and 32 random bytes in base64url.
pub fn random_secret(kind: Secret) -> String {
    let prefix = match kind {
        Secret::Code => "code_",
        Secret::Access => "at_",
        Secret::Refresh => "rt_",
    };
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Request parameters (query, form or JSON strings); a name sent twice keeps the last value
/// unless the endpoint is strict.
pub type Params = HashMap<String, String>;

/// The value of `key`, if present and not empty.
pub fn param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Compares secrets in time that depends on their length only, not on where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `response` marked uncacheable, as RFC 6749 §5.1 requires of anything carrying a secret.
fn no_store(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
