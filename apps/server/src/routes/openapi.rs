//! The HTTP contract as OpenAPI 3.1, generated from the handlers' annotations and served at
//! `/api/openapi.json`. A test snapshots it (`docs/openapi.json`), so an API change shows up as a
//! reviewable diff.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::integrations;

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "VectorShift integrations",
        description = "Connect SaaS accounts with OAuth2 and load their records as IntegrationItems. \
            Errors are application/problem+json with a stable `code`."
    ),
    paths(
        integrations::list,
        integrations::authorize,
        integrations::callback,
        integrations::items,
        integrations::status,
        integrations::disconnect,
    ),
    tags((name = "integrations", description = "Connections and items, per provider"))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
