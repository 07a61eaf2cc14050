//! `/api/integrations/...`: the provider is a path segment, looked up in the registry.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use integration_core::{
    AuthorizationCode, ConnectionInfo, Cursor, Error as IntegrationError, ItemQuery, OAuthState,
    Page,
};
use serde::{Deserialize, Serialize};
use token_store::PendingAuthorization;
use url::Url;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::startup::{AppState, ProviderEntry};
use crate::user::CurrentUser;

/// How long a user has to finish the consent page.
const STATE_TTL: Duration = Duration::from_secs(10 * 60);
/// Largest page a client may ask for.
const MAX_LIMIT: u32 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/integrations", web::get().to(list))
        .route(
            "/integrations/{provider}/authorize",
            web::get().to(authorize),
        )
        .route("/integrations/{provider}/callback", web::get().to(callback))
        .route("/integrations/{provider}/items", web::get().to(items))
        .route("/integrations/{provider}/status", web::get().to(status))
        .route(
            "/integrations/{provider}/connection",
            web::delete().to(disconnect),
        );
}

pub async fn api_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a ProviderEntry, ApiError> {
    state
        .registry
        .get(id)
        .ok_or_else(|| ApiError::UnknownProvider(id.chars().take(64).collect()))
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// One registered provider and the user's connection to it.
#[derive(Serialize, ToSchema)]
pub struct ProviderSummary {
    /// Route id, e.g. `hubspot`.
    id: &'static str,
    /// Display name.
    name: &'static str,
    /// `connected`, `not_connected`, or `reauth_required` (the provider rejected the grant;
    /// reconnect).
    #[schema(example = "connected")]
    status: &'static str,
    /// The provider's account id when connected.
    account_id: Option<String>,
}

/// The providers this server offers.
#[derive(Serialize, ToSchema)]
pub struct IntegrationList {
    /// Whether HubSpot is the bundled sandbox (development).
    sandbox: bool,
    /// Providers in display order.
    integrations: Vec<ProviderSummary>,
}

/// Where to send the user for consent.
#[derive(Serialize, ToSchema)]
pub struct AuthorizeUrl {
    /// The provider's consent page, with a fresh one-time `state`.
    url: String,
}

/// The user's connection to one provider; no tokens.
#[derive(Serialize, ToSchema)]
pub struct ConnectionStatus {
    /// Provider id.
    provider: &'static str,
    /// Whether credentials are stored.
    connected: bool,
    /// Account, scopes and expiry when connected.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    connection: Option<ConnectionInfo>,
}

/// The registered providers and the user's connection to each.
#[utoipa::path(
    get, path = "/api/integrations", tag = "integrations",
    params(("X-User-Id" = String, Header, description = "The user (1–128 of [A-Za-z0-9._@-])")),
    responses(
        (status = 200, body = IntegrationList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
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
        integrations.push(ProviderSummary {
            id: integration.id(),
            name: integration.display_name(),
            status,
            account_id: info.and_then(|i| i.account_id),
        });
    }
    Ok(HttpResponse::Ok().json(IntegrationList {
        sandbox: state.sandbox,
        integrations,
    }))
}

/// Starts the consent flow: remembers a fresh `state` for this user and sends the browser (or
/// tells the UI) where to go.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/authorize", tag = "integrations",
    params(
        ("provider" = String, Path, example = "hubspot"),
        ("X-User-Id" = String, Header, description = "Or a `user_id` query parameter"),
    ),
    responses(
        (status = 200, body = AuthorizeUrl, description = "With `Accept: application/json`"),
        (status = 302, description = "Redirect to the consent page"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn authorize(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let oauth_state = OAuthState::generate();
    let pending = PendingAuthorization {
        user_id: user.0,
        provider: entry.connector.integration().id().to_owned(),
        return_to: None,
        created_at: Utc::now(),
    };
    state
        .store
        .put_state(&oauth_state, &pending, STATE_TTL)
        .await?;
    let url = entry
        .connector
        .authorization_url(&oauth_state, &entry.redirect_uri)?;
    Ok(if wants_json(&req) {
        HttpResponse::Ok().json(AuthorizeUrl {
            url: url.to_string(),
        })
    } else {
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.as_str()))
            .finish()
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// How a callback ended, for the UI.
struct Failure {
    code: &'static str,
    description: String,
    api: ApiError,
}

impl From<ApiError> for Failure {
    fn from(api: ApiError) -> Self {
        Failure {
            code: api.code(),
            description: api.to_string(),
            api,
        }
    }
}

/// Where the provider sends the browser after consent. Browsers are redirected to the UI with the
/// outcome; API clients (`Accept: application/json`) get JSON or a problem.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/callback", tag = "integrations",
    params(
        ("provider" = String, Path, example = "hubspot"),
        ("code" = Option<String>, Query), ("state" = Option<String>, Query),
        ("error" = Option<String>, Query), ("error_description" = Option<String>, Query),
    ),
    responses(
        (status = 302, description = "To `FRONTEND_URL/integrations/{provider}/callback?result=success|error&…`"),
        (status = 200, body = ConnectionStatus, description = "With `Accept: application/json`"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_state, invalid_request"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn callback(
    req: HttpRequest,
    path: web::Path<String>,
    params: web::Query<CallbackParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let id = entry.connector.integration().id();
    let outcome = complete(&req, entry, &state, params.into_inner()).await;
    if wants_json(&req) {
        return match outcome {
            Ok(info) => Ok(HttpResponse::Ok().json(ConnectionStatus {
                provider: id,
                connected: true,
                connection: Some(info),
            })),
            Err(failure) => Err(failure.api),
        };
    }
    let mut target = state.frontend_url.clone();
    target.set_path(&format!(
        "{}/integrations/{id}/callback",
        state.frontend_url.path().trim_end_matches('/')
    ));
    {
        let mut query = target.query_pairs_mut();
        match &outcome {
            Ok(info) => {
                query.append_pair("result", "success");
                if let Some(account) = &info.account_id {
                    query.append_pair("account_id", account);
                }
            }
            Err(failure) => {
                query
                    .append_pair("result", "error")
                    .append_pair("error", failure.code)
                    .append_pair("error_description", &failure.description);
            }
        }
    }
    Ok(redirect(&target))
}

async fn complete(
    req: &HttpRequest,
    entry: &ProviderEntry,
    state: &AppState,
    params: CallbackParams,
) -> Result<integration_core::ConnectionInfo, Failure> {
    let invalid = |why: &str| Failure::from(ApiError::InvalidState(why.to_owned()));
    let oauth_state = params
        .state
        .as_deref()
        .ok_or_else(|| invalid("the callback carries no state"))
        .and_then(|raw| OAuthState::parse(raw).map_err(|_| invalid("the state is malformed")))?;
    // Consumed before anything else, so a state works once whatever happens next.
    let pending = state
        .store
        .take_state(&oauth_state)
        .await
        .map_err(|e| Failure::from(ApiError::from(e)))?
        .ok_or_else(|| invalid("the state is unknown, expired or already used"))?;
    if pending.provider != entry.connector.integration().id() {
        return Err(invalid("the state was issued for another integration"));
    }
    if let Some(user) = CurrentUser::optional(req).map_err(Failure::from)?
        && user.0 != pending.user_id
    {
        return Err(invalid("the state was issued to another user"));
    }
    if let Some(error) = params.error {
        let code = if error == "access_denied" {
            "access_denied"
        } else {
            "authorization_failed"
        };
        let description = params
            .error_description
            .unwrap_or_else(|| format!("The provider reported '{error}'."));
        return Err(Failure {
            code,
            api: ApiError::InvalidRequest(format!("authorization failed: {description}")),
            description,
        });
    }
    let code = params
        .code
        .as_deref()
        .ok_or_else(|| {
            Failure::from(ApiError::InvalidRequest(
                "the callback carries no code".into(),
            ))
        })
        .and_then(|raw| {
            AuthorizationCode::parse(raw)
                .map_err(|e| Failure::from(ApiError::InvalidRequest(e.to_string())))
        })?;
    match entry
        .connector
        .connect(&pending.user_id, &code, &entry.redirect_uri)
        .await
    {
        Ok(info) => Ok(info),
        Err(IntegrationError::Rejected { code, message }) => Err(Failure {
            code: "exchange_failed",
            description: format!("The provider refused the authorization code: {message}"),
            api: ApiError::Upstream(format!(
                "The provider rejected the code ({code}): {message}"
            )),
        }),
        Err(other) => Err(ApiError::from(other).into()),
    }
}

fn redirect(target: &Url) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, target.as_str()))
        .finish()
}

#[derive(Debug, Deserialize)]
pub(super) struct ItemsParams {
    cursor: Option<String>,
    limit: Option<String>,
    object_type: Option<String>,
}

/// One page of the user's items.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/items", tag = "integrations",
    params(
        ("provider" = String, Path, example = "hubspot"),
        ("X-User-Id" = String, Header),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100),
        ("object_type" = Option<String>, Query, example = "contacts"),
    ),
    responses(
        (status = 200, body = Page),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "reauth_required"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited; see Retry-After"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn items(
    path: web::Path<String>,
    params: web::Query<ItemsParams>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Page>, ApiError> {
    let entry = provider(&state, &path)?;
    let params = params.into_inner();
    let mut query = ItemQuery::new();
    if let Some(raw) = params.cursor.filter(|c| !c.is_empty()) {
        query = query.after(Some(
            Cursor::parse(raw).map_err(|e| ApiError::InvalidRequest(e.to_string()))?,
        ));
    }
    if let Some(raw) = params.limit.filter(|l| !l.is_empty()) {
        let limit = raw
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?;
        query = query.limit(limit);
    }
    if let Some(kind) = params.object_type.filter(|k| !k.is_empty()) {
        if kind.len() > 64 || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ApiError::InvalidRequest("object_type is malformed".into()));
        }
        query = query.object_type(kind);
    }
    Ok(web::Json(entry.connector.items(&user.0, &query).await?))
}

/// The user's connection to one provider.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/status", tag = "integrations",
    params(("provider" = String, Path, example = "hubspot"), ("X-User-Id" = String, Header)),
    responses(
        (status = 200, body = ConnectionStatus),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn status(
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let id = entry.connector.integration().id();
    let connection = entry.connector.status(&user.0).await?;
    Ok(HttpResponse::Ok().json(ConnectionStatus {
        provider: id,
        connected: connection.is_some(),
        connection,
    }))
}

/// Revokes the grant at the provider where possible and forgets it. Idempotent.
#[utoipa::path(
    delete, path = "/api/integrations/{provider}/connection", tag = "integrations",
    params(("provider" = String, Path, example = "hubspot"), ("X-User-Id" = String, Header)),
    responses(
        (status = 204, description = "Disconnected (or was not connected)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
