//! HubSpot's webhooks: the v3 request signature and the legacy event payload.
//!
//! What HubSpot documents (developers.hubspot.com, "Validating requests", "Webhooks API"):
//! - `X-HubSpot-Signature-v3` is base64(HMAC-SHA256(client secret, method + URI + body +
//!   timestamp)), with the timestamp (milliseconds since the epoch) in
//!   `X-HubSpot-Request-Timestamp`; requests older than five minutes are to be refused. The URI
//!   is the full URL HubSpot called, with the URL-encoded characters of its table decoded.
//! - A request is a JSON array of up to 100 events. Each has `portalId`, `occurredAt`,
//!   `subscriptionType` (`contact.propertyChange`, `deal.deletion`, `object.creation`…),
//!   `attemptNumber` and, for object events, `objectId`; `eventId` is *not* guaranteed to be
//!   unique. Generic `object.*` events name the type in `objectTypeId` (`0-1` contacts…).
//!
//! So an event's identity is everything it says but `attemptNumber` (the only field a retry
//! changes), and a type we do not know is skipped rather than refused: HubSpot adds event types,
//! and a 4xx would make it drop the whole batch without retrying.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use integration_core::{
    AssociatedRecord, EventKind, ExposeSecret as _, InboundEvent, PropertyChange, ProviderEvent,
    SecretString, Verified, WebhookError, WebhookRequest, Webhooks,
};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// How old a signature may be (HubSpot: reject requests older than five minutes).
pub const MAX_SIGNATURE_AGE: Duration = Duration::from_secs(5 * 60);

/// HubSpot's signature check and payload reading, for the app whose client secret signs.
#[derive(Clone)]
pub struct HubSpotWebhooks {
    client_secret: SecretString,
}

impl std::fmt::Debug for HubSpotWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSpotWebhooks")
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

impl HubSpotWebhooks {
    /// Checks requests signed with `client_secret` (the app's).
    pub fn new(client_secret: SecretString) -> Self {
        Self { client_secret }
    }
}

/// The URI as HubSpot signs it: its table of URL-encoded characters decoded (`%3A` → `:`…), all
/// else as sent.
fn signed_uri(uri: &str) -> String {
    const DECODED: &[(&str, char)] = &[
        ("3A", ':'),
        ("2F", '/'),
        ("3F", '?'),
        ("40", '@'),
        ("21", '!'),
        ("24", '$'),
        ("27", '\''),
        ("28", '('),
        ("29", ')'),
        ("2A", '*'),
        ("2C", ','),
        ("3B", ';'),
    ];
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).map(str::to_ascii_uppercase);
        match code.and_then(|c| DECODED.iter().find(|(hex, _)| *hex == c)) {
            Some((_, decoded)) => {
                out.push(*decoded);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Webhooks for HubSpotWebhooks {
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<Verified, WebhookError> {
        let refuse = |why: &str| WebhookError::Unauthenticated(why.to_owned());
        let signature = request
            .header("X-HubSpot-Signature-v3")
            .ok_or_else(|| refuse("X-HubSpot-Signature-v3 is missing"))?;
        let timestamp = request
            .header("X-HubSpot-Request-Timestamp")
            .ok_or_else(|| refuse("X-HubSpot-Request-Timestamp is missing"))?;
        let sent = timestamp
            .parse::<i64>()
            .ok()
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .ok_or_else(|| refuse("X-HubSpot-Request-Timestamp is not a time in milliseconds"))?;
        let age = request.received_at.signed_duration_since(sent);
        let max_age = chrono::Duration::from_std(MAX_SIGNATURE_AGE).unwrap_or_default();
        // Older than five minutes: stale or replayed. As far in the future: not a clock's skew.
        if age > max_age || -age > max_age {
            return Err(refuse(
                "the request timestamp is more than five minutes off",
            ));
        }
        let claimed = STANDARD
            .decode(signature.trim())
            .map_err(|_| refuse("X-HubSpot-Signature-v3 is not base64"))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.client_secret.expose_secret().as_bytes())
            .map_err(|_| refuse("no key"))?;
        mac.update(request.method.as_bytes());
        mac.update(signed_uri(request.uri).as_bytes());
        mac.update(request.body);
        mac.update(timestamp.as_bytes());
        // Constant time: `verify_slice` compares without an early exit.
        mac.verify_slice(&claimed)
            .map_err(|_| refuse("the signature does not match"))?;
        Ok(Verified {
            nonce: STANDARD.encode(&claimed),
            valid_for: MAX_SIGNATURE_AGE * 2,
        })
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        let malformed = |why: &str| WebhookError::Malformed(why.to_owned());
        let events: Vec<Value> = serde_json::from_slice(body)
            .map_err(|_| malformed("the body is not a JSON array of events"))?;
        let mut out = Vec::with_capacity(events.len());
        for (n, event) in events.into_iter().enumerate() {
            let Value::Object(fields) = event else {
                return Err(malformed(&format!("event {n} is not an object")));
            };
            let account = id_text(fields.get("portalId"))
                .ok_or_else(|| malformed(&format!("event {n} has no portalId")))?;
            let Some(event) = read_event(&fields) else {
                let kind = fields.get("subscriptionType").and_then(|v| v.as_str());
                tracing::debug!(
                    subscription_type = kind,
                    "skipping a webhook event of a kind not mapped"
                );
                continue;
            };
            out.push(InboundEvent {
                account,
                identity: identity(&fields),
                event,
            });
        }
        Ok(out)
    }
}

/// A digest of every field but `attemptNumber`, keys sorted (the map is a `BTreeMap` unless
/// serde_json preserves order, so sort explicitly): the same event retried has the same one.
fn identity(fields: &Map<String, Value>) -> String {
    let mut keys: Vec<&String> = fields.keys().filter(|k| *k != "attemptNumber").collect();
    keys.sort();
    let mut digest = Sha256::new();
    for key in keys {
        digest.update(key.as_bytes());
        digest.update([0]);
        digest.update(fields[key].to_string().as_bytes());
        digest.update([0]);
    }
    let bytes = digest.finalize();
    bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// An id HubSpot sends as a number or a string, as text.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.len() <= 64 => Some(s.clone()),
        _ => None,
    }
}

/// Our object type id for HubSpot's object type id (`0-1`) or legacy prefix (`contact`).
fn object_type(type_id: &str) -> String {
    match type_id {
        "0-1" | "contact" => "contacts",
        "0-2" | "company" => "companies",
        "0-3" | "deal" => "deals",
        "0-5" | "ticket" => "tickets",
        "0-7" | "product" => "products",
        "0-8" | "line_item" => "line_items",
        "0-14" => "quotes",
        "0-27" => "tasks",
        "0-46" => "notes",
        "0-47" => "meetings",
        "0-48" => "calls",
        "0-49" => "emails",
        other => other,
    }
    .to_owned()
}

/// The legacy association type's target (`CONTACT_TO_COMPANY` → `companies`).
fn association_target(association_type: &str) -> Option<String> {
    let (_, to) = association_type.split_once("_TO_")?;
    Some(object_type(&to.to_ascii_lowercase()))
}

/// One event in the common shape, or `None` for kinds we do not map.
fn read_event(fields: &Map<String, Value>) -> Option<ProviderEvent> {
    let subscription = fields.get("subscriptionType")?.as_str()?;
    let (prefix, action) = subscription.split_once('.')?;
    let record_type = match prefix {
        "object" => object_type(fields.get("objectTypeId")?.as_str()?),
        "contact" | "company" | "deal" | "ticket" | "product" | "line_item" => object_type(prefix),
        _ => return None,
    };
    let occurred_at = DateTime::from_timestamp_millis(fields.get("occurredAt")?.as_i64()?)?;
    let mut event = ProviderEvent {
        kind: EventKind::Upsert,
        object_type: record_type,
        id: id_text(fields.get("objectId")).unwrap_or_default(),
        occurred_at,
        property: None,
        merged_ids: Vec::new(),
        associated: None,
    };
    match action {
        "creation" | "restore" => {}
        "propertyChange" => {
            event.property = Some(PropertyChange {
                name: fields.get("propertyName")?.as_str()?.to_owned(),
                value: fields
                    .get("propertyValue")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        "deletion" | "privacyDeletion" => event.kind = EventKind::Delete,
        "merge" => {
            event.kind = EventKind::Merge;
            let winner = id_text(fields.get("newObjectId"))
                .or_else(|| id_text(fields.get("primaryObjectId")))
                .unwrap_or_else(|| event.id.clone());
            event.merged_ids = fields
                .get("mergedObjectIds")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(|id| id_text(Some(id))).collect())
                .unwrap_or_default();
            event.merged_ids.retain(|id| *id != winner);
            event.id = winner;
        }
        "associationChange" => {
            event.kind = EventKind::Association;
            event.id = id_text(fields.get("fromObjectId"))?;
            if let Some(from) = fields.get("fromObjectTypeId").and_then(Value::as_str) {
                event.object_type = object_type(from);
            }
            let to_type = match fields.get("toObjectTypeId").and_then(Value::as_str) {
                Some(to) => object_type(to),
                None => association_target(fields.get("associationType")?.as_str()?)?,
            };
            event.associated = Some(AssociatedRecord {
                object_type: to_type,
                id: id_text(fields.get("toObjectId"))?,
                removed: fields
                    .get("associationRemoved")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            });
        }
        _ => return None,
    }
    (!event.id.is_empty()).then_some(event)
}

#[cfg(test)]
mod tests;
