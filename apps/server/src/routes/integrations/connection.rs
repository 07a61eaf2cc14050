//! The user's connection to one provider: `GET …/status` and `DELETE …/connection`.

use actix_web::{HttpResponse, web};
use integration_core::ConnectionInfo;
use serde::Serialize;
use utoipa::ToSchema;

use super::provider;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The user's connection to one provider; no tokens.
#[derive(Serialize, ToSchema)]
pub struct ConnectionStatus {
    /// Provider id.
    provider: &'static str,
    /// Whether credentials are stored.
    connected: bool,
    /// `connected`, `not_connected` or `reauth_required`.
    #[schema(pattern = "^(connected|not_connected|reauth_required)$")]
    status: &'static str,
    /// The provider's account id (when connected).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    /// A human name for the account, e.g. the HubSpot portal's domain (when known).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<String>,
    /// Who granted access, e.g. the installing user's email (when known).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    account_user: Option<String>,
    /// Granted scopes (when connected).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    /// When the current access token expires (when connected and the provider said).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Object types this account cannot be granted at all (when connected): HubSpot left their
    /// optional scope out of the grant because the portal lacks the feature. Not worth offering;
    /// any other kind the grant lacks can be enabled (`authorize?object_type=`).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable_object_types: Option<Vec<&'static str>>,
}

impl ConnectionStatus {
    pub(super) fn connected(provider: &'static str, info: ConnectionInfo) -> Self {
        Self {
            provider,
            connected: true,
            status: "connected",
            account_id: info.account_id,
            account_name: info.account_name,
            account_user: info.account_user,
            scopes: Some(info.scopes),
            expires_at: info.expires_at,
            unavailable_object_types: Some(info.unavailable_object_types),
        }
    }

    fn not_connected(provider: &'static str, reauth_required: bool) -> Self {
        Self {
            provider,
            connected: false,
            status: if reauth_required {
                "reauth_required"
            } else {
                "not_connected"
            },
            account_id: None,
            account_name: None,
            account_user: None,
            scopes: None,
            expires_at: None,
            unavailable_object_types: None,
        }
    }
}

/// The user's connection to one provider.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/status", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)")),
    responses(
        (status = 200, body = ConnectionStatus),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: no or malformed user (dev mode)"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
    )
)]
pub(super) async fn status(
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let id = entry.connector.integration().id();
    let body = match entry.connector.status(&user.0).await? {
        Some(info) => ConnectionStatus::connected(id, info),
        None => {
            ConnectionStatus::not_connected(id, entry.connector.needs_reconnect(&user.0).await?)
        }
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Revokes the grant at the provider where possible and forgets it. Idempotent.
#[utoipa::path(
    delete, path = "/api/integrations/{provider}/connection", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)")),
    responses(
        (status = 204, description = "Disconnected (or was not connected)"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: no or malformed user (dev mode)"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
    )
)]
pub(super) async fn disconnect(
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    entry.connector.disconnect(&user.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
