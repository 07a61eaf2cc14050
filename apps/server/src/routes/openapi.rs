//! The HTTP contract as OpenAPI 3.1, generated from the handlers' annotations and served at
//! `/api/openapi.json`. A test snapshots it (`docs/openapi.json`) so an API change shows up as a
//! reviewable diff, and another validates real responses against it, so it cannot drift from
//! what the server does.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};

use super::integrations;
use crate::auth::{Authenticator, USER_HEADER};
use crate::error::{Problem, ProblemCode};

/// How callers prove who they are, as the server runs (`AUTH_MODE`): the served document
/// declares exactly that scheme, nothing the server would ignore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// `AUTH_MODE=dev`: the `X-User-Id` header, or the `user_id` query parameter.
    Dev,
    /// `AUTH_MODE=jwt`: `Authorization: Bearer <JWT>`.
    Jwt,
}

impl Identity {
    /// The scheme `auth` verifies.
    pub fn of(auth: &Authenticator) -> Self {
        match auth {
            Authenticator::Dev => Self::Dev,
            Authenticator::Jwt(_) => Self::Jwt,
        }
    }
}

/// The placeholder requirement the annotations use for "the caller's identity"; [`document`]
/// replaces it with the schemes of the mode the server runs in.
const CALLER: &str = "caller";

/// The scheme names of each mode, as they appear in `components.securitySchemes`.
const DEV_HEADER: &str = "user_header";
const DEV_QUERY: &str = "user_query";
const BEARER: &str = "bearer";

/// The API description for a server running in `identity` mode.
pub fn document(identity: Identity) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(integrations::Documented::openapi());
    let components = doc.components.get_or_insert_with(Default::default);
    // Alternatives: any one of them names the caller.
    let alternatives: Vec<SecurityRequirement> = match identity {
        Identity::Dev => {
            components.add_security_scheme(
                DEV_HEADER,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                    USER_HEADER,
                    "`AUTH_MODE=dev`: the user, 1–128 characters of `[A-Za-z0-9._@-]`. Nothing \
                     proves it (anyone can be anyone), so this mode is for development and \
                     sandboxes only. Missing or malformed: 400 `invalid_request`.",
                ))),
            );
            components.add_security_scheme(
                DEV_QUERY,
                SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                    "user_id",
                    "`AUTH_MODE=dev`: the user as a query parameter, for browser navigations \
                     that cannot set headers (`X-User-Id` wins when both are sent).",
                ))),
            );
            vec![
                SecurityRequirement::new(DEV_HEADER, Vec::<String>::new()),
                SecurityRequirement::new(DEV_QUERY, Vec::<String>::new()),
            ]
        }
        Identity::Jwt => {
            components.add_security_scheme(
                BEARER,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "`AUTH_MODE=jwt`: a JWT whose `sub` is the user id. Missing, \
                             malformed, expired or forged: 401 `unauthenticated`.",
                        ))
                        .build(),
                ),
            );
            vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]
        }
    };
    let caller = SecurityRequirement::new(CALLER, Vec::<String>::new());
    let expand = |requirements: &mut Option<Vec<SecurityRequirement>>| {
        if let Some(list) = requirements {
            *list = std::mem::take(list)
                .into_iter()
                .flat_map(|r| {
                    if r == caller {
                        alternatives.clone()
                    } else {
                        vec![r]
                    }
                })
                .collect();
        }
    };
    expand(&mut doc.security);
    for item in doc.paths.paths.values_mut() {
        for operation in [&mut item.get, &mut item.delete].into_iter().flatten() {
            expand(&mut operation.security);
        }
    }
    doc
}

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "VectorShift integrations",
        description = "Connect SaaS accounts with OAuth2 and load their records as IntegrationItems. \
            Errors are application/problem+json with a stable `code`."
    ),
    components(schemas(Problem, ProblemCode)),
    // Every operation is for a caller unless it says otherwise; `document` says how callers
    // are named in the mode the server runs in.
    security(("caller" = [])),
    tags((name = "integrations", description = "Connections and items, per provider"))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`: the document of the mode this server runs in.
pub async fn spec(auth: web::Data<Authenticator>) -> HttpResponse {
    HttpResponse::Ok().json(document(Identity::of(&auth)))
}
