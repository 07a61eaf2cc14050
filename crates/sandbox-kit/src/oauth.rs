//! A generic OAuth 2.0 authorization server (RFC 6749 §4.1, §6; RFC 7636), configured per
//! provider: the consent page, the decision, the token endpoint and bearer checks for API routes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
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

/// An error the sandbox answers with, before it is put in the provider's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// HTTP status.
    pub status: u16,
    /// RFC 6749/6750 code (`invalid_grant`, `invalid_token`) or the route's own.
    pub code: String,
    /// Human description.
    pub message: String,
}

/// Renders an [`ErrorInfo`] as the provider's error body.
pub type ErrorShape = fn(&ErrorInfo) -> Value;

/// RFC 6749 §5.2: `{"error", "error_description"}`.
pub fn rfc6749_error(e: &ErrorInfo) -> Value {
    json!({"error": e.code, "error_description": e.message})
}

/// One provider's OAuth behaviour. Start from [`OAuthSandboxConfig::new`] (RFC 6749 defaults) and
/// change what the provider does differently with struct update syntax.
#[derive(Debug, Clone)]
pub struct OAuthSandboxConfig {
    /// The provider's name on the consent page ("Notion").
    pub provider: &'static str,
    /// The account the sandbox user grants access to ("Acme workspace").
    pub account: String,
    /// What the consent page says is granted.
    pub permissions: Vec<String>,
    /// The one client the sandbox accepts.
    pub client: RegisteredClient,
    /// Token endpoint path under the mount (`/oauth/token`).
    pub token_path: &'static str,
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuthMethods,
    /// Token requests as `application/x-www-form-urlencoded`.
    pub accept_form: bool,
    /// Token requests as `application/json` (string values).
    pub accept_json: bool,
    /// PKCE.
    pub pkce: Pkce,
    /// How long a code may be redeemed.
    pub code_ttl: Duration,
    /// Access-token lifetime; `None`: never expires (no `expires_in`).
    pub access_ttl: Option<Duration>,
    /// The refresh grant.
    pub refresh: Refresh,
    /// Fields added to every token response (a JSON object: `workspace_name`…).
    pub token_extras: Value,
    /// `token_type` in token responses.
    pub token_type: &'static str,
    /// Error bodies of the token endpoint.
    pub token_error: ErrorShape,
    /// Error bodies of API routes (401 from bearer checks, 400 from bad requests).
    pub api_error: ErrorShape,
    /// The code of a 401 from a bearer check (`invalid_token`, RFC 6750; Notion: `unauthorized`).
    pub unauthorized_code: &'static str,
}

impl OAuthSandboxConfig {
    /// RFC 6749 defaults: token at `/oauth/token`, Basic or body client auth, form bodies, PKCE
    /// allowed, codes for 10 minutes, access tokens for an hour, rotating refresh tokens, RFC
    /// error bodies.
    pub fn new(
        provider: &'static str,
        account: impl Into<String>,
        client: RegisteredClient,
    ) -> Self {
        Self {
            provider,
            account: account.into(),
            permissions: Vec::new(),
            client,
            token_path: "/oauth/token",
            client_auth: ClientAuthMethods::EITHER,
            accept_form: true,
            accept_json: false,
            pkce: Pkce::Allowed,
            code_ttl: Duration::from_secs(600),
            access_ttl: Some(Duration::from_secs(3600)),
            refresh: Refresh::Rotate,
            token_extras: json!({}),
            token_type: "bearer",
            token_error: rfc6749_error,
            api_error: rfc6749_error,
            unauthorized_code: "invalid_token",
        }
    }
}

/// Counters for tests: what the sandbox saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxStats {
    /// Consent pages served.
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
    /// Token requests refused.
    pub token_errors: u64,
    /// API calls with a valid bearer token.
    pub api_calls: u64,
    /// API calls refused with 401.
    pub unauthorized: u64,
}

/// The grant behind a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The client it was issued to.
    pub client_id: String,
    /// The scope granted (as requested on the consent page).
    pub scope: String,
}

struct Code {
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
}

#[derive(Default)]
struct State {
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Grant>,
    stats: SandboxStats,
    /// API calls still to answer with 429, and the `Retry-After` seconds.
    rate_limited: (u32, u64),
}

struct Inner {
    config: OAuthSandboxConfig,
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

fn random(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
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

fn no_store(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

type Params = HashMap<String, String>;

fn get<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn redirect(to: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut url = match Url::parse(to) {
        Ok(url) => url,
        Err(_) => return consent::error_page(1, "Invalid redirect URI", to),
    };
    url.query_pairs_mut().extend_pairs(pairs);
    no_store(
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.as_str()))
            .finish(),
    )
}

impl OAuthSandbox {
    /// A sandbox with `config` and no grants yet.
    pub fn new(config: OAuthSandboxConfig) -> Self {
        Self(Arc::new(Inner {
            config,
            state: Mutex::new(State::default()),
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

    /// Makes every expiring access token issued so far expired (to test refresh); tokens that
    /// never expire are left alone.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for access in self.state().access.values_mut() {
            if access.expires.is_some() {
                access.expires = Some(now);
            }
        }
    }

    /// Revokes every token (the user removed the app at the provider).
    pub fn revoke_all(&self) {
        let mut state = self.state();
        state.access.clear();
        state.refresh.clear();
    }

    /// Answers the next `calls` API calls with 429 and `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, calls: u32, retry_after_secs: u64) {
        self.state().rate_limited = (calls, retry_after_secs);
    }

    /// The URL settings (`auth`, `token`) that point a provider at this sandbox mounted at `root`.
    pub fn urls(&self, root: &Url) -> BTreeMap<String, Url> {
        BTreeMap::from([
            ("auth".to_owned(), join(root, "/oauth/authorize")),
            ("token".to_owned(), join(root, self.0.config.token_path)),
        ])
    }

    /// Adds `GET /oauth/authorize`, `POST /oauth/authorize/decision`, the token endpoint and
    /// `GET /_assets/consent.css`. Handlers capture this sandbox (no `app_data`), so several
    /// sandboxes can be mounted in one app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let (a, d, t) = (self.clone(), self.clone(), self.clone());
        cfg.route(
            "/oauth/authorize",
            web::get().to(move |req: HttpRequest| {
                let s = a.clone();
                async move { s.authorize(&req) }
            }),
        )
        .route(
            "/oauth/authorize/decision",
            web::post().to(move |body: web::Bytes| {
                let s = d.clone();
                async move { s.decision(&body) }
            }),
        )
        .route(
            self.0.config.token_path,
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let s = t.clone();
                async move { s.token(&req, &body) }
            }),
        )
        .route("/_assets/consent.css", web::get().to(consent::stylesheet));
    }

    /// Checks client and redirect URI; a failure is a page, never a redirect (RFC 6749 §4.1.2.1:
    /// redirecting to an unverified URI would make the sandbox an open redirector).
    fn check_client(&self, params: &Params, depth: usize) -> Result<(), HttpResponse> {
        let client = &self.0.config.client;
        if get(params, "client_id") != Some(client.client_id.as_str()) {
            return Err(consent::error_page(
                depth,
                "Unknown app",
                "The client_id is missing or is not registered with this sandbox.",
            ));
        }
        match get(params, "redirect_uri") {
            Some(uri) if client.redirect_uris.iter().any(|u| u == uri) => Ok(()),
            _ => Err(consent::error_page(
                depth,
                "Redirect URI mismatch",
                &format!(
                    "redirect_uri must be exactly one of: {}",
                    client.redirect_uris.join(", ")
                ),
            )),
        }
    }

    /// The rest of the request; an error is `(code, description)` for the redirect URI.
    fn check_request(&self, params: &Params) -> Result<Option<String>, (&'static str, String)> {
        if get(params, "response_type") != Some("code") {
            return Err((
                "unsupported_response_type",
                "response_type must be code".into(),
            ));
        }
        if get(params, "state").is_none() {
            return Err(("invalid_request", "state is required".into()));
        }
        if self.0.config.pkce == Pkce::Off {
            return Ok(None);
        }
        match (
            get(params, "code_challenge"),
            get(params, "code_challenge_method"),
        ) {
            (None, None) if self.0.config.pkce == Pkce::Allowed => Ok(None),
            (None, _) => Err(("invalid_request", "code_challenge is required".into())),
            (Some(c), Some("S256")) if valid_challenge(c) => Ok(Some(c.to_owned())),
            (Some(_), Some("S256")) => Err(("invalid_request", "malformed code_challenge".into())),
            _ => Err((
                "invalid_request",
                "code_challenge_method must be S256".into(),
            )),
        }
    }

    fn authorize(&self, req: &HttpRequest) -> HttpResponse {
        let params: Params = web::Query::<Params>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default();
        self.state().stats.consent_pages += 1;
        if let Err(page) = self.check_client(&params, 1) {
            return page;
        }
        let redirect_uri = get(&params, "redirect_uri").unwrap_or_default();
        if let Err((code, description)) = self.check_request(&params) {
            let state = get(&params, "state").unwrap_or_default();
            return redirect(
                redirect_uri,
                &[
                    ("error", code),
                    ("error_description", &description),
                    ("state", state),
                ],
            );
        }
        let carried: Vec<(&str, &str)> = [
            "client_id",
            "redirect_uri",
            "response_type",
            "state",
            "scope",
            "code_challenge",
            "code_challenge_method",
        ]
        .into_iter()
        .filter_map(|k| get(&params, k).map(|v| (k, v)))
        .collect();
        consent::consent_page(&consent::Consent {
            provider: self.0.config.provider,
            account: &self.0.config.account,
            client_id: &self.0.config.client.client_id,
            redirect_uri,
            permissions: &self.0.config.permissions,
            hidden: &carried,
        })
    }

    fn decision(&self, body: &[u8]) -> HttpResponse {
        let params: Params = url::form_urlencoded::parse(body).into_owned().collect();
        if let Err(page) = self.check_client(&params, 2) {
            return page;
        }
        let redirect_uri = get(&params, "redirect_uri").unwrap_or_default();
        let state = get(&params, "state").unwrap_or_default();
        let challenge = match self.check_request(&params) {
            Ok(challenge) => challenge,
            Err((code, description)) => {
                return redirect(
                    redirect_uri,
                    &[
                        ("error", code),
                        ("error_description", &description),
                        ("state", state),
                    ],
                );
            }
        };
        let mut guard = self.state();
        if get(&params, "decision") != Some("approve") {
            guard.stats.denials += 1;
            return redirect(
                redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", "the user denied access"),
                    ("state", state),
                ],
            );
        }
        guard.stats.approvals += 1;
        let code = random("code_");
        guard.codes.insert(
            code.clone(),
            Code {
                redirect_uri: redirect_uri.to_owned(),
                scope: get(&params, "scope").unwrap_or_default().to_owned(),
                challenge,
                expires: Instant::now() + self.0.config.code_ttl,
                issued: None,
            },
        );
        redirect(redirect_uri, &[("code", &code), ("state", state)])
    }

    fn token_error(&self, status: u16, code: &str, message: &str) -> HttpResponse {
        self.state().stats.token_errors += 1;
        let info = ErrorInfo {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        };
        let mut response =
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST));
        if status == 401 && self.0.config.client_auth.basic {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"sandbox\""));
        }
        no_store(response.json((self.0.config.token_error)(&info)))
    }

    /// The request body as parameters, per its content type and what the provider accepts.
    fn token_params(&self, req: &HttpRequest, body: &[u8]) -> Result<Params, &'static str> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let config = &self.0.config;
        if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") && config.accept_form {
            return Ok(url::form_urlencoded::parse(body).into_owned().collect());
        }
        if essence.eq_ignore_ascii_case("application/json") && config.accept_json {
            let object: Map<String, Value> =
                serde_json::from_slice(body).map_err(|_| "the body is not a JSON object")?;
            return object
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k, s)),
                    _ => Err("every parameter must be a string"),
                })
                .collect();
        }
        Err(match (config.accept_form, config.accept_json) {
            (true, false) => "the body must be application/x-www-form-urlencoded",
            (false, true) => "the body must be application/json",
            _ => "the body must be a form or JSON",
        })
    }

    /// `Ok(())` when exactly one allowed method presents the registered credentials.
    fn check_client_auth(&self, req: &HttpRequest, params: &Params) -> Result<(), HttpResponse> {
        let allowed = self.0.config.client_auth;
        let basic = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "));
        let in_body = get(params, "client_secret").is_some();
        let presented = match (basic, in_body) {
            (Some(_), true) => {
                return Err(self.token_error(
                    400,
                    "invalid_request",
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
                    Some((decode(id)?, decode(secret)?))
                })
            }
            (None, true) if allowed.body => get(params, "client_id")
                .zip(get(params, "client_secret"))
                .map(|(id, secret)| (id.to_owned(), secret.to_owned())),
            _ => None,
        };
        let client = &self.0.config.client;
        match presented {
            Some((id, secret))
                if id == client.client_id
                    && constant_time_eq(&secret, &client.client_secret)
                    && get(params, "client_id").is_none_or(|body_id| body_id == id) =>
            {
                Ok(())
            }
            _ => Err(self.token_error(401, "invalid_client", "client authentication failed")),
        }
    }

    fn token(&self, req: &HttpRequest, body: &[u8]) -> HttpResponse {
        self.state().stats.token_requests += 1;
        let params = match self.token_params(req, body) {
            Ok(params) => params,
            Err(why) => return self.token_error(400, "invalid_request", why),
        };
        if let Err(refused) = self.check_client_auth(req, &params) {
            return refused;
        }
        match get(&params, "grant_type") {
            Some("authorization_code") => self.redeem_code(&params),
            Some("refresh_token") if self.0.config.refresh != Refresh::Off => self.refresh(&params),
            Some(_) => self.token_error(400, "unsupported_grant_type", "grant_type not supported"),
            None => self.token_error(400, "invalid_request", "grant_type is required"),
        }
    }

    fn redeem_code(&self, params: &Params) -> HttpResponse {
        let (Some(code), Some(redirect_uri)) = (get(params, "code"), get(params, "redirect_uri"))
        else {
            return self.token_error(400, "invalid_request", "code and redirect_uri are required");
        };
        let mut guard = self.state();
        let state = &mut *guard;
        let Some(grant) = state.codes.get_mut(code) else {
            drop(guard);
            return self.token_error(400, "invalid_grant", "the code is not valid");
        };
        if let Some((access, refresh)) = grant.issued.take() {
            // A replayed code: revoke what it minted (RFC 6749 §4.1.2).
            state.access.remove(&access);
            if let Some(refresh) = refresh {
                state.refresh.remove(&refresh);
            }
            drop(guard);
            return self.token_error(400, "invalid_grant", "the code was already used");
        }
        let problem = if grant.expires <= Instant::now() {
            Some("the code has expired")
        } else if grant.redirect_uri != redirect_uri {
            Some("redirect_uri does not match the authorization request")
        } else {
            match (&grant.challenge, get(params, "code_verifier")) {
                (Some(challenge), Some(v)) if constant_time_eq(&s256(v), challenge) => None,
                (Some(_), Some(_)) => Some("code_verifier does not match the challenge"),
                (Some(_), None) => Some("code_verifier is required"),
                (None, Some(_)) if self.0.config.pkce != Pkce::Off => {
                    Some("code_verifier sent for a request without a challenge")
                }
                (None, _) => None,
            }
        };
        if let Some(problem) = problem {
            state.codes.remove(code);
            drop(guard);
            return self.token_error(400, "invalid_grant", problem);
        }
        let scope = grant.scope.clone();
        let issued = self.issue(state, scope, None);
        if let Some(grant) = state.codes.get_mut(code) {
            grant.issued = Some((issued.0.clone(), issued.1.clone()));
        }
        state.stats.codes_redeemed += 1;
        drop(guard);
        self.token_response(issued)
    }

    fn refresh(&self, params: &Params) -> HttpResponse {
        let Some(token) = get(params, "refresh_token") else {
            return self.token_error(400, "invalid_request", "refresh_token is required");
        };
        let mut guard = self.state();
        let state = &mut *guard;
        let Some(grant) = state.refresh.get(token).cloned() else {
            drop(guard);
            return self.token_error(400, "invalid_grant", "the refresh token is not valid");
        };
        let keep = (self.0.config.refresh == Refresh::Reuse).then(|| token.to_owned());
        if keep.is_none() {
            state.refresh.remove(token);
        }
        let issued = self.issue(state, grant.scope, keep);
        state.stats.refreshes += 1;
        drop(guard);
        self.token_response(issued)
    }

    /// New tokens: `(access, refresh, scope)`.
    fn issue(
        &self,
        state: &mut State,
        scope: String,
        keep_refresh: Option<String>,
    ) -> (String, Option<String>, String) {
        let config = &self.0.config;
        let grant = Grant {
            client_id: config.client.client_id.clone(),
            scope: scope.clone(),
        };
        let access = random("at_");
        state.access.insert(
            access.clone(),
            Access {
                grant: grant.clone(),
                expires: config.access_ttl.map(|ttl| Instant::now() + ttl),
            },
        );
        let refresh = match config.refresh {
            Refresh::Off => None,
            _ => Some(keep_refresh.unwrap_or_else(|| random("rt_"))),
        };
        if let Some(refresh) = &refresh {
            state.refresh.insert(refresh.clone(), grant);
        }
        (access, refresh, scope)
    }

    fn token_response(
        &self,
        (access, refresh, scope): (String, Option<String>, String),
    ) -> HttpResponse {
        let config = &self.0.config;
        let mut body = config.token_extras.as_object().cloned().unwrap_or_default();
        body.insert("access_token".into(), access.into());
        body.insert("token_type".into(), config.token_type.into());
        if let Some(ttl) = config.access_ttl {
            body.insert("expires_in".into(), ttl.as_secs().into());
        }
        if let Some(refresh) = refresh {
            body.insert("refresh_token".into(), refresh.into());
        }
        if !scope.is_empty() {
            body.insert("scope".into(), scope.into());
        }
        no_store(HttpResponse::Ok().json(body))
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
        let mut state = self.state();
        let grant = token.and_then(|t| state.access.get(t)).and_then(|a| {
            a.expires
                .is_none_or(|at| at > Instant::now())
                .then(|| a.grant.clone())
        });
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
        let info = ErrorInfo {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        };
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
            .json((self.0.config.api_error)(&info))
    }
}
