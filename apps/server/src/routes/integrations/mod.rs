//! `/api/integrations/...`: the provider is a path segment, looked up in the registry. Each
//! concern has its module; every handler parses, calls one library function, and maps the result.

mod changes;
mod connection;
mod export;
mod items;
mod list;
mod oauth;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Route, web};

use crate::error::ApiError;
use crate::state::{AppState, ProviderEntry};

pub(crate) use changes::__path_changes;
pub(crate) use connection::{__path_disconnect, __path_status};
pub(crate) use export::__path_export;
pub(crate) use items::{__path_count, __path_items};
pub(crate) use list::{__path_config, __path_list};
pub(crate) use oauth::{__path_authorize, __path_callback};

/// A resource answering `method` with `handler`, and 405 problem+json (with `Allow`) to anything
/// else.
fn resource(path: &str, allow: &'static str, route: Route) -> actix_web::Resource {
    web::resource(path)
        .route(route)
        .default_service(web::to(move || async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow))
        }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/config", "GET", web::get().to(list::config)))
        .service(resource("/integrations", "GET", web::get().to(list::list)))
        .service(resource(
            "/integrations/{provider}/authorize",
            "GET",
            web::get().to(oauth::authorize),
        ))
        .service(resource(
            "/integrations/{provider}/callback",
            "GET",
            web::get().to(oauth::callback),
        ))
        .service(resource(
            "/integrations/{provider}/items",
            "GET",
            web::get().to(items::items),
        ))
        .service(resource(
            "/integrations/{provider}/export",
            "GET",
            web::get().to(export::export),
        ))
        .service(resource(
            "/integrations/{provider}/changes",
            "GET",
            web::get().to(changes::changes),
        ))
        .service(resource(
            "/integrations/{provider}/count",
            "GET",
            web::get().to(items::count),
        ))
        .service(resource(
            "/integrations/{provider}/status",
            "GET",
            web::get().to(connection::status),
        ))
        .service(resource(
            "/integrations/{provider}/connection",
            "DELETE",
            web::delete().to(connection::disconnect),
        ));
}

/// `events` with its first event already awaited: a failure before anything was produced (not
/// connected, reconnect, a refused query) is the answer's status as a problem, not a stream that
/// fails on its first line.
async fn started<T>(
    events: impl futures_util::Stream<Item = Result<T, integration_core::Error>> + 'static,
) -> Result<impl futures_util::Stream<Item = Result<T, integration_core::Error>>, ApiError> {
    use futures_util::StreamExt as _;
    let mut events = Box::pin(events);
    let first = match events.next().await {
        Some(Err(error)) => return Err(error.into()),
        first => first,
    };
    Ok(futures_util::stream::iter(first).chain(events))
}

/// An NDJSON answer from `lines`, each ending in `\n`. Lines already produced (a page's worth)
/// go out as one write, so a page costs one syscall rather than one per record.
fn ndjson(
    lines: impl futures_util::Stream<Item = actix_web::web::Bytes> + 'static,
) -> HttpResponse {
    use futures_util::StreamExt as _;
    let writes = lines.ready_chunks(256).map(|chunk| {
        let joined: Vec<u8> = chunk.concat();
        Ok::<_, actix_web::Error>(actix_web::web::Bytes::from(joined))
    });
    HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(writes)
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

/// An `object_type` parameter: an object type id, 1–64 of `[A-Za-z0-9_]` (whether the provider
/// offers it is the connector's to say).
fn object_type(raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw {
        Some(kind)
            if kind.is_empty()
                || kind.len() > 64
                || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Err(ApiError::InvalidRequest(
                "object_type is malformed: 1 to 64 letters, digits or '_'".into(),
            ))
        }
        kind => Ok(kind),
    }
}

/// An opaque token this service issued (a cursor or a checkpoint), checked for the shape every
/// token has: 1–8192 printable ASCII characters, as `integration_core::Cursor` takes them.
fn opaque_token<'a>(name: &str, raw: &'a str) -> Result<&'a str, ApiError> {
    integration_core::Cursor::parse(raw)
        .map(|_| raw)
        .map_err(|_| {
            ApiError::InvalidRequest(format!(
                "{name} is malformed: pass back the token this service returned"
            ))
        })
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}
