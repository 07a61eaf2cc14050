//! CRM objects (`GET /crm/v3/objects/{object}`) and their mapping to [`IntegrationItem`].

use std::fmt;

use chrono::{DateTime, Utc};
use integration_core::{Cursor, Error, IntegrationItem, Page};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::http::json_reason;
use integration_core::kit::append_path;

/// The CRM object types this provider lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// `contacts` (HubSpot object type id `0-1`).
    Contacts,
    /// `companies` (`0-2`).
    Companies,
    /// `deals` (`0-3`).
    Deals,
}

impl ObjectKind {
    /// Parses an [`ItemQuery::object_type`](integration_core::ItemQuery::object_type): the
    /// plural API name or the singular item type, any case.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "companies" | "company" | "0-2" => Some(Self::Companies),
            "deals" | "deal" | "0-3" => Some(Self::Deals),
            _ => None,
        }
    }

    /// The name in API paths (`contacts`).
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Deals => "deals",
        }
    }

    /// [`IntegrationItem::item_type`] (`contact`).
    pub fn item_type(self) -> &'static str {
        match self {
            Self::Contacts => "contact",
            Self::Companies => "company",
            Self::Deals => "deal",
        }
    }

    /// HubSpot's object type id, used in record links (`0-1`).
    pub fn type_id(self) -> &'static str {
        match self {
            Self::Contacts => "0-1",
            Self::Companies => "0-2",
            Self::Deals => "0-3",
        }
    }

    /// The property holding the last modification time (contacts have their own name for it).
    pub(crate) fn modified_property(self) -> &'static str {
        match self {
            Self::Contacts => "lastmodifieddate",
            Self::Companies | Self::Deals => "hs_lastmodifieddate",
        }
    }

    /// Properties requested for companies and deals (contacts' are a setting).
    pub(crate) fn builtin_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "dealstage", "closedate"],
        }
    }

    /// A human title from the record's properties, never empty.
    pub(crate) fn title(self, id: &str, properties: &Map<String, Value>) -> String {
        let text = |name: &str| {
            properties
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let found = match self {
            Self::Contacts => {
                let name = [text("firstname"), text("lastname")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(name)
                    .filter(|n| !n.is_empty())
                    .or_else(|| text("email").map(str::to_owned))
            }
            Self::Companies => text("name").or_else(|| text("domain")).map(str::to_owned),
            Self::Deals => text("dealname").map(str::to_owned),
        };
        found.unwrap_or_else(|| {
            let kind = match self {
                Self::Contacts => "Contact",
                Self::Companies => "Company",
                Self::Deals => "Deal",
            };
            format!("{kind} {id}")
        })
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

#[derive(Deserialize)]
struct ListResponse {
    results: Vec<Record>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Record {
    id: Value,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    #[serde(default, rename = "createdAt")]
    created_at: Option<String>,
    #[serde(default, rename = "updatedAt")]
    updated_at: Option<String>,
    #[serde(default, rename = "archivedAt")]
    archived_at: Option<String>,
    /// "Direct URL for this object in the portal" (optional): right for EU portals too.
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    next: Option<NextPage>,
}

/// `paging.next`. Only `after` is used: `link` is HubSpot's suggestion of a URL, and following a
/// URL from a response body would let that body send our bearer token anywhere.
#[derive(Deserialize)]
struct NextPage {
    after: Value,
}

fn timestamp(raw: Option<&str>) -> Option<DateTime<Utc>> {
    raw.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// HubSpot's own link to a record, when it is an `https` URL on one of HubSpot's hosts
/// (`app.hubspot.com`, `app-eu1.hubspot.com`…): a link from a response body is shown to people,
/// so it must not point anywhere else.
fn record_link(raw: Option<&str>) -> Option<String> {
    let url = Url::parse(raw?).ok()?;
    let host = url.host_str()?;
    let hubspot = host == "hubspot.com" || host.ends_with(".hubspot.com");
    (url.scheme() == "https" && hubspot && url.username().is_empty()).then(|| url.to_string())
}

fn id_text(value: Value, what: &str) -> Result<String, Error> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::InvalidResponse(format!("{what} is not a string"))),
    }
}

/// Parses one page of a CRM objects list.
pub(crate) fn parse_page(
    kind: ObjectKind,
    body: &[u8],
    web_base: &Url,
    hub_id: Option<&str>,
) -> Result<Page, Error> {
    let list: ListResponse = serde_json::from_slice(body).map_err(|e| {
        Error::InvalidResponse(format!(
            "{kind} page is not the documented JSON ({})",
            json_reason(&e)
        ))
    })?;
    let items = list
        .results
        .into_iter()
        .map(|record| {
            let id = id_text(record.id, "a record id")?;
            let properties = record.properties.unwrap_or_default();
            let url = match (record_link(record.url.as_deref()), hub_id) {
                (Some(link), _) => Some(link),
                (None, Some(hub)) => Some(
                    append_path(
                        web_base,
                        "/contacts/{hub}/record/{type}/{id}",
                        &[("hub", hub), ("type", kind.type_id()), ("id", &id)],
                    )
                    .map_err(|e| match e {
                        Error::InvalidInput(_) => Error::InvalidResponse(
                            "a record id is not a usable path segment".into(),
                        ),
                        e => e,
                    })?
                    .to_string(),
                ),
                (None, None) => None,
            };
            Ok(IntegrationItem {
                title: kind.title(&id, &properties),
                item_type: Some(kind.item_type().to_owned()),
                url,
                parent_id: None,
                created_at: timestamp(record.created_at.as_deref()),
                updated_at: timestamp(record.updated_at.as_deref()),
                properties,
                id,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // `after` is an opaque "paging cursor token" (any string): wrapped, never interpreted.
    let next_cursor = match list.paging.and_then(|p| p.next) {
        Some(next) => Some(Cursor::wrap(&id_text(next.after, "paging.next.after")?)?),
        None => None,
    };
    Ok(Page { items, next_cursor })
}

/// An archived record: its id and when it was archived.
pub(crate) type Archived = (String, Option<DateTime<Utc>>);

/// Ids and archive times of a page of archived records, and the next page's `after`.
pub(crate) fn parse_archived(body: &[u8]) -> Result<(Vec<Archived>, Option<String>), Error> {
    let list: ListResponse = serde_json::from_slice(body).map_err(|e| {
        Error::InvalidResponse(format!(
            "the archived page is not the documented JSON ({})",
            json_reason(&e)
        ))
    })?;
    let records = list
        .results
        .into_iter()
        .map(|r| {
            // `archivedAt` is optional in the spec; `updatedAt` is required, and archiving a
            // record updates it. Without either, the record has no time to place it in a
            // window, and it is reported (rather than lost) in every window.
            let at = timestamp(r.archived_at.as_deref()).or(timestamp(r.updated_at.as_deref()));
            Ok((id_text(r.id, "a record id")?, at))
        })
        .collect::<Result<_, Error>>()?;
    let next = list
        .paging
        .and_then(|p| p.next)
        .map(|n| id_text(n.after, "paging.next.after"));
    Ok((records, next.transpose()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn contact_titles_fall_back() {
        let k = ObjectKind::Contacts;
        assert_eq!(
            k.title(
                "1",
                &props(json!({"firstname": " Ada ", "lastname": "Lovelace"}))
            ),
            "Ada Lovelace"
        );
        assert_eq!(
            k.title("1", &props(json!({"lastname": "Lovelace"}))),
            "Lovelace"
        );
        assert_eq!(
            k.title(
                "1",
                &props(json!({"firstname": null, "lastname": "", "email": "a@b.c"}))
            ),
            "a@b.c"
        );
        assert_eq!(k.title("1", &props(json!({}))), "Contact 1");
    }

    #[test]
    fn company_and_deal_titles() {
        assert_eq!(
            ObjectKind::Companies.title("2", &props(json!({"name": "Acme"}))),
            "Acme"
        );
        assert_eq!(
            ObjectKind::Companies.title("2", &props(json!({"domain": "acme.io"}))),
            "acme.io"
        );
        assert_eq!(ObjectKind::Deals.title("3", &props(json!({}))), "Deal 3");
    }

    #[test]
    fn hubspots_own_record_links_are_kept_for_eu_portals_and_others_are_rebuilt() {
        let web = Url::parse("https://app.hubspot.com/").unwrap();
        let body = json!({"results": [
            {"id": "1", "properties": {}, "createdAt": "2024-01-02T03:04:05Z", "updatedAt": "2024-01-02T03:04:05Z", "archived": false,
             "url": "https://app-eu1.hubspot.com/contacts/7/record/0-1/1"},
            {"id": "2", "properties": {}, "createdAt": "2024-01-02T03:04:05Z", "updatedAt": "2024-01-02T03:04:05Z", "archived": false,
             "url": "https://evil.example/contacts/7/record/0-1/2"},
            {"id": "3", "properties": {}, "createdAt": "2024-01-02T03:04:05Z", "updatedAt": "2024-01-02T03:04:05Z", "archived": false},
        ]});
        let page = parse_page(
            ObjectKind::Contacts,
            body.to_string().as_bytes(),
            &web,
            Some("7"),
        )
        .unwrap();
        let urls: Vec<_> = page
            .items
            .iter()
            .map(|i| i.url.as_deref().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "https://app-eu1.hubspot.com/contacts/7/record/0-1/1",
                "https://app.hubspot.com/contacts/7/record/0-1/2",
                "https://app.hubspot.com/contacts/7/record/0-1/3",
            ]
        );
    }

    /// `archivedAt` is optional in the spec: the required `updatedAt` places the deletion.
    #[test]
    fn an_archived_record_without_archived_at_is_placed_by_updated_at() {
        let body = json!({"results": [
            {"id": "1", "properties": {}, "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-02-01T00:00:00.5Z", "archived": true},
            {"id": "2", "properties": {}, "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-02-01T00:00:00Z", "archived": true, "archivedAt": "2024-03-01T00:00:00.123456Z"},
        ], "paging": {"next": {"after": "NTI1Cg%3D%3D"}}});
        let (records, next) = parse_archived(body.to_string().as_bytes()).unwrap();
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        assert_eq!(
            records,
            [
                ("1".to_owned(), at("2024-02-01T00:00:00.5Z")),
                ("2".to_owned(), at("2024-03-01T00:00:00.123456Z")),
            ]
        );
        assert_eq!(next.as_deref(), Some("NTI1Cg%3D%3D"));
    }

    #[test]
    fn kinds_parse() {
        assert_eq!(ObjectKind::parse("Contacts"), Some(ObjectKind::Contacts));
        assert_eq!(ObjectKind::parse("company"), Some(ObjectKind::Companies));
        assert_eq!(ObjectKind::parse("tickets"), None);
    }
}
