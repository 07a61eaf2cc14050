//! `/_admin/*`: control endpoints for browser tests and people poking at sandbox mode.
//!
//! These mirror the Rust methods on [`Sandbox`] one to one, so a test written against a running
//! server can do what an in-process test does.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::config::{Faults, Knobs, KnobsPatch};
use crate::respond;
use crate::store::Pick;
use crate::{Sandbox, crm};

pub(crate) fn knobs_json(knobs: &Knobs) -> Value {
    json!({
        "access_token_ttl_secs": knobs.access_token_ttl.as_secs(),
        "code_ttl_secs": knobs.code_ttl.as_secs(),
        "latency_ms": u64::try_from(knobs.latency.as_millis()).unwrap_or(u64::MAX),
        "send_retry_after": knobs.send_retry_after,
        "rate_limit_enabled": knobs.rate_limit.is_some(),
        "rate_limit_max": knobs.rate_limit.map(|r| r.max_requests),
        "rate_limit_window_ms": knobs.rate_limit.map(|r| u64::try_from(r.window.as_millis()).unwrap_or(u64::MAX)),
        "search_rate_limit_enabled": knobs.search_rate_limit.is_some(),
        "search_rate_limit_max": knobs.search_rate_limit.map(|r| r.max_requests),
        "search_rate_limit_window_ms": knobs.search_rate_limit.map(|r| u64::try_from(r.window.as_millis()).unwrap_or(u64::MAX)),
        "daily_limit": knobs.daily_limit,
        "over_limit": knobs.over_limit,
        "enforce_scopes": knobs.enforce_scopes,
        "unavailable_scopes": knobs.unavailable_scopes,
        "contract": knobs.contract,
        "webhook_retry_base_ms": u64::try_from(knobs.webhook_retry_base.as_millis()).unwrap_or(u64::MAX),
    })
}

pub(crate) async fn stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.stats())
}

pub(crate) async fn reset_stats(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.reset_stats();
    HttpResponse::NoContent().finish()
}

pub(crate) async fn get_faults(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.faults())
}

pub(crate) async fn set_faults(
    sandbox: web::Data<Sandbox>,
    faults: web::Json<Faults>,
) -> HttpResponse {
    sandbox.set_faults(faults.into_inner());
    HttpResponse::Ok().json(sandbox.faults())
}

pub(crate) async fn revoke_all(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.revoke_all_tokens();
    HttpResponse::NoContent().finish()
}

pub(crate) async fn expire_access_tokens(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.expire_access_tokens();
    HttpResponse::NoContent().finish()
}

pub(crate) async fn get_knobs(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(knobs_json(&sandbox.knobs()))
}

pub(crate) async fn patch_knobs(
    sandbox: web::Data<Sandbox>,
    patch: web::Json<KnobsPatch>,
) -> HttpResponse {
    sandbox.update(|knobs| patch.apply(knobs));
    HttpResponse::Ok().json(knobs_json(&sandbox.knobs()))
}

/// The body of `POST /_admin/crm/{type}/modify` and `…/archive`: `{"count": n}` or
/// `{"ids": ["101", 108]}` (strings or numbers).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MutateBody {
    count: Option<usize>,
    ids: Option<Vec<Value>>,
}

fn pick_of(body: &MutateBody) -> Result<Pick, HttpResponse> {
    let invalid = |message: &str| {
        respond::api_error(
            actix_web::http::StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            message,
        )
    };
    match (body.count, &body.ids) {
        (Some(count), None) => Ok(Pick::Count(count)),
        (None, Some(ids)) => ids
            .iter()
            .map(|v| match v {
                Value::String(s) => s.trim().parse::<u64>().ok(),
                other => other.as_u64(),
            })
            .collect::<Option<Vec<u64>>>()
            .map(Pick::Ids)
            .ok_or_else(|| invalid("'ids' must be numeric record ids.")),
        _ => Err(invalid("Send exactly one of 'count' and 'ids'.")),
    }
}

#[derive(Clone, Copy)]
enum Change {
    Modify,
    Archive,
    Delete,
}

async fn mutate(
    sandbox: web::Data<Sandbox>,
    object_type: web::Path<String>,
    body: web::Json<MutateBody>,
    change: Change,
) -> HttpResponse {
    let Some(object) = sandbox.shared.properties.object(object_type.as_str()) else {
        return crm::unknown_object(object_type.as_str());
    };
    let pick = match pick_of(&body) {
        Ok(pick) => pick,
        Err(response) => return response,
    };
    let ids = match change {
        Change::Modify => sandbox.modify_records(object, pick),
        Change::Archive => sandbox.archive_records(object, pick),
        Change::Delete => sandbox.delete_records(object, pick),
    };
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    HttpResponse::Ok().json(json!({ "objectType": object.name(), "ids": ids }))
}

pub(crate) async fn modify_records(
    sandbox: web::Data<Sandbox>,
    object_type: web::Path<String>,
    body: web::Json<MutateBody>,
) -> HttpResponse {
    mutate(sandbox, object_type, body, Change::Modify).await
}

pub(crate) async fn archive_records(
    sandbox: web::Data<Sandbox>,
    object_type: web::Path<String>,
    body: web::Json<MutateBody>,
) -> HttpResponse {
    mutate(sandbox, object_type, body, Change::Archive).await
}

pub(crate) async fn delete_records(
    sandbox: web::Data<Sandbox>,
    object_type: web::Path<String>,
    body: web::Json<MutateBody>,
) -> HttpResponse {
    mutate(sandbox, object_type, body, Change::Delete).await
}

/// The body of `PUT /_admin/webhooks`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhooksBody {
    url: String,
    client_id: String,
}

fn webhooks_json(sandbox: &Sandbox) -> Value {
    match sandbox.webhook_subscription() {
        Some(subscription) => json!({
            "url": subscription.url.as_str(),
            "client_id": subscription.client_id,
            "app_id": subscription.app_id,
            "stats": sandbox.webhook_stats(),
        }),
        None => json!({ "url": null }),
    }
}

pub(crate) async fn get_webhooks(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(webhooks_json(&sandbox))
}

pub(crate) async fn put_webhooks(
    sandbox: web::Data<Sandbox>,
    body: web::Json<WebhooksBody>,
) -> HttpResponse {
    let invalid = |message: &str| {
        respond::api_error(
            actix_web::http::StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            message,
        )
    };
    let Ok(target) = url::Url::parse(body.url.trim()) else {
        return invalid("'url' must be an absolute URL.");
    };
    match sandbox.subscribe_webhooks(target, &body.client_id) {
        Ok(()) => HttpResponse::Ok().json(webhooks_json(&sandbox)),
        Err(message) => invalid(&message),
    }
}

pub(crate) async fn delete_webhooks(sandbox: web::Data<Sandbox>) -> HttpResponse {
    sandbox.unsubscribe_webhooks();
    HttpResponse::NoContent().finish()
}
