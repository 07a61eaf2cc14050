//! A generic OAuth 2.0 authorization server (RFC 6749 §4.1, §6; RFC 7636; RFC 7662; RFC 7009),
//! configured per provider: the consent page, the decision, token endpoints, introspection,
//! revocation and bearer checks for API routes. What a provider does beyond configuration
//! (its token metadata, error variations, fault injection, logging) goes in [`OAuthHooks`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::{RegisteredClient, consent, join};

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

/// The consent page's path under the mount (the authorization endpoint).
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
/// Where the consent form posts (relative to [`AUTHORIZE_PATH`]: `authorize/decision`).
const DECISION_PATH: &str = "/oauth/authorize/decision";

/// Where a refused authorization request (after client and redirect URI were verified) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestErrors {
    /// Back to the client with `error` and `state` (RFC 6749 §4.1.2.1).
    Redirect,
    /// An error page, as providers that explain the problem to the person do.
    Page,
}

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
    /// What the consent page says is granted (see [`OAuthHooks::permissions`]).
    pub permissions: Vec<String>,
    /// The client the sandbox accepts; more with [`OAuthSandbox::register_client`].
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
    /// How long a code may be redeemed (see [`OAuthSandbox::set_lifetimes`]).
    pub code_ttl: Duration,
    /// Access-token lifetime; `None`: never expires (no `expires_in`).
    pub access_ttl: Option<Duration>,
    /// The refresh grant.
    pub refresh: Refresh,
    /// Fields added to every token response (a JSON object: `workspace_name`…).
    pub token_extras: Value,
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
            token_type: "bearer",
            secret: random_secret,
            token_error: rfc6749_error,
            api_error: rfc6749_error,
            unauthorized_code: "invalid_token",
        }
    }
}

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
    /// [`OAuthSandboxConfig::token_error`] made it.
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

#[derive(Debug)]
struct NoHooks;

impl OAuthHooks for NoHooks {}

struct Code {
    client_id: String,
    redirect_uri: String,
    scope: String,
    challenge: Option<String>,
    expires: Instant,
    /// Tokens issued for it: revoked if the code is presented again (RFC 6749 §4.1.2).
    issued: Option<(String, Option<String>)>,
}

struct Access {
    grant: Grant,
    expires: Option<Instant>,
    expires_at: Option<DateTime<Utc>>,
    /// The refresh token it was minted with: revoking that ends this one too.
    refresh: Option<String>,
}

struct State {
    clients: Vec<RegisteredClient>,
    access_ttl: Option<Duration>,
    code_ttl: Duration,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Grant>,
    stats: SandboxStats,
    /// API calls still to answer with 429, and the `Retry-After` seconds.
    rate_limited: (u32, u64),
}

struct Inner {
    config: OAuthSandboxConfig,
    hooks: Box<dyn OAuthHooks>,
    state: Mutex<State>,
}

/// The OAuth half of a provider sandbox. Cheap to clone (shared state).
#[derive(Clone)]
pub struct OAuthSandbox(Arc<Inner>);

impl std::fmt::Debug for OAuthSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSandbox")
            .field("provider", &self.0.config.provider)
            .field("client_id", &self.0.config.client.client_id)
            .finish_non_exhaustive()
    }
}

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

fn valid_challenge(c: &str) -> bool {
    c.len() == 43 && URL_SAFE_NO_PAD.decode(c).is_ok_and(|b| b.len() == 32)
}

/// 43 to 128 unreserved characters (RFC 7636 §4.1).
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `to` with `pairs` added to its query (`None` values left out).
fn redirect(to: &str, pairs: &[(&str, Option<&str>)]) -> HttpResponse {
    let mut url = match Url::parse(to) {
        Ok(url) => url,
        Err(_) => return consent::error_page(400, 1, "Invalid redirect URI", to),
    };
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    no_store(
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.as_str()))
            .finish(),
    )
}

/// A refused authorization request: RFC 6749 code, page title, description.
struct Refusal(&'static str, &'static str, &'static str);

/// A request body, or why it could not be read.
type Body = Result<web::Bytes, ErrorInfo>;

async fn read_body(payload: web::Payload, limit: usize) -> Body {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ErrorInfo::new(
            400,
            "invalid_request",
            Subject::Request,
            "the request body could not be read",
        )),
        Err(_) => Err(ErrorInfo::new(
            413,
            "invalid_request",
            Subject::Request,
            format!("the request body is larger than {limit} bytes"),
        )),
    }
}

/// The standard authorization parameters carried from the consent page to the decision.
const CARRIED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

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

    fn state(&self) -> MutexGuard<'_, State> {
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

    /// The URL settings (`auth`, `token`) that point a provider at this sandbox mounted at `root`.
    pub fn urls(&self, root: &Url) -> BTreeMap<String, Url> {
        BTreeMap::from([
            ("auth".to_owned(), join(root, AUTHORIZE_PATH)),
            ("token".to_owned(), join(root, self.0.config.token_path)),
        ])
    }

    /// A resource at `path` answering `method` with `handler` and other methods per
    /// [`OAuthHooks::method_not_allowed`].
    fn resource(
        &self,
        path: &'static str,
        method: &'static str,
        route: actix_web::Route,
    ) -> actix_web::Resource {
        let s = self.clone();
        web::resource(path)
            .route(route)
            .default_service(web::to(move |req: HttpRequest| {
                let s = s.clone();
                async move { s.method_not_allowed(&req, method) }
            }))
    }

    fn method_not_allowed(&self, req: &HttpRequest, allow: &str) -> HttpResponse {
        let (method, path) = (req.method().as_str(), req.path());
        self.0
            .hooks
            .method_not_allowed(method, path, allow)
            .unwrap_or_else(|| {
                let message = format!("{method} is not allowed on {path}; allowed: {allow}");
                let mut response = self.api_error(405, "method_not_allowed", &message);
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                response
            })
    }

    /// Adds `GET /oauth/authorize`, `POST /oauth/authorize/decision`, the token endpoints,
    /// introspection and revocation when configured, and `GET /_assets/consent.css`. Handlers
    /// capture this sandbox (no `app_data`), so several sandboxes can be mounted in one app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let limit = self.0.config.max_body;
        let s = self.clone();
        cfg.service(self.resource(
            AUTHORIZE_PATH,
            "GET",
            web::get().to(move |req: HttpRequest| {
                let s = s.clone();
                async move { s.authorize(&req) }
            }),
        ));
        let s = self.clone();
        cfg.service(self.resource(
            DECISION_PATH,
            "POST",
            web::post().to(move |payload: web::Payload| {
                let s = s.clone();
                async move { s.decision(read_body(payload, limit).await) }
            }),
        ));
        let config = &self.0.config;
        let tokens = std::iter::once((config.token_path, false))
            .chain(config.legacy_token_paths.iter().map(|p| (*p, true)));
        for (path, lenient) in tokens {
            let s = self.clone();
            cfg.service(self.resource(
                path,
                "POST",
                web::post().to(move |req: HttpRequest, payload: web::Payload| {
                    let s = s.clone();
                    async move {
                        s.pause().await;
                        let body = read_body(payload, limit).await;
                        s.token(&req, body, path, lenient)
                    }
                }),
            ));
        }
        let others = [
            (
                config.introspect_path,
                Self::introspect as fn(&Self, &str, Params) -> HttpResponse,
            ),
            (config.revoke_path, Self::revoke_request),
        ];
        for (path, handler) in others {
            let Some(path) = path else { continue };
            let s = self.clone();
            cfg.service(self.resource(
                path,
                "POST",
                web::post().to(move |req: HttpRequest, payload: web::Payload| {
                    let s = s.clone();
                    async move {
                        s.pause().await;
                        // Read first: an answer that leaves the body unread can cut the
                        // connection under the client.
                        let body = read_body(payload, limit).await;
                        if let Some(answer) = s.0.hooks.intercept(path) {
                            return answer;
                        }
                        match s.client_request(&req, body) {
                            Ok((client_id, params)) => handler(&s, &client_id, params),
                            Err(error) => s.refuse(&error),
                        }
                    }
                }),
            ));
        }
        cfg.service(self.resource(
            "/_assets/consent.css",
            "GET",
            web::get().to(consent::stylesheet),
        ));
    }

    async fn pause(&self) {
        let delay = self.0.hooks.latency();
        if !delay.is_zero() {
            actix_web::rt::time::sleep(delay).await;
        }
    }

    /// Checks client and redirect URI; a failure is a page, never a redirect (RFC 6749 §4.1.2.1:
    /// redirecting to an unverified URI would make the sandbox an open redirector).
    fn check_client(&self, params: &Params, depth: usize) -> Result<(), HttpResponse> {
        let state = self.state();
        let Some(client) = param(params, "client_id")
            .and_then(|id| state.clients.iter().find(|c| c.client_id == id))
        else {
            return Err(consent::error_page(
                400,
                depth,
                "Unknown app",
                "The client_id is missing or is not registered with this sandbox.",
            ));
        };
        match param(params, "redirect_uri") {
            Some(uri) if client.redirect_uris.iter().any(|u| u == uri) => Ok(()),
            _ => Err(consent::error_page(
                400,
                depth,
                "Redirect URI mismatch",
                &format!(
                    "redirect_uri must be exactly one of: {}",
                    client.redirect_uris.join(", ")
                ),
            )),
        }
    }

    /// The rest of the request: the PKCE challenge, or why it is refused.
    fn check_request(&self, params: &Params) -> Result<Option<String>, Refusal> {
        let config = &self.0.config;
        match param(params, "response_type") {
            Some("code") => {}
            None if !config.require_response_type => {}
            _ => {
                return Err(Refusal(
                    "unsupported_response_type",
                    "Unsupported response_type",
                    "response_type must be code",
                ));
            }
        }
        if config.require_state && param(params, "state").is_none() {
            return Err(Refusal(
                "invalid_request",
                "Missing state",
                "state is required",
            ));
        }
        let scoped =
            param(params, "scope").is_some_and(|s| s.split([' ', ',']).any(|s| !s.is_empty()));
        if config.require_scope && !scoped {
            return Err(Refusal(
                "invalid_scope",
                "Missing scope",
                "The request must list at least one scope in the scope parameter.",
            ));
        }
        if config.pkce == Pkce::Off {
            return Ok(None);
        }
        match (
            param(params, "code_challenge"),
            param(params, "code_challenge_method"),
        ) {
            (None, None) if config.pkce == Pkce::Allowed => Ok(None),
            (None, _) => Err(Refusal(
                "invalid_request",
                "Missing code_challenge",
                "code_challenge is required",
            )),
            (Some(c), Some("S256")) if valid_challenge(c) => Ok(Some(c.to_owned())),
            (Some(_), Some("S256")) => Err(Refusal(
                "invalid_request",
                "Malformed code_challenge",
                "An S256 code_challenge is 43 characters of unpadded base64url.",
            )),
            _ => Err(Refusal(
                "invalid_request",
                "Unsupported code_challenge_method",
                "code_challenge_method must be S256 (plain, the default, is not accepted)",
            )),
        }
    }

    fn refuse_request(&self, refusal: &Refusal, params: &Params, depth: usize) -> HttpResponse {
        let Refusal(code, title, detail) = *refusal;
        match self.0.config.request_errors {
            RequestErrors::Page => consent::error_page(400, depth, title, detail),
            RequestErrors::Redirect => redirect(
                param(params, "redirect_uri").unwrap_or_default(),
                &[
                    ("error", Some(code)),
                    ("error_description", Some(detail)),
                    ("state", param(params, "state")),
                ],
            ),
        }
    }

    fn authorize(&self, req: &HttpRequest) -> HttpResponse {
        let params: Params = url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
        self.state().stats.consent_pages += 1;
        if let Err(page) = self.check_client(&params, 1) {
            return page;
        }
        if let Err(refusal) = self.check_request(&params) {
            return self.refuse_request(&refusal, &params, 1);
        }
        let config = &self.0.config;
        let carried: Vec<(&str, &str)> = CARRIED
            .iter()
            .chain(&config.carry)
            .filter_map(|k| param(&params, k).map(|v| (*k, v)))
            .collect();
        let client_id = param(&params, "client_id").unwrap_or_default();
        consent::consent_page(&consent::Consent {
            provider: config.provider,
            account: &config.account,
            user: config.user.as_deref(),
            client: config.client_name.as_deref().unwrap_or(client_id),
            redirect_uri: param(&params, "redirect_uri").unwrap_or_default(),
            permissions: &self.0.hooks.permissions(&params, &config.permissions),
            hidden: &carried,
        })
    }

    fn decision(&self, body: Body) -> HttpResponse {
        let body = match body {
            Ok(body) => body,
            Err(e) => return consent::error_page(e.status, 2, "Invalid form", &e.message),
        };
        let params: Params = url::form_urlencoded::parse(&body).into_owned().collect();
        if let Err(page) = self.check_client(&params, 2) {
            return page;
        }
        let challenge = match self.check_request(&params) {
            Ok(challenge) => challenge,
            Err(refusal) => return self.refuse_request(&refusal, &params, 2),
        };
        let redirect_uri = param(&params, "redirect_uri").unwrap_or_default();
        let state = param(&params, "state");
        match param(&params, "decision") {
            Some("approve") => {}
            Some("deny") => {
                self.state().stats.denials += 1;
                return redirect(
                    redirect_uri,
                    &[
                        ("error", Some("access_denied")),
                        ("error_description", Some("the user denied access")),
                        ("state", state),
                    ],
                );
            }
            _ => {
                return consent::error_page(
                    400,
                    2,
                    "Invalid decision",
                    "The consent form must be posted with decision=approve or decision=deny.",
                );
            }
        }
        let scope = self.0.hooks.granted_scope(&params);
        let code = (self.0.config.secret)(Secret::Code);
        let mut guard = self.state();
        guard.stats.approvals += 1;
        let expires = Instant::now() + guard.code_ttl;
        guard.codes.insert(
            code.clone(),
            Code {
                client_id: param(&params, "client_id").unwrap_or_default().to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scope,
                challenge,
                expires,
                issued: None,
            },
        );
        drop(guard);
        redirect(redirect_uri, &[("code", Some(&code)), ("state", state)])
    }

    /// An error of the token family in the provider's shape.
    fn refuse(&self, error: &ErrorInfo) -> HttpResponse {
        let mut body = (self.0.config.token_error)(error);
        self.0.hooks.error_answer(&mut body, error);
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = HttpResponse::build(status);
        if error.status == 401 && self.0.config.client_auth.basic {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"sandbox\""));
        }
        no_store(response.json(body))
    }

    /// The request body as parameters, per its content type and what the provider accepts.
    fn params(&self, req: &HttpRequest, body: &[u8], lenient: bool) -> Result<Params, ErrorInfo> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let config = &self.0.config;
        let bad = |why: &str| ErrorInfo::new(400, "invalid_request", Subject::Request, why);
        if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") && config.accept_form {
            let mut params = Params::new();
            for (key, value) in url::form_urlencoded::parse(body).into_owned() {
                if !lenient && params.contains_key(&key) {
                    return Err(bad(&format!("parameter {key} is included more than once")));
                }
                params.insert(key, value);
            }
            return Ok(params);
        }
        if essence.eq_ignore_ascii_case("application/json") && config.accept_json {
            let object: Map<String, Value> =
                serde_json::from_slice(body).map_err(|_| bad("the body is not a JSON object"))?;
            return object
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k, s)),
                    _ => Err(bad("every parameter must be a string")),
                })
                .collect();
        }
        if lenient {
            return Ok(Params::new());
        }
        let why = match (config.accept_form, config.accept_json) {
            (true, false) => "the body must be application/x-www-form-urlencoded",
            (false, true) => "the body must be application/json",
            _ => "the body must be a form or JSON",
        };
        Err(ErrorInfo {
            status: config.unsupported_media_status,
            ..bad(why)
        })
    }

    /// The authenticated client's id, when exactly one allowed method presents a registered
    /// client's credentials.
    fn authenticate(&self, req: &HttpRequest, params: &Params) -> Result<String, ErrorInfo> {
        let config = &self.0.config;
        let allowed = config.client_auth;
        let status = config.client_error_status;
        let basic = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "));
        let in_body = param(params, "client_secret").is_some();
        let refused = |subject, why: &str| ErrorInfo::new(status, "invalid_client", subject, why);
        let presented = match (basic, in_body) {
            (Some(_), true) => {
                return Err(ErrorInfo::new(
                    400,
                    "invalid_request",
                    Subject::Request,
                    "use one client authentication method",
                ));
            }
            (Some(b), false) if allowed.basic => {
                let decoded = STANDARD
                    .decode(b.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                decoded.and_then(|pair| {
                    let (id, secret) = pair.split_once(':')?;
                    let decode = |s: &str| {
                        url::form_urlencoded::parse(format!("x={s}").as_bytes())
                            .next()
                            .map(|(_, v)| v.into_owned())
                    };
                    Some((decode(id)?, Some(decode(secret)?)))
                })
            }
            (None, _) if allowed.body => param(params, "client_id").map(|id| {
                let secret = param(params, "client_secret").map(str::to_owned);
                (id.to_owned(), secret)
            }),
            _ => None,
        };
        let Some((id, secret)) = presented else {
            return Err(refused(Subject::ClientId, "client authentication failed"));
        };
        if param(params, "client_id").is_some_and(|body_id| body_id != id) {
            return Err(refused(Subject::ClientId, "client_id does not match"));
        }
        let state = self.state();
        let Some(client) = state.clients.iter().find(|c| c.client_id == id) else {
            return Err(refused(Subject::ClientId, "missing or unknown client id"));
        };
        match secret {
            Some(secret) if constant_time_eq(&secret, &client.client_secret) => Ok(id),
            _ => Err(refused(
                Subject::ClientSecret,
                "missing or invalid client secret",
            )),
        }
    }

    fn token(&self, req: &HttpRequest, body: Body, path: &str, lenient: bool) -> HttpResponse {
        self.state().stats.token_requests += 1;
        if let Some(answer) = self.0.hooks.intercept(path) {
            if !answer.status().is_success() {
                self.state().stats.token_errors += 1;
            }
            return answer;
        }
        match self.grant(req, body, path, lenient) {
            Ok(response) => response,
            Err(error) => {
                self.state().stats.token_errors += 1;
                self.0.hooks.on_event(&Event::TokenRefused {
                    path,
                    error: &error,
                });
                self.refuse(&error)
            }
        }
    }

    fn grant(
        &self,
        req: &HttpRequest,
        body: Body,
        path: &str,
        lenient: bool,
    ) -> Result<HttpResponse, ErrorInfo> {
        let params = self.params(req, &body?, lenient)?;
        // A missing parameter: strictly a malformed request, leniently a bad grant.
        let missing = |grant_code: &str, subject, name: &str| {
            let code = if lenient {
                grant_code
            } else {
                "invalid_request"
            };
            ErrorInfo::new(
                400,
                code,
                subject,
                format!("missing required parameter {name}"),
            )
        };
        let authorization_code = match param(&params, "grant_type") {
            Some("authorization_code") => true,
            Some("refresh_token") if self.0.config.refresh != Refresh::Off => false,
            Some(_) => {
                return Err(ErrorInfo::new(
                    400,
                    "unsupported_grant_type",
                    Subject::GrantType,
                    "grant_type not supported",
                ));
            }
            None => {
                return Err(missing(
                    "unsupported_grant_type",
                    Subject::GrantType,
                    "grant_type",
                ));
            }
        };
        let client_id = self.authenticate(req, &params)?;
        if authorization_code {
            let Some(code) = param(&params, "code") else {
                return Err(missing("invalid_grant", Subject::Code, "code"));
            };
            if !lenient && param(&params, "redirect_uri").is_none() {
                return Err(missing(
                    "invalid_grant",
                    Subject::RedirectUri,
                    "redirect_uri",
                ));
            }
            let grant = self.redeem_code(&params, code, &client_id, lenient)?;
            self.0.hooks.on_event(&Event::CodeRedeemed {
                client_id: &client_id,
                path,
            });
            Ok(self.token_response(grant))
        } else {
            let Some(token) = param(&params, "refresh_token") else {
                return Err(missing(
                    "invalid_grant",
                    Subject::RefreshToken,
                    "refresh_token",
                ));
            };
            let grant = self.refresh(token, &client_id)?;
            self.0.hooks.on_event(&Event::Refreshed {
                client_id: &client_id,
                path,
            });
            Ok(self.token_response(grant))
        }
    }

    fn redeem_code(
        &self,
        params: &Params,
        code: &str,
        client_id: &str,
        lenient: bool,
    ) -> Result<Issued, ErrorInfo> {
        let invalid = |subject, why: &str| ErrorInfo::new(400, "invalid_grant", subject, why);
        let mut guard = self.state();
        let state = &mut *guard;
        let Some(grant) = state
            .codes
            .get_mut(code)
            .filter(|c| c.client_id == client_id)
        else {
            return Err(invalid(Subject::Code, "missing or invalid auth code"));
        };
        if let Some((access, refresh)) = grant.issued.take() {
            // A replayed code: revoke what it minted (RFC 6749 §4.1.2).
            state.access.remove(&access);
            if let Some(refresh) = refresh {
                state.refresh.remove(&refresh);
                state
                    .access
                    .retain(|_, a| a.refresh.as_ref() != Some(&refresh));
            }
            return Err(invalid(Subject::Code, "the code was already used"));
        }
        // Failed attempts leave the code redeemable (but for expiry): nothing was issued.
        if param(params, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return Err(invalid(
                Subject::RedirectUri,
                "redirect_uri does not match the redirect_uri used to obtain the auth code",
            ));
        }
        if grant.expires <= Instant::now() {
            state.codes.remove(code);
            return Err(invalid(Subject::ExpiredCode, "the code has expired"));
        }
        let pkce = self.0.config.pkce != Pkce::Off;
        let problem = match (&grant.challenge, param(params, "code_verifier")) {
            (Some(challenge), Some(v))
                if valid_verifier(v) && constant_time_eq(&s256(v), challenge) =>
            {
                None
            }
            (Some(_), Some(_)) => Some("code_verifier does not match the code_challenge"),
            (Some(_), None) => {
                Some("code_verifier is required: the authorization request had a code_challenge")
            }
            (None, Some(_)) if pkce && !lenient => {
                Some("code_verifier was sent but the authorization request had no code_challenge")
            }
            (None, _) => None,
        };
        if let Some(problem) = problem {
            return Err(invalid(Subject::Code, problem));
        }
        let scope = grant.scope.clone();
        let issued = self.issue(state, client_id, scope, None);
        if let Some(grant) = state.codes.get_mut(code) {
            grant.issued = Some((issued.access.clone(), issued.refresh.clone()));
        }
        state.stats.codes_redeemed += 1;
        Ok(issued)
    }

    fn refresh(&self, token: &str, client_id: &str) -> Result<Issued, ErrorInfo> {
        let mut guard = self.state();
        let state = &mut *guard;
        let Some(grant) = state
            .refresh
            .get(token)
            .filter(|g| g.client_id == client_id)
            .cloned()
        else {
            return Err(ErrorInfo::new(
                400,
                "invalid_grant",
                Subject::RefreshToken,
                "missing or invalid refresh token",
            ));
        };
        let keep = (self.0.config.refresh == Refresh::Reuse).then(|| token.to_owned());
        if keep.is_none() {
            state.refresh.remove(token);
        }
        let issued = self.issue(state, client_id, grant.scope, keep);
        state.stats.refreshes += 1;
        Ok(issued)
    }

    fn issue(
        &self,
        state: &mut State,
        client_id: &str,
        scope: String,
        keep_refresh: Option<String>,
    ) -> Issued {
        let config = &self.0.config;
        let grant = Grant {
            client_id: client_id.to_owned(),
            scope,
        };
        let refresh = match config.refresh {
            Refresh::Off => None,
            _ => Some(keep_refresh.unwrap_or_else(|| (config.secret)(Secret::Refresh))),
        };
        if let Some(refresh) = &refresh {
            state.refresh.insert(refresh.clone(), grant.clone());
        }
        let access = (config.secret)(Secret::Access);
        let ttl = state.access_ttl;
        state.access.insert(
            access.clone(),
            Access {
                grant: grant.clone(),
                expires: ttl.map(|ttl| Instant::now() + ttl),
                expires_at: ttl
                    .map(|ttl| Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default()),
                refresh: refresh.clone(),
            },
        );
        Issued {
            access,
            refresh,
            grant,
            ttl,
        }
    }

    fn token_response(&self, issued: Issued) -> HttpResponse {
        let config = &self.0.config;
        let mut body = config.token_extras.as_object().cloned().unwrap_or_default();
        body.insert("access_token".into(), issued.access.into());
        body.insert("token_type".into(), config.token_type.into());
        if let Some(ttl) = issued.ttl {
            body.insert("expires_in".into(), ttl.as_secs().into());
        }
        if let Some(refresh) = issued.refresh {
            body.insert("refresh_token".into(), refresh.into());
        }
        if !issued.grant.scope.is_empty() {
            body.insert("scope".into(), issued.grant.scope.clone().into());
        }
        self.0.hooks.token_answer(&mut body, &issued.grant);
        no_store(HttpResponse::Ok().json(body))
    }

    /// Introspection and revocation: a strict body, an authenticated client and a `token`.
    fn client_request(&self, req: &HttpRequest, body: Body) -> Result<(String, Params), ErrorInfo> {
        let params = self.params(req, &body?, false)?;
        let client_id = self.authenticate(req, &params)?;
        if param(&params, "token").is_none() {
            return Err(ErrorInfo::new(
                400,
                "invalid_request",
                Subject::Request,
                "missing required parameter token",
            ));
        }
        Ok((client_id, params))
    }

    /// RFC 7662: the client's own live token is described, anything else is `{"active": false}`
    /// (the `token_type_hint` is only a hint, and tokens of either kind never collide).
    fn introspect(&self, client_id: &str, params: Params) -> HttpResponse {
        self.state().stats.introspections += 1;
        let token = param(&params, "token").unwrap_or_default();
        let info = self
            .access_token(token)
            .or_else(|| self.refresh_token(token))
            .filter(|i| i.grant.client_id == client_id && i.is_active());
        let body = match &info {
            Some(info) => {
                let mut body = Map::new();
                body.insert("active".into(), true.into());
                body.insert("client_id".into(), info.grant.client_id.clone().into());
                body.insert("scope".into(), info.grant.scope.clone().into());
                let kind = match info.kind {
                    TokenKind::Access => "access_token",
                    TokenKind::Refresh => "refresh_token",
                };
                body.insert("token_type".into(), kind.into());
                if let Some(at) = info.expires_at {
                    body.insert("exp".into(), at.timestamp().into());
                }
                self.0.hooks.introspection(token, info, &mut body);
                Value::Object(body)
            }
            None => json!({"active": false}),
        };
        let active = info.is_some();
        self.0.hooks.on_event(&Event::Introspected { active });
        no_store(HttpResponse::Ok().json(body))
    }

    /// RFC 7009: 200 with no body, whether or not the token was the client's to revoke.
    fn revoke_request(&self, client_id: &str, params: Params) -> HttpResponse {
        self.state().stats.revocations += 1;
        let token = param(&params, "token").unwrap_or_default();
        let revoked = self.revoke(token, Some(client_id));
        self.0.hooks.on_event(&Event::Revoked { revoked });
        no_store(HttpResponse::Ok().finish())
    }

    /// The grant behind the request's `Authorization: Bearer` token, or the answer to give
    /// instead: 401 in the provider's error shape with `WWW-Authenticate: Bearer` (RFC 6750 §3),
    /// or 429 `rate_limited` while [`OAuthSandbox::rate_limit_next`] says so.
    pub fn check_bearer(&self, req: &HttpRequest) -> Result<Grant, HttpResponse> {
        if let Some(wait) = self.take_rate_limit() {
            let mut response = self.api_error(429, "rate_limited", "slow down");
            if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Err(response);
        }
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let grant = token
            .and_then(|t| self.access_token(t))
            .filter(TokenInfo::is_active)
            .map(|info| info.grant);
        let mut state = self.state();
        match grant {
            Some(grant) => {
                state.stats.api_calls += 1;
                Ok(grant)
            }
            None => {
                state.stats.unauthorized += 1;
                drop(state);
                let mut response = self.api_error(
                    401,
                    self.0.config.unauthorized_code,
                    "the access token is invalid or expired",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                Err(response)
            }
        }
    }

    fn take_rate_limit(&self) -> Option<u64> {
        let mut state = self.state();
        let (calls, wait) = state.rate_limited;
        (calls > 0).then(|| {
            state.rate_limited.0 -= 1;
            wait
        })
    }

    /// An API error in the provider's shape.
    pub fn api_error(&self, status: u16, code: &str, message: &str) -> HttpResponse {
        let info = ErrorInfo::new(status, code, Subject::Api, message);
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
            .json((self.0.config.api_error)(&info))
    }
}

/// Tokens just minted.
struct Issued {
    access: String,
    refresh: Option<String>,
    grant: Grant,
    ttl: Option<Duration>,
}
