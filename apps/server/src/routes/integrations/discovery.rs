//! What the user's account holds: its object types and their fields, as the provider describes
//! them (cached per account by the connector).

use actix_web::web;
use integration_core::{Field, ObjectTypeAccess};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::provider;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The account's object types.
#[derive(Serialize, ToSchema)]
pub struct ObjectTypes {
    /// Standard kinds first, then the account's custom ones.
    #[schema(value_type = Vec<ObjectTypeEntry>)]
    object_types: Vec<ObjectTypeAccess>,
}

/// One object type of the account (the wire shape of [`ObjectTypeAccess`]).
#[derive(ToSchema)]
#[allow(dead_code, reason = "documents the serialized shape")]
pub struct ObjectTypeEntry {
    /// What `object_type` names it (`contacts`, `tickets`, a custom object's id like `2-3508482`).
    #[schema(example = "tickets")]
    id: String,
    /// Its plural label.
    #[schema(example = "Tickets")]
    label: String,
    /// Whether the account defined it (a custom object).
    custom: bool,
    /// Any one of these granted scopes allows reading it.
    scopes: Vec<String>,
    /// Whether this connection's grant holds one of them (otherwise enable it:
    /// `authorize?object_type=`, for the kinds the provider offers).
    granted: bool,
}

/// The fields of an object type.
#[derive(Serialize, ToSchema)]
pub struct Fields {
    /// Every field, custom ones included.
    #[schema(value_type = Vec<FieldEntry>)]
    fields: Vec<Field>,
}

/// One field (the wire shape of [`Field`]).
#[derive(ToSchema)]
#[allow(dead_code, reason = "documents the serialized shape")]
pub struct FieldEntry {
    /// What `properties=` names it.
    #[schema(example = "firstname")]
    name: String,
    /// Its label.
    #[schema(example = "First Name")]
    label: String,
    /// Its data type (HubSpot: `string`, `number`, `date`, `datetime`, `bool`, `enumeration`).
    #[schema(rename = "type", example = "string")]
    data_type: String,
    /// How the provider's UI edits it (HubSpot's `fieldType`).
    #[schema(example = "text")]
    field_type: String,
    /// The group it is shown in.
    group: Option<String>,
    /// The values an enumeration may take.
    options: Vec<FieldOptionEntry>,
    /// Whether its value is read-only.
    read_only: bool,
    /// Whether the provider hides it.
    hidden: bool,
    /// Whether the provider computes it.
    calculated: bool,
}

/// One value of an enumeration field.
#[derive(ToSchema)]
#[allow(dead_code, reason = "documents the serialized shape")]
pub struct FieldOptionEntry {
    /// What is stored.
    value: String,
    /// What people see.
    label: String,
}

/// Which object type's fields.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FieldsParams {
    /// An object type id from `object-types` (custom ones included); required.
    #[param(
        required = true,
        pattern = "^[A-Za-z0-9_-]{1,64}$",
        min_length = 1,
        max_length = 64,
        example = "contacts"
    )]
    object_type: Option<String>,
}

/// The provider cannot discover: its own problem code, not `changes_unsupported`.
fn unsupported(error: integration_core::Error) -> ApiError {
    match error {
        integration_core::Error::Unsupported(why) => ApiError::DiscoveryUnsupported(why),
        other => other.into(),
    }
}

/// Every kind of record the user's account holds (HubSpot: the standard CRM objects and the
/// portal's custom objects), with the scopes each needs and whether this grant has them.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/object-types", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)")),
    responses(
        (status = 200, body = ObjectTypes),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "discovery_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited; see Retry-After"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
    )
)]
pub(super) async fn object_types(
    path: web::Path<String>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<ObjectTypes>, ApiError> {
    let entry = provider(&state, &path)?;
    let object_types = entry
        .connector
        .object_types(&user.0)
        .await
        .map_err(unsupported)?;
    Ok(web::Json(ObjectTypes { object_types }))
}

/// Every field of an object type in the user's account (HubSpot: its properties, custom ones
/// included).
#[utoipa::path(
    get, path = "/api/integrations/{provider}/fields", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"), FieldsParams),
    responses(
        (status = 200, body = Fields),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: a missing, malformed or unknown object_type; discovery_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "insufficient_scope"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited; see Retry-After"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
    )
)]
pub(super) async fn fields(
    path: web::Path<String>,
    params: web::Query<FieldsParams>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Fields>, ApiError> {
    let entry = provider(&state, &path)?;
    let Some(object_type) = super::object_type(params.into_inner().object_type)? else {
        return Err(ApiError::InvalidRequest(
            "object_type is required: 1 to 64 letters, digits, '_' or '-'".into(),
        ));
    };
    let fields = entry
        .connector
        .fields(&user.0, &object_type)
        .await
        .map_err(unsupported)?;
    Ok(web::Json(Fields { fields }))
}
