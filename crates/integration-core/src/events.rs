//! Changes a provider pushes to us (webhooks), in one shape for every provider.
//!
//! Polling learns of a change only when it asks, and trusts the provider's search index to have
//! caught up; a webhook says so within seconds, and is the only place some changes appear at
//! all (HubSpot's merges and GDPR deletions never show in its archived lists). The split:
//! - a provider knows its wire format: how a request is signed ([`Webhooks::verify`]) and how
//!   its body names accounts, records and what happened ([`Webhooks::parse`]);
//! - the [`Connector`](crate::Connector) checks the signature before reading anything, routes
//!   each event to the account's log, and serves each user their account's events;
//! - an [`EventLog`] (Redis Streams in `token-store`) keeps them durably, once each.
//!
//! The signature is checked first and alone: until it passes, the body is bytes we refuse to
//! parse, so a forger learns nothing about our parser and costs us one HMAC.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// Created, modified or restored: fetch it again.
    Upsert,
    /// Gone: archived, deleted, or erased on request.
    Delete,
    /// Other records were merged into this one (they are gone; see `merged_ids`).
    Merge,
    /// An association of this record to another was added or removed.
    Association,
}

/// A property's new value, when the provider says which property changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PropertyChange {
    /// The property's name (`lifecyclestage`).
    pub name: String,
    /// Its new value, as the provider wrote it (`None`: cleared).
    pub value: Option<String>,
}

/// The other end of an association event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssociatedRecord {
    /// The other record's object type (`companies`).
    pub object_type: String,
    /// The other record's id.
    pub id: String,
    /// `true` when the association was removed.
    pub removed: bool,
}

/// One change to one record, as every provider's events are delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The record's object type, as the provider's `object_type` parameter names it
    /// (`contacts`); a provider's own id for types it does not list (`2-3456789`).
    pub object_type: String,
    /// The record's id.
    pub id: String,
    /// When it happened at the provider.
    pub occurred_at: DateTime<Utc>,
    /// The property that changed, when the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<PropertyChange>,
    /// For a merge: the ids merged into this one (they no longer exist).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_ids: Vec<String>,
    /// For an association event: the other record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated: Option<AssociatedRecord>,
}

/// An event as a provider's request carried it: for which account, and what makes it itself
/// (a provider's retry of the same event has the same identity; two different events never do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEvent {
    /// The provider's account id the event belongs to (HubSpot: `portalId`), as the
    /// credentials' `account_id` holds it.
    pub account: String,
    /// A digest of everything that identifies the event, the delivery attempt excluded.
    pub identity: String,
    /// The event.
    pub event: ProviderEvent,
}

/// A webhook request as it reached us: what a provider's signature can cover.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// `POST`.
    pub method: &'a str,
    /// The full URL the provider called, as it was configured there
    /// (`https://api.example.com/api/webhooks/hubspot`), query included.
    pub uri: &'a str,
    /// The request's headers (names in any case).
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body, exactly as received.
    pub body: &'a [u8],
    /// When it arrived (signatures older than the provider allows are refused).
    pub received_at: DateTime<Utc>,
}

impl WebhookRequest<'_> {
    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Why a webhook request was refused. Neither variant echoes what was received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The signature is missing, wrong, or too old: not from the provider, or replayed.
    #[error("webhook signature refused: {0}")]
    Unauthenticated(String),
    /// Signed, but not the provider's documented format.
    #[error("webhook body not understood: {0}")]
    Malformed(String),
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// What makes this request unique among the provider's signed requests (HubSpot: its v3
    /// signature, which covers the body and the timestamp): the connector refuses a second
    /// request with the same nonce as a replay, for as long as the signature is accepted.
    pub nonce: String,
    /// How long a signature is accepted after it was made.
    pub valid_for: std::time::Duration,
}

/// How a provider's webhooks are signed and what they say. A provider without webhooks does
/// not implement it ([`Integration::webhooks`](crate::Integration::webhooks) is `None`).
pub trait Webhooks: Send + Sync + std::fmt::Debug {
    /// Checks that the provider sent `request` recently. Called before anything reads the
    /// body; must compare in constant time.
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<Verified, WebhookError>;

    /// The events in a verified request's body.
    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError>;
}

/// One read of a provider's journal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalPage {
    /// The events read, oldest first (possibly for many accounts).
    pub events: Vec<InboundEvent>,
    /// Where the next read starts; `None` when nothing was read (keep the old position).
    pub next: Option<String>,
    /// Whether more is waiting right after `next` (read again at once).
    pub more: bool,
}

/// A provider's pull-mode event journal (HubSpot's Webhooks Journal): the events the provider
/// keeps for a while, read from a position with the app's own credentials (no user's), so a
/// deployment that was down, or cannot receive webhooks, still sees every change. One reader
/// for the whole deployment reads it (see `Connector::run_journal`).
#[async_trait]
pub trait Journal: Send + Sync + std::fmt::Debug {
    /// The events after `position` (`None`: the oldest the provider keeps), one batch. A
    /// position the provider no longer knows (kept too long) starts again at the oldest.
    async fn read_after(&self, position: Option<&str>) -> Result<JournalPage, crate::Error>;
}

/// A position in an account's event log: opaque to callers, ordered within one log. The
/// stores use Redis Stream ids (`1733570000000-0`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventOffset(String);

impl EventOffset {
    /// Parses `ms-seq` (both decimal, as Redis Stream ids are).
    pub fn parse(raw: &str) -> Option<Self> {
        let (ms, seq) = raw.split_once('-')?;
        let decimal =
            |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        (decimal(ms) && decimal(seq) && ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok())
            .then(|| Self(raw.to_owned()))
    }

    /// `ms-seq`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `(ms, seq)`, for comparing offsets numerically.
    pub fn parts(&self) -> (u64, u64) {
        let (ms, seq) = self.0.split_once('-').unwrap_or(("0", "0"));
        (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
    }
}

/// One event read back from a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Where it sits in the log.
    pub offset: EventOffset,
    /// The event.
    pub event: ProviderEvent,
}

/// What [`EventLog::append`] did with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Appended {
    /// Events stored now.
    pub stored: usize,
    /// Events already stored by an earlier delivery of the same event, skipped.
    pub duplicates: usize,
}

/// Durable, ordered, per-account logs of provider events, shared by every replica.
#[async_trait]
pub trait EventLog: Send + Sync + std::fmt::Debug {
    /// Appends `events` to the log of `provider`'s `account` in order, skipping any whose
    /// identity is already there. Returns only once they are stored as durably as the store
    /// can promise; an `Err` means none may be assumed stored (the sender should retry).
    async fn append(
        &self,
        provider: &str,
        account: &str,
        events: &[(String, ProviderEvent)],
    ) -> Result<Appended, StoreError>;

    /// Up to `max` events after `after` (`None`: from the oldest kept), oldest first.
    async fn read(
        &self,
        provider: &str,
        account: &str,
        after: Option<&EventOffset>,
        max: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError>;

    /// The offset of the newest event kept, if any: where a reader who wants only what comes
    /// next starts.
    async fn latest(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Option<EventOffset>, StoreError>;

    /// When the log has dropped events (retention is bounded): the offset of the oldest event it
    /// still holds. A reader whose offset is older may have missed events; `None`: nothing was
    /// ever dropped.
    async fn dropped_before(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Option<EventOffset>, StoreError>;

    /// A named reading position kept for the deployment (a journal's), if set.
    async fn position(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Replaces the named reading position.
    async fn set_position(&self, name: &str, position: &str) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_only_stream_ids() {
        assert!(EventOffset::parse("1733570000000-0").is_some());
        assert_eq!(EventOffset::parse("5-12").map(|o| o.parts()), Some((5, 12)));
        for bad in [
            "",
            "-",
            "1-",
            "-1",
            "1",
            "a-1",
            "1-1-1",
            "1 -1",
            "99999999999999999999999-0",
        ] {
            assert!(EventOffset::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn events_serialize_in_the_documented_shape() {
        let event = ProviderEvent {
            kind: EventKind::Upsert,
            object_type: "contacts".into(),
            id: "101".into(),
            occurred_at: DateTime::from_timestamp_millis(1_733_570_000_000).unwrap(),
            property: Some(PropertyChange {
                name: "lifecyclestage".into(),
                value: Some("lead".into()),
            }),
            merged_ids: vec![],
            associated: None,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "upsert");
        assert_eq!(json["property"]["name"], "lifecyclestage");
        assert!(json.get("merged_ids").is_none() && json.get("associated").is_none());
        let back: ProviderEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn headers_are_found_in_any_case() {
        let headers = [("x-hubspot-signature-v3", "abc")];
        let request = WebhookRequest {
            method: "POST",
            uri: "https://example.com/hook",
            headers: &headers,
            body: b"[]",
            received_at: Utc::now(),
        };
        assert_eq!(request.header("X-HubSpot-Signature-V3"), Some("abc"));
        assert_eq!(request.header("X-Other"), None);
    }
}
