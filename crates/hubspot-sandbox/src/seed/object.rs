//! The CRM object types and what HubSpot says about each: names, ids, default and known
//! properties.
//!
//! Every endpoint asks the type these questions (which properties to render, which one holds
//! the last-modified date, which scope reads it), so the answers live in one `match` each
//! rather than spread over the handlers, and a new type is one variant away.

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
}

impl ObjectType {
    /// Every type, in a fixed order.
    pub const ALL: [Self; 3] = [Self::Contacts, Self::Companies, Self::Deals];

    /// Parses a path segment as HubSpot does: `contacts`, `contact` or `0-1`, and so on.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "companies" | "company" | "0-2" => Some(Self::Companies),
            "deals" | "deal" | "0-3" => Some(Self::Deals),
            _ => None,
        }
    }

    /// The plural name used in paths and scopes (`contacts`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Deals => "deals",
        }
    }

    /// HubSpot's object type id (`0-1`, `0-2`, `0-3`), as in record URLs.
    pub fn type_id(self) -> &'static str {
        match self {
            Self::Contacts => "0-1",
            Self::Companies => "0-2",
            Self::Deals => "0-3",
        }
    }

    /// Properties returned when the caller names none (HubSpot's documented defaults).
    pub(crate) fn default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "dealstage"],
        }
    }

    /// The property holding the last-modified time: HubSpot names it `lastmodifieddate` on
    /// contacts and `hs_lastmodifieddate` on every other object.
    pub fn modified_property(self) -> &'static str {
        match self {
            Self::Contacts => "lastmodifieddate",
            Self::Companies | Self::Deals => "hs_lastmodifieddate",
        }
    }

    /// Properties a search returns when the body names none (HubSpot's search guide).
    pub(crate) fn search_default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["firstname", "lastname", "email"],
            Self::Companies => &["name", "domain"],
            Self::Deals => &["dealname", "amount", "closedate", "pipeline", "dealstage"],
        }
    }

    /// The property the admin "modify" knob changes, with its possible values.
    pub(crate) fn mutable_property(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Contacts | Self::Companies => ("lifecyclestage", LIFECYCLE_STAGES),
            Self::Deals => ("dealstage", DEAL_STAGES),
        }
    }

    /// Properties HubSpot includes in every record whatever was asked for.
    pub(crate) fn always_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["createdate", "lastmodifieddate", "hs_object_id"],
            Self::Companies | Self::Deals => &["createdate", "hs_lastmodifieddate", "hs_object_id"],
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
        }
    }
}
