//! The common record model VectorShift pipelines load, whatever the provider.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One record from a provider, in VectorShift's shape: `{ "id", "title", "properties" }` plus
/// optional metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationItem {
    /// The provider's id of the record.
    pub id: String,
    /// A human title ("Ada Lovelace").
    pub title: String,
    /// The record's fields as the provider named them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// The kind of record ("contact").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    /// Link to the record in the provider's own UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The id of the item this one belongs to (an Airtable table's base, a Notion page's parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// When the record was created at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the record last changed at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An opaque position in a provider's listing. Callers pass back what a [`Page`] gave them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a cursor, refusing empty or over-long (over 1024 bytes) or non-printable input.
    pub fn parse(raw: impl Into<String>) -> Result<Self, crate::InvalidId> {
        let raw = raw.into();
        if raw.is_empty() || raw.len() > 1024 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(crate::InvalidId("cursor is malformed"));
        }
        Ok(Self(raw))
    }

    /// The cursor text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ItemQuery {
    /// Where to continue; `None` for the first page.
    pub cursor: Option<Cursor>,
    /// Page size; the provider clamps it to what it supports. `None`: the provider's default.
    pub limit: Option<u32>,
    /// The kind of object ("contacts"); `None`: the provider's default kind.
    pub object_type: Option<String>,
}

impl ItemQuery {
    /// A query for the first page with the provider's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Continue from `cursor`.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Ask for at most `limit` items.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// List objects of this kind.
    pub fn object_type(mut self, object_type: impl Into<String>) -> Self {
        self.object_type = Some(object_type.into());
        self
    }
}

/// One page of items and where the next one starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    /// The items on this page.
    pub items: Vec<IntegrationItem>,
    /// Cursor of the next page; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_serialises_in_the_vectorshift_shape() {
        let item = IntegrationItem {
            id: "1".into(),
            title: "Ada".into(),
            properties: serde_json::Map::new(),
            item_type: None,
            url: None,
            parent_id: None,
            created_at: None,
            updated_at: None,
        };
        assert_eq!(
            serde_json::to_value(&item).unwrap(),
            serde_json::json!({"id": "1", "title": "Ada", "properties": {}})
        );
    }

    #[test]
    fn cursors_are_validated() {
        assert!(Cursor::parse("abc123").is_ok());
        assert!(Cursor::parse("").is_err());
        assert!(Cursor::parse("a b").is_err());
        assert!(Cursor::parse("x".repeat(1025)).is_err());
    }
}
