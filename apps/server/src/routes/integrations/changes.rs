//! `GET /api/integrations/{provider}/changes`: incremental sync as NDJSON.
//!
//! Lines, in order: `{"type":"upsert","item":…}` for each record created or modified in the
//! window and `{"type":"delete","id":…,"archived_at":…}` for each archived; after each page but
//! the last `{"type":"cursor","cursor":…,"count":…}` (restart with `?cursor=…`: the same window
//! continues); finally `{"type":"end","upserts":…,"deletes":…,"checkpoint":…}`, the `since` of
//! the next run. No `end` line means the stream was cut short. The window and every cursor are
//! inside the opaque tokens, so any replica can continue any run.

use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt as _;
use integration_core::{
    Change, ChangeEvent, ChangesFrom, ChangesResume, Checkpoint, ItemQuery, Selection,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};

use super::items::{AssociationsParam, PropertiesParam};
use super::provider;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The query of a changes request (documented by [`RunStart`] and the `object_type` parameter).
#[derive(Debug, Deserialize)]
pub(crate) struct ChangesParams {
    since: Option<String>,
    cursor: Option<String>,
    object_type: Option<String>,
    properties: Option<String>,
    associations: Option<String>,
}

/// Where a run starts, for the document: `since`, `cursor`, or both (`cursor` wins). Query
/// parameters cannot say "at least one of" by themselves, so they are the properties of one
/// form-exploded object parameter (`?since=…` or `?cursor=…` on the wire).
pub(crate) struct RunStart;

impl utoipa::PartialSchema for RunStart {
    fn schema() -> RefOr<Schema> {
        let token = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[!-~]{1,8192}$"))
                .min_length(Some(1))
                .max_length(Some(8192))
                .description(Some(description))
        };
        let branch = |required: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "since",
                    token(
                        "The `checkpoint` of an export's or a previous run's `end` line: a new \
                         window from there. Opaque, 1–8192 printable ASCII characters.",
                    ),
                )
                .property(
                    "cursor",
                    token(
                        "A `cursor` line's token, to finish the window of a run that was cut \
                         short (wins over `since`). Opaque, 1–8192 printable ASCII characters.",
                    ),
                )
                .required(required)
        };
        AnyOfBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Where the run starts: `since`, `cursor`, or both (`cursor` wins). A token this \
                 service did not issue is 400 `invalid_request`.",
            ))
            .item(branch("since"))
            .item(branch("cursor"))
            .into()
    }
}

impl utoipa::ToSchema for RunStart {}

/// What changed since a checkpoint, streamed as NDJSON (see the module docs).
#[utoipa::path(
    get, path = "/api/integrations/{provider}/changes", tag = "integrations",
    params(
        ("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"),
        ("start" = inline(RunStart), Query, style = Form, explode, description = "`since` and/or `cursor`, as query parameters"),
        ("object_type" = Option<String>, Query, pattern = "^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64, example = "contacts", description = "Optional: the checkpoint's object type (a provider's object type id); another one is 400 `invalid_request`"),
        PropertiesParam,
        AssociationsParam,
    ),
    responses(
        (status = 200, content_type = "application/x-ndjson", body = String, description = "`upsert` and `delete` lines, a `cursor` line after each page, `{\"type\":\"end\",\"upserts\",\"deletes\",\"checkpoint\"}` last"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: missing or forged checkpoint/cursor, object_type mismatch, bad properties or associations; changes_unsupported: the provider has no incremental sync; discovery_unsupported, associations_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "insufficient_scope"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited"),
        (status = 502, body = Problem, content_type = "application/problem+json", description = "upstream_error"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
        (status = 504, body = Problem, content_type = "application/problem+json", description = "upstream_timeout"),
    )
)]
pub(super) async fn changes(
    path: web::Path<String>,
    params: web::Query<ChangesParams>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let params = params.into_inner();
    let wanted = super::object_type(params.object_type)?;
    // Both are checked when both are sent, so a malformed one is never silently ignored.
    let since = params
        .since
        .as_deref()
        .map(|raw| super::opaque_token("since", raw))
        .transpose()?;
    let cursor = params
        .cursor
        .as_deref()
        .map(|raw| super::opaque_token("cursor", raw))
        .transpose()?;
    let from = match (cursor, since) {
        (Some(cursor), _) => ChangesFrom::Resume(ChangesResume::decode(cursor)?),
        (None, Some(since)) => {
            ChangesFrom::Checkpoint(entry.connector.read_checkpoint(&user.0, since)?)
        }
        (None, None) => {
            return Err(ApiError::InvalidRequest(
                "`since` (the checkpoint of an export's or a previous run's end line) or \
                 `cursor` (a cursor line's token) is required"
                    .into(),
            ));
        }
    };
    let object_type = match &from {
        ChangesFrom::Checkpoint(c) => c.object_type.as_deref(),
        ChangesFrom::Resume(r) => r.object_type.as_deref(),
    };
    if wanted.is_some() && wanted.as_deref() != object_type {
        return Err(ApiError::InvalidRequest(
            "object_type differs from the checkpoint's; start from that object type's export"
                .into(),
        ));
    }
    // Upserts carry what an export's items would: checked the same way, against the
    // checkpoint's object type, before the run starts.
    let mut query = ItemQuery::new();
    query.object_type = object_type.map(str::to_owned);
    let associations = AssociationsParam {
        associations: params.associations,
    };
    associations.apply(&entry.connector, &mut query)?;
    entry.connector.check_query(&user.0, &query)?;
    let properties = PropertiesParam {
        properties: params.properties,
    };
    (properties.apply(&entry.connector, &user.0, &mut query)).await?;
    let selection = Selection {
        properties: query.properties,
        associations: query.associations,
    };
    let connector = Arc::clone(&entry.connector);
    let changes = entry
        .connector
        .changes_selecting(user.0.clone(), from, selection);
    let events = super::started(changes).await?;
    Ok(super::ndjson(events.map(move |event| {
        line(event, |c| connector.checkpoint_token(&user.0, c))
    })))
}

fn line(
    event: Result<ChangeEvent, integration_core::Error>,
    seal: impl Fn(&Checkpoint) -> String,
) -> Bytes {
    let value = match event {
        Ok(ChangeEvent::Change(Change::Upsert(item))) => json!({"type": "upsert", "item": item}),
        Ok(ChangeEvent::Change(Change::Delete { id, archived_at })) => {
            json!({"type": "delete", "id": id, "archived_at": archived_at})
        }
        Ok(ChangeEvent::Resume { resume, count }) => {
            json!({"type": "cursor", "cursor": resume.encode(), "count": count})
        }
        Ok(ChangeEvent::End {
            upserts,
            deletes,
            checkpoint,
        }) => json!({
            "type": "end",
            "upserts": upserts,
            "deletes": deletes,
            "checkpoint": seal(&checkpoint),
        }),
        Err(error) => {
            let api = ApiError::from(error);
            tracing::warn!(code = api.code(), detail = %crate::telemetry::log_text(&api.to_string()), "changes ended early");
            json!({"type": "error", "code": api.code(), "detail": api.to_string()})
        }
    };
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
