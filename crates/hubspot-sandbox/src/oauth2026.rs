//! HubSpot's date-versioned OAuth API, version 2026-03: token, introspect, revoke.
//!
//! Follows `PublicApiSpecs/Auth/Oauth/Rollouts/279897/2026-03/oauth.json` in
//! HubSpot/HubSpot-public-api-spec-collection and the "Migrate from the OAuth v1 API" guide:
//! every parameter, token included, travels in an `application/x-www-form-urlencoded` body,
//! never in the URL, so no token ever lands in an access log.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::oauth::{self, Api};
use crate::respond::{self, OAuthError};

/// `POST /oauth/2026-03/token`: the spec's `TokenResponseIF` (`AccessTokenResponse`).
pub(crate) async fn token(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    oauth::latency(&sandbox).await;
    let body = oauth::read_body(payload).await;
    oauth::token_response(&sandbox, &req, body, Api::V2026_03)
}

/// Content type, size, duplicates, client credentials and a non-empty `token`: what
/// introspect and revoke both require before looking at the token.
async fn client_form(
    sandbox: &Sandbox,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(HashMap<String, String>, String), OAuthError> {
    oauth::require_form(req)?;
    let body = oauth::read_body(payload).await?;
    let params = oauth::strict_form(&body)?;
    let client = oauth::authenticate_client(&sandbox.shared.lock(), &params)?;
    if params.get("token").is_none_or(String::is_empty) {
        return Err(OAuthError::new(
            "invalid_request",
            "BAD_REQUEST",
            "missing required parameter token",
        ));
    }
    Ok((params, client.registered.client_id))
}

/// Which kind of token to look up first (RFC 7662 §2.1: the hint is only a hint).
fn refresh_first(params: &HashMap<String, String>) -> bool {
    params.get("token_type_hint").map(String::as_str) == Some("refresh_token")
}

/// `POST /oauth/2026-03/token/introspect`: `PublicAccessTokenInfoResponse` or
/// `PublicRefreshTokenInfoResponse` for a live token issued to the calling client; RFC 7662's
/// `{"active": false}` for anything else (unknown, expired, revoked, another app's).
pub(crate) async fn introspect(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    oauth::latency(&sandbox).await;
    let (params, client_id) = match client_form(&sandbox, &req, payload).await {
        Ok(ok) => ok,
        Err(error) => {
            tracing::debug!(error = error.error, "hubspot sandbox: introspect refused");
            let shape = respond::error_shape(&mut sandbox.shared.lock().roll(), true);
            return respond::reshape(error.render(), shape);
        }
    };
    let token = params.get("token").map_or("", String::as_str);
    let body = {
        let mut state = sandbox.shared.lock();
        state.stats.token_info += 1;
        let access = || access_info(&sandbox, &state, token, &client_id);
        let refresh = || refresh_info(&sandbox, &state, token, &client_id);
        let found = if refresh_first(&params) {
            refresh().or_else(access)
        } else {
            access().or_else(refresh)
        };
        let mut roll = state.roll();
        let mut body = found.unwrap_or_else(|| json!({ "active": false }));
        oauth::vary_token_info(&mut body, &mut roll);
        body
    };
    tracing::debug!(
        active = body["active"].as_bool(),
        "hubspot sandbox: token introspected"
    );
    let mut response = respond::json(StatusCode::OK, &body);
    respond::no_store(&mut response);
    response
}

fn access_info(
    sandbox: &Sandbox,
    state: &crate::state::State,
    token: &str,
    client_id: &str,
) -> Option<Value> {
    let grant = state
        .access_tokens
        .get(token)
        .filter(|g| g.client_id == client_id)?;
    let now = Instant::now();
    if now >= grant.expires_at {
        return None;
    }
    let portal = &sandbox.shared.portal;
    // The spec requires `signed_access_token` (HubSpot's decoded token claims). The sandbox's
    // tokens are opaque random strings, so its values are consistent placeholders: the ids and
    // expiry are real, the signatures are not.
    let signed = json!({
        "appId": grant.app_id,
        "appInstallId": format!("{}-{}", portal.hub_id, grant.app_id),
        "audience": client_id,
        "expiresAt": grant.expires_at_wall.timestamp_millis(),
        "hubId": portal.hub_id,
        "hublet": portal.hublet.as_deref().unwrap_or("na1"),
        "installingUserId": portal.user_id,
        "isPrivateDistribution": false,
        "isServiceAccount": false,
        "isUserLevel": false,
        "newSignature": "sandbox-unsigned",
        "scopeToScopeGroupPks": "",
        "scopes": grant.scopes.join(" "),
        "signature": "sandbox-unsigned",
        "trialScopeToScopeGroupPks": "",
        "trialScopes": "",
        "userId": portal.user_id,
    });
    Some(json!({
        "active": true,
        "token": token,
        "token_type": "access",
        "token_use": "access_token",
        "client_id": client_id,
        "app_id": grant.app_id,
        "hub_id": portal.hub_id,
        "hub_domain": portal.hub_domain,
        "user": portal.user_email,
        "user_id": portal.user_id,
        "scopes": grant.scopes,
        "expires_in": (grant.expires_at - now).as_secs(),
        "is_private_distribution": false,
        "signed_access_token": signed,
    }))
}

fn refresh_info(
    sandbox: &Sandbox,
    state: &crate::state::State,
    token: &str,
    client_id: &str,
) -> Option<Value> {
    let grant = state
        .refresh_tokens
        .get(token)
        .filter(|g| g.client_id == client_id)?;
    let portal = &sandbox.shared.portal;
    Some(json!({
        "active": true,
        "token": token,
        "token_type": "refresh",
        "token_use": "refresh_token",
        "client_id": client_id,
        "app_id": grant.app_id,
        "hub_id": portal.hub_id,
        "hub_domain": portal.hub_domain,
        "user": portal.user_email,
        "user_id": portal.user_id,
        "scopes": grant.scopes,
    }))
}

/// `POST /oauth/2026-03/token/revoke`: 200 with an empty body (RFC 7009 §2.2), also for a
/// token that is unknown, already revoked or another app's (which is left alone). Revoking a
/// refresh token also ends the access tokens minted from it (uninstall semantics, as on v1);
/// revoking an access token ends only that token.
pub(crate) async fn revoke(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    oauth::latency(&sandbox).await;
    let (params, client_id) = match client_form(&sandbox, &req, payload).await {
        Ok(ok) => ok,
        Err(error) => {
            tracing::debug!(error = error.error, "hubspot sandbox: revoke refused");
            let shape = respond::error_shape(&mut sandbox.shared.lock().roll(), true);
            return respond::reshape(error.render(), shape);
        }
    };
    let token = params.get("token").map_or("", String::as_str);
    let revoked = {
        let mut state = sandbox.shared.lock();
        state.stats.revoke += 1;
        let owns_refresh = state
            .refresh_tokens
            .get(token)
            .is_some_and(|g| g.client_id == client_id);
        let owns_access = state
            .access_tokens
            .get(token)
            .is_some_and(|g| g.client_id == client_id);
        if owns_refresh {
            state.refresh_tokens.remove(token);
            state.access_tokens.retain(|_, g| g.refresh_token != token);
        } else if owns_access {
            state.access_tokens.remove(token);
        }
        owns_refresh || owns_access
    };
    tracing::debug!(revoked, "hubspot sandbox: revoke request");
    let mut response = HttpResponse::Ok().finish();
    respond::no_store(&mut response);
    response
}
