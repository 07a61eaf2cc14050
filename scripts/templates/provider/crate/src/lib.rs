#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::sync::Arc;

use async_trait::async_trait;
use integration_core::kit::{Factory, ItemFields, ItemSource, OAuthSpec, Properties};
use integration_core::kit::{ProviderSettings, append_path, column, next_cursor, object_type};
use integration_core::kit::{send_json, text};
use integration_core::{Credentials, Error, ExposeSecret as _, Integration, ItemQuery, Page};
use integration_core::{Cursor, ProviderInfo};
use serde_json::Value;

/// __Name__, as servers and UIs see it.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "__name__",
    name: "__Name__",
    description: "Records from your __Name__ account.",
    object_types: &[object_type("records", "record")],
    columns: &[
        column("id", "ID"),
        column("title", "Name"),
        column("updated_at", "Last changed"),
    ],
    permissions: &["Read your records", "See which account granted access"],
    logo_svg: include_str!("logo.svg"),
    pkce: true,
};

const API: &str = "https://api.__name__.example/v1";

/// RFC 6749 with PKCE; the token response names the account.
const OAUTH: OAuthSpec = OAuthSpec {
    scopes: &["records:read"],
    account: integration_core::kit::AccountFields {
        id: &["account_id"],
        name: &["account_name"],
        user: &["user_email"],
    },
    ..OAuthSpec::new(
        &INFO,
        "https://__name__.example/oauth/authorize",
        "https://api.__name__.example/oauth/token",
    )
};

/// A record: `id`, `name`, `url`, `created_at`, `updated_at`, the rest as properties.
const FIELDS: ItemFields = ItemFields {
    title: &["/name"],
    url: &["/url"],
    created_at: &["/created_at"],
    updated_at: &["/updated_at"],
    properties: Properties::Rest,
    ..ItemFields::new("/id")
};

/// __Name__ from `__NAME___*` settings, sending through `http`.
pub fn build(s: &ProviderSettings, http: reqwest::Client) -> Result<Arc<dyn Integration>, Error> {
    let url = append_path(&s.url_or("api_base", API)?, "/records", &[])?;
    OAUTH.provider(s, http.clone(), Records(http, url))
}

/// `GET {api_base}/records` (client, URL).
#[derive(Debug)]
struct Records(reqwest::Client, url::Url);

#[async_trait]
impl ItemSource for Records {
    async fn list_items(&self, creds: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
        let limit = query.limit.unwrap_or(100).clamp(1, 100).to_string();
        let mut params = vec![("limit", limit.as_str())];
        params.extend(query.cursor.as_ref().map(|c| ("cursor", c.as_str())));
        let request = self.0.get(self.1.clone()).query(&params);
        let request = request.bearer_auth(creds.access_token.expose_secret());
        let page: Value = send_json(request, "records").await?;
        let records = page["records"].as_array().into_iter().flatten();
        let items = records.map(|r| FIELDS.item(r)).collect::<Result<_, _>>()?;
        let next_cursor = next_cursor(text(&page, &["/next_cursor"]))?;
        Ok(Page { items, next_cursor })
    }

    /// The cursors this API hands out are URL-safe tokens; anything else never reaches it.
    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        let raw = cursor.as_str();
        raw.len() <= 512 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    }
}

/// Builds __Name__ from `__NAME___*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };
