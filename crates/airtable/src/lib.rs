#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod sandbox;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use integration_core::kit::{ClientAuth, Factory, ItemSource, OAuthSpec, ProviderSettings};
use integration_core::kit::{column as col, next_cursor, object_type as kind, send_json_or_wait};
use integration_core::{Credentials, Cursor, Error, ExposeSecret as _, Integration};
use integration_core::{IntegrationItem, ItemQuery, Page, ProviderInfo};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value};

pub use sandbox::sandbox;

/// A tables page holds the tables of at most this many bases (one request each).
pub const BASES_PER_PAGE: usize = 5;

/// Airtable, as servers and UIs see it.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "airtable",
    name: "Airtable",
    description: "The bases you choose to share in Airtable, and their tables.",
    object_types: &[kind("bases", "base"), kind("tables", "table")],
    columns: &[
        col("id", "ID"),
        col("title", "Name"),
        col("item_type", "Type"),
        col("base", "Base"),
    ],
    permissions: &[
        "See the bases you choose and their tables, fields and views",
        "Read records",
    ],
    logo_svg: include_str!("logo.svg"),
    pkce: true,
};

/// PKCE (from `INFO`), Basic auth, form bodies; token responses name no account.
const OAUTH: OAuthSpec = OAuthSpec {
    client_auth: ClientAuth::Basic,
    scopes: &["data.records:read", "schema.bases:read"],
    ..OAuthSpec::new(
        &INFO,
        "https://airtable.com/oauth2/v1/authorize",
        "https://airtable.com/oauth2/v1/token",
    )
};

/// Airtable from `AIRTABLE_*` settings (see the crate documentation), sending through `http`.
pub fn build(s: &ProviderSettings, http: reqwest::Client) -> Result<Arc<dyn Integration>, Error> {
    let api = s.url_or("api_base", "https://api.airtable.com/v0")?;
    OAUTH.provider(s, http.clone(), Api(http, api))
}

/// The metadata API at its base URL.
#[derive(Debug)]
struct Api(reqwest::Client, url::Url);

/// A base or a table: what an item needs by name, the rest as its properties.
#[derive(Deserialize)]
struct Object {
    id: String,
    name: String,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Deserialize)]
struct Listing {
    #[serde(alias = "tables")]
    bases: Vec<Object>,
    offset: Option<String>,
}

/// A base (no `base`) or one of its tables, with its base's name as property `base`.
fn item(o: Object, base: Option<&Object>) -> IntegrationItem {
    let (mut properties, path) = (
        o.rest,
        base.map_or(o.id.clone(), |b| b.id.clone() + "/" + &o.id),
    );
    properties.extend(base.map(|b| ("base".to_owned(), Value::from(b.name.clone()))));
    IntegrationItem {
        url: Some(format!("https://airtable.com/{path}")),
        item_type: Some(if base.is_some() { "table" } else { "base" }.to_owned()),
        parent_id: base.map(|b| b.id.clone()),
        title: o.name,
        id: o.id,
        properties,
        created_at: None,
        updated_at: None,
    }
}

type R<T> = Result<T, Error>;

impl Api {
    /// A 429 comes without `Retry-After`: Airtable documents a 30 second wait.
    async fn get<T: DeserializeOwned>(&self, c: &Credentials, p: &str, at: Option<&str>) -> R<T> {
        let request = self
            .0
            .get(sandbox_kit::join(&self.1, p))
            .query(&[("offset", at)]);
        let request = request.bearer_auth(c.access_token.expose_secret());
        send_json_or_wait(request, p, Duration::from_secs(30)).await
    }
}

#[async_trait]
impl ItemSource for Api {
    /// Bases: Airtable's `offset` is the cursor. Tables: see the crate documentation.
    async fn list_items(&self, c: &Credentials, query: &ItemQuery) -> R<Page> {
        let cursor = query.cursor.as_ref().map(Cursor::as_str);
        if query.object_type.as_deref() != Some("tables") {
            let bases: Listing = self.get(c, "/meta/bases", cursor).await?;
            let items = bases.bases.into_iter().map(|b| item(b, None)).collect();
            return Ok(Page {
                items,
                next_cursor: next_cursor(bases.offset)?,
            });
        }
        // `{done}~{offset}`: the bases page at `offset`, of which `done` bases are listed.
        let (mut done, at) = match cursor.map(|c| c.split_once('~').map(|(d, o)| (d.parse(), o))) {
            None => (0, None),
            Some(Some((Ok(done), at))) => (done, Some(at).filter(|o| !o.is_empty())),
            _ => {
                return Err(Error::InvalidInput(
                    "the cursor is not a tables cursor".into(),
                ));
            }
        };
        let (bases, mut items): (Listing, _) = (self.get(c, "/meta/bases", at).await?, vec![]);
        let (end, limit) = (done + BASES_PER_PAGE, query.limit.unwrap_or(100) as usize);
        while let Some(base) = bases
            .bases
            .get(done)
            .filter(|_| done < end && items.len() < limit)
        {
            let tables: Listing = self
                .get(c, &format!("/meta/bases/{}/tables", base.id), None)
                .await?;
            items.extend(tables.bases.into_iter().map(|t| item(t, Some(base))));
            done += 1;
        }
        let more = (done < bases.bases.len()).then(|| format!("{done}~{}", at.unwrap_or_default()));
        let next = more.or(bases.offset.map(|o| format!("0~{o}")));
        Ok(Page {
            items,
            next_cursor: next_cursor(next)?,
        })
    }
}

/// Builds Airtable from `AIRTABLE_*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };

/// Airtable for servers: its factory and its sandbox.
pub const REGISTRATION: sandbox_kit::Registration = sandbox_kit::Registration {
    factory: &FACTORY,
    sandbox: Some(sandbox),
};
