//! `GET /api/integrations/{provider}/events`: the changes a provider pushed (webhooks) to the
//! user's connected account, as NDJSON or Server-Sent Events.
//!
//! NDJSON is a poll: the events after `since`, oldest first, then `{"type":"end","offset"}`;
//! with `wait`, an empty answer waits that long for the first event (a long poll, so a client
//! hears of a change within a poll interval without hammering). SSE is a follow: the stream stays
//! open, each event an SSE event whose `id` is its offset, so a browser's `EventSource` resumes
//! by itself with `Last-Event-ID`; a comment every quiet interval keeps proxies from closing it,
//! and it ends after a few minutes so a client reconnects (to whichever replica) rather than
//! holding one forever.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use integration_core::{EventLine, Wait};
use serde::Deserialize;
use serde_json::json;

use super::provider;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The longest long poll.
const MAX_WAIT_SECS: u64 = 60;
/// A follow's keep-alive interval.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long one SSE answer lasts before the client is asked to reconnect.
const FOLLOW_FOR: Duration = Duration::from_secs(5 * 60);

/// The query of an events request.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsParams {
    /// The `offset` of an earlier line: the events after it. Opaque, 1–8192 printable ASCII
    /// characters, sealed to the user and the account; omitted: only events from now on.
    #[param(pattern = "^[!-~]{1,8192}$", min_length = 1, max_length = 8192)]
    since: Option<String>,
    /// With nothing new, wait up to this many seconds (0–60, default 0) for the first event.
    #[param(minimum = 0, maximum = 60)]
    wait: Option<u64>,
}

/// The user's account's events (see the module docs).
#[utoipa::path(
    get, path = "/api/integrations/{provider}/events", tag = "integrations",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "A registered provider id (`GET /api/integrations` lists them)"), EventsParams),
    responses(
        (status = 200, content_type = "application/x-ndjson", body = String, description = "`{\"type\":\"upsert\"|\"delete\"|\"merge\"|\"association\",\"object_type\",\"id\",\"occurred_at\",\"offset\"}` lines, oldest first, then `{\"type\":\"end\",\"offset\"}`; a first `{\"type\":\"gap\",\"offset\"}` line when older events were dropped. With `Accept: text/event-stream`, the same as Server-Sent Events"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_request: malformed or foreign offset, wait out of range; events_unsupported: the provider sends no events"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "unauthenticated, reauth_required"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider, not_connected"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable, auth_unavailable"),
    )
)]
pub(super) async fn events(
    req: HttpRequest,
    path: web::Path<String>,
    params: web::Query<EventsParams>,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let params = params.into_inner();
    let sse = accepts_event_stream(&req);
    // `EventSource` reconnects with the last id it saw; an explicit `since` wins.
    let last_event_id = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .filter(|v| sse && !v.is_empty())
        .map(str::to_owned);
    let since = params.since.or(last_event_id);
    let since = since
        .as_deref()
        .map(|raw| super::opaque_token("since", raw))
        .transpose()?;
    let wait = match params.wait.unwrap_or(0) {
        secs if secs > MAX_WAIT_SECS => {
            return Err(ApiError::InvalidRequest(format!(
                "wait is at most {MAX_WAIT_SECS} seconds"
            )));
        }
        _ if sse => Wait::Follow(KEEP_ALIVE),
        0 => Wait::None,
        secs => Wait::UpTo(Duration::from_secs(secs)),
    };
    let feed = entry
        .connector
        .events(&user.0, since, wait)
        .await
        .map_err(|error| match error {
            integration_core::Error::Unsupported(why) => ApiError::EventsUnsupported(why),
            other => other.into(),
        })?;
    if !sse {
        return Ok(super::ndjson(feed.map(ndjson_line)));
    }
    let until = tokio::time::sleep(FOLLOW_FOR);
    let frames = futures_util::stream::once(async { Bytes::from_static(b"retry: 2000\n\n") })
        .chain(feed.map(sse_frame))
        .take_until(until);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(header::ContentEncoding::Identity)
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(frames.map(Ok::<_, actix_web::Error>)))
}

fn accepts_event_stream(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// A feed line as JSON: an event's own fields with its `offset`.
fn json_of(line: Result<EventLine, integration_core::Error>) -> serde_json::Value {
    match line {
        Ok(EventLine::Event { offset, event }) => {
            let mut value = serde_json::to_value(&event).unwrap_or_default();
            value["offset"] = offset.into();
            value
        }
        Ok(EventLine::Gap { offset }) => json!({"type": "gap", "offset": offset}),
        Ok(EventLine::Idle { offset }) => json!({"type": "idle", "offset": offset}),
        Ok(EventLine::End { offset }) => json!({"type": "end", "offset": offset}),
        Err(error) => {
            let api = ApiError::from(error);
            tracing::warn!(code = api.code(), detail = %crate::telemetry::log_text(&api.to_string()), "events ended early");
            json!({"type": "error", "code": api.code(), "detail": api.to_string()})
        }
    }
}

fn ndjson_line(line: Result<EventLine, integration_core::Error>) -> Bytes {
    let mut bytes = json_of(line).to_string().into_bytes();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// One SSE frame: `id` (the offset), `event` (the type), `data` (the NDJSON line's JSON); an
/// idle interval is a comment.
fn sse_frame(line: Result<EventLine, integration_core::Error>) -> Bytes {
    if let Ok(EventLine::Idle { .. }) = &line {
        return Bytes::from_static(b": idle\n\n");
    }
    let value = json_of(line);
    let kind = value["type"].as_str().unwrap_or("message").to_owned();
    let id = value["offset"]
        .as_str()
        .map(|offset| format!("id: {offset}\n"))
        .unwrap_or_default();
    Bytes::from(format!("{id}event: {kind}\ndata: {value}\n\n"))
}
