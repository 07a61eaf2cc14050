//! The portal's property definitions (`GET /crm/v3/properties/{objectType}`) and its one custom
//! object (`GET /crm-object-schemas/v3/schemas`).
//!
//! Standard properties start from what the records already carry ([`ObjectType`]'s known
//! properties, labelled and typed by the records page's [`crate::edit`] table), plus, for
//! contacts, more of HubSpot's default contact properties that records leave unset. Custom
//! properties are generated from the seed: names `vs_custom_001`… (contacts) or `vs_…`, a mix
//! of every property type, labels made of words. Everything here is a pure function of the
//! seed and the hub id, built once per sandbox.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use crate::edit::{self, Kind};
use crate::seed::{ObjectType, SPECIES, millis_to_time};

/// How many (live) properties contacts have: HubSpot's standard ones plus
/// [`CONTACT_CUSTOM_PROPERTIES`] custom ones.
pub const CONTACT_PROPERTIES: usize = 650;
/// How many of the contact properties are custom (`hubspotDefined: false`, group
/// [`CUSTOM_GROUP`], named `vs_custom_001` to `vs_custom_600`).
pub const CONTACT_CUSTOM_PROPERTIES: usize = 600;
/// The property group of every custom property on the standard object types.
pub const CUSTOM_GROUP: &str = "vectorshift_custom";

/// One option of an enumeration property (the spec's `Option`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyOption {
    /// Shown in HubSpot.
    pub label: String,
    /// The internal value records hold.
    pub value: String,
    /// Order in HubSpot's UI, from 0.
    pub display_order: i32,
    /// Hidden options are not offered in HubSpot.
    pub hidden: bool,
}

/// One property definition, as `GET /crm/v3/properties/{objectType}` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyDefinition {
    /// The internal name (`firstname`, `vs_custom_001`).
    pub name: String,
    /// The human-readable label.
    pub label: String,
    /// `type`: `string`, `number`, `date`, `datetime`, `bool` or `enumeration`.
    pub data_type: &'static str,
    /// `fieldType`: `text`, `textarea`, `phonenumber`, `number`, `date`, `booleancheckbox`,
    /// `select`, `radio` or `checkbox`.
    pub field_type: &'static str,
    /// The property group (`contactinformation`, [`CUSTOM_GROUP`], …).
    pub group_name: String,
    /// Help text; may be empty.
    pub description: String,
    /// The options of an enumeration (and of a `bool`: `true` / `false`); empty otherwise.
    pub options: Vec<PropertyOption>,
    /// `true` for HubSpot's default properties, `false` for custom ones.
    pub hubspot_defined: bool,
    /// Computed by HubSpot (`hs_object_id`, `createdate`, …): its value is read-only.
    pub calculated: bool,
    /// Its value cannot be set through the API.
    pub read_only_value: bool,
    /// Its value must be unique (`hs_object_id`).
    pub has_unique_value: bool,
    /// Options stored outside the definition (owners, pipelines).
    pub external_options: bool,
    /// Listed only with `archived=true`.
    pub archived: bool,
    /// Order in HubSpot's UI.
    pub display_order: i32,
    /// When the property was created.
    pub created_at: DateTime<Utc>,
    /// When the definition last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was archived (archived properties only).
    pub archived_at: Option<DateTime<Utc>>,
}

/// The portal's custom object, as [`crate::Sandbox::custom_object`] describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomObject {
    /// `pets`: the schema's `name`, accepted as `{objectType}`.
    pub name: &'static str,
    /// `2-…`: the schema's `id` and `objectTypeId`, accepted as `{objectType}`.
    pub object_type_id: String,
    /// `p{hub id}_pets`, accepted as `{objectType}`.
    pub fully_qualified_name: String,
    /// `Pet`.
    pub singular: &'static str,
    /// `Pets`.
    pub plural: &'static str,
    /// `name`.
    pub primary_display_property: &'static str,
    /// The association definition id from the object to contacts (`0-1`).
    pub contact_association_id: String,
}

/// What a `{objectType}` path segment names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Standard(ObjectType),
    Custom,
}

impl Target {
    /// The scopes that let a token read this type's properties: the type's read or write
    /// scope or its `crm.schemas.<type>.read` (the spec's `security` list, per type); a
    /// refusal names the read scope. The legacy `contacts` scope covers the standard types.
    pub(crate) fn needs(self) -> crate::crm::Needs {
        let name = match self {
            Self::Standard(
                object @ (ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals),
            ) => object.name(),
            Self::Standard(object) => return Self::needs_other(object),
            Self::Custom => "custom",
        };
        let required = format!("crm.objects.{name}.read");
        let mut accepted = vec![
            required.clone(),
            format!("crm.objects.{name}.write"),
            format!("crm.schemas.{name}.read"),
            format!("crm.objects.{name}.sensitive.read.v2"),
            format!("crm.objects.{name}.highly_sensitive.read.v2"),
        ];
        if matches!(self, Self::Standard(_)) {
            accepted.push("contacts".to_owned());
        }
        crate::crm::Needs { accepted, required }
    }

    /// The other standard types: whatever reads their records, or their own object read and
    /// write scopes or `crm.schemas.<type>.read`; a refusal names what reading records would.
    fn needs_other(object: ObjectType) -> crate::crm::Needs {
        let mut needs = crate::crm::Needs::read(object);
        let name = object.name();
        for scope in [
            format!("crm.objects.{name}.read"),
            format!("crm.objects.{name}.write"),
            format!("crm.schemas.{name}.read"),
        ] {
            if !needs.accepted.contains(&scope) {
                needs.accepted.push(scope);
            }
        }
        needs
    }
}

/// Every property definition of the portal, by type.
#[derive(Debug)]
pub(crate) struct Properties {
    pub custom: CustomObject,
    contacts: Vec<PropertyDefinition>,
    companies: Vec<PropertyDefinition>,
    deals: Vec<PropertyDefinition>,
    pets: Vec<PropertyDefinition>,
    /// Tickets, products, line items, quotes and the engagements.
    others: BTreeMap<ObjectType, Vec<PropertyDefinition>>,
    /// The names of the live properties of each type.
    live: BTreeMap<ObjectType, HashSet<String>>,
    /// When the custom object's schema was created and last updated.
    pub schema_created: DateTime<Utc>,
    pub schema_updated: DateTime<Utc>,
}

/// 2019-08-06T02:43:01Z: when HubSpot's default properties were "created".
const STANDARD_CREATED_MS: i64 = 1_565_059_381_000;
/// 2024-02-01T09:00:00Z: custom properties are created over the following year.
const CUSTOM_CREATED_MS: i64 = 1_706_778_000_000;
const DAY_MS: i64 = 86_400_000;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(items: &'a [&'a str], h: u64) -> &'a str {
    items[usize::try_from(h % items.len() as u64).unwrap_or(0)]
}

/// `marketingqualifiedlead` → `Marketing Qualified Lead`, `COMPUTER_SOFTWARE` →
/// `Computer Software`.
fn option_label(value: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("marketingqualifiedlead", "Marketing Qualified Lead"),
        ("salesqualifiedlead", "Sales Qualified Lead"),
        ("appointmentscheduled", "Appointment Scheduled"),
        ("qualifiedtobuy", "Qualified To Buy"),
        ("presentationscheduled", "Presentation Scheduled"),
        ("decisionmakerboughtin", "Decision Maker Bought-In"),
        ("contractsent", "Contract Sent"),
        ("closedwon", "Closed Won"),
        ("closedlost", "Closed Lost"),
        ("default", "Sales Pipeline"),
        ("0", "Support Pipeline"),
        ("1", "New"),
        ("2", "Waiting on contact"),
        ("3", "Waiting on us"),
        ("4", "Closed"),
    ];
    if let Some((_, label)) = KNOWN.iter().find(|(v, _)| *v == value) {
        return (*label).to_owned();
    }
    value
        .split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| edit::capitalised(&w.to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn options_of(values: &[&str]) -> Vec<PropertyOption> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| PropertyOption {
            label: option_label(value),
            value: (*value).to_owned(),
            display_order: i32::try_from(i).unwrap_or(i32::MAX),
            hidden: false,
        })
        .collect()
}

fn bool_options() -> Vec<PropertyOption> {
    vec![
        PropertyOption {
            label: "Yes".to_owned(),
            value: "true".to_owned(),
            display_order: 0,
            hidden: false,
        },
        PropertyOption {
            label: "No".to_owned(),
            value: "false".to_owned(),
            display_order: 1,
            hidden: false,
        },
    ]
}

/// A property's type in the table below.
#[derive(Clone, Copy)]
enum T {
    Text,
    TextArea,
    Phone,
    Number,
    Date,
    DateTime,
    Bool,
    Select(&'static [&'static str]),
    Radio(&'static [&'static str]),
    Checkbox(&'static [&'static str]),
}

impl T {
    fn types(self) -> (&'static str, &'static str) {
        match self {
            Self::Text => ("string", "text"),
            Self::TextArea => ("string", "textarea"),
            Self::Phone => ("string", "phonenumber"),
            Self::Number => ("number", "number"),
            Self::Date => ("date", "date"),
            Self::DateTime => ("datetime", "date"),
            Self::Bool => ("bool", "booleancheckbox"),
            Self::Select(_) => ("enumeration", "select"),
            Self::Radio(_) => ("enumeration", "radio"),
            Self::Checkbox(_) => ("enumeration", "checkbox"),
        }
    }

    fn options(self) -> Vec<PropertyOption> {
        match self {
            Self::Bool => bool_options(),
            Self::Select(values) | Self::Radio(values) | Self::Checkbox(values) => {
                options_of(values)
            }
            _ => Vec::new(),
        }
    }

    fn from_kind(kind: Kind) -> Self {
        match kind {
            Kind::Text | Kind::Email => Self::Text,
            Kind::Number => Self::Number,
            Kind::DateTime => Self::DateTime,
            Kind::Choice(values) => Self::Select(values),
        }
    }
}

const LEAD_STATUSES: &[&str] = &[
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
];
const EMPLOYEE_RANGES: &[&str] = &[
    "1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+",
];
const SOURCES: &[&str] = &[
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "REFERRALS",
    "OTHER_CAMPAIGNS",
    "DIRECT_TRAFFIC",
    "OFFLINE",
    "PAID_SOCIAL",
];
const LANGUAGES: &[&str] = &["en", "de", "fr", "es", "pt-br", "ja", "nl", "it"];
const TIME_ZONES: &[&str] = &[
    "europe_slash_london",
    "europe_slash_berlin",
    "america_slash_new_york",
    "america_slash_los_angeles",
    "asia_slash_tokyo",
];
const PERSONAS: &[&str] = &["persona_1", "persona_2", "persona_3"];
const OWNERS: &[&str] = &[
    "41200000", "41200001", "41200002", "41200003", "41200004", "41200005", "41200006", "41200007",
];

/// A default property HubSpot defines that the sandbox's records leave unset:
/// (name, label, type, group, calculated).
type Extra = (&'static str, &'static str, T, &'static str, bool);

/// HubSpot's default contact properties beyond those the records carry, so that contacts
/// have 50 standard properties.
const CONTACT_EXTRAS: &[Extra] = &[
    (
        "address",
        "Street Address",
        T::Text,
        "contactinformation",
        false,
    ),
    (
        "state",
        "State/Region",
        T::Text,
        "contactinformation",
        false,
    ),
    ("zip", "Postal Code", T::Text, "contactinformation", false),
    (
        "mobilephone",
        "Mobile Phone Number",
        T::Phone,
        "contactinformation",
        false,
    ),
    ("fax", "Fax Number", T::Text, "contactinformation", false),
    (
        "salutation",
        "Salutation",
        T::Text,
        "contactinformation",
        false,
    ),
    ("industry", "Industry", T::Text, "contactinformation", false),
    (
        "annualrevenue",
        "Annual Revenue",
        T::Text,
        "contactinformation",
        false,
    ),
    (
        "numemployees",
        "Number of Employees",
        T::Select(EMPLOYEE_RANGES),
        "contactinformation",
        false,
    ),
    (
        "hs_lead_status",
        "Lead Status",
        T::Radio(LEAD_STATUSES),
        "sales_properties",
        false,
    ),
    (
        "hubspot_owner_id",
        "Contact owner",
        T::Select(OWNERS),
        "sales_properties",
        false,
    ),
    (
        "hs_email_domain",
        "Email Domain",
        T::Text,
        "contactinformation",
        true,
    ),
    (
        "message",
        "Message",
        T::TextArea,
        "contactinformation",
        false,
    ),
    (
        "date_of_birth",
        "Date of birth",
        T::Text,
        "contactinformation",
        false,
    ),
    (
        "notes_last_updated",
        "Last Activity Date",
        T::DateTime,
        "sales_properties",
        true,
    ),
    (
        "num_notes",
        "Number of Sales Activities",
        T::Number,
        "sales_properties",
        true,
    ),
    (
        "hs_analytics_source",
        "Original Traffic Source",
        T::Select(SOURCES),
        "analyticsinformation",
        true,
    ),
    (
        "hs_analytics_num_page_views",
        "Number of Pageviews",
        T::Number,
        "analyticsinformation",
        true,
    ),
    (
        "hs_analytics_first_timestamp",
        "Time First Seen",
        T::DateTime,
        "analyticsinformation",
        true,
    ),
    (
        "first_conversion_date",
        "First Conversion Date",
        T::DateTime,
        "conversioninformation",
        true,
    ),
    (
        "recent_conversion_date",
        "Recent Conversion Date",
        T::DateTime,
        "conversioninformation",
        true,
    ),
    (
        "num_conversion_events",
        "Number of Form Submissions",
        T::Number,
        "conversioninformation",
        true,
    ),
    (
        "hs_email_optout",
        "Unsubscribed from all email",
        T::Bool,
        "emailinformation",
        false,
    ),
    (
        "hs_language",
        "Preferred language",
        T::Select(LANGUAGES),
        "contactinformation",
        false,
    ),
    (
        "hs_timezone",
        "Time Zone",
        T::Select(TIME_ZONES),
        "contactinformation",
        false,
    ),
    (
        "twitterhandle",
        "Twitter Username",
        T::Text,
        "socialmediainformation",
        false,
    ),
    (
        "linkedinbio",
        "LinkedIn Bio",
        T::TextArea,
        "socialmediainformation",
        false,
    ),
    (
        "hs_persona",
        "Persona",
        T::Radio(PERSONAS),
        "contactinformation",
        false,
    ),
    (
        "associatedcompanyid",
        "Primary Associated Company ID",
        T::Number,
        "contactinformation",
        true,
    ),
    (
        "num_associated_deals",
        "Number of Associated Deals",
        T::Number,
        "deal_information",
        true,
    ),
    (
        "closedate",
        "Close Date",
        T::DateTime,
        "deal_information",
        false,
    ),
    (
        "days_to_close",
        "Days To Close",
        T::Number,
        "deal_information",
        true,
    ),
    (
        "hs_lifecyclestage_lead_date",
        "Became a Lead Date",
        T::DateTime,
        "contactinformation",
        true,
    ),
    (
        "hs_lifecyclestage_customer_date",
        "Became a Customer Date",
        T::DateTime,
        "contactinformation",
        true,
    ),
    (
        "hs_is_unworked",
        "Contact unworked",
        T::Bool,
        "sales_properties",
        true,
    ),
    (
        "hs_marketable_status",
        "Marketing contact status",
        T::Bool,
        "contactinformation",
        true,
    ),
    (
        "hs_whatsapp_phone_number",
        "WhatsApp Phone Number",
        T::Phone,
        "contactinformation",
        false,
    ),
];

const COMPANY_TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];
const DEAL_SOURCES: &[&str] = &["inbound", "outbound", "partner", "event"];

/// A few custom properties of companies and deals: (name, label, type).
const COMPANY_CUSTOM: &[(&str, &str, T)] = &[
    ("vs_company_tier", "Customer Tier", T::Select(COMPANY_TIERS)),
    ("vs_account_health", "Account Health Score", T::Number),
    ("vs_renewal_date", "Renewal Date", T::Date),
    ("vs_is_partner", "Is Partner", T::Bool),
    ("vs_account_notes", "Account Notes", T::TextArea),
];
const DEAL_CUSTOM: &[(&str, &str, T)] = &[
    ("vs_deal_source", "Deal Source", T::Radio(DEAL_SOURCES)),
    ("vs_forecast_probability", "Forecast Probability", T::Number),
    ("vs_signed_on", "Signed On", T::Date),
    ("vs_multi_year", "Multi-year Contract", T::Bool),
];

/// The custom object's own properties: (name, label, type, required).
const PET_PROPERTIES: &[(&str, &str, T)] = &[
    ("name", "Name", T::Text),
    ("species", "Species", T::Select(SPECIES)),
    ("breed", "Breed", T::Text),
    ("date_of_birth", "Date of Birth", T::Date),
    ("weight_kg", "Weight (kg)", T::Number),
    ("vaccinated", "Vaccinated", T::Bool),
];

/// Words the generated custom properties' labels are made of.
const TOPICS: &[&str] = &[
    "Onboarding",
    "Renewal",
    "Billing",
    "Support",
    "Product",
    "Marketing",
    "Partner",
    "Event",
    "Webinar",
    "Trial",
    "Contract",
    "Campaign",
    "Survey",
    "Referral",
    "Region",
    "Territory",
    "Account",
    "Integration",
    "Workflow",
    "Pipeline",
    "Training",
    "Security",
    "Compliance",
    "Procurement",
    "Success",
];
const TEXT_NOUNS: &[&str] = &[
    "Notes",
    "Owner Name",
    "Reference",
    "Code",
    "Summary",
    "Channel",
];
const NUMBER_NOUNS: &[&str] = &["Score", "Count", "Budget", "Seats", "Rating", "Days Open"];
const DATE_NOUNS: &[&str] = &[
    "Date",
    "Start Date",
    "Due Date",
    "Review Date",
    "Last Contacted",
];
const BOOL_NOUNS: &[&str] = &["Opt-in", "Completed", "Approved", "Eligible", "Flagged"];
const CHOICE_NOUNS: &[&str] = &["Status", "Stage", "Tier", "Priority", "Type", "Interests"];
const CHOICE_SETS: &[&[&str]] = &[
    &["low", "medium", "high", "critical"],
    &["not_started", "in_progress", "blocked", "done"],
    &["bronze", "silver", "gold", "platinum"],
    &["emea", "north_america", "latam", "apac"],
    &["yes", "no", "maybe"],
    &["email", "phone", "chat", "in_person", "video"],
];

fn at(ms: i64) -> DateTime<Utc> {
    millis_to_time(ms)
}

fn definition(
    name: &str,
    label: &str,
    t: T,
    group: &str,
    hubspot_defined: bool,
    display_order: usize,
) -> PropertyDefinition {
    let (data_type, field_type) = t.types();
    let created = if hubspot_defined {
        at(STANDARD_CREATED_MS)
    } else {
        at(CUSTOM_CREATED_MS)
    };
    PropertyDefinition {
        name: name.to_owned(),
        label: label.to_owned(),
        data_type,
        field_type,
        group_name: group.to_owned(),
        description: String::new(),
        options: t.options(),
        hubspot_defined,
        calculated: false,
        read_only_value: false,
        has_unique_value: false,
        external_options: false,
        archived: false,
        display_order: i32::try_from(display_order).unwrap_or(i32::MAX),
        created_at: created,
        updated_at: created,
        archived_at: None,
    }
}

/// The properties the records of `object` carry, labelled and typed as the records page knows
/// them; the ones HubSpot sets itself are read-only.
fn standard(object: ObjectType) -> Vec<PropertyDefinition> {
    let group = match object {
        ObjectType::Contacts => "contactinformation",
        ObjectType::Companies => "companyinformation",
        ObjectType::Deals => "dealinformation",
        ObjectType::Tickets => "ticketinformation",
        ObjectType::Products => "productinformation",
        ObjectType::LineItems => "lineiteminformation",
        ObjectType::Quotes => "quoteinformation",
        ObjectType::Calls => "call",
        ObjectType::Emails => "email",
        ObjectType::Meetings => "meeting",
        ObjectType::Notes => "note",
        ObjectType::Tasks => "task",
        ObjectType::Pets => "pet_information",
    };
    object
        .known_properties()
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            if let Ok(editable) = edit::lookup(object, name) {
                let mut t = T::from_kind(editable.kind);
                if name == "lifecyclestage" || name == "dealstage" {
                    t = match t {
                        T::Select(values) => T::Radio(values),
                        other => other,
                    };
                }
                let mut property = definition(name, editable.label, t, group, true, i);
                property.external_options =
                    matches!(name, "hubspot_owner_id" | "pipeline" | "hs_pipeline");
                property.description = match name {
                    "lifecyclestage" => "The qualification of contacts to sales readiness.",
                    "email" => "A contact's email address",
                    "dealstage" => "The stage of the deal.",
                    _ => "",
                }
                .to_owned();
                return property;
            }
            let (label, t) = match name {
                "createdate" => ("Create Date", T::DateTime),
                "hs_createdate" => ("Object create date/time", T::DateTime),
                "hs_object_id" => ("Record ID", T::Number),
                _ => ("Last Modified Date", T::DateTime),
            };
            let mut property = definition(name, label, t, group, true, i);
            property.calculated = true;
            property.read_only_value = true;
            property.has_unique_value = name == "hs_object_id";
            property.description = match name {
                "hs_object_id" => {
                    "The unique ID for this record. This value is set automatically by HubSpot."
                }
                "createdate" | "hs_createdate" => "The date the record was created.",
                _ => "Most recent timestamp of any property update for this record.",
            }
            .to_owned();
            property
        })
        .collect()
}

fn live_of(all: &[PropertyDefinition]) -> HashSet<String> {
    all.iter()
        .filter(|p| !p.archived)
        .map(|p| p.name.clone())
        .collect()
}

fn custom_label(index: usize, t: T, h: u64) -> String {
    let topic = TOPICS[index % TOPICS.len()];
    let nouns = match t {
        T::Text | T::TextArea | T::Phone => TEXT_NOUNS,
        T::Number => NUMBER_NOUNS,
        T::Date | T::DateTime => DATE_NOUNS,
        T::Bool => BOOL_NOUNS,
        T::Select(_) | T::Radio(_) | T::Checkbox(_) => CHOICE_NOUNS,
    };
    format!("{topic} {}", pick(nouns, h >> 16))
}

/// `count` seeded custom properties named `{prefix}001`…
fn generated(
    seed: u64,
    salt: u64,
    prefix: &str,
    count: usize,
    first_order: usize,
) -> Vec<PropertyDefinition> {
    (0..count)
        .map(|i| {
            let h = mix(seed ^ salt ^ mix(i as u64));
            let set =
                CHOICE_SETS[usize::try_from((h >> 8) % CHOICE_SETS.len() as u64).unwrap_or(0)];
            let t = match h % 11 {
                0 | 1 => T::Text,
                2 => T::TextArea,
                3 | 4 => T::Number,
                5 => T::Date,
                6 => T::DateTime,
                7 => T::Bool,
                8 => T::Select(set),
                9 => T::Radio(set),
                _ => T::Checkbox(set),
            };
            let name = format!("{prefix}{:03}", i + 1);
            let label = custom_label(i, t, h);
            let mut property = definition(&name, &label, t, CUSTOM_GROUP, false, first_order + i);
            let created = CUSTOM_CREATED_MS + i64::try_from((h >> 24) % 365).unwrap_or(0) * DAY_MS;
            property.created_at = at(created);
            property.updated_at = at(created + i64::try_from((h >> 40) % 90).unwrap_or(0) * DAY_MS);
            if (h >> 32).is_multiple_of(2) {
                property.description = format!("{label}, synced from the VectorShift workspace.");
            }
            property
        })
        .collect()
}

fn fixed_custom(list: &[(&str, &str, T)], first_order: usize) -> Vec<PropertyDefinition> {
    list.iter()
        .enumerate()
        .map(|(i, &(name, label, t))| {
            definition(name, label, t, CUSTOM_GROUP, false, first_order + i)
        })
        .collect()
}

/// An archived custom property (listed only with `archived=true`).
fn archived(name: &str, label: &str, order: usize) -> PropertyDefinition {
    let mut property = definition(name, label, T::Text, CUSTOM_GROUP, false, order);
    property.archived = true;
    property.updated_at = at(CUSTOM_CREATED_MS + 200 * DAY_MS);
    property.archived_at = Some(property.updated_at);
    property
}

impl Properties {
    pub(crate) fn new(seed: u64, hub_id: u64) -> Self {
        let mut contacts = standard(ObjectType::Contacts);
        let first = contacts.len();
        contacts.extend(CONTACT_EXTRAS.iter().enumerate().map(
            |(i, &(name, label, t, group, calculated))| {
                let mut property = definition(name, label, t, group, true, first + i);
                property.calculated = calculated;
                property.read_only_value = calculated;
                property.external_options = name == "hubspot_owner_id";
                property
            },
        ));
        let first = contacts.len();
        contacts.extend(generated(
            seed,
            0x00C0_47AC,
            "vs_custom_",
            CONTACT_CUSTOM_PROPERTIES,
            first,
        ));
        contacts.push(archived(
            "vs_legacy_score",
            "Legacy Lead Score",
            contacts.len(),
        ));

        let mut companies = standard(ObjectType::Companies);
        companies.extend(fixed_custom(COMPANY_CUSTOM, companies.len()));
        let mut deals = standard(ObjectType::Deals);
        deals.extend(fixed_custom(DEAL_CUSTOM, deals.len()));

        let mut pets = fixed_custom(PET_PROPERTIES, 0);
        for (i, (name, label, t)) in [
            ("hs_object_id", "Record ID", T::Number),
            ("hs_createdate", "Object create date/time", T::DateTime),
            (
                "hs_lastmodifieddate",
                "Object last modified date/time",
                T::DateTime,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let mut property = definition(name, label, t, "pet_information", true, pets.len() + i);
            property.calculated = true;
            property.read_only_value = true;
            property.has_unique_value = name == "hs_object_id";
            pets.push(property);
        }
        for property in &mut pets {
            if !property.hubspot_defined {
                property.group_name = "pet_information".to_owned();
                property.created_at = at(CUSTOM_CREATED_MS + 30 * DAY_MS);
                property.updated_at = property.created_at;
            }
        }

        let type_number = 1_000_000 + mix(seed ^ hub_id ^ 0x0005_0E75) % 9_000_000;
        let association = 100 + mix(seed ^ 0x000A_550C) % 900;
        let others: BTreeMap<ObjectType, Vec<PropertyDefinition>> = ObjectType::ALL
            .into_iter()
            .filter(|o| {
                !o.is_custom()
                    && !matches!(
                        o,
                        ObjectType::Contacts | ObjectType::Companies | ObjectType::Deals
                    )
            })
            .map(|o| (o, standard(o)))
            .collect();
        let mut live: BTreeMap<ObjectType, HashSet<String>> = others
            .iter()
            .map(|(&object, all)| (object, live_of(all)))
            .collect();
        live.insert(ObjectType::Contacts, live_of(&contacts));
        live.insert(ObjectType::Companies, live_of(&companies));
        live.insert(ObjectType::Deals, live_of(&deals));
        live.insert(ObjectType::Pets, live_of(&pets));
        Self {
            live,
            others,
            custom: CustomObject {
                name: "pets",
                object_type_id: format!("2-{type_number}"),
                fully_qualified_name: format!("p{hub_id}_pets"),
                singular: "Pet",
                plural: "Pets",
                primary_display_property: "name",
                contact_association_id: association.to_string(),
            },
            contacts,
            companies,
            deals,
            pets,
            schema_created: at(CUSTOM_CREATED_MS + 30 * DAY_MS),
            schema_updated: at(CUSTOM_CREATED_MS + 45 * DAY_MS),
        }
    }

    /// What `{objectType}` names: a standard type by name, singular or id, or the custom
    /// object by name, `objectTypeId` or fully qualified name.
    pub(crate) fn resolve(&self, object_type: &str) -> Option<Target> {
        self.object(object_type).map(|object| {
            if object.is_custom() {
                Target::Custom
            } else {
                Target::Standard(object)
            }
        })
    }

    /// The type whose records `{objectType}` names, by any of the names [`Self::resolve`]
    /// accepts.
    pub(crate) fn object(&self, object_type: &str) -> Option<ObjectType> {
        if let Some(object) = ObjectType::parse(object_type) {
            return Some(object);
        }
        let custom = &self.custom;
        (object_type == custom.object_type_id || object_type == custom.fully_qualified_name)
            .then_some(ObjectType::Pets)
    }

    /// Whether `object` has a live property named `name`.
    pub(crate) fn defines(&self, object: ObjectType, name: &str) -> bool {
        self.live
            .get(&object)
            .is_some_and(|names| names.contains(name))
    }

    /// Every definition of `target`, archived ones included.
    pub(crate) fn all(&self, target: Target) -> &[PropertyDefinition] {
        match target {
            Target::Standard(ObjectType::Contacts) => &self.contacts,
            Target::Standard(ObjectType::Companies) => &self.companies,
            Target::Standard(ObjectType::Deals) => &self.deals,
            Target::Custom | Target::Standard(ObjectType::Pets) => &self.pets,
            Target::Standard(other) => self.others.get(&other).map_or(&[], Vec::as_slice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_have_650_properties_of_which_600_are_custom() {
        let properties = Properties::new(42, 24_811_358);
        let live: Vec<_> = properties
            .all(Target::Standard(ObjectType::Contacts))
            .iter()
            .filter(|p| !p.archived)
            .collect();
        assert_eq!(live.len(), CONTACT_PROPERTIES);
        assert_eq!(
            live.iter().filter(|p| !p.hubspot_defined).count(),
            CONTACT_CUSTOM_PROPERTIES
        );
        let mut names: Vec<_> = live.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CONTACT_PROPERTIES, "names are unique");
        assert_eq!(
            option_label("marketingqualifiedlead"),
            "Marketing Qualified Lead"
        );
        assert_eq!(option_label("COMPUTER_SOFTWARE"), "Computer Software");
    }
}
