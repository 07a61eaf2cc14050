#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod sandbox;

use std::sync::Arc;

use async_trait::async_trait;
use integration_core::kit::{AccountFields, ClientAuth, Factory, ItemFields, ItemSource};
use integration_core::kit::{OAuthSpec, Properties, ProviderSettings, TokenBody};
use integration_core::kit::{column, next_cursor, object_type, send_json, text};
use integration_core::{Credentials, Error, ExposeSecret as _, Integration, IntegrationItem};
use integration_core::{ItemQuery, Page, ProviderInfo};
use serde_json::{Value, json};

pub use sandbox::sandbox;

/// Notion, as servers and UIs see it. An object type's noun is the search filter's `value`.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "notion",
    name: "Notion",
    description: "Pages and databases you share with the connection in your Notion workspace.",
    object_types: &[
        object_type("pages", "page"),
        object_type("databases", "database"),
    ],
    columns: &[
        column("id", "ID"),
        column("title", "Title"),
        column("item_type", "Type"),
        column("updated_at", "Last edited"),
    ],
    permissions: &[
        "Read the pages and databases you share",
        "See your workspace and e-mail",
    ],
    logo_svg: include_str!("logo.svg"),
    pkce: false,
};

const API: &str = "https://api.notion.com/v1";

/// Basic auth and JSON token bodies; token responses name the workspace and, for `owner=user`
/// grants, the person.
const OAUTH: OAuthSpec = OAuthSpec {
    client_auth: ClientAuth::Basic,
    token_body: TokenBody::Json,
    auth_params: &[("owner", "user")],
    account: AccountFields {
        id: &["workspace_id"],
        name: &["workspace_name"],
        user: &["owner", "user", "person", "email"],
    },
    ..OAuthSpec::new(
        &INFO,
        "https://api.notion.com/v1/oauth/authorize",
        "https://api.notion.com/v1/oauth/token",
    )
};

/// A page or database; the title is found by [`title`]. `parent.type` is reached only for
/// pages at the top of the workspace (`"workspace"`).
const FIELDS: ItemFields = ItemFields {
    item_type: &["/object"],
    url: &["/url"],
    parent_id: &[
        "/parent/page_id",
        "/parent/database_id",
        "/parent/data_source_id",
        "/parent/block_id",
        "/parent/type",
    ],
    created_at: &["/created_time"],
    updated_at: &["/last_edited_time"],
    properties: Properties::At("/properties"),
    ..ItemFields::new("/id")
};

/// Notion from `NOTION_*` settings (see the crate documentation), sending through `http`.
pub fn build(
    settings: &ProviderSettings,
    http: reqwest::Client,
) -> Result<Arc<dyn Integration>, Error> {
    let version = settings
        .extra
        .get("version")
        .map_or("2022-06-28", String::as_str);
    let url = sandbox_kit::join(&settings.url_or("api_base", API)?, "/search");
    let (client, version) = (http.clone(), version.to_owned());
    OAUTH.provider(
        settings,
        http,
        Search {
            http: client,
            url,
            version,
        },
    )
}

/// `POST /v1/search`: pages and databases shared with the connection.
#[derive(Debug)]
struct Search {
    http: reqwest::Client,
    url: url::Url,
    version: String,
}

/// A database's title is its `title`; a page's is its property of type "title" (both rich text).
fn title(o: &Value) -> Option<String> {
    let props = o["properties"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values());
    let page = props.filter(|p| p["type"] == "title").map(|p| &p["title"]);
    let rich = std::iter::once(&o["title"])
        .chain(page)
        .filter_map(Value::as_array);
    let plain: String = rich
        .flatten()
        .filter_map(|t| t["plain_text"].as_str())
        .collect();
    Some(plain).filter(|t| !t.is_empty())
}

fn item(o: &Value) -> Result<IntegrationItem, Error> {
    let item = FIELDS.item(o)?;
    Ok(IntegrationItem {
        title: title(o).unwrap_or(item.title),
        ..item
    })
}

#[async_trait]
impl ItemSource for Search {
    async fn list_items(&self, creds: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
        let mut body = json!({"page_size": query.limit.unwrap_or(100).clamp(1, 100)});
        if let Some(cursor) = &query.cursor {
            body["start_cursor"] = cursor.as_str().into();
        }
        let kind = INFO
            .object_types
            .iter()
            .find(|k| query.object_type.as_deref() == Some(k.id));
        if let Some(kind) = kind {
            body["filter"] = json!({"property": "object", "value": kind.noun});
        }
        let request = self.http.post(self.url.clone());
        let request = request.bearer_auth(creds.access_token.expose_secret());
        let request = request.header("Notion-Version", &self.version).json(&body);
        let page: Value = send_json(request, "search results").await?;
        let results = page["results"].as_array().into_iter().flatten();
        let items = results.map(item).collect::<Result<_, _>>()?;
        // `next_cursor` is null on the last page (`has_more` false).
        let next = text(&page, &["/next_cursor"]).filter(|_| page["has_more"] == true);
        Ok(Page {
            items,
            next_cursor: next_cursor(next)?,
        })
    }
}

/// Builds Notion from `NOTION_*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };

/// Notion for servers: its factory and its sandbox.
pub const REGISTRATION: sandbox_kit::Registration = sandbox_kit::Registration {
    factory: &FACTORY,
    sandbox: Some(sandbox),
};
