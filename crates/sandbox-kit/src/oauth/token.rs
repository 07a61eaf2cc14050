//! The token endpoint: the `authorization_code` and `refresh_token` grants (RFC 6749 §4.1.3,
//! §6), the optional `client_credentials` grant (§4.4), client authentication, and the body
//! rules of strict and legacy endpoints.
//!
//! Clients break on the details, so they are reproduced rather than simplified: which
//! parameter a refusal is about ([`Subject`]) lets a provider answer with its own error codes,
//! a replayed code revokes what it minted, and a failed attempt leaves the code redeemable.
//! Legacy endpoints (HubSpot's v1) share the flow and differ only where the configuration says
//! they are lenient ([`OAuthSandboxConfig::legacy_token_paths`](super::OAuthSandboxConfig::legacy_token_paths)), so
//! the two generations cannot drift apart.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::{Map, Value};

use super::routes::Body;
use super::store::{Access, State};
use super::{
    ErrorInfo, Event, Grant, OAuthSandbox, Params, Pkce, Refresh, Secret, Subject,
    constant_time_eq, no_store, param, s256,
};

/// 43 to 128 unreserved characters (RFC 7636 §4.1).
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl OAuthSandbox {
    /// An error of the token family in the provider's shape.
    pub(super) fn refuse(&self, error: &ErrorInfo) -> HttpResponse {
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
    pub(super) fn params(
        &self,
        req: &HttpRequest,
        body: &[u8],
        lenient: bool,
    ) -> Result<Params, ErrorInfo> {
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
    pub(super) fn authenticate(
        &self,
        req: &HttpRequest,
        params: &Params,
    ) -> Result<String, ErrorInfo> {
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

    pub(super) fn token(
        &self,
        req: &HttpRequest,
        body: Body,
        path: &str,
        lenient: bool,
    ) -> HttpResponse {
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
        let flow = match param(&params, "grant_type") {
            Some("authorization_code") => Flow::Code,
            Some("refresh_token") if self.0.config.refresh != Refresh::Off => Flow::Refresh,
            Some("client_credentials") if !self.0.config.client_credentials_scopes.is_empty() => {
                Flow::ClientCredentials
            }
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
        match flow {
            Flow::Code => {
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
            }
            Flow::Refresh => {
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
            Flow::ClientCredentials => {
                let scope = self.client_scope(param(&params, "scope"))?;
                let mut guard = self.state();
                let issued = self.issue(&mut guard, &client_id, scope, None, true);
                guard.stats.client_credentials += 1;
                drop(guard);
                Ok(self.token_response(issued))
            }
        }
    }

    /// The scope of a `client_credentials` request: at least one, each one allowed.
    fn client_scope(&self, requested: Option<&str>) -> Result<String, ErrorInfo> {
        let invalid = |why: String| ErrorInfo::new(400, "invalid_scope", Subject::Request, why);
        let mut scopes: Vec<&str> = Vec::new();
        for scope in requested.unwrap_or_default().split([' ', ',']) {
            if !scope.is_empty() && !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(invalid("missing required parameter scope".to_owned()));
        }
        let allowed = &self.0.config.client_credentials_scopes;
        if let Some(bad) = scopes.iter().find(|s| !allowed.contains(s)) {
            return Err(invalid(format!(
                "scope {bad} is not available to the client_credentials grant"
            )));
        }
        Ok(scopes.join(" "))
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
        let issued = self.issue(state, client_id, scope, None, false);
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
        let issued = self.issue(state, client_id, grant.scope, keep, false);
        state.stats.refreshes += 1;
        Ok(issued)
    }

    /// Mints an access token (and a refresh token, unless refresh is off, `keep_refresh`
    /// names the one to keep, or it is for the `client_credentials` grant) for `client_id`'s
    /// `scope`.
    fn issue(
        &self,
        state: &mut State,
        client_id: &str,
        scope: String,
        keep_refresh: Option<String>,
        client_credentials: bool,
    ) -> Issued {
        let config = &self.0.config;
        let grant = Grant {
            client_id: client_id.to_owned(),
            scope,
            client_credentials,
        };
        let refresh = match config.refresh {
            Refresh::Off => None,
            _ if client_credentials => None,
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
        if let Some(field) = config.api_base_field
            && let Some(root) = &self.state().api_root
        {
            body.insert(field.into(), root.as_str().trim_end_matches('/').into());
        }
        self.0.hooks.token_answer(&mut body, &issued.grant);
        no_store(HttpResponse::Ok().json(body))
    }
}

/// Which grant a token request is for.
#[derive(Clone, Copy)]
enum Flow {
    Code,
    Refresh,
    ClientCredentials,
}

/// Tokens just minted.
struct Issued {
    access: String,
    refresh: Option<String>,
    grant: Grant,
    ttl: Option<Duration>,
}
