//! What this server offers: `GET /api/config` (public) and `GET /api/integrations`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Authenticator, CurrentUser};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// How the UI should talk to this server; needs no authentication.
#[derive(Serialize, ToSchema)]
pub struct ClientConfig {
    /// `dev`: name the user with `X-User-Id`; `jwt`: send `Authorization: Bearer <JWT>`.
    #[schema(pattern = "^(dev|jwt)$")]
    auth_mode: &'static str,
    /// Whether any provider is a bundled sandbox (development).
    sandbox: bool,
    /// Origins allowed to embed the UI and hand it a token by `postMessage`.
    embed_origins: Vec<String>,
}

/// One registered provider — everything a UI needs to show it, declared once by the provider —
/// and the user's connection to it.
#[derive(Serialize, ToSchema)]
pub struct ProviderSummary {
    /// Id, name, description, object types, table columns, permissions, logo.
    #[serde(flatten)]
    info: integration_core::ProviderInfo,
    /// `connected`, `not_connected`, or `reauth_required` (the provider rejected the grant, or
    /// the stored grant is unreadable; reconnect).
    #[schema(
        pattern = "^(connected|not_connected|reauth_required)$",
        example = "connected"
    )]
    status: &'static str,
    /// The provider's account id when connected.
    account_id: Option<String>,
    /// A human name for the account (HubSpot: the portal's domain) when connected.
    account_name: Option<String>,
    /// Whether this provider is served by its bundled sandbox.
    sandbox: bool,
    /// Whether `GET …/items?search=` searches the provider's records (HubSpot: CRM search);
    /// otherwise it is 400 `search_unsupported` and a UI searches what it has synced.
    search: bool,
}

/// The providers this server offers.
#[derive(Serialize, ToSchema)]
pub struct IntegrationList {
    /// Whether any provider is a bundled sandbox (development).
    sandbox: bool,
    /// Providers in display order.
    integrations: Vec<ProviderSummary>,
}

/// How to authenticate, and whether this is a sandbox.
#[utoipa::path(
    get, path = "/api/config", tag = "integrations", security(()),
    responses((status = 200, body = ClientConfig))
)]
pub(super) async fn config(
    state: web::Data<AppState>,
    auth: web::Data<Authenticator>,
) -> HttpResponse {
    HttpResponse::Ok().json(ClientConfig {
        auth_mode: auth.mode_name(),
        sandbox: state.sandbox,
        embed_origins: state.embed_origins.clone(),
    })
}

/// The registered providers and the user's connection to each.
#[utoipa::path(
    get, path = "/api/integrations", tag = "integrations",
    responses(
        (status = 200, body = IntegrationList),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: no or malformed user (dev mode)"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated (jwt mode)"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
    )
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let mut integrations = Vec::new();
    for entry in state.registry.iter() {
        let integration = entry.connector.integration();
        let info = entry.connector.status(&user.0).await?;
        let status = match &info {
            Some(_) => "connected",
            None if entry.connector.needs_reconnect(&user.0).await? => "reauth_required",
            None => "not_connected",
        };
        let (account_id, account_name) = info
            .map(|i| (i.account_id, i.account_name))
            .unwrap_or_default();
        integrations.push(ProviderSummary {
            info: *integration.info(),
            status,
            account_id,
            account_name,
            sandbox: entry.sandbox,
            search: integration.searches(),
        });
    }
    Ok(HttpResponse::Ok().json(IntegrationList {
        sandbox: state.sandbox,
        integrations,
    }))
}
