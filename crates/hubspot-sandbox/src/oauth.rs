//! OAuth 2.0 endpoints: the consent page, the token endpoint, token metadata and revocation.
//!
//! Validation order and error statuses follow HubSpot's v1 OAuth API so that a client's error
//! mapping (for example "BAD_REFRESH_TOKEN means the user must reconnect") can be tested here.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use serde_json::json;

use crate::Sandbox;
use crate::contract::Roll;
use crate::pages::{self, Consent};
use crate::respond;
use crate::respond::OAuthError;
use crate::state::{Client, CodeGrant, Injected, State};

fn form_map(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn non_empty<'a>(map: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    map.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

fn split_scopes(raw: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in raw
        .unwrap_or_default()
        .split([' ', ','])
        .filter(|s| !s.is_empty())
    {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .insert_header(("content-security-policy", pages::CONTENT_SECURITY_POLICY))
        .body(body)
}

/// Where the stylesheet is, relative to a page, by the page's route.
#[derive(Clone, Copy, Debug)]
enum Page {
    /// `{mount}/oauth/authorize`
    Authorize,
    /// `{mount}/oauth/authorize/decision`
    Decision,
}

impl Page {
    fn css(self) -> &'static str {
        match self {
            Page::Authorize => "../_assets/consent.css",
            Page::Decision => "../../_assets/consent.css",
        }
    }
}

fn bad_authorize(at: Page, title: &str, detail: &str) -> HttpResponse {
    html(
        StatusCode::BAD_REQUEST,
        pages::error(title, detail, at.css()),
    )
}

/// Checks client and redirect URI; errors are rendered, never redirected, as HubSpot does
/// (redirecting to an unverified URI would make the sandbox an open redirector).
fn check_client(
    sandbox: &Sandbox,
    params: &HashMap<String, String>,
    at: Page,
) -> Result<(), HttpResponse> {
    let state = sandbox.shared.lock();
    let Some(client_id) = non_empty(params, "client_id") else {
        return Err(bad_authorize(
            at,
            "Missing client_id",
            "The request has no client_id parameter.",
        ));
    };
    let Some(client) = state.client(client_id) else {
        return Err(bad_authorize(
            at,
            "Unknown app",
            &format!("No app with client_id {client_id} is registered with this HubSpot sandbox."),
        ));
    };
    let Some(redirect_uri) = non_empty(params, "redirect_uri") else {
        return Err(bad_authorize(
            at,
            "Missing redirect_uri",
            "The request has no redirect_uri parameter.",
        ));
    };
    if !client
        .registered
        .redirect_uris
        .iter()
        .any(|u| u == redirect_uri)
    {
        return Err(bad_authorize(
            at,
            "Redirect URI mismatch",
            &format!(
                "The redirect_uri {redirect_uri} is not one of the redirect URLs registered for this app:\n{}",
                client.registered.redirect_uris.join("\n")
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn authorize(sandbox: web::Data<Sandbox>, req: HttpRequest) -> HttpResponse {
    let params = form_map(req.query_string().as_bytes());
    sandbox.shared.lock().stats.authorize += 1;
    let at = Page::Authorize;
    if let Err(page) = check_client(&sandbox, &params, at) {
        return page;
    }
    let scopes = split_scopes(non_empty(&params, "scope"));
    if scopes.is_empty() {
        return bad_authorize(
            at,
            "Missing scope",
            "The request must list at least one scope in the scope parameter.",
        );
    }
    let optional: Vec<String> = split_scopes(non_empty(&params, "optional_scope"))
        .into_iter()
        .filter(|s| !scopes.contains(s))
        .collect();
    let code_challenge = match pkce_params(&params, at) {
        Ok(challenge) => challenge,
        Err(page) => return page,
    };
    let portal = &sandbox.shared.portal;
    let consent = Consent {
        app_name: &portal.app_name,
        hub_domain: &portal.hub_domain,
        hub_id: portal.hub_id,
        user_email: &portal.user_email,
        client_id: params.get("client_id").map_or("", String::as_str),
        redirect_uri: params.get("redirect_uri").map_or("", String::as_str),
        scopes: &scopes,
        optional_scopes: &optional,
        state: params.get("state").map(String::as_str),
        code_challenge: code_challenge.as_deref(),
    };
    html(StatusCode::OK, pages::consent(&consent))
}

/// PKCE parameters of an authorization request (RFC 7636 §4.3). Only `S256` is accepted:
/// `plain` (also the RFC's default when no method is named) would let a stolen code be redeemed
/// by whoever saw the authorization URL.
fn pkce_params(params: &HashMap<String, String>, at: Page) -> Result<Option<String>, HttpResponse> {
    let challenge = non_empty(params, "code_challenge");
    let method = non_empty(params, "code_challenge_method");
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(bad_authorize(
            at,
            "Missing code_challenge",
            "code_challenge_method was sent without a code_challenge.",
        )),
        (Some(_), method) if method != Some("S256") => Err(bad_authorize(
            at,
            "Unsupported code_challenge_method",
            "Only code_challenge_method=S256 is supported; plain (the default when no method \
             is sent) is not accepted.",
        )),
        (Some(challenge), _) if !crate::pkce::valid_challenge(challenge) => Err(bad_authorize(
            at,
            "Malformed code_challenge",
            "An S256 code_challenge is 43 characters of unpadded base64url.",
        )),
        (Some(challenge), _) => Ok(Some(challenge.to_owned())),
    }
}

fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let location = match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (k, v) in pairs {
                    query.append_pair(k, v);
                }
            }
            url.to_string()
        }
        // Registered URIs are compared as strings, so a relative one can still be registered.
        Err(_) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            let sep = if redirect_uri.contains('?') { '&' } else { '?' };
            format!("{redirect_uri}{sep}{query}")
        }
    };
    HttpResponse::Found()
        .insert_header((LOCATION, location))
        .insert_header(("cache-control", "no-store"))
        .finish()
}

pub(crate) async fn decision(sandbox: web::Data<Sandbox>, payload: web::Payload) -> HttpResponse {
    let params = match read_body(payload).await {
        Ok(body) => form_map(&body),
        Err(error) => {
            let page = pages::error("Invalid form", &error.message, Page::Decision.css());
            return html(error.http, page);
        }
    };
    let at = Page::Decision;
    if let Err(page) = check_client(&sandbox, &params, at) {
        return page;
    }
    let code_challenge = match pkce_params(&params, at) {
        Ok(challenge) => challenge,
        Err(page) => return page,
    };
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    let state_param = params.get("state").map(String::as_str);
    match params.get("decision").map(String::as_str) {
        Some("approve") => {
            let mut scopes = split_scopes(non_empty(&params, "scope"));
            if scopes.is_empty() {
                return bad_authorize(
                    at,
                    "Missing scope",
                    "The consent form was posted without scopes.",
                );
            }
            // The sandbox portal has every feature, so every optional scope is granted.
            for scope in split_scopes(non_empty(&params, "optional_scope")) {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            let code = crate::tokens::authorization_code();
            {
                let mut state = sandbox.shared.lock();
                state.stats.approvals += 1;
                let expires_at = Instant::now() + state.knobs.code_ttl;
                state.codes.insert(
                    code.clone(),
                    CodeGrant {
                        client_id: params.get("client_id").cloned().unwrap_or_default(),
                        redirect_uri: redirect_uri.clone(),
                        scopes,
                        expires_at,
                        code_challenge,
                    },
                );
            }
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = state_param {
                pairs.push(("state", s));
            }
            redirect_with(&redirect_uri, &pairs)
        }
        Some("deny") => {
            sandbox.shared.lock().stats.denials += 1;
            let mut pairs = vec![
                ("error", "access_denied"),
                ("error_description", "The user denied access to the app."),
            ];
            if let Some(s) = state_param {
                pairs.push(("state", s));
            }
            redirect_with(&redirect_uri, &pairs)
        }
        _ => bad_authorize(
            at,
            "Invalid decision",
            "The consent form must be posted with decision=approve or decision=deny.",
        ),
    }
}

fn token_fault(
    injected: Injected,
    send_retry_after: bool,
    app_group: &str,
    roll: &mut Roll,
) -> HttpResponse {
    match injected {
        Injected::RateLimited => respond::rate_limited(app_group, None, send_retry_after),
        Injected::Fail(status) => respond::server_error(status, roll),
        Injected::Malformed => {
            respond::malformed("{\"token_type\":\"bearer\",\"access_token\":\"CO")
        }
    }
}

/// Largest form body the OAuth endpoints read; a real one is well under 2 KiB.
pub(crate) const MAX_FORM_BYTES: usize = 16 * 1024;

/// Which OAuth API a request came in through; they differ only where noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/oauth/v1/*`, retired by HubSpot on 2027-02-16.
    V1,
    /// `/oauth/2026-03/*`.
    V2026_03,
}

/// Reads at most [`MAX_FORM_BYTES`]; a larger body is a 413, never a buffered megabyte.
pub(crate) async fn read_body(payload: web::Payload) -> Result<web::Bytes, OAuthError> {
    match payload.to_bytes_limited(MAX_FORM_BYTES).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(OAuthError::new(
            "invalid_request",
            "BAD_REQUEST",
            "the request body could not be read",
        )),
        Err(_) => Err(OAuthError::new(
            "invalid_request",
            "BAD_REQUEST",
            format!("the request body is larger than {MAX_FORM_BYTES} bytes"),
        )
        .with_http(StatusCode::PAYLOAD_TOO_LARGE)),
    }
}

pub(crate) fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Parses a form body; names sent more than once are an error (RFC 6749 §3.2: "parameters
/// MUST NOT be included more than once"). Bad UTF-8 is decoded lossily, never a panic.
pub(crate) fn strict_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(body).into_owned() {
        if map.contains_key(&key) {
            return Err(OAuthError::new(
                "invalid_request",
                "BAD_REQUEST",
                format!("parameter {key} is included more than once"),
            ));
        }
        map.insert(key, value);
    }
    Ok(map)
}

fn missing(field: &'static str, status: &'static str) -> OAuthError {
    OAuthError::new(
        "invalid_request",
        status,
        format!("missing required parameter {field}"),
    )
}

/// Authenticates the client from `client_id` / `client_secret` in the form body (HubSpot
/// accepts no other client authentication for apps with a secret).
pub(crate) fn authenticate_client(
    state: &State,
    params: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let Some(client) = non_empty(params, "client_id")
        .and_then(|id| state.client(id))
        .cloned()
    else {
        return Err(OAuthError::new(
            "invalid_client",
            "BAD_CLIENT_ID",
            "missing or unknown client id",
        ));
    };
    if non_empty(params, "client_secret") != Some(client.registered.client_secret.as_str()) {
        return Err(OAuthError::new(
            "invalid_client",
            "BAD_CLIENT_SECRET",
            "missing or invalid client secret",
        ));
    }
    Ok(client)
}

/// The token endpoint's work, shared by both API versions: validates the form in HubSpot's
/// checking order and mints tokens. Never logs a secret.
fn grant(
    sandbox: &Sandbox,
    state: &mut State,
    params: &HashMap<String, String>,
    api: Api,
) -> Result<serde_json::Value, OAuthError> {
    let grant_type = match non_empty(params, "grant_type") {
        None if api == Api::V2026_03 => return Err(missing("grant_type", "BAD_GRANT_TYPE")),
        Some(g @ ("authorization_code" | "refresh_token")) => g,
        Some("client_credentials") => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "BAD_GRANT_TYPE",
                "the sandbox has no client credentials apps; use authorization_code or refresh_token",
            ));
        }
        _ => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "BAD_GRANT_TYPE",
                "missing or unknown grant type",
            ));
        }
    };
    let client = authenticate_client(state, params)?;
    let client_id = client.registered.client_id.as_str();
    let bad_code = || {
        OAuthError::new(
            "invalid_grant",
            "BAD_AUTH_CODE",
            "missing or invalid auth code",
        )
    };
    let minted = if grant_type == "authorization_code" {
        let Some(code) = non_empty(params, "code") else {
            return Err(if api == Api::V2026_03 {
                missing("code", "BAD_AUTH_CODE")
            } else {
                bad_code()
            });
        };
        if api == Api::V2026_03 && non_empty(params, "redirect_uri").is_none() {
            return Err(missing("redirect_uri", "BAD_REDIRECT_URI"));
        }
        let Some(grant) = state.codes.get(code).filter(|g| g.client_id == client_id) else {
            return Err(bad_code());
        };
        if non_empty(params, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return Err(OAuthError::new(
                "invalid_grant",
                "BAD_REDIRECT_URI",
                "redirect_uri does not match the redirect_uri used to obtain the auth code",
            ));
        }
        if Instant::now() >= grant.expires_at {
            state.codes.remove(code);
            return Err(OAuthError::new(
                "invalid_grant",
                "EXPIRED_AUTH_CODE",
                "auth code is expired",
            ));
        }
        check_pkce(
            grant.code_challenge.as_deref(),
            non_empty(params, "code_verifier"),
            api,
        )?;
        let Some(grant) = state.codes.remove(code) else {
            return Err(bad_code());
        };
        state.stats.token_authorization_code += 1;
        tracing::debug!(
            client_id,
            ?api,
            "hubspot sandbox: authorization code exchanged"
        );
        state.mint(client_id, client.app_id, grant.scopes, None)
    } else {
        let bad_refresh = || {
            OAuthError::new(
                "invalid_grant",
                "BAD_REFRESH_TOKEN",
                "missing or invalid refresh token",
            )
        };
        let Some(refresh) = non_empty(params, "refresh_token") else {
            return Err(if api == Api::V2026_03 {
                missing("refresh_token", "BAD_REFRESH_TOKEN")
            } else {
                bad_refresh()
            });
        };
        let Some(grant) = state
            .refresh_tokens
            .get(refresh)
            .filter(|g| g.client_id == client_id)
        else {
            return Err(bad_refresh());
        };
        let (app_id, scopes) = (grant.app_id, grant.scopes.clone());
        state.stats.token_refresh += 1;
        tracing::debug!(client_id, ?api, "hubspot sandbox: access token refreshed");
        state.mint(client_id, app_id, scopes, Some(refresh.to_owned()))
    };
    // Both versions answer the spec's `AccessTokenResponse` (its required `token_use` included).
    Ok(json!({
        "token_type": "bearer",
        "token_use": "access_token",
        "refresh_token": minted.refresh_token,
        "access_token": minted.access_token,
        "expires_in": minted.expires_in,
        "hub_id": sandbox.shared.portal.hub_id,
        "user_id": sandbox.shared.portal.user_id,
        "scopes": minted.scopes,
    }))
}

/// RFC 7636 §4.6 for a code that carried a challenge; on 2026-03 also OAuth 2.1's rule that a
/// verifier without a challenge is refused (v1 keeps ignoring it, as it always did).
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>, api: Api) -> Result<(), OAuthError> {
    let fail = |message: &str| OAuthError::new("invalid_grant", "BAD_AUTH_CODE", message);
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) if crate::pkce::verify(challenge, verifier) => Ok(()),
        (Some(_), Some(_)) => Err(fail("code_verifier does not match the code_challenge")),
        (Some(_), None) => Err(fail(
            "code_verifier is required: the authorization request had a code_challenge",
        )),
        (None, Some(_)) if api == Api::V2026_03 => Err(fail(
            "code_verifier was sent but the authorization request had no code_challenge",
        )),
        (None, _) => Ok(()),
    }
}

/// Token endpoint of either version, after the body was read.
pub(crate) fn token_response(
    sandbox: &Sandbox,
    req: &HttpRequest,
    body: Result<web::Bytes, OAuthError>,
    api: Api,
) -> HttpResponse {
    let mut state = sandbox.shared.lock();
    let mut roll = state.roll();
    if let Some(injected) = state.take_fault() {
        let group = format!("publicapi:oauth:token:{}", sandbox.shared.portal.hub_id);
        let retry_after = respond::retry_after(state.knobs.send_retry_after, &mut roll);
        let response = token_fault(injected, retry_after, &group, &mut roll);
        if !response.status().is_success() {
            state.stats.token_errors += 1;
        }
        let shape = respond::error_shape(&mut roll, true);
        return respond::reshape(response, shape);
    }
    let result = body.and_then(|body| {
        let params = match api {
            // A JSON (or empty) body has no form fields, so HubSpot's v1 sees no grant_type.
            Api::V1 if !is_form(req) => HashMap::new(),
            Api::V1 => form_map(&body),
            Api::V2026_03 => {
                require_form(req)?;
                strict_form(&body)?
            }
        };
        grant(sandbox, &mut state, &params, api)
    });
    match result {
        Ok(mut body) => {
            vary_token_body(&mut body, sandbox, &mut roll);
            let mut response = respond::json(StatusCode::OK, &body);
            respond::no_store(&mut response);
            response
        }
        Err(error) => {
            state.stats.token_errors += 1;
            tracing::debug!(
                ?api,
                error = error.error,
                status = error.status,
                "hubspot sandbox: token request refused"
            );
            let shape = respond::error_shape(&mut roll, true);
            respond::reshape(error.render(), shape)
        }
    }
}

/// The spec's `AccessTokenResponse` requires only `access_token`, `expires_in`,
/// `refresh_token`, `token_type`, `token_use` (both versions): `hub_id`, `user_id` and
/// `scopes` may be missing, and `id_token` may be present.
fn vary_token_body(body: &mut serde_json::Value, sandbox: &Sandbox, roll: &mut Roll) {
    let Some(map) = body.as_object_mut() else {
        return;
    };
    for field in ["hub_id", "user_id", "scopes"] {
        if roll.vary(roll.contract.omit_optional, 30) {
            map.remove(field);
        }
    }
    if roll.vary(roll.contract.id_token, 30) {
        let portal = &sandbox.shared.portal;
        let now = chrono::Utc::now().timestamp();
        let part = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let signature: String = (0..4).map(|_| format!("{:016x}", roll.next())).collect();
        let token = format!(
            "{}.{}.{}",
            part(json!({"alg": "RS256", "typ": "JWT", "kid": "sandbox"})),
            part(json!({
                "iss": "https://app.hubspot.com",
                "sub": portal.user_id.to_string(),
                "email": portal.user_email,
                "iat": now,
                "exp": now + 1800,
            })),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature),
        );
        map.insert("id_token".to_owned(), serde_json::Value::String(token));
    }
}

/// Token metadata's optional `user` and `hub_domain` (v1 `AccessTokenInfoResponse` /
/// `RefreshTokenInfoResponse`, 2026-03 `Public…TokenInfoResponse`) are left out as the
/// contract says.
pub(crate) fn vary_token_info(body: &mut serde_json::Value, roll: &mut Roll) {
    if let Some(map) = body.as_object_mut() {
        for field in ["user", "hub_domain"] {
            if roll.vary(roll.contract.omit_optional, 30) {
                map.remove(field);
            }
        }
    }
}

/// The 2026-03 endpoints take only `application/x-www-form-urlencoded` (the spec's only
/// request content type): anything else is 415.
pub(crate) fn require_form(req: &HttpRequest) -> Result<(), OAuthError> {
    if is_form(req) {
        Ok(())
    } else {
        Err(OAuthError::new(
            "invalid_request",
            "BAD_REQUEST",
            "Content-Type must be application/x-www-form-urlencoded",
        )
        .with_http(StatusCode::UNSUPPORTED_MEDIA_TYPE))
    }
}

pub(crate) async fn latency(sandbox: &Sandbox) {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

pub(crate) async fn token(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    latency(&sandbox).await;
    let body = read_body(payload).await;
    token_response(&sandbox, &req, body, Api::V1)
}

fn not_found(message: &str) -> HttpResponse {
    respond::api_error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", message)
}

pub(crate) async fn access_token_info(
    sandbox: web::Data<Sandbox>,
    token: web::Path<String>,
) -> HttpResponse {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut state = sandbox.shared.lock();
    state.stats.token_info += 1;
    let mut roll = state.roll();
    let shape = respond::error_shape(&mut roll, false);
    let portal = &sandbox.shared.portal;
    let Some(grant) = state.access_tokens.get(token.as_str()) else {
        return respond::reshape(not_found("access token not found"), shape);
    };
    let now = Instant::now();
    if now >= grant.expires_at {
        let expired = respond::expired_auth(now - grant.expires_at, grant.expires_at_wall);
        return respond::reshape(expired, shape);
    }
    let mut body = json!({
            "token": token.as_str(),
            "user": portal.user_email,
            "hub_domain": portal.hub_domain,
            "scopes": grant.scopes,
            "hub_id": portal.hub_id,
            "app_id": grant.app_id,
            "expires_in": (grant.expires_at - now).as_secs(),
            "user_id": portal.user_id,
            "token_type": "access",
    });
    vary_token_info(&mut body, &mut roll);
    respond::json(StatusCode::OK, &body)
}

pub(crate) async fn refresh_token_info(
    sandbox: web::Data<Sandbox>,
    token: web::Path<String>,
) -> HttpResponse {
    let mut state = sandbox.shared.lock();
    state.stats.token_info += 1;
    let mut roll = state.roll();
    let shape = respond::error_shape(&mut roll, false);
    let portal = &sandbox.shared.portal;
    let Some(grant) = state.refresh_tokens.get(token.as_str()) else {
        return respond::reshape(not_found("refresh token not found"), shape);
    };
    let mut body = json!({
            "token": token.as_str(),
            "user": portal.user_email,
            "hub_domain": portal.hub_domain,
            "scopes": grant.scopes,
            "hub_id": portal.hub_id,
            "client_id": grant.client_id,
            "user_id": portal.user_id,
            "token_type": "refresh",
    });
    vary_token_info(&mut body, &mut roll);
    respond::json(StatusCode::OK, &body)
}

pub(crate) async fn revoke(sandbox: web::Data<Sandbox>, token: web::Path<String>) -> HttpResponse {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut state = sandbox.shared.lock();
    state.stats.revoke += 1;
    if state.refresh_tokens.remove(token.as_str()).is_none() {
        let shape = respond::error_shape(&mut state.roll(), false);
        return respond::reshape(not_found("refresh token not found"), shape);
    }
    // Access tokens minted from a revoked refresh token stop working too.
    state
        .access_tokens
        .retain(|_, grant| grant.refresh_token != *token);
    HttpResponse::NoContent().finish()
}
