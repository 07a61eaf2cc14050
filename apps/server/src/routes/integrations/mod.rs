//! `/api/integrations/...`: the provider is a path segment, looked up in the registry. Each
//! concern has its module; every handler parses, calls one library function, and maps the result.

mod changes;
mod connection;
mod discovery;
mod events;
mod export;
mod items;
mod list;
mod oauth;
mod webhooks;

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::state::{AppState, ProviderEntry};

/// Names every integrations route once. Each is registered at the path and method its
/// `#[utoipa::path]` annotation documents, and [`Documented`] (merged into the API description by
/// `routes::openapi`) lists exactly these: a route cannot be served undocumented, documented at
/// another path, or documented and not served.
macro_rules! routes {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        /// The integrations routes' part of the API description.
        #[derive(Debug, utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),+))]
        pub(crate) struct Documented;

        /// Registers every route under the `/api` scope.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            let doc = <Documented as utoipa::OpenApi>::openapi();
            $(cfg.service(resource(&doc, stringify!($handler), $module::$handler));)+
        }
    };
}

routes![
    list::config,
    list::list,
    oauth::authorize,
    oauth::callback,
    items::items,
    items::item,
    export::export,
    changes::changes,
    events::events,
    items::count,
    discovery::object_types,
    discovery::fields,
    connection::status,
    connection::disconnect,
    webhooks::receive,
];

/// The resource serving `handler` where the operation `operation_id` is documented, answering
/// 405 problem+json (with `Allow`) to any other method.
fn resource<F, Args>(
    doc: &utoipa::openapi::OpenApi,
    operation_id: &str,
    handler: F,
) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let (path, allow, method) = documented(doc, operation_id);
    // `routes::api` mounts these under the `/api` scope.
    let path = path.strip_prefix("/api").unwrap_or(&path);
    web::resource(path)
        .route(web::method(method).to(handler))
        .default_service(web::to(move || async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow))
        }))
}

/// Where and how the operation `operation_id` is documented. Every handler named in `routes!`
/// has an annotation (the derive does not compile otherwise), so only a renamed `operation_id`
/// could miss, and the first request of any test would show it.
fn documented(
    doc: &utoipa::openapi::OpenApi,
    operation_id: &str,
) -> (String, &'static str, Method) {
    for (path, item) in &doc.paths.paths {
        let operations = [
            (&item.get, "GET", Method::GET),
            (&item.post, "POST", Method::POST),
            (&item.put, "PUT", Method::PUT),
            (&item.patch, "PATCH", Method::PATCH),
            (&item.delete, "DELETE", Method::DELETE),
        ];
        for (operation, allow, method) in operations {
            if operation.as_ref().and_then(|o| o.operation_id.as_deref()) == Some(operation_id) {
                return (path.clone(), allow, method);
            }
        }
    }
    panic!("`{operation_id}` is named in routes! but documents no operation of that id")
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
/// go out as one write, so a page costs one syscall rather than one per record. Never
/// compressed: a compressor holds output back until it has a block's worth, so a browser would
/// see a sync's lines only at its end (`Content-Encoding: identity` tells the `Compress`
/// middleware to leave it alone).
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
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
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

/// An `object_type` parameter: an object type id, 1–64 of `[A-Za-z0-9_-]` (`contacts`, a
/// custom object's `2-3508482`; whether the provider offers it is the connector's to say).
fn object_type(raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw {
        Some(kind) if !is_kind_id(&kind) => Err(ApiError::InvalidRequest(
            "object_type is malformed: 1 to 64 letters, digits, '_' or '-'".into(),
        )),
        kind => Ok(kind),
    }
}

/// Whether `raw` has the shape of an object type id: 1–64 of `[A-Za-z0-9_-]`.
fn is_kind_id(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
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
