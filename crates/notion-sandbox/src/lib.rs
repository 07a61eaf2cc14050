#![doc = include_str!("../README.md")]
//! Notion from sandbox-kit: its OAuth (Basic auth, JSON bodies, no expiry, rotating refresh
//! tokens), `POST /v1/search` over 60 generated pages and databases, paged by `start_cursor`,
//! and `GET /v1/databases/{database_id}` (API version 2022-06-28), so that discovery sees
//! databases whose properties have the types and options Notion documents: a title, a status,
//! a select and a multi-select with options, a date and a computed `created_time`. As Notion
//! does, an id that is not a UUID or names a page is a 400 `validation_error`, one it does not
//! know (or that is not shared) a 404 `object_not_found`.
#![warn(missing_docs)]

use sandbox_kit::{ApiCall, ApiResult, ApiSandbox, ClientAuthMethods, OAuthSandbox};
use sandbox_kit::{OAuthSandboxConfig, Pkce, ProviderSandbox, RegisteredClient, paging, seed};
use serde_json::{Value, json};

/// The sandbox for `client` (a `sandbox_kit::SandboxBuilder`).
pub fn sandbox(client: RegisteredClient) -> Box<dyn ProviderSandbox> {
    let person = json!({"object": "user", "id": seed::uuid("user", 0), "type": "person",
        "name": "Ada Lovelace", "person": {"email": "ada@example.com"}});
    let config = OAuthSandboxConfig {
        permissions: vec!["Read the pages and databases you share".into()],
        token_path: "/v1/oauth/token",
        client_auth: ClientAuthMethods::BASIC,
        accept_form: false,
        accept_json: true,
        pkce: Pkce::Off,
        access_ttl: None,
        token_extras: json!({"bot_id": seed::uuid("bot", 0), "workspace_icon": null,
            "workspace_id": seed::uuid("workspace", 0), "workspace_name": "Acme (sandbox)",
            "owner": {"type": "user", "user": person}, "duplicated_template_id": null}),
        unauthorized_code: "unauthorized",
        api_error: |e| {
            json!({"object": "error", "status": e.status, "code": e.code,
            "message": e.message})
        },
        ..OAuthSandboxConfig::new("Notion", "the Acme workspace", client)
    };
    let api = ApiSandbox::new(OAuthSandbox::new(config), "/v1").post("/v1/search", search);
    api.get("/v1/databases/{database_id}", database).boxed()
}

const TITLES: &[&str] = &[
    "Roadmap",
    "Meeting notes",
    "Team wiki",
    "Reading list",
    "Design",
];

/// Record `i`: every fourth a database, every third at the top of the workspace.
fn record(i: usize) -> Value {
    let (id, created) = (seed::uuid("notion", i), seed::time("created", i));
    let name = format!("{} {}", seed::pick("title", i, TITLES), i + 1);
    let rich = json!([{"type": "text", "text": {"content": name}, "plain_text": name}]);
    let edited = created + chrono::Duration::minutes((seed::hash("edited", i) % 90_000) as i64);
    let mut r = json!({"object": "page", "id": id, "created_time": created,
        "last_edited_time": edited, "url": format!("https://www.notion.so/{}", id.replace('-', "")),
        "parent": {"type": "page_id", "page_id": seed::uuid("notion", i - i % 3)},
        "properties": {"Name": {"id": "title", "type": "title", "title": rich}}});
    if i.is_multiple_of(3) {
        r["parent"] = json!({"type": "workspace", "workspace": true});
    }
    if i % 4 == 3 {
        r["object"] = "database".into();
        r["title"] = rich;
        r["properties"] = properties(i);
        (r["description"], r["is_inline"], r["archived"]) = (json!([]), false.into(), false.into());
    }
    r
}

/// Database `i`'s properties, keyed by name as Notion's database object has them.
fn properties(i: usize) -> Value {
    let options = |names: &[(&str, &str)]| -> Vec<Value> {
        let option = |(n, (name, color)): (usize, &(&str, &str))| json!({"id": seed::uuid(name, i * 8 + n), "name": name, "color": color});
        names.iter().enumerate().map(option).collect()
    };
    let status = options(&[
        ("Not started", "default"),
        ("In progress", "blue"),
        ("Done", "green"),
    ]);
    let priority = options(&[("High", "red"), ("Medium", "yellow"), ("Low", "gray")]);
    let tags = options(&[("Design", "purple"), ("Research", "orange")]);
    json!({
        "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
        "Status": {"id": "s%3Ct%3E", "name": "Status", "type": "status",
            "status": {"options": status, "groups": []}},
        "Priority": {"id": "p%5Er", "name": "Priority", "type": "select",
            "select": {"options": priority}},
        "Tags": {"id": "t%40g", "name": "Tags", "type": "multi_select",
            "multi_select": {"options": tags}},
        "Due": {"id": "d%7Ce", "name": "Due", "type": "date", "date": {}},
        "Created": {"id": "c%3Ar", "name": "Created", "type": "created_time", "created_time": {}},
    })
}

/// `GET /v1/databases/{database_id}`: the database object, its properties included.
fn database(call: &ApiCall<'_>) -> ApiResult {
    call.require_header("notion-version", "missing_version")?;
    let raw = call
        .request
        .match_info()
        .get("database_id")
        .unwrap_or_default();
    let hex: String = raw.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let message = format!(
            "path failed validation: path.database_id should be a valid uuid, instead was `\"{raw}\"`."
        );
        return Err(call.error(400, "validation_error", &message));
    }
    let same =
        |r: &Value| r["id"].as_str().map(|id| id.replace('-', "")) == Some(hex.to_lowercase());
    match (0..60).map(record).find(same) {
        Some(r) if r["object"] == "database" => Ok(actix_web::HttpResponse::Ok().json(r)),
        Some(_) => Err(call.error(400, "validation_error", &format!(
            "Provided ID {raw} is a page, not a database. Use the retrieve page API instead, \
             `https://api.notion.com/v1/pages/{raw}`."
        ))),
        None => Err(call.error(404, "object_not_found", &format!(
            "Could not find database with ID: {raw}. Make sure the relevant pages and databases \
             are shared with your integration."
        ))),
    }
}

#[derive(serde::Deserialize)]
struct Search {
    page_size: Option<usize>,
    start_cursor: Option<String>,
    filter: Option<Value>,
}

fn search(call: &ApiCall<'_>) -> ApiResult {
    call.require_header("notion-version", "missing_version")?;
    let query: Search = call.json()?;
    let wanted = |r: &Value| {
        query
            .filter
            .as_ref()
            .is_none_or(|f| r["object"] == f["value"])
    };
    let records: Vec<Value> = (0..60).map(record).filter(wanted).collect();
    let size = query.page_size.unwrap_or(100).clamp(1, 100);
    let (results, next) = paging::cursor_page(&records, query.start_cursor.as_deref(), size)
        .map_err(|_| call.error(400, "validation_error", "start_cursor is not valid."))?;
    Ok(
        actix_web::HttpResponse::Ok().json(json!({"object": "list", "results": results,
        "next_cursor": next, "has_more": next.is_some(), "type": "page_or_database"})),
    )
}
