//! The authorization-code flow, begun and finished in one place so that the server and every
//! embedder get the same protections (RFC 9700, OAuth 2.0 Security Best Current Practice):
//!
//! - **The `state` is single-use and short-lived** ([`StateStore::take_state`] is atomic), so a
//!   callback URL cannot be replayed. It is consumed only once the callback has proven to be
//!   from the browser (and user) that started the flow: a callback that fails those checks
//!   leaves the state usable by its own browser, so holding a state is not enough to burn it.
//! - **At most a few pending flows per user** ([`StateStore::put_state`] drops the user's oldest
//!   beyond `ConnectorOptions::pending_per_user`), so starting flows in a loop cannot fill the
//!   store.
//! - **The flow is bound to the browser that started it.** [`Connector::begin_authorization`]
//!   returns a random [`BrowserBinding`] the caller hands to that browser only (the server sets it
//!   as an HttpOnly, SameSite=Lax cookie); only its SHA-256 is stored with the state, and
//!   [`Connector::finish_authorization`] refuses a callback that does not present it. Without this,
//!   an attacker who starts a flow and sends the consent URL to a victim gets the victim's account
//!   linked to the attacker's user id (a "login CSRF"/mix-up).
//! - **PKCE (S256)** wherever the provider supports it, so a stolen code is useless without the
//!   verifier, which never leaves our side.
//! - **Reconnecting replaces the old grant** and revokes it at the provider (best effort), so an
//!   abandoned token does not linger.
//!
//! [`Connector::begin_authorization`]: crate::Connector::begin_authorization
//! [`Connector::finish_authorization`]: crate::Connector::finish_authorization

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::{Error, OAuthState, StoreError, UserId};

/// 32 random bytes as base64url without padding.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_b64(input: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(input.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A secret that ties a pending authorization to the browser that started it. Hand it to that
/// browser only (an HttpOnly cookie); never put it in a URL or a log.
#[derive(Clone)]
pub struct BrowserBinding(SecretString);

impl BrowserBinding {
    /// A fresh, unguessable binding.
    pub fn generate() -> Self {
        Self(random_token().into())
    }

    /// Wraps a value a browser presented (e.g. a cookie). Anything malformed is `None`: it can
    /// never match.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 43 && URL_SAFE_NO_PAD.decode(raw).is_ok_and(|b| b.len() == 32))
            .then(|| Self(raw.to_owned().into()))
    }

    /// The value to hand to the browser.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// What is stored with the state: the SHA-256, so a store dump does not reveal the binding.
    pub fn hash(&self) -> String {
        sha256_b64(self.0.expose_secret())
    }

    /// A short, stable name for the binding of the flow with `state`: 22 base64url characters
    /// of the state's SHA-256. For callers that keep the bindings of several pending flows apart
    /// (the server names one cookie per flow with it). Not secret: it reveals nothing the state
    /// does not, and the state travels in URLs anyway.
    pub fn key_for(state: &OAuthState) -> String {
        let mut digest = sha256_b64(state.as_str());
        digest.truncate(22);
        digest
    }
}

impl fmt::Debug for BrowserBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BrowserBinding([redacted])")
    }
}

/// A PKCE code verifier (RFC 7636): 43 characters of base64url from 32 random bytes. Secret until
/// the token request; stored with the pending authorization (encrypted by the store).
#[derive(Clone)]
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    /// A fresh verifier.
    pub fn generate() -> Self {
        Self(random_token().into())
    }

    /// The verifier, for the token request.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// The S256 challenge for the consent URL: `BASE64URL(SHA256(verifier))`.
    pub fn challenge(&self) -> PkceChallenge {
        PkceChallenge(sha256_b64(self.0.expose_secret()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

impl Serialize for PkceVerifier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Only stores serialise a pending authorization, and they encrypt it.
        serializer.serialize_str(self.0.expose_secret())
    }
}

impl<'de> Deserialize<'de> for PkceVerifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Self(s.into()))
    }
}

/// The S256 PKCE challenge sent on the consent URL (`code_challenge_method=S256`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// The encoded challenge.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a provider needs to build its consent URL.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationRequest<'a> {
    /// The one-time state to echo back.
    pub state: &'a OAuthState,
    /// Where the provider sends the browser back.
    pub redirect_uri: &'a str,
    /// The PKCE challenge, when the provider supports PKCE.
    pub pkce_challenge: Option<&'a PkceChallenge>,
    /// Scopes this consent must ask for beyond the provider's usual ones: those of an object
    /// type the user is enabling ("Enable Companies"), so a grant that lacks a kind can gain it
    /// without the usual consent asking for everything.
    pub extra_scopes: &'a [&'a str],
}

/// What is remembered between sending a user to the consent page and the provider sending them
/// back. Stores keep it encrypted (it holds the PKCE verifier) for at most the state's TTL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// The user who started the flow; the callback connects this user and no one else.
    pub user_id: UserId,
    /// The provider being connected (`"hubspot"`).
    pub provider: String,
    /// The redirect URI sent on the consent URL; the code exchange must repeat it.
    pub redirect_uri: String,
    /// SHA-256 of the [`BrowserBinding`] handed to the starting browser.
    pub binding_hash: String,
    /// The PKCE verifier, when the provider supports PKCE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce_verifier: Option<PkceVerifier>,
    /// When the flow started.
    pub created_at: DateTime<Utc>,
}

impl PendingAuthorization {
    /// Whether `binding` is the one handed out when this flow started.
    pub fn bound_to(&self, binding: &BrowserBinding) -> bool {
        constant_time_eq(&self.binding_hash, &binding.hash())
    }
}

/// Where pending authorizations wait for their callback. Implemented by the `token-store` crate
/// (Redis, memory).
#[async_trait]
pub trait StateStore: Send + Sync + fmt::Debug {
    /// Remembers `pending` under `state` for at most `ttl`, and keeps at most
    /// `max_per_user` (at least one) pending authorizations of `pending.user_id`: beyond that,
    /// the user's oldest are forgotten in the same atomic step, so one user cannot fill the
    /// store by starting flows. A state is written once and never changed afterwards (only
    /// taken, dropped or expired), which is what lets [`peek_state`](Self::peek_state) and
    /// [`take_state`](Self::take_state) check before they consume.
    async fn put_state(
        &self,
        state: &OAuthState,
        pending: &PendingAuthorization,
        ttl: Duration,
        max_per_user: usize,
    ) -> Result<(), StoreError>;

    /// What is stored under `state`, without consuming it. `None` if the state is unknown, was
    /// taken or dropped already, or expired.
    async fn peek_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError>;

    /// Returns and forgets what was stored under `state`, atomically: of two concurrent calls at
    /// most one gets `Some`. `None` if the state is unknown, was taken already, or expired.
    async fn take_state(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingAuthorization>, StoreError>;
}

/// A started authorization: send the browser to `url` and give it `binding`.
#[derive(Debug)]
pub struct AuthorizationStart {
    /// The one-time state on `url` (name the browser's binding after it with
    /// [`BrowserBinding::key_for`] to keep several pending flows apart).
    pub state: OAuthState,
    /// The provider's consent page.
    pub url: Url,
    /// The secret the same browser must present on the callback.
    pub binding: BrowserBinding,
    /// How long the flow stays valid.
    pub expires_in: Duration,
}

/// What the provider's redirect back to us carried.
#[derive(Debug, Default, Clone)]
pub struct CallbackParams {
    /// The authorization code, on success.
    pub code: Option<String>,
    /// Our state, echoed back.
    pub state: Option<String>,
    /// The provider's error code, on failure (`access_denied`…).
    pub error: Option<String>,
    /// The provider's explanation.
    pub error_description: Option<String>,
}

/// Who is finishing a flow, as far as the caller knows.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallbackContext<'a> {
    /// The binding the browser presented (its cookie), if any.
    pub binding: Option<&'a BrowserBinding>,
    /// The authenticated user making the callback request, when the caller knows one. A flow
    /// started by another user is refused.
    pub user: Option<&'a UserId>,
}

/// Why a flow could not be finished.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// The state is missing, malformed, unknown, expired, already used, or for another provider,
    /// browser or user. Nothing was stored.
    #[error("{0}")]
    InvalidState(&'static str),
    /// The callback is malformed (no code).
    #[error("{0}")]
    InvalidRequest(String),
    /// The user declined consent (`access_denied`).
    #[error("{description}")]
    Denied {
        /// What the provider said, safe to show.
        description: String,
    },
    /// The provider reported another error on the redirect.
    #[error("{description}")]
    ProviderError {
        /// The provider's error code.
        error: String,
        /// What the provider said, safe to show.
        description: String,
    },
    /// Exchanging the code failed.
    #[error(transparent)]
    Exchange(Error),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc7636_s256() {
        // RFC 7636 appendix B.
        let verifier = PkceVerifier(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
                .to_owned()
                .into(),
        );
        assert_eq!(
            verifier.challenge().as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(PkceVerifier::generate().secret().expose_secret().len(), 43);
    }

    #[test]
    fn bindings_match_only_themselves_and_never_print() {
        let binding = BrowserBinding::generate();
        let pending = PendingAuthorization {
            user_id: UserId::parse("u").unwrap(),
            provider: "p".into(),
            redirect_uri: "http://x/cb".into(),
            binding_hash: binding.hash(),
            pkce_verifier: Some(PkceVerifier::generate()),
            created_at: Utc::now(),
        };
        assert!(pending.bound_to(&binding));
        assert!(!pending.bound_to(&BrowserBinding::generate()));
        let parsed = BrowserBinding::parse(binding.secret().expose_secret()).unwrap();
        assert!(pending.bound_to(&parsed));
        assert!(BrowserBinding::parse("short").is_none());
        assert!(BrowserBinding::parse(&"!".repeat(43)).is_none());
        let text = format!("{binding:?} {pending:?}");
        assert!(!text.contains(binding.secret().expose_secret()), "{text}");
        let verifier = pending.pkce_verifier.as_ref().unwrap();
        assert!(!text.contains(verifier.secret().expose_secret()), "{text}");
    }

    #[test]
    fn pending_authorization_round_trips_through_json() {
        let pending = PendingAuthorization {
            user_id: UserId::parse("u").unwrap(),
            provider: "p".into(),
            redirect_uri: "http://x/cb".into(),
            binding_hash: "h".into(),
            pkce_verifier: Some(PkceVerifier::generate()),
            created_at: Utc::now(),
        };
        let json = serde_json::to_string(&pending).unwrap();
        let back: PendingAuthorization = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.pkce_verifier.unwrap().secret().expose_secret(),
            pending.pkce_verifier.unwrap().secret().expose_secret()
        );
    }
}
