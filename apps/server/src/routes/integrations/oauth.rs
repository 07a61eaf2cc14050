//! The consent flow over HTTP. The flow itself (state, browser binding, PKCE, user and provider
//! checks, exchange, replacing the old grant) is `Connector::{begin,finish}_authorization`; this
//! module only carries the browser binding in a cookie and turns outcomes into redirects.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use integration_core::{
    AuthorizationError, BrowserBinding, CallbackContext, CallbackParams as Callback,
    Error as IntegrationError, OAuthState,
};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::{IntoParams, ToSchema};

use super::{connection::ConnectionStatus, provider, wants_json};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::{AppState, ProviderEntry};

/// Where to send the user for consent.
#[derive(Serialize, ToSchema)]
pub struct AuthorizeUrl {
    /// The provider's consent page, with a fresh one-time `state`.
    url: String,
}

/// The cookie carrying the browser binding of one pending flow: `vs_oauth_{provider}_{key}`, the
/// key derived from the flow's state ([`BrowserBinding::key_for`]).
///
/// One cookie per flow, rather than one per provider or one holding a list of bindings: a
/// callback then reads and clears only the binding of the state it carries, so it can never
/// cancel another pending flow (a bare or forged `/callback` link clears nothing the victim
/// needs), and flows started in several tabs or for several providers each keep their own
/// binding. A list in one cookie would need a read-modify-write in the browser, and two tabs
/// authorizing at once would overwrite each other's. The number of such cookies is bounded by
/// their lifetime (the state's TTL) and, in practice, by `OAUTH_PENDING_PER_USER`: a binding
/// whose state was dropped is never sent anywhere but the callback, and expires with it.
fn cookie_name(provider: &str, state: &OAuthState) -> String {
    format!("vs_oauth_{provider}_{}", BrowserBinding::key_for(state))
}

/// The binding cookie: HttpOnly (no script reads it), SameSite=Lax (sent on the provider's
/// top-level redirect back to us, not on cross-site subrequests), scoped to the callback path,
/// and gone when the state expires.
fn binding_cookie(
    state: &AppState,
    provider: &str,
    flow: &OAuthState,
    value: &str,
    max_age: time::Duration,
) -> Cookie<'static> {
    Cookie::build(cookie_name(provider, flow), value.to_owned())
        .path(format!("/api/integrations/{provider}/callback"))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .max_age(max_age)
        .finish()
}

/// What the consent is for.
#[derive(Debug, Deserialize, IntoParams)]
pub(super) struct AuthorizeParams {
    /// An object type to enable: the consent also asks for its scope, so a connection whose
    /// grant lacks that kind (HubSpot: `companies` without `crm.objects.companies.read`) gains
    /// it. One the provider does not offer is 400 `invalid_request`. Default: the usual scopes.
    #[param(
        pattern = "^[A-Za-z0-9_-]{1,64}$",
        min_length = 1,
        max_length = 64,
        example = "companies"
    )]
    object_type: Option<String>,
}

/// Starts the consent flow: remembers a fresh `state` for this user, bound to this browser by an
/// HttpOnly cookie, and sends the browser (or tells the UI) where to go.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/authorize", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"), AuthorizeParams),
    responses(
        (status = 200, body = AuthorizeUrl, description = "With `Accept: application/json`; sets the flow's `vs_oauth_{provider}_{key}` cookie",
            headers(("Set-Cookie" = String, description = "`vs_oauth_{provider}_{key}`: the browser binding of this flow, one cookie per pending flow, `key` derived from its state (HttpOnly, SameSite=Lax, scoped to the callback path)"))),
        (status = 302, description = "Otherwise (a browser navigation): to the provider's consent page, with no body; sets the flow's `vs_oauth_{provider}_{key}` cookie",
            headers(
                ("Location" = String, description = "The provider's consent page, with a fresh one-time `state`"),
                ("Set-Cookie" = String, description = "`vs_oauth_{provider}_{key}`: the browser binding of this flow, one cookie per pending flow, `key` derived from its state (HttpOnly, SameSite=Lax, scoped to the callback path)"),
            )),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
    )
)]
pub(super) async fn authorize(
    req: HttpRequest,
    path: web::Path<String>,
    params: web::Query<AuthorizeParams>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let kind = super::object_type(params.into_inner().object_type)?;
    let start = entry
        .connector
        .begin_authorization_for(&user.0, &entry.redirect_uri, kind.as_deref())
        .await?;
    let cookie = binding_cookie(
        &state,
        entry.connector.integration().id(),
        &start.state,
        start.binding.secret().expose_secret(),
        time::Duration::seconds(i64::try_from(start.expires_in.as_secs()).unwrap_or(600)),
    );
    Ok(if wants_json(&req) {
        HttpResponse::Ok().cookie(cookie).json(AuthorizeUrl {
            url: start.url.to_string(),
        })
    } else {
        HttpResponse::Found()
            .cookie(cookie)
            .insert_header((header::LOCATION, start.url.as_str()))
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

/// Where the provider sends the browser after consent. Browsers are redirected to the UI with the
/// outcome; API clients (`Accept: application/json`) get JSON or a problem. Needs no
/// `Authorization`: the one-time state names the user and its `vs_oauth_{provider}_{key}` cookie
/// proves it is the browser that started the flow. The state is consumed only after that check,
/// and only its own cookie is dropped, so other pending flows are never disturbed.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/callback", tag = "integrations",
    // The state names the user; a caller identity, when sent, must be that user.
    security((), ("caller" = [])),
    params(
        ("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"),
        // What the provider sends is not checked by shape here: whatever it is, a browser is
        // redirected with the outcome, so no value is refused at the HTTP level.
        ("code" = Option<String>, Query, description = "The provider's authorization code. Missing, empty or longer than 2048 bytes (with a valid state): `error=invalid_request`"),
        ("state" = Option<String>, Query, description = "The one-time state `authorize` put on the consent URL. Missing, malformed, unknown, expired, replayed, dropped (the user started more than `OAUTH_PENDING_PER_USER` flows since), another user's or started in another browser: `error=invalid_state` (the last two leave the state to the browser that started it)"),
        ("error" = Option<String>, Query, description = "The provider's error (`access_denied` when the user declined): `error=access_denied` or `error=authorization_failed`"),
        ("error_description" = Option<String>, Query, description = "The provider's explanation of `error`"),
    ),
    responses(
        (status = 302, description = "Without `Accept: application/json` (a browser navigation), whatever the outcome: to the UI with no body; drops the `vs_oauth_{provider}_{key}` cookie of the state it carries (no other)",
            headers(
                ("Location" = String, description = "`FRONTEND_URL/integrations/{provider}/callback?result=success&account_id=…` or `?result=error&error={code}&error_description=…`"),
                ("Set-Cookie" = String, description = "`vs_oauth_{provider}_{key}` of this state expired (none when the state is missing or malformed)"),
            )),
        (status = 200, body = ConnectionStatus, description = "With `Accept: application/json`"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_state, invalid_request"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated (a malformed token was sent)"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
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
    let params = params.into_inner();
    let flow = params
        .state
        .as_deref()
        .and_then(|raw| OAuthState::parse(raw).ok());
    let outcome = finish(&req, entry, flow.as_ref(), params).await;
    // The binding of this state has done its job (or cannot: the state is used, expired, or
    // not this browser's): drop it. Only this state's; other pending flows keep theirs.
    let expired = flow
        .as_ref()
        .map(|flow| binding_cookie(&state, id, flow, "", time::Duration::ZERO));
    if wants_json(&req) {
        return match outcome {
            Ok(info) => {
                let mut ok = HttpResponse::Ok();
                if let Some(expired) = expired {
                    ok.cookie(expired);
                }
                Ok(ok.json(ConnectionStatus::connected(id, info)))
            }
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
    let mut response = redirect(&target);
    if let Some(expired) = expired {
        response.cookie(expired);
    }
    Ok(response.finish())
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

async fn finish(
    req: &HttpRequest,
    entry: &ProviderEntry,
    flow: Option<&OAuthState>,
    params: CallbackParams,
) -> Result<integration_core::ConnectionInfo, Failure> {
    let id = entry.connector.integration().id();
    let binding = flow
        .and_then(|flow| req.cookie(&cookie_name(id, flow)))
        .and_then(|c| BrowserBinding::parse(c.value()));
    let user = CurrentUser::optional(req).await.map_err(Failure::from)?;
    let context = CallbackContext {
        binding: binding.as_ref(),
        user: user.as_ref().map(|u| &u.0),
    };
    let callback = Callback {
        code: params.code,
        state: params.state,
        error: params.error,
        error_description: params.error_description,
    };
    match entry
        .connector
        .finish_authorization(callback, context)
        .await
    {
        Ok((_, info)) => Ok(info),
        Err(AuthorizationError::InvalidState(why)) => {
            Err(ApiError::InvalidState(why.to_owned()).into())
        }
        Err(AuthorizationError::InvalidRequest(why)) => Err(ApiError::InvalidRequest(why).into()),
        Err(AuthorizationError::Denied { description }) => Err(Failure {
            code: "access_denied",
            api: ApiError::InvalidRequest(format!("authorization failed: {description}")),
            description,
        }),
        Err(AuthorizationError::ProviderError { description, .. }) => Err(Failure {
            code: "authorization_failed",
            api: ApiError::InvalidRequest(format!("authorization failed: {description}")),
            description,
        }),
        Err(AuthorizationError::Exchange(IntegrationError::Rejected { code, message })) => {
            Err(Failure {
                code: "exchange_failed",
                description: format!("The provider refused the authorization code: {message}"),
                api: ApiError::Upstream(format!(
                    "The provider rejected the code ({code}): {message}"
                )),
            })
        }
        Err(AuthorizationError::Exchange(other)) => Err(ApiError::from(other).into()),
        Err(AuthorizationError::Store(store)) => Err(ApiError::from(store).into()),
        Err(other) => Err(ApiError::Internal(Box::new(other)).into()),
    }
}

fn redirect(target: &Url) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Found();
    builder.insert_header((header::LOCATION, target.as_str()));
    builder
}
