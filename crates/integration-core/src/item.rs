//! The common record model VectorShift pipelines load, whatever the provider.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::BTreeMap;

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
    /// The records this one is related to, by their object type, when the query asked for
    /// them ([`ItemQuery::associations`]): every kind asked for has an entry, empty when there
    /// are none, and each list is complete. Absent when none were asked for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub associations: BTreeMap<String, Vec<Association>>,
}

impl IntegrationItem {
    /// A record with only its id and title (everything else empty): for tests and for
    /// providers that fill in the rest field by field.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            properties: serde_json::Map::new(),
            item_type: None,
            url: None,
            parent_id: None,
            created_at: None,
            updated_at: None,
            associations: BTreeMap::new(),
        }
    }
}

/// A record another one is related to, and how (HubSpot's association labels: "Primary",
/// "Decision maker"; empty when the relation has no label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Association {
    /// The related record's id.
    pub id: String,
    /// The labels of the relation, in the provider's order.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// An opaque position in a provider's listing. Callers pass back what a [`Page`] gave them.
///
/// Deserialising goes through [`Cursor::parse`] too: a cursor inside a caller's resume token is
/// caller input like any other.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Cursor(String);

impl TryFrom<String> for Cursor {
    type Error = crate::InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Cursor> for String {
    fn from(value: Cursor) -> Self {
        value.0
    }
}

impl Cursor {
    /// The longest cursor accepted: room for the longest wrapped provider cursor (see
    /// [`Cursor::wrap`]) with a phase prefix, inside a changes resume token.
    pub const MAX_LEN: usize = 8192;
    /// The longest provider cursor [`Cursor::wrap`] takes (its base64url fits in [`Self::MAX_LEN`]
    /// with room to spare).
    pub const MAX_WRAPPED: usize = 4096;

    /// Wraps a cursor, refusing empty, over-long (over [`Cursor::MAX_LEN`] bytes) or
    /// non-printable input.
    pub fn parse(raw: impl Into<String>) -> Result<Self, crate::InvalidId> {
        let raw = raw.into();
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !raw.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(crate::InvalidId("cursor is malformed"));
        }
        Ok(Self(raw))
    }

    /// Our cursor for a provider's opaque one. Providers promise nothing about their cursors'
    /// bytes (HubSpot's spec calls `paging.next.after` a "paging cursor token", and its example
    /// is `NTI1Cg%3D%3D`), so the provider's text travels base64url-encoded: any string
    /// round-trips through [`Cursor::unwrap_provider`], however it is spelled. A provider cursor that is
    /// empty or longer than [`Cursor::MAX_WRAPPED`] bytes is the provider's nonsense.
    pub fn wrap(provider: &str) -> Result<Self, crate::Error> {
        Self::wrap_with("", provider)
    }

    /// [`Cursor::wrap`] behind a fixed ASCII `prefix` (a phase tag such as `d`).
    pub fn wrap_with(prefix: &str, provider: &str) -> Result<Self, crate::Error> {
        if provider.is_empty() || provider.len() > Self::MAX_WRAPPED {
            return Err(crate::Error::InvalidResponse(format!(
                "the provider's paging cursor is empty or longer than {} bytes",
                Self::MAX_WRAPPED
            )));
        }
        let text = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(provider));
        Self::parse(text).map_err(|_| {
            crate::Error::InvalidResponse("the phase prefix is not a cursor prefix".into())
        })
    }

    /// The provider's cursor inside one made by [`Cursor::wrap`]; anything else (a cursor this
    /// service never issued) is [`Error::InvalidInput`](crate::Error::InvalidInput).
    pub fn unwrap_provider(&self) -> Result<String, crate::Error> {
        Self::unwrap_provider_text(&self.0)
    }

    /// [`Cursor::unwrap_provider`] of the text after a prefix.
    pub fn unwrap_provider_text(text: &str) -> Result<String, crate::Error> {
        let bad = || crate::Error::InvalidInput("the cursor is not one this service issued".into());
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let provider = String::from_utf8(bytes).map_err(|_| bad())?;
        if provider.is_empty() || provider.len() > Self::MAX_WRAPPED {
            return Err(bad());
        }
        Ok(provider)
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
    /// Only records matching this text, by the provider's own full-text search (HubSpot: names,
    /// e-mail, phone, domain…); `None`: every record. Only for providers that
    /// [search](crate::Integration::searches); at most [`ItemQuery::MAX_SEARCH`] characters.
    pub search: Option<String>,
    /// The fields each item carries, by name (checked against the account's discovered fields
    /// before a provider sees them); `None`: the provider's default set.
    pub properties: Option<Vec<String>>,
    /// The object types whose related records each item lists
    /// ([`IntegrationItem::associations`]); empty: none. Only for providers that
    /// [associate](crate::Integration::associates); each must be a kind the provider reads and
    /// the grant allows.
    pub associations: Vec<String>,
}

impl ItemQuery {
    /// The longest search text.
    pub const MAX_SEARCH: usize = 200;
    /// The most object types one query asks associations to.
    pub const MAX_ASSOCIATIONS: usize = 10;

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

    /// Each item lists its related records of these kinds.
    pub fn associations<K: Into<String>>(mut self, kinds: impl IntoIterator<Item = K>) -> Self {
        self.associations = kinds.into_iter().map(Into::into).collect();
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

/// One page of an export's descending lane ([`Integration::list_descending`]): records below a
/// bound, highest id first, and how many records there are below that bound in all.
///
/// [`Integration::list_descending`]: crate::Integration::list_descending
#[derive(Debug, Clone, PartialEq)]
pub struct LanePage {
    /// The records, highest id first.
    pub items: Vec<IntegrationItem>,
    /// How many records have ids below the bound asked for (these included): the export knows
    /// from it when the two lanes together have delivered everything.
    pub below: u64,
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
            associations: BTreeMap::new(),
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
        assert!(Cursor::parse("x".repeat(Cursor::MAX_LEN)).is_ok());
        assert!(Cursor::parse("x".repeat(Cursor::MAX_LEN + 1)).is_err());
    }

    #[test]
    fn cursors_inside_json_are_parsed_like_any_other() {
        for bad in [r#""""#, r#"" ""#, r#""a\nb""#] {
            assert!(serde_json::from_str::<Cursor>(bad).is_err(), "{bad}");
        }
        let long = serde_json::to_string(&"x".repeat(Cursor::MAX_LEN + 1)).unwrap();
        assert!(serde_json::from_str::<Cursor>(&long).is_err());
        let cursor: Cursor = serde_json::from_str(r#""u42""#).unwrap();
        assert_eq!(serde_json::to_string(&cursor).unwrap(), r#""u42""#);
    }

    #[test]
    fn provider_cursors_of_any_spelling_round_trip_wrapped() {
        let long = "é%=+/ ".repeat(Cursor::MAX_WRAPPED / 8);
        for raw in [
            "NTI1Cg%3D%3D",
            "12345",
            "a b\tc",
            "ü/+=",
            "\u{0}",
            long.as_str(),
        ] {
            let cursor = Cursor::wrap(raw).unwrap();
            assert!(
                cursor
                    .as_str()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
            );
            assert_eq!(cursor.unwrap_provider().unwrap(), raw);
            let tagged = Cursor::wrap_with("d", raw).unwrap();
            assert_eq!(
                Cursor::unwrap_provider_text(&tagged.as_str()[1..]).unwrap(),
                raw
            );
        }
        assert!(matches!(
            Cursor::wrap(""),
            Err(crate::Error::InvalidResponse(_))
        ));
        let too_long = "x".repeat(Cursor::MAX_WRAPPED + 1);
        assert!(matches!(
            Cursor::wrap(&too_long),
            Err(crate::Error::InvalidResponse(_))
        ));
        for forged in ["!!", "_w", "gICA"] {
            let cursor = Cursor::parse(forged).unwrap();
            assert!(
                matches!(cursor.unwrap_provider(), Err(crate::Error::InvalidInput(_))),
                "{forged}"
            );
        }
    }
}
