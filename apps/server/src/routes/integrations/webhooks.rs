//! `POST /api/webhooks/{provider}`: where a provider delivers its webhooks.
//!
//! No caller identity: the provider's signature is the identity, checked by the provider's
//! crate before the body is read as anything but bytes. The body is read whole (signatures
//! cover the exact bytes) up to a cap, so a flood of large bodies costs memory only up to it.
//! The answer is 2xx only once the events are stored: a provider retries anything else.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use integration_core::{WebhookReceipt, WebhookRequest};

use super::provider;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The largest body taken (HubSpot sends at most 100 events a request, far below this).
pub(crate) const MAX_BODY: usize = 1 << 20;

/// Receives a provider's webhook request.
#[utoipa::path(
    post, path = "/api/webhooks/{provider}", tag = "webhooks",
    params(("provider" = String, Path, pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "hubspot", description = "The provider sending the webhook")),
    request_body(content = String, content_type = "application/json", description = "The provider's webhook payload (HubSpot: a JSON array of up to 100 events), signed (HubSpot: `X-HubSpot-Signature-v3`, `X-HubSpot-Request-Timestamp`)"),
    responses(
        (status = 200, body = WebhookReceipt, description = "Every event is stored (or was already: a retry)"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_webhook: signed, but not the provider's format; events_unsupported"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "invalid_signature: missing, forged, stale or replayed; nothing stored"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown_provider"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "payload_too_large: over 1 MiB"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "store_unavailable: nothing stored; the provider retries"),
    ),
    security(())
)]
pub(super) async fn receive(
    req: HttpRequest,
    path: web::Path<String>,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let entry = provider(&state, &path)?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::InvalidRequest(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::PayloadTooLarge(MAX_BODY));
        }
        body.extend_from_slice(&chunk);
    }
    // The URL the provider called, as configured there: the public URL's origin (the same
    // behind a proxy) with the path and query as received.
    let uri = format!(
        "{}{}",
        state.public_url.origin().ascii_serialization(),
        req.uri()
            .path_and_query()
            .map_or(req.path(), |pq| pq.as_str())
    );
    let headers: Vec<(&str, &str)> = req
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let method = if req.method() == Method::POST {
        "POST"
    } else {
        req.method().as_str()
    };
    let request = WebhookRequest {
        method,
        uri: &uri,
        headers: &headers,
        body: &body,
        received_at: chrono::Utc::now(),
    };
    let receipt = entry.connector.receive_webhook(&request).await?;
    tracing::info!(
        received = receipt.received,
        stored = receipt.stored,
        duplicates = receipt.duplicates,
        unrouted = receipt.unrouted,
        "webhook received"
    );
    Ok(HttpResponse::Ok().json(receipt))
}
