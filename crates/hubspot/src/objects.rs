//! CRM objects (`GET /crm/v3/objects/{object}`) and their mapping to [`IntegrationItem`].

use std::fmt;

use chrono::{DateTime, Utc};
use integration_core::{Cursor, Error, IntegrationItem, Page};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::http::json_reason;
use integration_core::kit::append_path;

/// One of HubSpot's standard CRM objects: how its APIs, links and scopes name it, what is read of
/// it by default and what titles its records.
#[derive(Debug, PartialEq, Eq)]
pub struct Standard {
    /// The name in API paths and in our `object_type` (`line_items`).
    pub id: &'static str,
    /// [`IntegrationItem::item_type`] (`line_item`).
    pub singular: &'static str,
    /// HubSpot's object type id, used in record links (`0-8`).
    pub type_id: &'static str,
    /// What a list of them is called (`Line items`).
    pub label: &'static str,
    /// What one is called, in a fallback title (`Line item`).
    pub noun: &'static str,
    /// Any one of these granted scopes reads it (engagements are readable with the contacts
    /// scope too, as HubSpot documents).
    pub scopes: &'static [&'static str],
    /// Properties read when the caller names none (contacts' are a setting).
    pub properties: &'static [&'static str],
    /// Properties that title a record, first non-empty wins.
    title: &'static [&'static str],
}

/// HubSpot's standard objects, in the order discovery lists them.
pub const STANDARD: [Standard; 12] = [
    Standard {
        id: "contacts",
        singular: "contact",
        type_id: "0-1",
        label: "Contacts",
        noun: "Contact",
        scopes: &["crm.objects.contacts.read"],
        properties: &["firstname", "lastname", "email"],
        title: &["email"],
    },
    Standard {
        id: "companies",
        singular: "company",
        type_id: "0-2",
        label: "Companies",
        noun: "Company",
        scopes: &["crm.objects.companies.read"],
        properties: &["name", "domain"],
        title: &["name", "domain"],
    },
    Standard {
        id: "deals",
        singular: "deal",
        type_id: "0-3",
        label: "Deals",
        noun: "Deal",
        scopes: &["crm.objects.deals.read"],
        properties: &["dealname", "amount", "dealstage", "closedate"],
        title: &["dealname"],
    },
    Standard {
        id: "tickets",
        singular: "ticket",
        type_id: "0-5",
        label: "Tickets",
        noun: "Ticket",
        scopes: &["tickets"],
        properties: &[
            "subject",
            "content",
            "hs_pipeline_stage",
            "hs_ticket_priority",
        ],
        title: &["subject"],
    },
    Standard {
        id: "products",
        singular: "product",
        type_id: "0-7",
        label: "Products",
        noun: "Product",
        scopes: &["e-commerce", "crm.objects.products.read"],
        properties: &["name", "price", "hs_sku"],
        title: &["name", "hs_sku"],
    },
    Standard {
        id: "line_items",
        singular: "line_item",
        type_id: "0-8",
        label: "Line items",
        noun: "Line item",
        scopes: &["e-commerce", "crm.objects.line_items.read"],
        properties: &["name", "quantity", "price", "amount"],
        title: &["name"],
    },
    Standard {
        id: "quotes",
        singular: "quote",
        type_id: "0-14",
        label: "Quotes",
        noun: "Quote",
        scopes: &["crm.objects.quotes.read"],
        properties: &["hs_title", "hs_expiration_date", "hs_status"],
        title: &["hs_title"],
    },
    Standard {
        id: "calls",
        singular: "call",
        type_id: "0-48",
        label: "Calls",
        noun: "Call",
        scopes: &["crm.objects.calls.read", "crm.objects.contacts.read"],
        properties: &[
            "hs_call_title",
            "hs_call_body",
            "hs_call_direction",
            "hs_timestamp",
        ],
        title: &["hs_call_title", "hs_call_body"],
    },
    Standard {
        id: "emails",
        singular: "email",
        type_id: "0-49",
        label: "Emails",
        noun: "Email",
        scopes: &["crm.objects.emails.read", "crm.objects.contacts.read"],
        properties: &["hs_email_subject", "hs_email_text", "hs_timestamp"],
        title: &["hs_email_subject", "hs_email_text"],
    },
    Standard {
        id: "meetings",
        singular: "meeting",
        type_id: "0-47",
        label: "Meetings",
        noun: "Meeting",
        scopes: &["crm.objects.meetings.read", "crm.objects.contacts.read"],
        properties: &[
            "hs_meeting_title",
            "hs_meeting_body",
            "hs_meeting_start_time",
        ],
        title: &["hs_meeting_title", "hs_meeting_body"],
    },
    Standard {
        id: "notes",
        singular: "note",
        type_id: "0-46",
        label: "Notes",
        noun: "Note",
        scopes: &["crm.objects.notes.read", "crm.objects.contacts.read"],
        properties: &["hs_note_body", "hs_timestamp"],
        title: &["hs_note_body"],
    },
    Standard {
        id: "tasks",
        singular: "task",
        type_id: "0-27",
        label: "Tasks",
        noun: "Task",
        scopes: &["crm.objects.tasks.read", "crm.objects.contacts.read"],
        properties: &[
            "hs_task_subject",
            "hs_task_body",
            "hs_task_status",
            "hs_timestamp",
        ],
        title: &["hs_task_subject", "hs_task_body"],
    },
];

/// The scopes that read custom objects' records.
pub const CUSTOM_SCOPES: &[&str] = &["crm.objects.custom.read"];

/// Properties read of a custom object when the caller names none: `name` titles most custom
/// objects, and HubSpot ignores a property an object does not have.
const CUSTOM_PROPERTIES: &[&str] = &["name"];

/// The longest title made of a record's text (a note's body): enough to recognise it.
const MAX_TITLE_CHARS: usize = 120;

/// A CRM object type: one of HubSpot's standard objects, or one of the portal's custom objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    /// A standard object.
    Standard(&'static Standard),
    /// A custom object, by a name HubSpot's object APIs take for it: its `objectTypeId`
    /// (`2-3508482`) or fully qualified name (`p1234_pets`).
    Custom(String),
}

impl ObjectKind {
    /// `contacts` (`0-1`).
    pub const CONTACTS: Self = Self::Standard(&STANDARD[0]);
    /// `companies` (`0-2`).
    pub const COMPANIES: Self = Self::Standard(&STANDARD[1]);
    /// `deals` (`0-3`).
    pub const DEALS: Self = Self::Standard(&STANDARD[2]);

    /// Parses an [`ItemQuery::object_type`](integration_core::ItemQuery::object_type): a
    /// standard object's plural API name, singular or type id (any case), or a custom object's
    /// `objectTypeId` (`2-…`) or fully qualified name (`p{portal}_{name}`).
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.to_ascii_lowercase();
        if let Some(standard) = STANDARD
            .iter()
            .find(|s| [s.id, s.singular, s.type_id].contains(&lower.as_str()))
        {
            return Some(Self::Standard(standard));
        }
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        let custom = match lower.split_once(['-', '_']) {
            Some(("2", id)) => digits(id) && raw.as_bytes()[1] == b'-',
            Some((portal, name)) => {
                portal.strip_prefix('p').is_some_and(digits)
                    && raw.as_bytes()[portal.len()] == b'_'
                    && !name.is_empty()
                    && name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            }
            None => false,
        };
        custom.then_some(Self::Custom(lower))
    }

    /// The name in API paths (`contacts`, `2-3508482`).
    pub fn api_name(&self) -> &str {
        match self {
            Self::Standard(s) => s.id,
            Self::Custom(name) => name,
        }
    }

    /// [`IntegrationItem::item_type`] (`contact`; a custom object's API name).
    pub fn item_type(&self) -> &str {
        match self {
            Self::Standard(s) => s.singular,
            Self::Custom(name) => name,
        }
    }

    /// HubSpot's object type id, used in record links (`0-1`; a custom object's API name,
    /// which record links take too).
    pub fn type_id(&self) -> &str {
        match self {
            Self::Standard(s) => s.type_id,
            Self::Custom(name) => name,
        }
    }

    /// The scopes any one of which reads this kind.
    pub fn scopes(&self) -> &'static [&'static str] {
        match self {
            Self::Standard(s) => s.scopes,
            Self::Custom(_) => CUSTOM_SCOPES,
        }
    }

    /// The property holding the last modification time (contacts have their own name for it).
    pub(crate) fn modified_property(&self) -> &'static str {
        if *self == Self::CONTACTS {
            "lastmodifieddate"
        } else {
            "hs_lastmodifieddate"
        }
    }

    /// Properties requested when the caller names none (contacts' are a setting).
    pub(crate) fn builtin_properties(&self) -> &'static [&'static str] {
        match self {
            Self::Standard(s) => s.properties,
            Self::Custom(_) => CUSTOM_PROPERTIES,
        }
    }

    /// The properties a title is made of (a contact's names and e-mail, a ticket's subject…).
    pub(crate) fn title_properties(&self) -> Vec<&'static str> {
        let mut names = match self {
            Self::Standard(s) => s.title.to_vec(),
            Self::Custom(_) => CUSTOM_PROPERTIES.to_vec(),
        };
        if *self == Self::CONTACTS {
            names.splice(0..0, ["firstname", "lastname"]);
        }
        names
    }

    /// What to ask HubSpot for so that records carry `wanted` and a title of their own whatever
    /// was chosen: `wanted` plus the title's properties, and those added (to be taken off the
    /// records again with [`keep_only_asked`]).
    pub(crate) fn with_title(&self, wanted: &[String]) -> (Vec<String>, Vec<String>) {
        let added: Vec<String> = (self.title_properties().into_iter())
            .filter(|p| !wanted.iter().any(|w| w == p))
            .map(str::to_owned)
            .collect();
        let mut asked = wanted.to_vec();
        asked.extend(added.iter().cloned());
        (asked, added)
    }

    /// A human title from the record's properties, never empty.
    pub(crate) fn title(&self, id: &str, properties: &Map<String, Value>) -> String {
        // Names are kept as written; bodies (notes, e-mails, calls hold HTML) are made one line.
        let text = |name: &str| {
            let raw = properties.get(name).and_then(Value::as_str)?;
            let text = if name.ends_with("_body") || name.ends_with("_text") {
                plain_text(raw)
            } else {
                raw.trim().to_owned()
            };
            Some(text).filter(|s| !s.is_empty())
        };
        let person = (*self == Self::CONTACTS)
            .then(|| {
                [text("firstname"), text("lastname")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|n| !n.is_empty());
        let named = || match self {
            Self::Standard(s) => s.title.iter().find_map(|p| text(p)),
            Self::Custom(_) => CUSTOM_PROPERTIES.iter().find_map(|p| text(p)),
        };
        person.or_else(named).unwrap_or_else(|| match self {
            Self::Standard(s) => format!("{} {id}", s.noun),
            Self::Custom(_) => format!("Record {id}"),
        })
    }
}

/// Takes the properties asked only for titles ([`ObjectKind::with_title`]) off `items`: a
/// record carries what the caller chose.
pub(crate) fn keep_only_asked(items: &mut [IntegrationItem], added: &[String]) {
    if added.is_empty() {
        return;
    }
    for item in items {
        for name in added {
            item.properties.remove(name);
        }
    }
}

/// HTML elements that separate words (a paragraph, a line break); other tags (`<b>`, `<a>`)
/// sit inside words and sentences.
const BLOCK_TAGS: &[&str] = &[
    "p", "br", "div", "li", "ul", "ol", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6",
];

/// A property's text as one line of plain text: HTML tags (notes and e-mails hold HTML) and
/// runs of whitespace collapsed, cut at [`MAX_TITLE_CHARS`] characters.
fn plain_text(raw: &str) -> String {
    let mut out = String::new();
    let mut tag = String::new();
    let mut in_tag = false;
    let mut space = false;
    for c in raw.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name: String = (tag.trim_start_matches('/').chars())
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                space |= BLOCK_TAGS.contains(&name.as_str());
            }
            c if in_tag => tag.push(c),
            c if c.is_whitespace() => space = true,
            c => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
        if out.chars().count() >= MAX_TITLE_CHARS {
            out.push('…');
            break;
        }
    }
    out
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
    kind: &ObjectKind,
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
                associations: Default::default(),
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
        let k = ObjectKind::CONTACTS;
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
            ObjectKind::COMPANIES.title("2", &props(json!({"name": "Acme"}))),
            "Acme"
        );
        assert_eq!(
            ObjectKind::COMPANIES.title("2", &props(json!({"domain": "acme.io"}))),
            "acme.io"
        );
        assert_eq!(ObjectKind::DEALS.title("3", &props(json!({}))), "Deal 3");
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
            &ObjectKind::CONTACTS,
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
        assert_eq!(ObjectKind::parse("Contacts"), Some(ObjectKind::CONTACTS));
        assert_eq!(ObjectKind::parse("company"), Some(ObjectKind::COMPANIES));
        assert_eq!(
            ObjectKind::parse("0-5")
                .map(|k| k.api_name().to_owned())
                .as_deref(),
            Some("tickets")
        );
        assert_eq!(
            ObjectKind::parse("line_item")
                .map(|k| k.type_id().to_owned())
                .as_deref(),
            Some("0-8")
        );
        let note = ObjectKind::parse("notes").unwrap();
        assert_eq!(
            note.title(
                "9",
                &props(json!({"hs_note_body": "<p>Called   <b>Ada</b></p>\n<p>about renewal</p>"}))
            ),
            "Called Ada about renewal"
        );
        assert_eq!(
            note.title("9", &props(json!({"hs_note_body": "<br>"}))),
            "Note 9"
        );
        assert_eq!(
            note.title(
                "9",
                &props(json!({"hs_note_body": "Reset <b>after</b> the <i>call</i>.<br/>Then"}))
            ),
            "Reset after the call. Then"
        );
        let pet = ObjectKind::parse("2-77").unwrap();
        assert_eq!(pet.title("5", &props(json!({"name": "Rex"}))), "Rex");
        assert_eq!(pet.title("5", &props(json!({}))), "Record 5");
        for custom in ["2-3508482", "p1234_pets", "P1234_pet_owners"] {
            let kind = ObjectKind::parse(custom).unwrap();
            assert_eq!(kind, ObjectKind::Custom(custom.to_ascii_lowercase()));
            assert_eq!(kind.scopes(), CUSTOM_SCOPES);
        }
        for refused in [
            "pets",
            "2-",
            "2-12a",
            "3-12",
            "p_pets",
            "px_pets",
            "p12_",
            "p12_pe-ts",
            "0-999",
            "../x",
        ] {
            assert_eq!(ObjectKind::parse(refused), None, "{refused}");
        }
    }
}
