//! `GET /api/integrations/{provider}/items`: one page of the user's records.

use actix_web::web;
use integration_core::{Cursor, IntegrationItem, ItemQuery, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use super::provider;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Largest page a client may ask for.
const MAX_LIMIT: u32 = 100;

/// Query of an items request. An empty value is refused like any other malformed one.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemsParams {
    /// `next_cursor` of the previous page (an export's `cursor` line for exports), passed back
    /// as it was: opaque, 1–8192 printable ASCII characters. One this service did not issue is
    /// 400 `invalid_request`.
    #[param(pattern = "^[!-~]{1,8192}$", min_length = 1, max_length = 8192)]
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 100).
    #[param(minimum = 1, maximum = 100, value_type = Option<u32>)]
    limit: Option<String>,
    /// Which records: the id of one of the provider's object types (`object_types` in
    /// `GET /api/integrations`; HubSpot: `contacts`, `companies`, `deals`). Default: the
    /// provider's first. One the provider does not offer is 400 `invalid_request`.
    #[param(
        pattern = "^[A-Za-z0-9_-]{1,64}$",
        min_length = 1,
        max_length = 64,
        example = "contacts"
    )]
    object_type: Option<String>,
}

impl ItemsParams {
    /// The query these parameters describe, or why they describe none.
    pub(super) fn parse(self) -> Result<ItemQuery, ApiError> {
        let mut query = ItemQuery::new();
        if let Some(raw) = self.cursor {
            query = query.after(Some(Cursor::parse(raw).map_err(|_| {
                ApiError::InvalidRequest(
                    "cursor is malformed: pass back a next_cursor this service returned".into(),
                )
            })?));
        }
        if let Some(raw) = self.limit {
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
        if let Some(kind) = super::object_type(self.object_type)? {
            query = query.object_type(kind);
        }
        Ok(query)
    }
}

/// `?search=`: only records matching a text, by the provider's own search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParam {
    /// Only records matching this text, by the provider's full-text search (HubSpot: names,
    /// e-mail, phone, company domain…), 1–200 characters. The `next_cursor` pages through this
    /// search only. Providers that cannot search answer 400 `search_unsupported` (search the
    /// synced records instead).
    #[param(min_length = 1, max_length = 200, example = "ada")]
    search: Option<String>,
}

/// `?properties=`: which fields each item carries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PropertiesParam {
    /// The fields each item carries: comma-separated names from `GET …/fields` (custom ones
    /// included), or `*` for every field of the kind. Names the account does not have are a 400
    /// `invalid_request` naming them. Default: the provider's small default set. HubSpot: any
    /// number of properties (hundreds go in a batch read's body: two calls per page, never a
    /// URL too long).
    #[param(
        pattern = r"^(\*|[A-Za-z0-9_-]{1,100}(,[A-Za-z0-9_-]{1,100})*)$",
        min_length = 1,
        max_length = 20000,
        example = "firstname,lastname,email"
    )]
    pub(super) properties: Option<String>,
}

impl PropertiesParam {
    /// Sets `query`'s properties when any were asked for, checked against the account's fields.
    pub(super) async fn apply(
        self,
        connector: &integration_core::Connector,
        user: &integration_core::UserId,
        query: &mut ItemQuery,
    ) -> Result<(), ApiError> {
        let Some(raw) = self.properties else {
            return Ok(());
        };
        let names: Vec<String> = raw.split(',').map(|n| n.trim().to_owned()).collect();
        let valid = |n: &String| {
            (1..=100).contains(&n.len())
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !(raw == "*" || (names.len() <= 2_000 && names.iter().all(valid))) {
            return Err(ApiError::InvalidRequest(
                "properties is '*' or a comma-separated list of field names (1-100 letters, \
                 digits, '_' or '-' each, at most 2,000)"
                    .into(),
            ));
        }
        let selected = (connector.select_properties(user, query.object_type.as_deref(), &names))
            .await
            .map_err(|error| match error {
                integration_core::Error::Unsupported(why) => ApiError::DiscoveryUnsupported(why),
                other => other.into(),
            })?;
        query.properties = Some(selected);
        Ok(())
    }
}

/// `?associations=`: which related records each item lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AssociationsParam {
    /// Object types whose related records each item lists, comma-separated (at most 10; ids
    /// from `GET …/object-types`): each item then carries `"associations": {"companies":
    /// [{"id", "labels"}], …}`, with an entry for every kind asked for (empty when none) and
    /// every related record (HubSpot: associations v4 with their labels, each record's list
    /// followed to its end; one call per kind per page, more only for records with more than
    /// one answer holds). The grant must read each kind (403 `insufficient_scope`). Providers
    /// that cannot say: 400 `associations_unsupported`.
    #[param(
        pattern = r"^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,9}$",
        min_length = 1,
        max_length = 650,
        example = "companies,deals"
    )]
    pub(super) associations: Option<String>,
}

impl AssociationsParam {
    /// Sets `query`'s associations when any were asked for (whether the provider reads those
    /// kinds, and the grant allows them, is the connector's to say).
    pub(super) fn apply(
        self,
        connector: &integration_core::Connector,
        query: &mut ItemQuery,
    ) -> Result<(), ApiError> {
        let Some(raw) = self.associations else {
            return Ok(());
        };
        let kinds: Vec<String> = raw.split(',').map(|k| k.trim().to_owned()).collect();
        let max = ItemQuery::MAX_ASSOCIATIONS;
        if kinds.len() > max || !kinds.iter().all(|k| super::is_kind_id(k)) {
            return Err(ApiError::InvalidRequest(format!(
                "associations is a comma-separated list of at most {max} object types (1-64 \
                 letters, digits, '_' or '-' each)"
            )));
        }
        if !connector.integration().associates() {
            return Err(ApiError::AssociationsUnsupported(format!(
                "{} cannot say how its records relate",
                connector.integration().display_name()
            )));
        }
        let mut unique: Vec<String> = Vec::with_capacity(kinds.len());
        for kind in kinds {
            if !unique.contains(&kind) {
                unique.push(kind);
            }
        }
        query.associations = unique;
        Ok(())
    }
}

/// One page of the user's items.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/items", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"), ItemsParams, SearchParam, PropertiesParam, AssociationsParam),
    responses(
        (status = 200, body = Page),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: bad limit, cursor, object_type, search, properties or associations; search_unsupported: the provider cannot search; discovery_unsupported: properties asked of a provider that cannot list its fields; associations_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "insufficient_scope: the grant lacks the object type's scope; reconnect"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited; see Retry-After"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
    )
)]
pub(super) async fn items(
    path: web::Path<String>,
    params: web::Query<ItemsParams>,
    search: web::Query<SearchParam>,
    properties: web::Query<PropertiesParam>,
    associations: web::Query<AssociationsParam>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Page>, ApiError> {
    let entry = provider(&state, &path)?;
    let mut query = params.into_inner().parse()?;
    query.search = search.into_inner().search;
    (associations.into_inner()).apply(&entry.connector, &mut query)?;
    let unsupported_search = |error: integration_core::Error| match error {
        integration_core::Error::Unsupported(why) => ApiError::SearchUnsupported(why),
        other => other.into(),
    };
    // Client mistakes end here, before any store or provider call.
    entry
        .connector
        .check_query(&user.0, &query)
        .map_err(unsupported_search)?;
    properties
        .into_inner()
        .apply(&entry.connector, &user.0, &mut query)
        .await?;
    Ok(web::Json(entry.connector.items(&user.0, &query).await?))
}

/// How many records an object type has.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Count {
    /// The number of records, or `null` when the provider cannot say.
    #[schema(example = 12345)]
    total: Option<u64>,
}

/// Query of a count request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CountParams {
    /// Which records, as for items: one of the provider's object type ids.
    #[param(
        pattern = "^[A-Za-z0-9_-]{1,64}$",
        min_length = 1,
        max_length = 64,
        example = "contacts"
    )]
    object_type: Option<String>,
}

/// How many records of an object type the user has at the provider ("100 of 12,345").
#[utoipa::path(
    get, path = "/api/integrations/{provider}/count", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"), CountParams),
    responses(
        (status = 200, body = Count),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: bad object_type"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "insufficient_scope"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited; see Retry-After"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
    )
)]
pub(super) async fn count(
    path: web::Path<String>,
    params: web::Query<CountParams>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Count>, ApiError> {
    let entry = provider(&state, &path)?;
    let mut query = ItemQuery::new();
    query.object_type = super::object_type(params.into_inner().object_type)?;
    entry.connector.check_query(&user.0, &query)?;
    let total = entry.connector.count(&user.0, &query).await?;
    Ok(web::Json(Count { total }))
}

/// One record of the user's, by its id, as it is now: every field with `properties=*` (a record
/// drawer), its relations with `associations=`.
#[utoipa::path(
    get, path = "/api/integrations/{provider}/items/{id}", tag = "integrations",
    params(
        ("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"),
        ("id" = String, Path, pattern = "^[!-~]{1,256}$", example = "1001", description = "The record's id, as an item's `id` gave it"),
        CountParams, PropertiesParam, AssociationsParam,
    ),
    responses(
        (status = 200, body = IntegrationItem),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: bad id, object_type, properties or associations; lookup_unsupported: the provider cannot read one record by id; discovery_unsupported, associations_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "insufficient_scope"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected, record_not_found: no live record of that kind has this id"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited; see Retry-After"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
    )
)]
pub(super) async fn item(
    path: web::Path<(String, String)>,
    params: web::Query<CountParams>,
    properties: web::Query<PropertiesParam>,
    associations: web::Query<AssociationsParam>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<IntegrationItem>, ApiError> {
    let (provider_id, id) = path.into_inner();
    let entry = provider(&state, &provider_id)?;
    let mut query = ItemQuery::new();
    query.object_type = super::object_type(params.into_inner().object_type)?;
    (associations.into_inner()).apply(&entry.connector, &mut query)?;
    entry.connector.check_query(&user.0, &query)?;
    properties
        .into_inner()
        .apply(&entry.connector, &user.0, &mut query)
        .await?;
    let found =
        (entry.connector.item(&user.0, &query, &id).await).map_err(|error| match error {
            integration_core::Error::Unsupported(why) => ApiError::LookupUnsupported(why),
            other => other.into(),
        })?;
    found.map(web::Json).ok_or(ApiError::RecordNotFound)
}
