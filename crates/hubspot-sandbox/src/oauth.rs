//! OAuth 2.0 endpoints: the consent page, the token endpoint, token metadata and revocation.
//!
//! Validation order and error statuses follow HubSpot's v1 OAuth API so that a client's error
//! mapping (for example "BAD_REFRESH_TOKEN means the user must reconnect") can be tested here.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::Sandbox;
use crate::pages::{self, Consent};
use crate::respond;
use crate::state::{CodeGrant, Injected};

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
        .body(body)
}

fn bad_authorize(title: &str, detail: &str) -> HttpResponse {
    html(StatusCode::BAD_REQUEST, pages::error(title, detail))
}

/// Checks client and redirect URI; errors are rendered, never redirected, as HubSpot does
/// (redirecting to an unverified URI would make the sandbox an open redirector).
fn check_client(sandbox: &Sandbox, params: &HashMap<String, String>) -> Result<(), HttpResponse> {
    let state = sandbox.shared.lock();
    let Some(client_id) = non_empty(params, "client_id") else {
        return Err(bad_authorize(
            "Missing client_id",
            "The request has no client_id parameter.",
        ));
    };
    let Some(client) = state.client(client_id) else {
        return Err(bad_authorize(
            "Unknown app",
            &format!("No app with client_id {client_id} is registered with this HubSpot sandbox."),
        ));
    };
    let Some(redirect_uri) = non_empty(params, "redirect_uri") else {
        return Err(bad_authorize(
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
    if let Err(page) = check_client(&sandbox, &params) {
        return page;
    }
    let scopes = split_scopes(non_empty(&params, "scope"));
    if scopes.is_empty() {
        return bad_authorize(
            "Missing scope",
            "The request must list at least one scope in the scope parameter.",
        );
    }
    let optional: Vec<String> = split_scopes(non_empty(&params, "optional_scope"))
        .into_iter()
        .filter(|s| !scopes.contains(s))
        .collect();
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
    };
    html(StatusCode::OK, pages::consent(&consent))
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

pub(crate) async fn decision(sandbox: web::Data<Sandbox>, body: web::Bytes) -> HttpResponse {
    let params = form_map(&body);
    if let Err(page) = check_client(&sandbox, &params) {
        return page;
    }
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    let state_param = params.get("state").map(String::as_str);
    match params.get("decision").map(String::as_str) {
        Some("approve") => {
            let mut scopes = split_scopes(non_empty(&params, "scope"));
            if scopes.is_empty() {
                return bad_authorize(
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
            "Invalid decision",
            "The consent form must be posted with decision=approve or decision=deny.",
        ),
    }
}

fn token_fault(injected: Injected, send_retry_after: bool, app_group: &str) -> HttpResponse {
    match injected {
        Injected::RateLimited => respond::rate_limited(app_group, None, send_retry_after),
        Injected::Fail(status) => respond::server_error(status),
        Injected::Malformed => {
            respond::malformed("{\"token_type\":\"bearer\",\"access_token\":\"CO")
        }
    }
}

pub(crate) async fn token(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = token_inner(&sandbox, &req, &body);
    // Successes are counted by grant type inside `token_inner`.
    if !response.status().is_success() {
        sandbox.shared.lock().stats.token_errors += 1;
    }
    response
}

fn token_inner(sandbox: &Sandbox, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let mut state = sandbox.shared.lock();
    if let Some(injected) = state.take_fault() {
        let group = format!("publicapi:oauth:token:{}", sandbox.shared.portal.hub_id);
        return token_fault(injected, state.knobs.send_retry_after, &group);
    }
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    // A JSON (or empty) body has no form fields, so HubSpot sees no grant_type at all.
    let params = if is_form {
        form_map(body)
    } else {
        HashMap::new()
    };
    let grant_type = non_empty(&params, "grant_type");
    if !matches!(grant_type, Some("authorization_code" | "refresh_token")) {
        return respond::oauth_error("BAD_GRANT_TYPE", "missing or unknown grant type");
    }
    let Some(client) = non_empty(&params, "client_id")
        .and_then(|id| state.client(id))
        .cloned()
    else {
        return respond::oauth_error("BAD_CLIENT_ID", "missing or unknown client id");
    };
    if non_empty(&params, "client_secret") != Some(client.registered.client_secret.as_str()) {
        return respond::oauth_error("BAD_CLIENT_SECRET", "missing or invalid client secret");
    }
    let client_id = client.registered.client_id.as_str();
    let minted = if grant_type == Some("authorization_code") {
        let Some(code) = non_empty(&params, "code") else {
            return respond::oauth_error("BAD_AUTH_CODE", "missing or invalid auth code");
        };
        let Some(grant) = state.codes.get(code).filter(|g| g.client_id == client_id) else {
            return respond::oauth_error("BAD_AUTH_CODE", "missing or invalid auth code");
        };
        if non_empty(&params, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return respond::oauth_error(
                "BAD_REDIRECT_URI",
                "redirect_uri does not match the redirect_uri used to obtain the auth code",
            );
        }
        if Instant::now() >= grant.expires_at {
            state.codes.remove(code);
            return respond::oauth_error("EXPIRED_AUTH_CODE", "auth code is expired");
        }
        let Some(grant) = state.codes.remove(code) else {
            return respond::oauth_error("BAD_AUTH_CODE", "missing or invalid auth code");
        };
        state.stats.token_authorization_code += 1;
        tracing::debug!(client_id, "hubspot sandbox: authorization code exchanged");
        state.mint(client_id, client.app_id, grant.scopes, None)
    } else {
        let Some(refresh) = non_empty(&params, "refresh_token") else {
            return respond::oauth_error("BAD_REFRESH_TOKEN", "missing or invalid refresh token");
        };
        let Some(grant) = state
            .refresh_tokens
            .get(refresh)
            .filter(|g| g.client_id == client_id)
        else {
            return respond::oauth_error("BAD_REFRESH_TOKEN", "missing or invalid refresh token");
        };
        let (app_id, scopes) = (grant.app_id, grant.scopes.clone());
        state.stats.token_refresh += 1;
        tracing::debug!(client_id, "hubspot sandbox: access token refreshed");
        state.mint(client_id, app_id, scopes, Some(refresh.to_owned()))
    };
    respond::json(
        StatusCode::OK,
        &json!({
            "token_type": "bearer",
            "refresh_token": minted.refresh_token,
            "access_token": minted.access_token,
            "expires_in": minted.expires_in,
            "hub_id": sandbox.shared.portal.hub_id,
            "user_id": sandbox.shared.portal.user_id,
            "scopes": minted.scopes,
        }),
    )
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
    let portal = &sandbox.shared.portal;
    let Some(grant) = state.access_tokens.get(token.as_str()) else {
        return not_found("access token not found");
    };
    let now = Instant::now();
    if now >= grant.expires_at {
        return respond::expired_auth(now - grant.expires_at, grant.expires_at_wall);
    }
    respond::json(
        StatusCode::OK,
        &json!({
            "token": token.as_str(),
            "user": portal.user_email,
            "hub_domain": portal.hub_domain,
            "scopes": grant.scopes,
            "hub_id": portal.hub_id,
            "app_id": grant.app_id,
            "expires_in": (grant.expires_at - now).as_secs(),
            "user_id": portal.user_id,
            "token_type": "access",
        }),
    )
}

pub(crate) async fn refresh_token_info(
    sandbox: web::Data<Sandbox>,
    token: web::Path<String>,
) -> HttpResponse {
    let mut state = sandbox.shared.lock();
    state.stats.token_info += 1;
    let portal = &sandbox.shared.portal;
    let Some(grant) = state.refresh_tokens.get(token.as_str()) else {
        return not_found("refresh token not found");
    };
    respond::json(
        StatusCode::OK,
        &json!({
            "token": token.as_str(),
            "user": portal.user_email,
            "hub_domain": portal.hub_domain,
            "scopes": grant.scopes,
            "hub_id": portal.hub_id,
            "client_id": grant.client_id,
            "user_id": portal.user_id,
            "token_type": "refresh",
        }),
    )
}

pub(crate) async fn revoke(sandbox: web::Data<Sandbox>, token: web::Path<String>) -> HttpResponse {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut state = sandbox.shared.lock();
    state.stats.revoke += 1;
    if state.refresh_tokens.remove(token.as_str()).is_none() {
        return not_found("refresh token not found");
    }
    // Access tokens minted from a revoked refresh token stop working too.
    state
        .access_tokens
        .retain(|_, grant| grant.refresh_token != *token);
    HttpResponse::NoContent().finish()
}
