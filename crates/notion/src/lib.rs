#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod sandbox;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use integration_core::kit::{AccountFields, ClientAuth, Factory, ItemSource, OAuthClient};
use integration_core::kit::{OAuthConfig, OAuthProvider, ProviderSettings, TokenBody};
use integration_core::kit::{column, next_cursor, object_type, send_json};
use integration_core::{Credentials, Error, ExposeSecret as _, Integration, IntegrationItem};
use integration_core::{ItemQuery, Page, ProviderInfo};
use serde_json::{Map, Value, json};

pub use sandbox::sandbox;

/// Notion, as servers and UIs see it. An object type's noun is the search filter's `value`.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "notion",
    name: "Notion",
    description: "Pages and databases you share with the connection in your Notion workspace.",
    object_types: &[object_type("pages", "page"), object_type("databases", "database")],
    columns: &[
        column("id", "ID"),
        column("title", "Title"),
        column("item_type", "Type"),
        column("updated_at", "Last edited"),
    ],
    permissions: &["Read the pages and databases you share", "See your workspace and e-mail"],
    logo_svg: include_str!("logo.svg"),
    pkce: false,
};

/// Token responses name the workspace and, for `owner=user` grants, the person.
const ACCOUNT: AccountFields = AccountFields {
    id: &["workspace_id"],
    name: &["workspace_name"],
    user: &["owner", "user", "person", "email"],
};

/// Notion from `NOTION_*` settings (see the crate documentation), sending through `http`.
pub fn build(
    settings: &ProviderSettings,
    http: reqwest::Client,
) -> Result<Arc<dyn Integration>, Error> {
    const API: &str = "https://api.notion.com/v1";
    let (auth, token) = (format!("{API}/oauth/authorize"), format!("{API}/oauth/token"));
    let mut config = OAuthConfig::from_settings(settings, &auth, &token)?;
    config.client_auth = ClientAuth::Basic;
    config.token_body = TokenBody::Json;
    config.extra_auth_params = vec![("owner".into(), "user".into())];
    let version = settings.extra.get("version").map_or("2022-06-28", String::as_str);
    let search = sandbox_kit::join(&settings.url_or("api_base", API)?, "/search");
    let items = Search { http: http.clone(), url: search, version: version.to_owned() };
    Ok(Arc::new(OAuthProvider {
        info: &INFO,
        oauth: OAuthClient::new(config, http),
        account: ACCOUNT,
        items,
    }))
}

/// `POST /v1/search`: pages and databases shared with the connection.
#[derive(Debug)]
struct Search {
    http: reqwest::Client,
    url: url::Url,
    version: String,
}

#[derive(serde::Deserialize)]
struct Results {
    results: Vec<Object>,
    next_cursor: Option<String>,
    has_more: bool,
}

#[derive(serde::Deserialize)]
struct Object {
    id: String,
    object: String,
    url: Option<String>,
    #[serde(default)]
    parent: Value,
    #[serde(default)]
    title: Value,
    #[serde(default)]
    properties: Map<String, Value>,
    created_time: Option<DateTime<Utc>>,
    last_edited_time: Option<DateTime<Utc>>,
}

/// The plain text of a rich-text array.
fn plain(rich: &Value) -> String {
    let parts = rich.as_array().into_iter().flatten();
    parts.filter_map(|t| t["plain_text"].as_str()).collect()
}

impl From<Object> for IntegrationItem {
    fn from(o: Object) -> Self {
        // A database's title is its `title`; a page's is its property of type "title".
        let title_property = o.properties.values().find(|p| p["type"] == "title");
        let title = match o.object.as_str() {
            "database" => plain(&o.title),
            _ => title_property.map(|p| plain(&p["title"])).unwrap_or_default(),
        };
        let parent = ["page_id", "database_id", "data_source_id", "block_id"];
        let parent = parent.iter().find_map(|k| o.parent[k].as_str());
        let workspace = (o.parent["workspace"] == true).then_some("workspace");
        IntegrationItem {
            title: if title.is_empty() { "Untitled".into() } else { title },
            parent_id: parent.or(workspace).map(str::to_owned),
            properties: o.properties,
            item_type: Some(o.object),
            url: o.url,
            created_at: o.created_time,
            updated_at: o.last_edited_time,
            id: o.id,
        }
    }
}

#[async_trait]
impl ItemSource for Search {
    async fn list_items(&self, creds: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
        let mut body = json!({"page_size": query.limit.unwrap_or(100).clamp(1, 100)});
        if let Some(cursor) = &query.cursor {
            body["start_cursor"] = cursor.as_str().into();
        }
        let kind = INFO.object_types.iter().find(|k| query.object_type.as_deref() == Some(k.id));
        if let Some(kind) = kind {
            body["filter"] = json!({"property": "object", "value": kind.noun});
        }
        let request =
            self.http.post(self.url.clone()).bearer_auth(creds.access_token.expose_secret());
        let request = request.header("Notion-Version", &self.version).json(&body);
        let page: Results = send_json(request, "search results").await?;
        let items = page.results.into_iter().map(Into::into).collect();
        Ok(Page { items, next_cursor: next_cursor(page.next_cursor.filter(|_| page.has_more))? })
    }
}

/// Builds Notion from `NOTION_*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };

/// Notion for servers: its factory and its sandbox.
pub const REGISTRATION: sandbox_kit::Registration =
    sandbox_kit::Registration { factory: &FACTORY, sandbox: Some(sandbox) };
