//! The codes and tokens a sandbox has issued, and what it counted.
//!
//! Everything mutable sits behind one mutex so that each check-then-act step (redeeming a code
//! once, rotating a refresh token, counting a rate-limited call) is atomic. The lock is held for
//! map look-ups only, never across an `.await` or a hook. Tests reach into this state through
//! the public methods here (expire every token, revoke everything, read the counters) rather
//! than through HTTP, so what they set up cannot race a request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::hooks::NoHooks;
use super::{OAuthHooks, OAuthSandboxConfig};
use crate::RegisteredClient;

/// Counters for tests: what the sandbox saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxStats {
    /// Consent pages requested (refused ones included).
    pub consent_pages: u64,
    /// Approve decisions (codes issued).
    pub approvals: u64,
    /// Deny decisions.
    pub denials: u64,
    /// Token endpoint requests, successful or not.
    pub token_requests: u64,
    /// Codes redeemed for tokens.
    pub codes_redeemed: u64,
    /// Successful refreshes.
    pub refreshes: u64,
    /// Access tokens issued by the `client_credentials` grant.
    pub client_credentials: u64,
    /// Token requests answered with an error status (intercepted ones included).
    pub token_errors: u64,
    /// Introspection requests from an authenticated client.
    pub introspections: u64,
    /// Revocation requests from an authenticated client.
    pub revocations: u64,
    /// API calls with a valid bearer token.
    pub api_calls: u64,
    /// API calls refused with 401.
    pub unauthorized: u64,
}

/// The grant behind a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The client it was issued to.
    pub client_id: String,
    /// The scope granted (see [`OAuthHooks::granted_scope`]).
    pub scope: String,
    /// Issued by the `client_credentials` grant: the app itself, no user or account behind it.
    pub client_credentials: bool,
}

/// An access or refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// What the sandbox knows about a token it issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Access or refresh.
    pub kind: TokenKind,
    /// Its grant.
    pub grant: Grant,
    /// When an access token expires (`None`: never, or a refresh token).
    pub expires: Option<Instant>,
    /// The same on the wall clock.
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// Not expired.
    pub fn is_active(&self) -> bool {
        self.expires.is_none_or(|at| at > Instant::now())
    }

    /// Seconds left (0 when expired), if it expires.
    pub fn expires_in(&self) -> Option<u64> {
        self.expires
            .map(|at| at.saturating_duration_since(Instant::now()).as_secs())
    }
}

/// An authorization code waiting to be redeemed.
pub(super) struct Code {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: String,
    pub(super) challenge: Option<String>,
    pub(super) expires: Instant,
    /// Tokens issued for it: revoked if the code is presented again (RFC 6749 §4.1.2).
    pub(super) issued: Option<(String, Option<String>)>,
}

/// An access token.
pub(super) struct Access {
    pub(super) grant: Grant,
    pub(super) expires: Option<Instant>,
    pub(super) expires_at: Option<DateTime<Utc>>,
    /// The refresh token it was minted with: revoking that ends this one too.
    pub(super) refresh: Option<String>,
}

/// Everything that changes, behind [`Inner::state`].
pub(super) struct State {
    pub(super) clients: Vec<RegisteredClient>,
    pub(super) access_ttl: Option<Duration>,
    pub(super) code_ttl: Duration,
    pub(super) codes: HashMap<String, Code>,
    pub(super) access: HashMap<String, Access>,
    pub(super) refresh: HashMap<String, Grant>,
    pub(super) stats: SandboxStats,
    /// API calls still to answer with 429, and the `Retry-After` seconds.
    pub(super) rate_limited: (u32, u64),
    /// Where the API was mounted, for [`OAuthSandboxConfig::api_base_field`].
    pub(super) api_root: Option<url::Url>,
}

/// What an [`OAuthSandbox`] and its clones share.
pub(super) struct Inner {
    pub(super) config: OAuthSandboxConfig,
    pub(super) hooks: Box<dyn OAuthHooks>,
    pub(super) state: Mutex<State>,
}

/// The OAuth half of a provider sandbox. Cheap to clone (shared state).
#[derive(Clone)]
pub struct OAuthSandbox(pub(super) Arc<Inner>);

impl std::fmt::Debug for OAuthSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSandbox")
            .field("provider", &self.0.config.provider)
            .field("client_id", &self.0.config.client.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuthSandbox {
    /// A sandbox with `config`, no provider hooks and no grants yet.
    pub fn new(config: OAuthSandboxConfig) -> Self {
        Self::with_hooks(config, NoHooks)
    }

    /// A sandbox with `config` and a provider's `hooks`.
    pub fn with_hooks(config: OAuthSandboxConfig, hooks: impl OAuthHooks) -> Self {
        let state = State {
            clients: vec![config.client.clone()],
            access_ttl: config.access_ttl,
            code_ttl: config.code_ttl,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            stats: SandboxStats::default(),
            rate_limited: (0, 0),
            api_root: None,
        };
        Self(Arc::new(Inner {
            config,
            hooks: Box::new(hooks),
            state: Mutex::new(state),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &OAuthSandboxConfig {
        &self.0.config
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // A panic in a handler leaves counters possibly off by one, nothing worse.
        self.0
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the sandbox has seen so far.
    pub fn stats(&self) -> SandboxStats {
        self.state().stats
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.state().stats = SandboxStats::default();
    }

    /// Adds a client, or replaces the one with the same client id.
    pub fn register_client(&self, client: RegisteredClient) {
        let mut state = self.state();
        match state
            .clients
            .iter_mut()
            .find(|c| c.client_id == client.client_id)
        {
            Some(existing) => *existing = client,
            None => state.clients.push(client),
        }
    }

    /// Lifetimes of the access tokens and codes issued from now on.
    pub fn set_lifetimes(&self, access_ttl: Option<Duration>, code_ttl: Duration) {
        let mut state = self.state();
        state.access_ttl = access_ttl;
        state.code_ttl = code_ttl;
    }

    /// Makes every live expiring access token expired now (to test refresh); tokens that never
    /// expire are left alone.
    pub fn expire_access_tokens(&self) {
        let (now, wall) = (Instant::now(), Utc::now());
        for access in self.state().access.values_mut() {
            if access.expires.is_some_and(|at| at > now) {
                access.expires = Some(now);
                access.expires_at = Some(wall);
            }
        }
    }

    /// Revokes every code and token (the user removed the app at the provider).
    pub fn revoke_all(&self) {
        let mut state = self.state();
        state.codes.clear();
        state.access.clear();
        state.refresh.clear();
    }

    /// Revokes `token` (RFC 7009 §2.1): a refresh token with the access tokens minted from it,
    /// or an access token alone. With `client_id`, only that client's token. Whether one was.
    pub fn revoke(&self, token: &str, client_id: Option<&str>) -> bool {
        let mut state = self.state();
        let owned = |grant: &Grant| client_id.is_none_or(|id| grant.client_id == id);
        if state.refresh.get(token).is_some_and(owned) {
            state.refresh.remove(token);
            state
                .access
                .retain(|_, a| a.refresh.as_deref() != Some(token));
            true
        } else if state.access.get(token).is_some_and(|a| owned(&a.grant)) {
            state.access.remove(token);
            true
        } else {
            false
        }
    }

    /// An access token the sandbox issued and has not revoked, expired or not.
    pub fn access_token(&self, token: &str) -> Option<TokenInfo> {
        self.state().access.get(token).map(|a| TokenInfo {
            kind: TokenKind::Access,
            grant: a.grant.clone(),
            expires: a.expires,
            expires_at: a.expires_at,
        })
    }

    /// A refresh token the sandbox issued and has not revoked.
    pub fn refresh_token(&self, token: &str) -> Option<TokenInfo> {
        self.state().refresh.get(token).map(|grant| TokenInfo {
            kind: TokenKind::Refresh,
            grant: grant.clone(),
            expires: None,
            expires_at: None,
        })
    }

    /// Answers the next `calls` API calls with 429 and `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, calls: u32, retry_after_secs: u64) {
        self.state().rate_limited = (calls, retry_after_secs);
    }
}
