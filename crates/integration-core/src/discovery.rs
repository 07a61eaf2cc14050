//! What a connected account holds, as its provider describes it: every kind of record (HubSpot's
//! standard CRM objects and the portal's custom objects) and every field of a kind (HubSpot's
//! properties, custom ones included). A real portal has dozens of kinds and hundreds of custom
//! properties; the few a provider declares in its [`ProviderInfo`](crate::ProviderInfo) are only
//! the defaults. Discovery is per account, cached for a short while by the connector and
//! forgotten on reconnect (a new grant may see more).

use serde::{Deserialize, Serialize};

/// A kind of record the account holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredType {
    /// What `object_type` names it (HubSpot: `contacts`, `tickets`, a custom object's
    /// `objectTypeId` like `2-3508482`).
    pub id: String,
    /// Its plural label for people ("Contacts", "Pets").
    pub label: String,
    /// Whether the account defined it (a custom object).
    pub custom: bool,
    /// Any one of these granted scopes allows reading it.
    pub scopes: Vec<String>,
}

/// A field of a kind of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// What `properties=` names it (`firstname`, `vs_custom_001`).
    pub name: String,
    /// Its label for people ("First name").
    pub label: String,
    /// Its data type (HubSpot: `string`, `number`, `date`, `datetime`, `bool`, `enumeration`).
    #[serde(rename = "type")]
    pub data_type: String,
    /// How the provider's UI edits it (HubSpot's `fieldType`: `text`, `select`, `checkbox`…).
    pub field_type: String,
    /// The group it is shown in, when the provider groups fields.
    pub group: Option<String>,
    /// The values it may take, for enumerations.
    pub options: Vec<FieldOption>,
    /// Whether its value can only be read (set by the provider).
    pub read_only: bool,
    /// Whether the provider hides it from people.
    pub hidden: bool,
    /// Whether the provider computes it.
    pub calculated: bool,
}

/// One value an enumeration field may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    /// What is stored.
    pub value: String,
    /// What people see.
    pub label: String,
}

/// A [`DiscoveredType`] and whether this connection's grant may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectTypeAccess {
    /// The kind.
    #[serde(flatten)]
    pub kind: DiscoveredType,
    /// Whether the grant holds one of its scopes (a kind that needs none is granted).
    pub granted: bool,
}
