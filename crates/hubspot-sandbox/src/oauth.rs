//! HubSpot's OAuth on sandbox-kit's [`OAuthSandbox`]: the consent page, both token-endpoint
//! generations (`/oauth/v1/token`, lenient; `/oauth/2026-03/token`, strict), 2026-03
//! introspection and revocation, plus the v1 token-metadata routes, which HubSpot alone has.
//!
//! Follows `PublicApiSpecs/Auth/Oauth/Rollouts/279897/2026-03/oauth.json` and
//! `.../155908/v1/oauth.json` in HubSpot/HubSpot-public-api-spec-collection: client credentials
//! in the form body, HubSpot's error body (legacy `status` beside RFC 6749's `error`), and the
//! token metadata (`hub_id`, `user`, `hub_domain`, `signed_access_token`…), varied by the
//! contract seed where the specs leave fields optional.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sandbox_kit::{ClientAuthMethods, ErrorInfo, Event, Grant, OAuthHooks, OAuthSandbox};
use sandbox_kit::{OAuthSandboxConfig, Params, Refresh, RequestErrors, Secret, Subject};
use sandbox_kit::{TokenInfo, TokenKind, param};
use serde_json::{Map, Value, json};

use crate::Sandbox;
use crate::config::{RegisteredClient, SandboxConfig};
use crate::contract::Roll;
use crate::respond::{self, correlation_id};
use crate::state::{Injected, Shared, State};

/// HubSpot's OAuth paths, each named once (relative to the sandbox's mount).
pub mod paths {
    /// The consent page (sandbox-kit's; HubSpot's install URL path).
    pub const AUTHORIZE: &str = sandbox_kit::AUTHORIZE_PATH;
    /// The dated token endpoint.
    pub const TOKEN_2026_03: &str = "/oauth/2026-03/token";
    /// RFC 7662 introspection.
    pub const INTROSPECT_2026_03: &str = "/oauth/2026-03/token/introspect";
    /// RFC 7009 revocation.
    pub const REVOKE_2026_03: &str = "/oauth/2026-03/token/revoke";
    /// The v1 token endpoint, retired by HubSpot on 2027-02-16.
    pub const TOKEN_V1: &str = "/oauth/v1/token";
    /// v1 access-token metadata (`GET`).
    pub const ACCESS_TOKEN_V1: &str = "/oauth/v1/access-tokens/{token}";
    /// v1 refresh-token metadata (`GET`) and revocation (`DELETE`).
    pub const REFRESH_TOKEN_V1: &str = "/oauth/v1/refresh-tokens/{token}";
}

impl From<RegisteredClient> for sandbox_kit::RegisteredClient {
    fn from(c: RegisteredClient) -> Self {
        Self {
            client_id: c.client_id,
            client_secret: c.client_secret,
            redirect_uris: c.redirect_uris,
        }
    }
}

/// The kit configured as HubSpot, with its hooks.
pub(crate) fn oauth_sandbox(config: &SandboxConfig, shared: Arc<Shared>) -> OAuthSandbox {
    let portal = &shared.portal;
    let mut clients = config.clients.iter().cloned().map(Into::into);
    let account = format!("{} (Hub ID {})", portal.hub_domain, portal.hub_id);
    let kit = OAuthSandboxConfig {
        user: Some(portal.user_email.clone()),
        client_name: Some(portal.app_name.clone()),
        token_path: paths::TOKEN_2026_03,
        legacy_token_paths: vec![paths::TOKEN_V1],
        introspect_path: Some(paths::INTROSPECT_2026_03),
        revoke_path: Some(paths::REVOKE_2026_03),
        client_auth: ClientAuthMethods::BODY,
        client_error_status: 400,
        // The 2026-03 spec's only request content type is a form.
        unsupported_media_status: 415,
        require_response_type: false,
        require_state: false,
        require_scope: true,
        request_errors: RequestErrors::Page,
        carry: vec!["optional_scope"],
        code_ttl: config.code_ttl,
        access_ttl: Some(config.access_token_ttl),
        refresh: Refresh::Reuse,
        // The spec's `AccessTokenResponse` (both versions), its required `token_use` included.
        token_extras: json!({"token_use": "access_token", "hub_id": portal.hub_id,
            "user_id": portal.user_id}),
        secret,
        token_error: error_body,
        api_error: |e| respond::api_error_body(&e.code, &e.message),
        // The Webhooks Journal's app token ("client credentials token" in the journal guide).
        client_credentials_scopes: crate::journal::CLIENT_CREDENTIALS_SCOPES.to_vec(),
        ..OAuthSandboxConfig::new(
            "HubSpot",
            account,
            clients
                .next()
                .unwrap_or_else(|| RegisteredClient::default().into()),
        )
    };
    let oauth = OAuthSandbox::with_hooks(kit, Hooks(shared));
    clients.for_each(|c| oauth.register_client(c));
    oauth
}

/// Secrets shaped like HubSpot's: clients must treat tokens as opaque strings of up to 300
/// characters; long random ones catch code that truncates, parses or predicts them.
fn secret(kind: Secret) -> String {
    let bytes = |n: usize| (0..n).map(|_| rand::random::<u8>()).collect::<Vec<u8>>();
    match kind {
        // `CO…`, URL-safe base64, 130 characters.
        Secret::Access => format!("CO{}", URL_SAFE_NO_PAD.encode(bytes(96))),
        // `na1-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
        Secret::Refresh => {
            let hex: String = bytes(14).iter().map(|b| format!("{b:02x}")).collect();
            let parts = [
                &hex[0..4],
                &hex[4..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..],
            ];
            format!("na1-{}", parts.join("-"))
        }
        // UUID-shaped.
        Secret::Code => uuid::Uuid::new_v4().to_string(),
    }
}

/// HubSpot's legacy code for what an error is about.
fn legacy_status(subject: Subject) -> &'static str {
    match subject {
        Subject::Request | Subject::Api => "BAD_REQUEST",
        Subject::GrantType => "BAD_GRANT_TYPE",
        Subject::ClientId => "BAD_CLIENT_ID",
        Subject::ClientSecret => "BAD_CLIENT_SECRET",
        Subject::Code => "BAD_AUTH_CODE",
        Subject::ExpiredCode => "EXPIRED_AUTH_CODE",
        Subject::RedirectUri => "BAD_REDIRECT_URI",
        Subject::RefreshToken => "BAD_REFRESH_TOKEN",
    }
}

/// An OAuth error as both versions answer it. HubSpot's changelog "New OAuth v3 API endpoints
/// and standardized error responses" adds RFC 6749's `error` / `error_description` to the
/// legacy `status` / `message`, and both specs' `Error` schema requires `category`,
/// `correlationId` and `message`; the contract may strip it down ([`respond::error_shape`]).
fn error_body(e: &ErrorInfo) -> Value {
    json!({
        "status": legacy_status(e.subject),
        "message": e.message,
        "correlationId": correlation_id(),
        "category": "VALIDATION_ERROR",
        "error": e.code,
        "error_description": e.message,
    })
}

/// Scopes of a request parameter: space- or comma-separated, each once.
fn split_scopes(raw: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in raw.unwrap_or_default().split([' ', ',']) {
        if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

/// A human description of a scope, for the consent list.
fn describe(scope: &str) -> &str {
    match scope {
        "oauth" => "Basic OAuth access",
        "crm.objects.contacts.read" => "View contacts",
        "crm.objects.contacts.write" => "Create and edit contacts",
        "crm.objects.companies.read" => "View companies",
        "crm.objects.companies.write" => "Create and edit companies",
        "crm.objects.deals.read" => "View deals",
        "crm.objects.deals.write" => "Create and edit deals",
        "crm.schemas.contacts.read" => "View contact properties",
        "crm.schemas.companies.read" => "View company properties",
        "crm.schemas.deals.read" => "View deal properties",
        "crm.objects.owners.read" => "View owners",
        "contacts" => "Legacy CRM access (contacts, companies, deals)",
        other => other,
    }
}

/// Token metadata's optional `user` and `hub_domain` (v1 `AccessTokenInfoResponse` /
/// `RefreshTokenInfoResponse`, 2026-03 `Public…TokenInfoResponse`), left out as the contract
/// says.
fn vary_token_info(body: &mut Value, roll: &mut Roll) {
    if let Some(map) = body.as_object_mut() {
        for field in ["user", "hub_domain"] {
            if roll.vary(roll.contract.omit_optional, 30) {
                map.remove(field);
            }
        }
    }
}

struct Hooks(Arc<Shared>);

impl OAuthHooks for Hooks {
    fn latency(&self) -> std::time::Duration {
        self.0.lock().knobs.latency
    }

    /// Injected faults ([`crate::Faults`]) on both token endpoints, introspection and
    /// revocation.
    fn intercept(&self, _path: &str) -> Option<HttpResponse> {
        let mut state = self.0.lock();
        let injected = state.take_fault()?;
        let mut roll = state.roll();
        let group = format!("publicapi:oauth:token:{}", self.0.portal.hub_id);
        let retry_after = respond::retry_after(state.knobs.send_retry_after, &mut roll);
        let response = match injected {
            Injected::RateLimited => respond::rate_limited(&group, None, retry_after),
            Injected::Fail(status) => respond::server_error(status, &mut roll),
            Injected::Malformed => {
                respond::malformed("{\"token_type\":\"bearer\",\"access_token\":\"CO")
            }
        };
        Some(respond::reshape(
            response,
            respond::error_shape(&mut roll, true),
        ))
    }

    /// The required scopes, and every optional scope the portal has access to.
    fn granted_scope(&self, params: &Params) -> String {
        let unavailable = self.0.lock().knobs.unavailable_scopes.clone();
        let mut scopes = split_scopes(param(params, "scope"));
        for scope in split_scopes(param(params, "optional_scope")) {
            if !scopes.contains(&scope) && !unavailable.contains(&scope) {
                scopes.push(scope);
            }
        }
        scopes.join(" ")
    }

    /// A required scope the portal has no access to stops the install: HubSpot shows the user
    /// an error instead of the consent, and never sends the browser back.
    fn refusal(&self, params: &Params) -> Option<String> {
        let unavailable = self.0.lock().knobs.unavailable_scopes.clone();
        let missing: Vec<String> = split_scopes(param(params, "scope"))
            .into_iter()
            .filter(|s| unavailable.contains(s))
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "This app requires access your HubSpot account does not include ({}). Ask \
                 the app's developer, or upgrade the account.",
                missing.join(", ")
            )
        })
    }

    fn permissions(&self, params: &Params, _: &[String]) -> Vec<String> {
        let required = split_scopes(param(params, "scope"));
        let optional = split_scopes(param(params, "optional_scope"));
        let line = |s: &String, note: &str| format!("{} ({s}{note})", describe(s));
        let optional = optional.iter().filter(|s| !required.contains(s));
        (required.iter().map(|s| line(s, "")))
            .chain(optional.map(|s| line(s, ", optional")))
            .collect()
    }

    /// `scopes` as an array; `hub_id`, `user_id` and `scopes` are optional in the spec and
    /// `id_token` may be present, as the contract says.
    fn token_answer(&self, body: &mut Map<String, Value>, grant: &Grant) {
        body.remove("scope");
        let scopes: Vec<&str> = grant.scope.split(' ').filter(|s| !s.is_empty()).collect();
        body.insert("scopes".into(), json!(scopes));
        if grant.client_credentials {
            // The app's own token: no installing user, no portal.
            body.remove("hub_id");
            body.remove("user_id");
            return;
        }
        let mut roll = self.0.lock().roll();
        for field in ["hub_id", "user_id", "scopes"] {
            if roll.vary(roll.contract.omit_optional, 30) {
                body.remove(field);
            }
        }
        if roll.vary(roll.contract.id_token, 30) {
            let portal = &self.0.portal;
            let now = chrono::Utc::now().timestamp();
            let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
            let signature: String = (0..4).map(|_| format!("{:016x}", roll.next())).collect();
            let token = format!(
                "{}.{}.{}",
                part(json!({"alg": "RS256", "typ": "JWT", "kid": "sandbox"})),
                part(
                    json!({"iss": "https://app.hubspot.com", "sub": portal.user_id.to_string(),
                    "email": portal.user_email, "iat": now, "exp": now + 1800})
                ),
                URL_SAFE_NO_PAD.encode(signature),
            );
            body.insert("id_token".into(), token.into());
        }
    }

    fn error_answer(&self, body: &mut Value, _: &ErrorInfo) {
        let shape = respond::error_shape(&mut self.0.lock().roll(), true);
        respond::strip(body, shape);
    }

    /// `PublicAccessTokenInfoResponse` / `PublicRefreshTokenInfoResponse`.
    fn introspection(&self, token: &str, info: &TokenInfo, body: &mut Map<String, Value>) {
        let mut state = self.0.lock();
        let (app_id, mut roll) = (state.app_id(&info.grant.client_id), state.roll());
        drop(state);
        let portal = &self.0.portal;
        let client_id = &info.grant.client_id;
        let scopes: Vec<&str> = info.grant.scope.split(' ').collect();
        let mut answer = json!({
            "active": true, "token": token, "client_id": client_id, "app_id": app_id,
            "hub_id": portal.hub_id, "hub_domain": portal.hub_domain, "user": portal.user_email,
            "user_id": portal.user_id, "scopes": scopes,
        });
        if info.kind == TokenKind::Refresh {
            answer["token_type"] = "refresh".into();
            answer["token_use"] = "refresh_token".into();
        } else {
            answer["token_type"] = "access".into();
            answer["token_use"] = "access_token".into();
            answer["expires_in"] = info.expires_in().unwrap_or_default().into();
            answer["is_private_distribution"] = false.into();
            // The spec requires HubSpot's decoded token claims. The sandbox's tokens are opaque
            // random strings: the ids and expiry are real, the signatures are not.
            answer["signed_access_token"] = json!({
                "appId": app_id,
                "appInstallId": format!("{}-{app_id}", portal.hub_id),
                "audience": client_id,
                "expiresAt": info.expires_at.map(|t| t.timestamp_millis()),
                "hubId": portal.hub_id,
                "hublet": portal.hublet.as_deref().unwrap_or("na1"),
                "installingUserId": portal.user_id,
                "isPrivateDistribution": false,
                "isServiceAccount": false,
                "isUserLevel": false,
                "newSignature": "sandbox-unsigned",
                "scopeToScopeGroupPks": "",
                "scopes": info.grant.scope,
                "signature": "sandbox-unsigned",
                "trialScopeToScopeGroupPks": "",
                "trialScopes": "",
                "userId": portal.user_id,
            });
        }
        vary_token_info(&mut answer, &mut roll);
        if let Value::Object(answer) = answer {
            *body = answer;
        }
    }

    fn method_not_allowed(&self, method: &str, path: &str, allow: &str) -> Option<HttpResponse> {
        Some(respond::wrong_method(method, path, allow))
    }

    /// Never a secret: ids, paths and codes only.
    fn on_event(&self, event: &Event<'_>) {
        match *event {
            Event::CodeRedeemed { client_id, path } => {
                tracing::debug!(
                    client_id,
                    path,
                    "hubspot sandbox: authorization code exchanged"
                );
            }
            Event::Refreshed { client_id, path } => {
                tracing::debug!(client_id, path, "hubspot sandbox: access token refreshed");
            }
            Event::TokenRefused { path, error } => tracing::debug!(
                path,
                error = error.code,
                status = legacy_status(error.subject),
                "hubspot sandbox: token request refused"
            ),
            Event::Introspected { active } => {
                tracing::debug!(active, "hubspot sandbox: token introspected");
            }
            Event::Revoked { revoked } => {
                tracing::debug!(revoked, "hubspot sandbox: revoke request")
            }
        }
    }
}

pub(crate) async fn latency(sandbox: &Sandbox) {
    let latency = sandbox.shared.lock().knobs.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

fn not_found(message: &str) -> HttpResponse {
    respond::api_error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", message)
}

/// A v1 token-metadata answer: counted in `token_info`; HubSpot's 404 for a token it does not
/// know; otherwise the fields both token kinds share (`token_type`: `kind`) and the ones `own`
/// adds for this kind, varied as the contract says. An error from `own` (an expired token) is
/// put in the error shape the contract rolls, like the 404.
fn token_metadata(
    sandbox: &Sandbox,
    token: &str,
    info: Option<TokenInfo>,
    kind: &str,
    own: impl FnOnce(&TokenInfo, &mut State) -> Result<Vec<(&'static str, Value)>, HttpResponse>,
) -> HttpResponse {
    let mut state = sandbox.shared.lock();
    state.stats.token_info += 1;
    let mut roll = state.roll();
    let shape = respond::error_shape(&mut roll, false);
    let Some(info) = info else {
        return respond::reshape(not_found(&format!("{kind} token not found")), shape);
    };
    let own = match own(&info, &mut state) {
        Ok(own) => own,
        Err(refused) => return respond::reshape(refused, shape),
    };
    let portal = &sandbox.shared.portal;
    let mut body = json!({
        "token": token,
        "user": portal.user_email,
        "hub_domain": portal.hub_domain,
        "scopes": info.grant.scope.split(' ').collect::<Vec<_>>(),
        "hub_id": portal.hub_id,
        "user_id": portal.user_id,
        "token_type": kind,
    });
    for (name, value) in own {
        body[name] = value;
    }
    vary_token_info(&mut body, &mut roll);
    respond::json(StatusCode::OK, &body)
}

/// `GET /oauth/v1/access-tokens/{token}`: `AccessTokenInfoResponse`, 404 for an unknown
/// token, HubSpot's expired-token 401 for an expired one.
pub(crate) async fn access_token_info(
    sandbox: web::Data<Sandbox>,
    token: web::Path<String>,
) -> HttpResponse {
    latency(&sandbox).await;
    let info = sandbox.oauth.access_token(&token);
    token_metadata(&sandbox, &token, info, "access", |info, state| {
        if let (false, Some(at), Some(wall)) = (info.is_active(), info.expires, info.expires_at) {
            let ago = Instant::now().saturating_duration_since(at);
            return Err(respond::expired_auth(ago, wall));
        }
        Ok(vec![
            ("app_id", state.app_id(&info.grant.client_id).into()),
            ("expires_in", info.expires_in().into()),
        ])
    })
}

/// `GET /oauth/v1/refresh-tokens/{token}`: `RefreshTokenInfoResponse`, or 404.
pub(crate) async fn refresh_token_info(
    sandbox: web::Data<Sandbox>,
    token: web::Path<String>,
) -> HttpResponse {
    let info = sandbox.oauth.refresh_token(&token);
    token_metadata(&sandbox, &token, info, "refresh", |info, _| {
        Ok(vec![("client_id", info.grant.client_id.clone().into())])
    })
}

/// `DELETE /oauth/v1/refresh-tokens/{token}`: 204, and the access tokens minted from it stop
/// working too; 404 for a token that does not exist (any more).
pub(crate) async fn revoke(sandbox: web::Data<Sandbox>, token: web::Path<String>) -> HttpResponse {
    latency(&sandbox).await;
    let known = sandbox.oauth.refresh_token(&token).is_some();
    let mut state = sandbox.shared.lock();
    state.stats.revoke += 1;
    if !known {
        let shape = respond::error_shape(&mut state.roll(), false);
        return respond::reshape(not_found("refresh token not found"), shape);
    }
    drop(state);
    sandbox.oauth.revoke(&token, None);
    HttpResponse::NoContent().finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_hubspot_shapes_and_differ() {
        let a = secret(Secret::Access);
        assert!(
            a.starts_with("CO") && a.len() > 100 && a.len() <= 300,
            "{a}"
        );
        assert_ne!(a, secret(Secret::Access));
        let r = secret(Secret::Refresh);
        assert!(r.starts_with("na1-") && r.split('-').count() == 6, "{r}");
        assert_eq!(secret(Secret::Code).len(), 36);
    }
}
