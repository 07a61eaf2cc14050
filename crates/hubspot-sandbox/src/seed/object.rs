//! The CRM object types and what HubSpot says about each: names, ids, default and known
//! properties.
//!
//! Every endpoint asks the type these questions (which properties to render, which one holds
//! the last-modified date, which scope reads it), so the answers live in one `match` each
//! rather than spread over the handlers, and a new type is one variant away.

use super::other::{
    CALL_STATUSES, EMAIL_STATUSES, MEETING_OUTCOMES, OWNERS, PRODUCT_TYPES, QUOTE_STATUSES,
    RECURRING_FREQUENCIES, TASK_STATUSES, TICKET_STAGES, VACCINATED,
};
use super::words::{DEAL_STAGES, LIFECYCLE_STAGES};

/// The CRM object types the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectType {
    /// `contacts` (`0-1`); last-modified property `lastmodifieddate`.
    Contacts,
    /// `companies` (`0-2`); last-modified property `hs_lastmodifieddate`.
    Companies,
    /// `deals` (`0-3`); last-modified property `hs_lastmodifieddate`.
    Deals,
    /// `tickets` (`0-5`).
    Tickets,
    /// `products` (`0-7`).
    Products,
    /// `line_items` (`0-8`).
    LineItems,
    /// `quotes` (`0-14`).
    Quotes,
    /// `calls` (`0-48`), an engagement.
    Calls,
    /// `emails` (`0-49`), an engagement.
    Emails,
    /// `meetings` (`0-47`), an engagement.
    Meetings,
    /// `notes` (`0-46`), an engagement.
    Notes,
    /// `tasks` (`0-27`), an engagement.
    Tasks,
    /// The portal's custom object `pets`; its `objectTypeId` (`2-…`) and fully qualified name
    /// (`p{hub id}_pets`) depend on the portal (see [`crate::Sandbox::custom_object`]).
    Pets,
}

impl ObjectType {
    /// Every type, in a fixed order.
    pub const ALL: [Self; 13] = [
        Self::Contacts,
        Self::Companies,
        Self::Deals,
        Self::Tickets,
        Self::Products,
        Self::LineItems,
        Self::Quotes,
        Self::Calls,
        Self::Emails,
        Self::Meetings,
        Self::Notes,
        Self::Tasks,
        Self::Pets,
    ];

    /// Parses a path segment as HubSpot does: `contacts`, `contact` or `0-1`, and so on; the
    /// custom object by its name `pets` only (its other names depend on the portal).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "companies" | "company" | "0-2" => Some(Self::Companies),
            "deals" | "deal" | "0-3" => Some(Self::Deals),
            "tickets" | "ticket" | "0-5" => Some(Self::Tickets),
            "products" | "product" | "0-7" => Some(Self::Products),
            "line_items" | "line_item" | "0-8" => Some(Self::LineItems),
            "quotes" | "quote" | "0-14" => Some(Self::Quotes),
            "calls" | "call" | "0-48" => Some(Self::Calls),
            "emails" | "email" | "0-49" => Some(Self::Emails),
            "meetings" | "meeting" | "0-47" => Some(Self::Meetings),
            "notes" | "note" | "0-46" => Some(Self::Notes),
            "tasks" | "task" | "0-27" => Some(Self::Tasks),
            "pets" => Some(Self::Pets),
            _ => None,
        }
    }

    /// Whether this is the portal's custom object rather than one of HubSpot's own.
    pub fn is_custom(self) -> bool {
        self == Self::Pets
    }

    /// The plural name used in paths and scopes (`contacts`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Deals => "deals",
            Self::Tickets => "tickets",
            Self::Products => "products",
            Self::LineItems => "line_items",
            Self::Quotes => "quotes",
            Self::Calls => "calls",
            Self::Emails => "emails",
            Self::Meetings => "meetings",
            Self::Notes => "notes",
            Self::Tasks => "tasks",
            Self::Pets => "pets",
        }
    }

    /// HubSpot's object type id (`0-1`, `0-2`, `0-3`…), as in record URLs. The custom object's
    /// `2-…` id is per portal, so for [`Self::Pets`] this is its name, which HubSpot's paths
    /// accept too; [`crate::Sandbox::object_type_id`] gives the real one.
    pub fn type_id(self) -> &'static str {
        match self {
            Self::Contacts => "0-1",
            Self::Companies => "0-2",
            Self::Deals => "0-3",
            Self::Tickets => "0-5",
            Self::Products => "0-7",
            Self::LineItems => "0-8",
            Self::Quotes => "0-14",
            Self::Calls => "0-48",
            Self::Emails => "0-49",
            Self::Meetings => "0-47",
            Self::Notes => "0-46",
            Self::Tasks => "0-27",
            Self::Pets => "pets",
        }
    }

    /// The property holding the creation time: `createdate` on the CRM's older objects,
    /// `hs_createdate` on quotes, engagements and custom objects.
    pub fn created_property(self) -> &'static str {
        match self {
            Self::Contacts
            | Self::Companies
            | Self::Deals
            | Self::Tickets
            | Self::Products
            | Self::LineItems => "createdate",
            _ => "hs_createdate",
        }
    }

    /// Properties returned when the caller names none (HubSpot's documented defaults).
    pub(crate) fn default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "dealstage"],
            // HubSpot's guides: the list answers with the same set the search does.
            other => other.search_default_properties(),
        }
    }

    /// The property holding the last-modified time: HubSpot names it `lastmodifieddate` on
    /// contacts and `hs_lastmodifieddate` on every other object.
    pub fn modified_property(self) -> &'static str {
        match self {
            Self::Contacts => "lastmodifieddate",
            _ => "hs_lastmodifieddate",
        }
    }

    /// Properties a search returns when the body names none (HubSpot's search guide).
    pub(crate) fn search_default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "closedate", "pipeline", "dealstage"],
            Self::Tickets => &[
                "content",
                "hs_pipeline",
                "hs_pipeline_stage",
                "hs_ticket_category",
                "hs_ticket_priority",
                "subject",
            ],
            Self::Products => &["name", "description", "price"],
            Self::LineItems => &["quantity", "amount", "price"],
            Self::Quotes => &[
                "hs_expiration_date",
                "hs_public_url_key",
                "hs_status",
                "hs_title",
            ],
            // Engagements and custom objects: only the properties every record has.
            _ => &[],
        }
    }

    /// The property the admin "modify" knob changes, with its possible values.
    pub(crate) fn mutable_property(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Contacts | Self::Companies => ("lifecyclestage", LIFECYCLE_STAGES),
            Self::Deals => ("dealstage", DEAL_STAGES),
            Self::Tickets => ("hs_pipeline_stage", TICKET_STAGES),
            Self::Products => ("hs_product_type", PRODUCT_TYPES),
            Self::LineItems => ("recurringbillingfrequency", RECURRING_FREQUENCIES),
            Self::Quotes => ("hs_status", QUOTE_STATUSES),
            Self::Calls => ("hs_call_status", CALL_STATUSES),
            Self::Emails => ("hs_email_status", EMAIL_STATUSES),
            Self::Meetings => ("hs_meeting_outcome", MEETING_OUTCOMES),
            Self::Notes => ("hubspot_owner_id", OWNERS),
            Self::Tasks => ("hs_task_status", TASK_STATUSES),
            Self::Pets => ("vaccinated", VACCINATED),
        }
    }

    /// Properties HubSpot includes in every record whatever was asked for.
    pub(crate) fn always_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["createdate", "lastmodifieddate", "hs_object_id"],
            Self::Companies | Self::Deals | Self::Tickets | Self::Products | Self::LineItems => {
                &["createdate", "hs_lastmodifieddate", "hs_object_id"]
            }
            _ => &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
        }
    }

    /// Every property the type defines; asking for any other name yields nothing.
    pub(crate) fn known_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &[
                "firstname",
                "lastname",
                "email",
                "phone",
                "company",
                "jobtitle",
                "city",
                "country",
                "lifecyclestage",
                "website",
                "createdate",
                "lastmodifieddate",
                "hs_object_id",
            ],
            Self::Companies => &[
                "name",
                "domain",
                "industry",
                "phone",
                "city",
                "country",
                "numberofemployees",
                "annualrevenue",
                "lifecyclestage",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            Self::Deals => &[
                "dealname",
                "amount",
                "dealstage",
                "pipeline",
                "closedate",
                "hubspot_owner_id",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            other => super::other::known_properties(other),
        }
    }
}
