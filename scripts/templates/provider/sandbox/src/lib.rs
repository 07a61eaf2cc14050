#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::collections::HashMap;

use actix_web::HttpResponse;
use sandbox_kit::{ApiCall, ApiResult, ApiSandbox, OAuthSandbox, OAuthSandboxConfig, Pkce};
use sandbox_kit::{ProviderSandbox, RegisteredClient, paging, seed};
use serde_json::{Value, json};

/// How many records the sandbox account holds.
pub const RECORDS: usize = 120;

/// The sandbox for `client` (a `sandbox_kit::SandboxBuilder`).
pub fn sandbox(client: RegisteredClient) -> Box<dyn ProviderSandbox> {
    let config = OAuthSandboxConfig {
        permissions: vec!["Read your records".into()],
        token_path: "/oauth/token",
        pkce: Pkce::Required,
        token_extras: json!({"account_id": "acct-1", "account_name": "Acme (sandbox)",
            "user_email": "ada@example.com"}),
        api_error: |e| json!({"error": e.code, "message": e.message}),
        ..OAuthSandboxConfig::new("__Name__", "the Acme account", client)
    };
    ApiSandbox::new(OAuthSandbox::new(config), "/v1")
        .get("/v1/records", records)
        .boxed()
}

/// Record `i`.
fn record(i: usize) -> Value {
    let (id, created) = (seed::uuid("__name__", i), seed::time("created", i));
    let minutes = i64::try_from(seed::hash("updated", i) % 90_000).unwrap_or(0);
    let updated = created + chrono::Duration::minutes(minutes);
    let name = format!("{} {}", seed::pick("name", i, &["Alpha", "Beta", "Gamma"]), i + 1);
    json!({"id": id, "name": name, "url": format!("https://__name__.example/records/{id}"),
        "created_at": created, "updated_at": updated, "status": seed::pick("status", i, &["open", "closed"])})
}

fn records(call: &ApiCall<'_>) -> ApiResult {
    let query: HashMap<String, String> = call.query()?;
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(limit @ 1..=100)) => limit.min(50),
        Some(_) => return Err(call.error(400, "invalid_limit", "limit must be 1 to 100")),
    };
    let all: Vec<Value> = (0..RECORDS).map(record).collect();
    let (page, next) = paging::cursor_page(&all, query.get("cursor").map(String::as_str), limit)
        .map_err(|_| call.error(400, "invalid_cursor", "The cursor is not valid."))?;
    Ok(HttpResponse::Ok().json(json!({"records": page, "next_cursor": next})))
}
