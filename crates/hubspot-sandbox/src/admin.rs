//! `/_admin/*`: control endpoints for browser tests and people poking at sandbox mode.
//!
//! These mirror the Rust methods on [`Sandbox`] one to one, so a test written against a running
//! server can do what an in-process test does.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::config::{Faults, Knobs, KnobsPatch};

pub(crate) fn knobs_json(knobs: &Knobs) -> Value {
    json!({
        "access_token_ttl_secs": knobs.access_token_ttl.as_secs(),
        "code_ttl_secs": knobs.code_ttl.as_secs(),
        "latency_ms": u64::try_from(knobs.latency.as_millis()).unwrap_or(u64::MAX),
        "send_retry_after": knobs.send_retry_after,
        "rate_limit_enabled": knobs.rate_limit.is_some(),
        "rate_limit_max": knobs.rate_limit.map(|r| r.max_requests),
        "rate_limit_window_ms": knobs.rate_limit.map(|r| u64::try_from(r.window.as_millis()).unwrap_or(u64::MAX)),
        "over_limit": knobs.over_limit,
        "enforce_scopes": knobs.enforce_scopes,
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
