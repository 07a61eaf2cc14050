//! `GET /api/integrations/{provider}/export`: every record as NDJSON, for loading a user's data
//! into a pipeline in one request.
//!
//! Lines, in order: `{"type":"start","total":…}` (`total` counted with `?total=true`, else or
//! when the provider cannot say null);
//! one `IntegrationItem` per line; after each page but the last a control line
//! `{"type":"cursor","cursor":…,"count":…}` (restart with `?cursor=…` to continue from there);
//! finally `{"type":"end","count":…,"checkpoint":…}`. A stream without the `end` line was cut
//! short. An upstream failure mid-stream ends it with `{"type":"error","code":…,"detail":…}`.
//! The body is produced as the client reads it (backpressure down to the provider's paging), so
//! memory stays one page whatever the number of records.

use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt as _;
use integration_core::{Checkpoint, ExportEvent};
use serde_json::json;

use super::items::{AssociationsParam, ItemsParams, PropertiesParam};
use super::provider;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// `?total=true`: start with the record count (for progress bars).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TotalParam {
    /// Count the records first (one more provider call) and put the count in the `start`
    /// line; otherwise its `total` is null.
    total: Option<bool>,
}

/// How long an export waits for its total before starting without one.
const COUNT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Every record of the user's at the provider, streamed as NDJSON (see the module docs).
#[utoipa::path(
    get, path = "/api/integrations/{provider}/export", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"), ItemsParams, TotalParam, PropertiesParam, AssociationsParam),
    responses(
        (status = 200, content_type = "application/x-ndjson", body = String, description = "One IntegrationItem per line, `{\"type\":\"cursor\"…}` after each page, `{\"type\":\"end\",\"count\",\"checkpoint\"}` last; first `{\"type\":\"start\",\"total\"}`"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: bad cursor, object_type, properties or associations; discovery_unsupported: properties asked of a provider that cannot list its fields; associations_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "insufficient_scope"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
    )
)]
pub(super) async fn export(
    path: web::Path<String>,
    params: web::Query<ItemsParams>,
    total: web::Query<TotalParam>,
    properties: web::Query<PropertiesParam>,
    associations: web::Query<AssociationsParam>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let mut query = params.into_inner().parse()?;
    (associations.into_inner()).apply(&entry.connector, &mut query)?;
    entry.connector.check_export(&user.0, &query)?;
    properties
        .into_inner()
        .apply(&entry.connector, &user.0, &mut query)
        .await?;
    // A progress bar's denominator, when asked for: it costs a provider call (a search at
    // HubSpot), and an export neither fails nor waits long for want of one.
    let total = match total.total {
        Some(true) => {
            let count = entry.connector.count(&user.0, &query);
            match tokio::time::timeout(COUNT_WAIT, count).await {
                Ok(Ok(total)) => total,
                Ok(Err(error)) => {
                    tracing::info!(error = %crate::telemetry::log_text(&error.to_string()), "export starts without a total");
                    None
                }
                Err(_) => None,
            }
        }
        _ => None,
    };
    let start = json!({"type": "start", "total": total}).to_string() + "\n";
    let object_type = query.object_type.clone();
    let connector = Arc::clone(&entry.connector);
    let events = super::started(entry.connector.export(user.0.clone(), query)).await?;
    let lines = events.map(move |event| {
        let checkpoint = |c: &Checkpoint| connector.checkpoint_token(&user.0, c);
        line(event, object_type.as_deref(), checkpoint)
    });
    let lines = futures_util::stream::once(async move { Bytes::from(start) }).chain(lines);
    Ok(super::ndjson(lines))
}

fn line(
    event: Result<ExportEvent, integration_core::Error>,
    object_type: Option<&str>,
    seal: impl Fn(&Checkpoint) -> String,
) -> Bytes {
    let value = match event {
        Ok(ExportEvent::Item(item)) => {
            // Straight to bytes: no intermediate `Value` on the hot path.
            let mut bytes = serde_json::to_vec(&item).unwrap_or_default();
            bytes.push(b'\n');
            return Bytes::from(bytes);
        }
        Ok(ExportEvent::Resume { cursor, count }) => {
            json!({"type": "cursor", "cursor": cursor, "count": count})
        }
        Ok(ExportEvent::End { count, started_at }) => {
            // Opaque to callers; the changes feed reads it back.
            let checkpoint = Checkpoint {
                since: started_at,
                object_type: object_type.map(str::to_owned),
            };
            json!({"type": "end", "count": count, "checkpoint": seal(&checkpoint)})
        }
        Err(error) => {
            let api = ApiError::from(error);
            tracing::warn!(code = api.code(), detail = %crate::telemetry::log_text(&api.to_string()), "export ended early");
            json!({"type": "error", "code": api.code(), "detail": api.to_string()})
        }
    };
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
