#![doc = include_str!("../README.md")]
//! Airtable from sandbox-kit: PKCE required, Basic auth, form bodies, hour-long access tokens
//! with single-use refresh tokens, and the metadata API over 12 generated bases, 5 a page. Each
//! table's fields have the types Airtable's field model documents (single and multiple selects
//! with `options.choices`, a number, a computed `createdTime`), so discovery has something to
//! find. As Airtable does, the metadata API needs the `schema.bases:read` scope: without it the
//! answer is 403 `INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND`.
#![warn(missing_docs)]

use actix_web::HttpResponse;
use sandbox_kit::{ApiCall, ApiResult, ApiSandbox, ClientAuthMethods, OAuthSandbox};
use sandbox_kit::{OAuthSandboxConfig, Pkce, ProviderSandbox, RegisteredClient, paging, seed};
use serde_json::{Value, json};

/// The sandbox for `client` (a `sandbox_kit::SandboxBuilder`).
pub fn sandbox(client: RegisteredClient) -> Box<dyn ProviderSandbox> {
    let config = OAuthSandboxConfig {
        permissions: vec![
            "See the structure of your bases".into(),
            "Read their records".into(),
        ],
        token_path: "/oauth2/v1/token",
        client_auth: ClientAuthMethods::BASIC,
        pkce: Pkce::Required,
        unauthorized_code: "AUTHENTICATION_REQUIRED",
        api_error: |e| json!({"error": {"type": e.code, "message": e.message}}),
        ..OAuthSandboxConfig::new("Airtable", "your Airtable bases", client)
    };
    let api = ApiSandbox::new(OAuthSandbox::new(config), "/v0");
    api.get("/v0/meta/bases", bases)
        .get("/v0/meta/bases/{base}/tables", tables)
        .boxed()
}

/// An Airtable-style id: `app`, `tbl`, `fld` or `viw` and 14 characters.
fn id(kind: &str, i: usize) -> String {
    format!("{kind}{:014X}", seed::hash(kind, i) >> 8)
}

/// Refuses a grant without `schema.bases:read`, which every metadata endpoint needs.
fn require_schema_scope(call: &ApiCall<'_>) -> Result<(), actix_web::HttpResponse> {
    if call
        .grant
        .scope
        .split(' ')
        .any(|s| s == "schema.bases:read")
    {
        return Ok(());
    }
    Err(call.error(
        403,
        "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
        "Invalid permissions, or the requested model was not found. Check that both your user \
         and your token have the required permissions, and that the model names and/or ids are \
         correct.",
    ))
}

/// Table `n`'s fields: its primary field (`fld` `n`) first.
fn fields(n: usize) -> Value {
    let choices = |names: &[&str], colors: &[&str]| -> Vec<Value> {
        let choice = |(k, name): (usize, &&str)| json!({"id": id("sel", n * 8 + k), "name": name, "color": colors[k % colors.len()]});
        names.iter().enumerate().map(choice).collect()
    };
    let status = choices(
        &["Todo", "In progress", "Done"],
        &["blueLight2", "yellowLight2", "greenLight2"],
    );
    let tags = choices(&["Urgent", "Customer"], &["redLight2", "purpleLight2"]);
    json!([
        {"id": id("fld", n), "name": "Name", "type": "singleLineText"},
        {"id": id("fld", 1000 + n), "name": "Status", "type": "singleSelect",
            "options": {"choices": status}},
        {"id": id("fld", 2000 + n), "name": "Tags", "type": "multipleSelects",
            "options": {"choices": tags}},
        {"id": id("fld", 3000 + n), "name": "Estimate", "type": "number",
            "description": "Days of work", "options": {"precision": 1}},
        {"id": id("fld", 4000 + n), "name": "Created", "type": "createdTime",
            "options": {"result": {"type": "dateTime", "options": {"timeZone": "utc",
                "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"},
                "timeFormat": {"name": "24hour", "format": "HH:mm"}}}}},
    ])
}

fn bases(call: &ApiCall<'_>) -> ApiResult {
    require_schema_scope(call)?;
    let name = |i| {
        format!(
            "{} {}",
            seed::pick("base", i, &["CRM", "Roadmap", "Hiring"]),
            i + 1
        )
    };
    let all: Vec<Value> = (0..12)
        .map(|i| json!({"id": id("app", i), "name": name(i), "permissionLevel": "create"}))
        .collect();
    let query: std::collections::HashMap<String, String> = call.query()?;
    let (bases, offset) = paging::cursor_page(&all, query.get("offset").map(String::as_str), 5)
        .map_err(|_| call.error(422, "INVALID_OFFSET_VALUE", "The offset is not valid."))?;
    let mut body = json!({"bases": bases});
    if let Some(offset) = offset {
        body["offset"] = offset.into();
    }
    Ok(HttpResponse::Ok().json(body))
}

/// Base `b` has `2 + b % 3` tables.
fn tables(call: &ApiCall<'_>) -> ApiResult {
    require_schema_scope(call)?;
    let wanted = call.request.match_info().get("base").unwrap_or_default();
    let b = (0..12).find(|b| id("app", *b) == wanted);
    let b =
        b.ok_or_else(|| call.error(404, "NOT_FOUND", "Could not find what you are looking for"))?;
    let table = |n| {
        json!({"id": id("tbl", n), "name": seed::pick("table", n, &["Tasks", "People", "Orders"]), "primaryFieldId": id("fld", n),
        "fields": fields(n), "views": [{"id": id("viw", n), "name": "Grid view", "type": "grid"}]})
    };
    let tables: Vec<Value> = (b * 10..b * 10 + 2 + b % 3).map(table).collect();
    Ok(HttpResponse::Ok().json(json!({"tables": tables})))
}
