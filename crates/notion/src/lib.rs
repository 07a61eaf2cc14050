#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::sync::Arc;

use async_trait::async_trait;
use integration_core::kit::{AccountFields, ClientAuth, Discovery, DiscoverySpec, Factory};
use integration_core::kit::{ItemFields, ItemSource};
use integration_core::kit::{OAuthSpec, Properties, ProviderSettings, TokenBody};
use integration_core::kit::{append_path, column, next_cursor, object_type, send_json, text};
use integration_core::{Credentials, Error, ExposeSecret as _, Integration, IntegrationItem};
use integration_core::{ItemQuery, ObjectType, Page, ProviderInfo};
use serde_json::{Value, json};

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

/// Each shared database is a kind; its properties (`GET /v1/databases/{id}`) are its fields.
const KINDS: DiscoverySpec = DiscoverySpec {
    options: &["/{type}/options"],
    computed: "formula rollup created_time created_by last_edited_time last_edited_by unique_id",
    ..DiscoverySpec::new(&INFO, "databases", "/databases/{id}", "/properties")
};

/// Notion from `NOTION_*` settings (see the crate documentation), sending through `http`.
pub fn build(s: &ProviderSettings, http: reqwest::Client) -> Result<Arc<dyn Integration>, Error> {
    let version = s.extra.get("version").map_or("2022-06-28", String::as_str);
    let api = s.url_or("api_base", API)?;
    let url = append_path(&api, "/search", &[])?;
    let search = Search(http.clone(), url, api, version.to_owned());
    OAUTH.provider(s, http, search)
}

/// `POST /v1/search` (client, URL, API base, `Notion-Version`): what is shared with us.
#[derive(Debug)]
struct Search(reqwest::Client, url::Url, url::Url, String);

/// A database's title is its `title`; a page's is its property of type "title" (both rich text).
fn title(o: &Value) -> Option<String> {
    let props = o["properties"].as_object().into_iter().flatten();
    let page = props.filter(|(_, p)| p["type"] == "title");
    let rich = [&o["title"]]
        .into_iter()
        .chain(page.map(|(_, p)| &p["title"]));
    let texts = rich.filter_map(Value::as_array).flatten();
    let plain: String = texts.filter_map(|t| t["plain_text"].as_str()).collect();
    Some(plain).filter(|t| !t.is_empty())
}

fn item(o: &Value) -> Result<IntegrationItem, Error> {
    let item = FIELDS.item(o)?;
    let title = title(o).unwrap_or(item.title);
    Ok(IntegrationItem { title, ..item })
}

#[async_trait]
impl ItemSource for Search {
    async fn list_items(&self, creds: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
        let mut body = json!({"page_size": query.limit.unwrap_or(100).clamp(1, 100)});
        if let Some(cursor) = &query.cursor {
            body["start_cursor"] = cursor.as_str().into();
        }
        let wanted = |k: &&ObjectType| query.object_type.as_deref() == Some(k.id);
        if let Some(kind) = INFO.object_types.iter().find(wanted) {
            body["filter"] = json!({"property": "object", "value": kind.noun});
        }
        let request = self
            .0
            .post(self.1.clone())
            .header("Notion-Version", &self.3);
        let request = request
            .bearer_auth(creds.access_token.expose_secret())
            .json(&body);
        let page: Value = send_json(request, "search results").await?;
        let results = page["results"].as_array().into_iter().flatten();
        let items = results.map(item).collect::<Result<_, _>>()?;
        // `next_cursor` is null on the last page (`has_more` false).
        let next = text(&page, &["/next_cursor"]).filter(|_| page["has_more"] == true);
        let next_cursor = next_cursor(next)?;
        Ok(Page { items, next_cursor })
    }

    fn discovery(&self) -> Option<Discovery<'_>> {
        Some(Discovery::new(&KINDS, &self.0, &self.2).header("Notion-Version", &self.3))
    }
}

/// Builds Notion from `NOTION_*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };
