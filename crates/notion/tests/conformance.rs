//! Notion passes the checks every provider passes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use integration_core::Integration;
use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};
use provider_conformance::{ACCESS_TOKEN, CLIENT_SECRET, Fixtures, REFRESH_TOKEN, REFRESHED_TOKEN};
use serde_json::json;
use url::Url;

fn build(base: &Url) -> Arc<dyn Integration> {
    let base = base.as_str().trim_end_matches('/');
    let vars = HashMap::from([
        (
            "NOTION_CLIENT_ID".to_owned(),
            "conformance-client".to_owned(),
        ),
        ("NOTION_CLIENT_SECRET".to_owned(), CLIENT_SECRET.to_owned()),
        (
            "NOTION_AUTH_URL".to_owned(),
            format!("{base}/v1/oauth/authorize"),
        ),
        (
            "NOTION_TOKEN_URL".to_owned(),
            format!("{base}/v1/oauth/token"),
        ),
        ("NOTION_API_BASE_URL".to_owned(), format!("{base}/v1")),
    ]);
    let Configured::Live(settings) =
        ProviderSettings::from_vars("notion", &vars).expect("settings")
    else {
        panic!("live settings");
    };
    let client = http::client(Duration::from_secs(5), "notion-conformance");
    ProviderFactory::build(&notion::FACTORY, &settings, client).expect("builds")
}

fn page(n: u32) -> serde_json::Value {
    let title = format!("Page {n}");
    json!({"object": "page", "id": format!("0000000{n}-0000-4000-8000-000000000000"),
           "created_time": "2024-01-01T00:00:00.000Z", "last_edited_time": "2024-01-02T00:00:00.000Z",
           "url": format!("https://www.notion.so/{n}"), "parent": {"type": "workspace", "workspace": true},
           "properties": {"Name": {"id": "title", "type": "title",
               "title": [{"type": "text", "plain_text": title}]}}})
}

fn token(access: &str) -> serde_json::Value {
    json!({"access_token": access, "token_type": "bearer", "refresh_token": REFRESH_TOKEN,
           "bot_id": "bot", "workspace_id": "ws-1", "workspace_name": "Acme", "workspace_icon": null,
           "owner": {"type": "user", "user": {"person": {"email": "ada@example.com"}}}})
}

fn fixtures() -> Fixtures {
    Fixtures {
        build,
        token_path: "/v1/oauth/token",
        token_response: token(ACCESS_TOKEN),
        refreshed_response: Some(token(REFRESHED_TOKEN)),
        list: ("POST", "/v1/search"),
        pages: [
            json!({"object": "list", "results": [page(1), page(2)], "next_cursor": "cursor-2", "has_more": true}),
            json!({"object": "list", "results": [page(3)], "next_cursor": null, "has_more": false}),
        ],
        items_per_page: [2, 1],
        rejected_refresh: json!({"error": "invalid_grant", "error_description": "refresh token {secret} is revoked"}),
        rejected_code: json!({"error": "invalid_grant", "error_description": "code {secret} was used"}),
        api_base_field: None,
    }
}

provider_conformance::provider_conformance_tests!(fixtures);
