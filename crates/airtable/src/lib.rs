#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use integration_core::kit::{ChildCursor, Discovery, DiscoverySpec, send_json_or_wait};
use integration_core::kit::{ClientAuth, Factory, ItemSource, OAuthSpec, ProviderSettings};
use integration_core::kit::{append_path, column as col, next_cursor, object_type as kind};
use integration_core::{Credentials, Cursor, Error, ExposeSecret as _, Integration};
use integration_core::{IntegrationItem, ItemQuery, Page, ProviderInfo};
use serde::Deserialize;
use serde_json::{Map, Value};

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

/// Each table is a kind, `{base}-{table}`; its fields are in its base's schema.
const KINDS: DiscoverySpec = DiscoverySpec {
    within: Some("/tables"),
    scopes: &["schema.bases:read"],
    unknown: &[403, 404],
    options: &["/options/choices"],
    computed: "formula rollup count lookup multipleLookupValues autoNumber createdTime \
               lastModifiedTime createdBy lastModifiedBy button externalSyncSource aiText",
    ..DiscoverySpec::new(&INFO, "tables", "/meta/bases/{parent}/tables", "/fields")
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
    let (mut properties, parent_id) = (o.rest, base.map(|b| b.id.clone()));
    properties.extend(base.map(|b| ("base".to_owned(), Value::from(b.name.clone()))));
    let path = base.map_or(o.id.clone(), |b| format!("{}/{}", b.id, o.id));
    IntegrationItem {
        url: Some(format!("https://airtable.com/{path}")),
        item_type: Some(["base", "table"][usize::from(base.is_some())].to_owned()),
        parent_id,
        title: o.name,
        id: o.id,
        properties,
        created_at: None,
        updated_at: None,
        associations: Default::default(),
    }
}

type R<T> = Result<T, Error>;

impl Api {
    /// The bases (`base` empty) or a base's tables. A 429 comes without `Retry-After`: Airtable
    /// documents a 30 second wait.
    async fn get(&self, c: &Credentials, base: &str, at: Option<&str>) -> R<Listing> {
        let p = ["/meta/bases", "/meta/bases/{base}/tables"][usize::from(!base.is_empty())];
        let url = append_path(&self.1, p, &[("base", base)])?;
        let request = self.0.get(url).query(&[("offset", at)]);
        let request = request.bearer_auth(c.access_token.expose_secret());
        send_json_or_wait(request, p, Duration::from_secs(30)).await
    }
}

#[async_trait]
impl ItemSource for Api {
    /// Bases: Airtable's `offset` is the cursor. Tables: a [`ChildCursor`] over the bases, at
    /// most [`BASES_PER_PAGE`] bases' tables a page.
    async fn list_items(&self, c: &Credentials, query: &ItemQuery) -> R<Page> {
        if query.object_type.as_deref() != Some("tables") {
            let at = query.cursor.as_ref().map(Cursor::as_str);
            let bases = self.get(c, "", at).await?;
            let items = bases.bases.into_iter().map(|b| item(b, None)).collect();
            let next_cursor = next_cursor(bases.offset)?;
            return Ok(Page { items, next_cursor });
        }
        let at = ChildCursor::parse(query.cursor.as_ref())?;
        let (bases, mut items) = (self.get(c, "", at.outer.as_deref()).await?, vec![]);
        let (mut done, limit) = (at.done, query.limit.unwrap_or(100) as usize);
        let mut parents = bases.bases.iter().skip(done).take(BASES_PER_PAGE);
        while let Some(base) = parents.next().filter(|_| items.len() < limit) {
            let tables = self.get(c, &base.id, None).await?;
            items.extend(tables.bases.into_iter().map(|t| item(t, Some(base))));
            done += 1;
        }
        let next_cursor = at.next(done, bases.bases.len(), bases.offset)?;
        Ok(Page { items, next_cursor })
    }

    fn discovery(&self) -> Option<Discovery<'_>> {
        Some(Discovery::new(&KINDS, &self.0, &self.1))
    }
}

/// Builds Airtable from `AIRTABLE_*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };
