//! The HTTP contract as OpenAPI 3.1, generated from the handlers' annotations and served at
//! `/api/openapi.json`. A test snapshots it (`docs/openapi.json`) so an API change shows up as a
//! reviewable diff, and another validates real responses against it, so it cannot drift from
//! what the server does.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::integrations;
use crate::error::Problem;

/// The user, in `dev` mode.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "only describes the parameter")]
pub struct UserHeader {
    /// `dev` mode only (ignored in `jwt` mode): the user, 1–128 characters of `[A-Za-z0-9._@-]`.
    /// Browser navigations may send a `user_id` query parameter instead.
    #[param(
        rename = "X-User-Id",
        pattern = "^[A-Za-z0-9._@-]{1,128}$",
        min_length = 1,
        max_length = 128
    )]
    x_user_id: Option<String>,
}

/// The user, in `dev` mode, for browser navigations that cannot set headers.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only describes the parameter")]
pub struct UserQuery {
    /// `dev` mode only: the user, when the `X-User-Id` header cannot be sent.
    #[param(pattern = "^[A-Za-z0-9._@-]{1,128}$", min_length = 1, max_length = 128)]
    user_id: Option<String>,
}

/// Every `code` a problem can carry.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[expect(dead_code, reason = "only describes the schema")]
pub enum ProblemCode {
    /// 400: the request is malformed.
    InvalidRequest,
    /// 400: the provider has no incremental sync (export instead).
    ChangesUnsupported,
    /// 400: the OAuth state is unknown, expired, replayed, or another browser's or user's.
    InvalidState,
    /// 401 (`jwt` mode): no, malformed, expired or forged bearer token.
    Unauthenticated,
    /// 401: the grant was revoked, expired or is unreadable; reconnect.
    ReauthRequired,
    /// 403: the grant lacks a permission the request needs; reconnect.
    InsufficientScope,
    /// 404: no such integration.
    UnknownProvider,
    /// 404: no such route.
    NotFound,
    /// 404: the user has not connected the integration.
    NotConnected,
    /// 405: the route does not take this method (see `Allow`).
    MethodNotAllowed,
    /// 429: the provider is rate-limiting; see `Retry-After` and `retry_after`.
    RateLimited,
    /// 500: a bug; the cause is logged with the request id.
    InternalError,
    /// 502: the provider failed or answered nonsense.
    UpstreamError,
    /// 503: Redis is unreachable.
    StoreUnavailable,
    /// 503: the identity provider's keys could not be fetched.
    AuthUnavailable,
    /// 504: the provider did not answer within the request deadline.
    UpstreamTimeout,
}

/// Adds the bearer scheme (`jwt` mode) to the document.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`jwt` mode: a JWT whose `sub` is the user id. In `dev` mode send `X-User-Id` instead.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "VectorShift integrations",
        description = "Connect SaaS accounts with OAuth2 and load their records as IntegrationItems. \
            Errors are application/problem+json with a stable `code`."
    ),
    paths(
        integrations::config,
        integrations::list,
        integrations::authorize,
        integrations::callback,
        integrations::items,
        integrations::export,
        integrations::changes,
        integrations::count,
        integrations::status,
        integrations::disconnect,
    ),
    components(schemas(Problem, ProblemCode)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "integrations", description = "Connections and items, per provider"))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
