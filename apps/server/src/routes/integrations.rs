//! `/api/integrations/...`: the provider is a path segment, looked up in the registry.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use integration_core::{
    AuthorizationCode, Cursor, Error as IntegrationError, ItemQuery, OAuthState, Page,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use token_store::PendingAuthorization;
use url::Url;

use crate::error::ApiError;
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

#[derive(Serialize)]
struct ProviderSummary {
    id: &'static str,
    name: &'static str,
    status: &'static str,
    account_id: Option<String>,
}

/// The registered providers and the user's connection to each.
async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let mut integrations = Vec::new();
    for entry in state.registry.iter() {
        let integration = entry.connector.integration();
        let info = entry.connector.status(&user.0).await?;
        integrations.push(ProviderSummary {
            id: integration.id(),
            name: integration.display_name(),
            status: if info.is_some() {
                "connected"
            } else {
                "not_connected"
            },
            account_id: info.and_then(|i| i.account_id),
        });
    }
    Ok(HttpResponse::Ok().json(json!({
        "sandbox": state.sandbox,
        "integrations": integrations,
    })))
}

/// Starts the consent flow: remembers a fresh `state` for this user and sends the browser (or
/// tells the UI) where to go.
async fn authorize(
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
        HttpResponse::Ok().json(json!({ "url": url.as_str() }))
    } else {
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.as_str()))
            .finish()
    })
}

#[derive(Debug, Deserialize)]
struct CallbackParams {
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
async fn callback(
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
            Ok(info) => Ok(HttpResponse::Ok().json(json!({
                "provider": id,
                "connected": true,
                "account_id": info.account_id,
                "scopes": info.scopes,
                "expires_at": info.expires_at,
            }))),
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
struct ItemsParams {
    cursor: Option<String>,
    limit: Option<String>,
    object_type: Option<String>,
}

/// One page of the user's items.
async fn items(
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
async fn status(
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let id = entry.connector.integration().id();
    Ok(
        HttpResponse::Ok().json(match entry.connector.status(&user.0).await? {
            Some(info) => json!({
                "provider": id,
                "connected": true,
                "account_id": info.account_id,
                "scopes": info.scopes,
                "expires_at": info.expires_at,
            }),
            None => json!({ "provider": id, "connected": false }),
        }),
    )
}

/// Revokes the grant at the provider where possible and forgets it. Idempotent.
async fn disconnect(
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    entry.connector.disconnect(&user.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
