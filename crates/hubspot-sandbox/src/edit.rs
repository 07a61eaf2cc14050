//! Editing one record by hand: which properties a person may set, how their values are checked
//! (as HubSpot checks them), and the change itself.
//!
//! The admin knob ([`crate::Sandbox::modify_records`]) moves one property to its "next" value;
//! here a person (the records page, [`crate::Sandbox::edit_record`]) sets a property to a value
//! of their choosing. The change is stored like the knob's (a [`Mutation`] with the new
//! last-modified time, remembered for the lagging search index), and becomes the same
//! `{type}.propertyChange` webhook event and journal entry.

use crate::seed::{
    CALL_DIRECTIONS, CALL_STATUSES, Catalog, DEAL_STAGES, EMAIL_DIRECTIONS, EMAIL_STATUSES,
    INDUSTRIES, LIFECYCLE_STAGES, MEETING_OUTCOMES, ObjectType, PRODUCT_TYPES, QUOTE_STATUSES,
    RECURRING_FREQUENCIES, SPECIES, TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES, TICKET_CATEGORIES,
    TICKET_PIPELINES, TICKET_PRIORITIES, TICKET_SOURCES, TICKET_STAGES, millis_to_time,
};
use crate::store::{self, Mutation, Mutations};

/// What values a property takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text (HubSpot's single-line text, up to 65,536 characters).
    Text,
    /// An e-mail address (HubSpot refuses a malformed one with `INVALID_EMAIL`).
    Email,
    /// A number (`1500`, `1500.50`, `-3`).
    Number,
    /// A date-time: epoch milliseconds, `YYYY-MM-DD` (midnight UTC) or RFC 3339.
    DateTime,
    /// An enumeration: one of these internal values.
    Choice(&'static [&'static str]),
}

/// One property a person may edit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Editable {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// Cannot be cleared (`""`).
    pub required: bool,
}

const fn field(name: &'static str, label: &'static str, kind: Kind) -> Editable {
    Editable {
        name,
        label,
        kind,
        required: false,
    }
}

const fn required(name: &'static str, label: &'static str, kind: Kind) -> Editable {
    Editable {
        name,
        label,
        kind,
        required: true,
    }
}

/// The deal owners generated records use (`hubspot_owner_id` 41200000 to 41200007).
const OWNERS: &[&str] = &[
    "41200000", "41200001", "41200002", "41200003", "41200004", "41200005", "41200006", "41200007",
];

/// The one deal pipeline of the sandbox portal.
const PIPELINES: &[&str] = &["default"];

const CONTACTS: &[Editable] = &[
    field("firstname", "First name", Kind::Text),
    field("lastname", "Last name", Kind::Text),
    field("email", "Email", Kind::Email),
    field("phone", "Phone number", Kind::Text),
    field("company", "Company name", Kind::Text),
    field("jobtitle", "Job title", Kind::Text),
    field("city", "City", Kind::Text),
    field("country", "Country/Region", Kind::Text),
    field("website", "Website URL", Kind::Text),
    field(
        "lifecyclestage",
        "Lifecycle stage",
        Kind::Choice(LIFECYCLE_STAGES),
    ),
];

const COMPANIES: &[Editable] = &[
    field("name", "Company name", Kind::Text),
    field("domain", "Company domain name", Kind::Text),
    field("industry", "Industry", Kind::Choice(INDUSTRIES)),
    field("phone", "Phone number", Kind::Text),
    field("city", "City", Kind::Text),
    field("country", "Country/Region", Kind::Text),
    field("numberofemployees", "Number of employees", Kind::Number),
    field("annualrevenue", "Annual revenue", Kind::Number),
    field(
        "lifecyclestage",
        "Lifecycle stage",
        Kind::Choice(LIFECYCLE_STAGES),
    ),
];

const DEALS: &[Editable] = &[
    required("dealname", "Deal name", Kind::Text),
    field("amount", "Amount", Kind::Number),
    required("dealstage", "Deal stage", Kind::Choice(DEAL_STAGES)),
    required("pipeline", "Pipeline", Kind::Choice(PIPELINES)),
    field("closedate", "Close date", Kind::DateTime),
    field("hubspot_owner_id", "Deal owner", Kind::Choice(OWNERS)),
];

const TICKETS: &[Editable] = &[
    required("subject", "Ticket name", Kind::Text),
    field("content", "Ticket description", Kind::Text),
    required("hs_pipeline", "Pipeline", Kind::Choice(TICKET_PIPELINES)),
    required(
        "hs_pipeline_stage",
        "Ticket status",
        Kind::Choice(TICKET_STAGES),
    ),
    field(
        "hs_ticket_priority",
        "Priority",
        Kind::Choice(TICKET_PRIORITIES),
    ),
    field(
        "hs_ticket_category",
        "Category",
        Kind::Choice(TICKET_CATEGORIES),
    ),
    field("source_type", "Source", Kind::Choice(TICKET_SOURCES)),
    field("hubspot_owner_id", "Ticket owner", Kind::Choice(OWNERS)),
];

const PRODUCTS: &[Editable] = &[
    required("name", "Name", Kind::Text),
    field("description", "Description", Kind::Text),
    field("price", "Unit price", Kind::Number),
    field("hs_sku", "SKU", Kind::Text),
    field(
        "hs_product_type",
        "Product type",
        Kind::Choice(PRODUCT_TYPES),
    ),
    field("hs_cost_of_goods_sold", "Unit cost", Kind::Number),
];

const LINE_ITEMS: &[Editable] = &[
    required("name", "Name", Kind::Text),
    field("quantity", "Quantity", Kind::Number),
    field("price", "Unit price", Kind::Number),
    field("amount", "Net price", Kind::Number),
    field("hs_product_id", "Product ID", Kind::Number),
    field(
        "recurringbillingfrequency",
        "Billing frequency",
        Kind::Choice(RECURRING_FREQUENCIES),
    ),
];

const QUOTES: &[Editable] = &[
    required("hs_title", "Quote name", Kind::Text),
    required("hs_expiration_date", "Expiration date", Kind::DateTime),
    field(
        "hs_status",
        "Quote approval status",
        Kind::Choice(QUOTE_STATUSES),
    ),
    field("hs_public_url_key", "Public URL key", Kind::Text),
    field("hs_quote_amount", "Quote amount", Kind::Number),
    field("hubspot_owner_id", "Quote owner", Kind::Choice(OWNERS)),
];

const CALLS: &[Editable] = &[
    field("hs_call_title", "Call title", Kind::Text),
    field("hs_call_body", "Call notes", Kind::Text),
    field(
        "hs_call_direction",
        "Call direction",
        Kind::Choice(CALL_DIRECTIONS),
    ),
    field("hs_call_duration", "Call duration", Kind::Number),
    field("hs_call_status", "Call status", Kind::Choice(CALL_STATUSES)),
    required("hs_timestamp", "Activity date", Kind::DateTime),
    field(
        "hubspot_owner_id",
        "Activity assigned to",
        Kind::Choice(OWNERS),
    ),
];

const EMAILS: &[Editable] = &[
    field("hs_email_subject", "Email subject", Kind::Text),
    field("hs_email_text", "Email body", Kind::Text),
    field(
        "hs_email_direction",
        "Email direction",
        Kind::Choice(EMAIL_DIRECTIONS),
    ),
    field(
        "hs_email_status",
        "Email send status",
        Kind::Choice(EMAIL_STATUSES),
    ),
    required("hs_timestamp", "Activity date", Kind::DateTime),
    field(
        "hubspot_owner_id",
        "Activity assigned to",
        Kind::Choice(OWNERS),
    ),
];

const MEETINGS: &[Editable] = &[
    field("hs_meeting_title", "Meeting name", Kind::Text),
    field("hs_meeting_body", "Meeting description", Kind::Text),
    field(
        "hs_meeting_start_time",
        "Meeting start time",
        Kind::DateTime,
    ),
    field("hs_meeting_end_time", "Meeting end time", Kind::DateTime),
    field("hs_meeting_location", "Meeting location", Kind::Text),
    field(
        "hs_meeting_outcome",
        "Meeting outcome",
        Kind::Choice(MEETING_OUTCOMES),
    ),
    required("hs_timestamp", "Activity date", Kind::DateTime),
    field(
        "hubspot_owner_id",
        "Activity assigned to",
        Kind::Choice(OWNERS),
    ),
];

const NOTES: &[Editable] = &[
    field("hs_note_body", "Note body", Kind::Text),
    required("hs_timestamp", "Activity date", Kind::DateTime),
    field(
        "hubspot_owner_id",
        "Activity assigned to",
        Kind::Choice(OWNERS),
    ),
];

const TASKS: &[Editable] = &[
    field("hs_task_subject", "Task title", Kind::Text),
    field("hs_task_body", "Task notes", Kind::Text),
    field("hs_task_status", "Task status", Kind::Choice(TASK_STATUSES)),
    field(
        "hs_task_priority",
        "Priority",
        Kind::Choice(TASK_PRIORITIES),
    ),
    field("hs_task_type", "Task type", Kind::Choice(TASK_TYPES)),
    required("hs_timestamp", "Due date", Kind::DateTime),
    field(
        "hubspot_owner_id",
        "Activity assigned to",
        Kind::Choice(OWNERS),
    ),
];

const PETS: &[Editable] = &[
    required("name", "Name", Kind::Text),
    field("species", "Species", Kind::Choice(SPECIES)),
    field("breed", "Breed", Kind::Text),
    field("weight_kg", "Weight (kg)", Kind::Number),
    field("vaccinated", "Vaccinated", Kind::Choice(&["true", "false"])),
];

/// The properties of `object` a person may edit: every generated one but the id and the
/// dates HubSpot sets itself (`createdate`, the last-modified date).
pub(crate) fn editable(object: ObjectType) -> &'static [Editable] {
    match object {
        ObjectType::Contacts => CONTACTS,
        ObjectType::Companies => COMPANIES,
        ObjectType::Deals => DEALS,
        ObjectType::Tickets => TICKETS,
        ObjectType::Products => PRODUCTS,
        ObjectType::LineItems => LINE_ITEMS,
        ObjectType::Quotes => QUOTES,
        ObjectType::Calls => CALLS,
        ObjectType::Emails => EMAILS,
        ObjectType::Meetings => MEETINGS,
        ObjectType::Notes => NOTES,
        ObjectType::Tasks => TASKS,
        ObjectType::Pets => PETS,
    }
}

/// Why [`crate::Sandbox::edit_record`] refused an edit. Nothing changed, no event was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EditError {
    /// No live record of that type has this id (never existed, archived or deleted).
    NoSuchRecord {
        /// The object type asked for.
        object: ObjectType,
        /// The id asked for.
        id: u64,
    },
    /// The object type has no property of that name.
    UnknownProperty {
        /// The object type asked for.
        object: ObjectType,
        /// The name given.
        property: String,
    },
    /// HubSpot sets this property itself (`hs_object_id`, `createdate`, the last-modified
    /// date).
    ReadOnlyProperty {
        /// The object type asked for.
        object: ObjectType,
        /// The name given.
        property: String,
    },
    /// The value is not one HubSpot would accept for the property.
    InvalidValue {
        /// The property.
        property: String,
        /// Why, in words.
        message: String,
    },
    /// The record changed after the edit form was rendered (only the records page checks).
    Conflict {
        /// The object type.
        object: ObjectType,
        /// The record's id.
        id: u64,
    },
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSuchRecord { object, id } => {
                write!(f, "There is no live {} with id {id}.", singular(*object))
            }
            Self::UnknownProperty { object, property } => write!(
                f,
                "Property '{property}' does not exist on {}.",
                object.name()
            ),
            Self::ReadOnlyProperty { object, property } => write!(
                f,
                "Property '{property}' of {} is read-only: HubSpot sets it.",
                object.name()
            ),
            Self::InvalidValue { property, message } => {
                write!(f, "Property '{property}' was not valid: {message}")
            }
            Self::Conflict { object, id } => write!(
                f,
                "{} {id} changed after this page was loaded; it is shown again with its \
                 current values.",
                capitalised(singular(*object))
            ),
        }
    }
}

impl std::error::Error for EditError {}

/// What an edit did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edited {
    /// The property's value now, as the API renders it.
    pub value: String,
    /// `false` when the record already had that value: then nothing was stored and no event
    /// was sent (HubSpot sends `propertyChange` only for a change).
    pub changed: bool,
}

pub(crate) fn singular(object: ObjectType) -> &'static str {
    match object {
        ObjectType::Contacts => "contact",
        ObjectType::Companies => "company",
        ObjectType::Deals => "deal",
        ObjectType::Tickets => "ticket",
        ObjectType::Products => "product",
        ObjectType::LineItems => "line item",
        ObjectType::Quotes => "quote",
        ObjectType::Calls => "call",
        ObjectType::Emails => "email",
        ObjectType::Meetings => "meeting",
        ObjectType::Notes => "note",
        ObjectType::Tasks => "task",
        ObjectType::Pets => "pet",
    }
}

pub(crate) fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The editable property `name` of `object`, or why not.
pub(crate) fn lookup(object: ObjectType, name: &str) -> Result<&'static Editable, EditError> {
    if let Some(property) = editable(object).iter().find(|p| p.name == name) {
        return Ok(property);
    }
    if object.known_properties().contains(&name) {
        Err(EditError::ReadOnlyProperty {
            object,
            property: name.to_owned(),
        })
    } else {
        Err(EditError::UnknownProperty {
            object,
            property: name.to_owned(),
        })
    }
}

/// A checked value: what the record stores and what the event says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    /// As the API renders it (a date-time in the record's precision).
    pub stored: String,
    /// As a webhook's `propertyValue` (a date-time as epoch milliseconds, as HubSpot sends).
    pub event: String,
}

/// HubSpot's limit on a string property's value.
const MAX_TEXT: usize = 65_536;

/// Checks `raw` for `property` of record `id`, as HubSpot would.
pub(crate) fn check(
    catalog: &Catalog,
    object: ObjectType,
    id: u64,
    property: &Editable,
    raw: &str,
) -> Result<Value, EditError> {
    let invalid = |message: String| EditError::InvalidValue {
        property: property.name.to_owned(),
        message,
    };
    let plain = |value: String| Value {
        event: value.clone(),
        stored: value,
    };
    if raw.chars().count() > MAX_TEXT {
        return Err(invalid(format!(
            "a value may have at most {MAX_TEXT} characters."
        )));
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() && property.kind != Kind::Text || raw.is_empty() {
        return if property.required {
            Err(invalid("a value is required.".to_owned()))
        } else {
            Ok(plain(String::new()))
        };
    }
    match property.kind {
        Kind::Text => {
            if property.required && trimmed.is_empty() {
                return Err(invalid("a value is required.".to_owned()));
            }
            if raw.chars().any(char::is_control) {
                return Err(invalid(
                    "line breaks and control characters are not allowed.".to_owned(),
                ));
            }
            Ok(plain(raw.to_owned()))
        }
        Kind::Email => {
            let email = trimmed.to_ascii_lowercase();
            if is_email(&email) {
                Ok(plain(email))
            } else {
                Err(invalid(format!("Email address {trimmed} is invalid.")))
            }
        }
        Kind::Number => match trimmed.parse::<f64>() {
            Ok(n)
                if n.is_finite()
                    && trimmed
                        .chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-')) =>
            {
                Ok(plain(trimmed.to_owned()))
            }
            _ => Err(invalid(format!("{trimmed} was not a valid number."))),
        },
        Kind::DateTime => {
            let ms = parse_date_time(trimmed).ok_or_else(|| {
                invalid(format!(
                    "{trimmed} is not a valid date: use epoch milliseconds, YYYY-MM-DD or an \
                     ISO 8601 date-time."
                ))
            })?;
            let ms = catalog.quantize(object, id, ms);
            Ok(Value {
                stored: crate::time::format_digits(millis_to_time(ms), catalog.digits(object, id)),
                event: ms.to_string(),
            })
        }
        Kind::Choice(options) => {
            if options.contains(&trimmed) {
                Ok(plain(trimmed.to_owned()))
            } else {
                Err(invalid(format!(
                    "{trimmed} was not one of the allowed options: [{}]",
                    options.join(", ")
                )))
            }
        }
    }
}

/// A plain address: one `@`, a local part without spaces, a dotted domain of letters, digits
/// and hyphens with a top-level domain of two letters or more.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok && email.len() <= 254
}

/// Epoch milliseconds, `YYYY-MM-DD` (midnight UTC) or RFC 3339.
fn parse_date_time(text: &str) -> Option<i64> {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        let ms: i64 = text.parse().ok()?;
        return chrono::DateTime::from_timestamp_millis(ms).map(|t| t.timestamp_millis());
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Sets the checked `values` on live record `id` at `now_ms`, the ones that differ from the
/// record's current values; with `expected_modified_ms`, only if the record's last-modified
/// time is still that. Returns the properties changed, with their event values.
pub(crate) fn apply(
    catalog: &Catalog,
    object: ObjectType,
    mutations: &mut Mutations,
    id: u64,
    values: &[(&'static str, Value)],
    expected_modified_ms: Option<i64>,
    now_ms: i64,
) -> Result<Vec<(&'static str, String)>, EditError> {
    let index = catalog
        .index_of(object, id)
        .filter(|_| store::is_live(id, mutations))
        .ok_or(EditError::NoSuchRecord { object, id })?;
    if expected_modified_ms.is_some_and(|ms| ms != modified_ms(catalog, object, index, mutations)) {
        return Err(EditError::Conflict { object, id });
    }
    let current = store::record(catalog, object, index, mutations);
    let changed: Vec<&(&'static str, Value)> = values
        .iter()
        .filter(|(name, value)| {
            current.properties.get(name).map_or("", String::as_str) != value.stored
        })
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let entry: &mut Mutation = store::remember(mutations, id);
    entry.modified_ms = catalog.quantize(object, id, now_ms);
    entry.changed_ms = now_ms;
    for (name, value) in &changed {
        entry.properties.insert(name, value.stored.clone());
    }
    Ok(changed
        .into_iter()
        .map(|(name, value)| (*name, value.event.clone()))
        .collect())
}

/// The last-modified time of record `index` now, epoch milliseconds.
pub(crate) fn modified_ms(
    catalog: &Catalog,
    object: ObjectType,
    index: usize,
    mutations: &Mutations,
) -> i64 {
    let id = catalog.id(object, index);
    mutations
        .get(&id)
        .map_or_else(|| catalog.modified_ms(object, index), |m| m.modified_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(object: ObjectType, name: &str, raw: &str) -> Result<String, EditError> {
        let catalog = Catalog::new(42, 10, 10, 10);
        let id = catalog.id(object, 0);
        let property = lookup(object, name)?;
        check(&catalog, object, id, property, raw).map(|v| v.stored)
    }

    #[test]
    fn values_are_checked_as_hubspot_checks_them() {
        use ObjectType::{Companies, Contacts, Deals};
        assert_eq!(
            checked(Contacts, "lifecyclestage", "customer").unwrap(),
            "customer"
        );
        assert!(checked(Contacts, "lifecyclestage", "Customer").is_err());
        assert_eq!(checked(Contacts, "lifecyclestage", "").unwrap(), "");
        assert!(checked(Deals, "dealstage", "").is_err(), "required");
        assert!(checked(Deals, "dealstage", "won").is_err());
        assert_eq!(
            checked(Deals, "dealstage", "closedwon").unwrap(),
            "closedwon"
        );
        assert!(checked(Deals, "pipeline", "other").is_err());
        assert_eq!(
            checked(Contacts, "email", " Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "ada", "ada@", "@x.io", "a b@x.io", "a@x", "a@x.1", "a@@x.io", "a@-x.io",
        ] {
            assert!(checked(Contacts, "email", bad).is_err(), "{bad}");
        }
        assert_eq!(checked(Contacts, "email", "").unwrap(), "");
        assert_eq!(checked(Deals, "amount", "1500.50").unwrap(), "1500.50");
        for bad in ["1e3", "inf", "NaN", "12abc", "1,000"] {
            assert!(checked(Deals, "amount", bad).is_err(), "{bad}");
        }
        assert!(checked(Companies, "industry", "RETAIL").is_ok());
        assert!(checked(Companies, "industry", "retail").is_err());
        assert!(checked(Contacts, "firstname", "Ada\nLovelace").is_err());
        assert!(checked(Deals, "dealname", "  ").is_err(), "required");
        let date = checked(Deals, "closedate", "2025-03-01").unwrap();
        assert!(date.starts_with("2025-03-01T00:00:00"), "{date}");
        assert!(checked(Deals, "closedate", "1740787200000").is_ok());
        assert!(checked(Deals, "closedate", "next week").is_err());
        assert!(matches!(
            checked(Contacts, "hs_object_id", "1"),
            Err(EditError::ReadOnlyProperty { .. })
        ));
        assert!(matches!(
            checked(Contacts, "lastmodifieddate", "1"),
            Err(EditError::ReadOnlyProperty { .. })
        ));
        assert!(matches!(
            checked(Contacts, "dealstage", "closedwon"),
            Err(EditError::UnknownProperty { .. })
        ));
    }

    #[test]
    fn every_editable_property_is_a_known_one() {
        for object in ObjectType::ALL {
            for property in editable(object) {
                assert!(object.known_properties().contains(&property.name));
                assert!(!object.always_properties().contains(&property.name));
            }
        }
    }
}
