#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use integration_core::kit::{AccountFields, ApiBase, Factory, ItemFields, ItemSource, OAuthSpec};
use integration_core::kit::{Properties, ProviderSettings, api_base, append_path, http, text};
use integration_core::kit::{column as col, next_cursor, object_type as kind};
use integration_core::{Credentials, Cursor, Error, ExposeSecret as _, Integration, ItemQuery};
use integration_core::{IntegrationItem, Page, ProviderInfo};
use serde_json::{Value, json};

/// Salesforce, as servers and UIs see it. An object type's noun is its sObject.
pub const INFO: ProviderInfo = ProviderInfo {
    id: "salesforce",
    name: "Salesforce",
    description: "Contacts, accounts and opportunities in your Salesforce org.",
    object_types: &[
        kind("contacts", "Contact"),
        kind("accounts", "Account"),
        kind("opportunities", "Opportunity"),
    ],
    columns: &[
        col("id", "ID"),
        col("title", "Name"),
        col("item_type", "Type"),
        col("updated_at", "Last modified"),
    ],
    permissions: &["Read your records through the API", "Stay connected"],
    logo_svg: include_str!("logo.svg"),
    pkce: true,
};

/// Form bodies, PKCE; the identity URL `id` is the user; the API host is the grant's.
const OAUTH: OAuthSpec = OAuthSpec {
    scopes: &["api", "refresh_token"],
    account: AccountFields {
        id: &[],
        name: &[],
        user: &["id"],
    },
    api_base: Some(ApiBase {
        field: &["instance_url"],
        allowed: &["https://*.my.salesforce.com", "https://*.salesforce.com"],
    }),
    revoke_url: Some("https://login.salesforce.com/services/oauth2/revoke"),
    ..OAuthSpec::new(
        &INFO,
        "https://login.salesforce.com/services/oauth2/authorize",
        "https://login.salesforce.com/services/oauth2/token",
    )
};

/// The REST API's query resource; `nextRecordsUrl` is `{QUERY}{locator id}-{offset}`.
const QUERY: &str = "/services/data/v60.0/query/";
/// What every query selects, and each object type's fields beyond it (`|` between, as in `INFO`).
const COMMON: &str = "Id, Name, CreatedDate, LastModifiedDate";
const SELECT: &str = "Email, Title, AccountId|Website, Industry|StageName, Amount, AccountId";

const FIELDS: ItemFields = ItemFields {
    title: &["/Name"],
    item_type: &["/attributes/type"],
    parent_id: &["/AccountId"],
    created_at: &["/CreatedDate"],
    updated_at: &["/LastModifiedDate"],
    time_formats: &["%Y-%m-%dT%H:%M:%S%.f%z"], // `2024-01-15T10:30:00.000+0000`
    properties: Properties::Rest,
    ..ItemFields::new("/Id")
};

/// Salesforce from `SALESFORCE_*` settings (see the crate documentation), sending through `http`.
pub fn build(s: &ProviderSettings, http: reqwest::Client) -> Result<Arc<dyn Integration>, Error> {
    let api = s.url_or("api_base", "https://login.salesforce.com")?;
    OAUTH.provider(s, http.clone(), Api(http, api))
}

#[derive(Debug)]
struct Api(reqwest::Client, url::Url);

fn item(record: &Value, base: &url::Url) -> Result<IntegrationItem, Error> {
    let (mut item, root) = (FIELDS.item(record)?, base.as_str().trim_end_matches('/'));
    item.properties.remove("attributes");
    item.url = Some(format!("{root}/{}", item.id));
    Ok(item)
}

/// `[{"message", "errorCode"}]` as `{code, message}`; the org's API limit as a 429.
fn error(mut response: http::Response) -> Error {
    let first = &response.json::<Value>("an error").unwrap_or_default()[0];
    let (code, message) = (text(first, &["/errorCode"]), text(first, &["/message"]));
    if response.status == 403 && code.as_deref() == Some("REQUEST_LIMIT_EXCEEDED") {
        response.status = 429;
    }
    response.body = serde_json::to_vec(&json!({"code": code, "message": message})).ok();
    response.error()
}

#[async_trait]
impl ItemSource for Api {
    /// The kind's SOQL (contacts by default), then `nextRecordsUrl`, on the account's host.
    async fn list_items(&self, c: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
        let (base, mut kinds) = (api_base(c, &self.1), INFO.object_types.iter());
        let kind = query.object_type.as_deref().unwrap_or("contacts");
        let url = match (&query.cursor, kinds.position(|k| k.id == kind)) {
            (Some(next), _) if self.accepts_cursor(next) => append_path(base, next.as_str(), &[])?,
            (None, Some(at)) => {
                let fields = SELECT.split('|').nth(at).unwrap_or_default();
                let object = INFO.object_types[at].noun;
                let soql = format!("SELECT {COMMON}, {fields} FROM {object} ORDER BY Id");
                let mut url = append_path(base, QUERY, &[])?;
                url.query_pairs_mut().append_pair("q", &soql);
                url
            }
            _ => return Err(Error::InvalidInput("not a Salesforce cursor/kind".into())),
        };
        let request = self.0.get(url).bearer_auth(c.access_token.expose_secret());
        let response = http::send(request).await?;
        http::report_usage(&response, "Sforce-Limit-Info", Duration::from_secs(86_400));
        if !response.is_success() {
            return Err(error(response));
        }
        let page: Value = response.json("query results")?;
        let records = page["records"].as_array().into_iter().flatten();
        let items = records.map(|r| item(r, base)).collect::<Result<_, _>>()?;
        let next = text(&page, &["/nextRecordsUrl"]).filter(|_| page["done"] == false);
        let next_cursor = next_cursor(next)?;
        Ok(Page { items, next_cursor })
    }

    /// The org id from the identity URL (`…/id/{org}/{user}`); the org's My Domain host as name.
    async fn after_exchange(&self, mut c: Credentials) -> Result<Credentials, Error> {
        let org = c.account_user.as_deref().and_then(|u| u.rsplit('/').nth(1));
        c.account_id = org.filter(|o| o.starts_with("00D")).map(str::to_owned);
        let host = c.api_base.as_ref().and_then(url::Url::host_str);
        c.account_name = host.map(str::to_owned);
        Ok(c)
    }

    fn accepts_cursor(&self, cursor: &Cursor) -> bool {
        let locator = cursor.as_str().strip_prefix(QUERY).unwrap_or_default();
        let (id, at) = locator.split_once('-').unwrap_or_default();
        let all = |s: &str, f: fn(&u8) -> bool| !s.is_empty() && s.bytes().all(|b| f(&b));
        all(id, u8::is_ascii_alphanumeric) && all(at, u8::is_ascii_digit)
    }
}

/// Builds Salesforce from `SALESFORCE_*` settings; what servers register.
pub static FACTORY: Factory = Factory { info: &INFO, build };
