//! Webhooks: HubSpot POSTs batches of CRM events to an app's target URL.
//!
//! Why the sandbox sends them: a client that keeps records in sync can listen to webhooks
//! instead of (or besides) polling, and a fake that only answers requests cannot exercise that
//! code. So, like HubSpot's Webhooks API for an app ("legacy" CRM subscriptions, the
//! `contact.*` / `company.*` / `deal.*` types), every change made through
//! [`crate::Sandbox::modify_records`], [`archive_records`](crate::Sandbox::archive_records) and
//! [`delete_records`](crate::Sandbox::delete_records) (and their admin routes) becomes one
//! event per record, and every property set by [`edit_record`](crate::Sandbox::edit_record)
//! (and the records page) one event per property, delivered in the background the way HubSpot documents it:
//!
//! - a JSON array of at most 100 events per request, signed with the app's client secret
//!   (v3 and v1 signatures, see [`sign`]), `attemptNumber` counting the tries;
//! - a 5 s timeout; a connection failure, a timeout, a 5xx or a 429 is retried up to 10 times
//!   with growing, randomised delays (about 24 h in all at real scale; the
//!   [`Knobs::webhook_retry_base`](crate::Knobs::webhook_retry_base) knob compresses it), any
//!   other 4xx drops the batch;
//! - at most [`MAX_CONCURRENT_REQUESTS`] requests in flight (HubSpot's `maxConcurrentRequests`
//!   default).
//!
//! The parts: this file holds the subscription and turns changes into events (cheap, under its
//! own small lock, never the sandbox's state lock); [`deliver`] is the sender task, started in
//! the Tokio runtime that subscribes and stopped when the subscription goes away (unsubscribe,
//! a new subscription, or the last clone of the [`crate::Sandbox`] dropped); [`sign`] computes
//! the signatures.

mod deliver;
mod sign;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::seed::ObjectType;
use crate::store::Edit;

/// Requests in flight at once per subscription: HubSpot's default `maxConcurrentRequests`.
pub(crate) const MAX_CONCURRENT_REQUESTS: usize = 10;
/// Events per request at most (HubSpot's maximum batch).
pub(crate) const MAX_BATCH: usize = 100;
/// Retries after the first attempt (HubSpot's "up to 10 times").
pub(crate) const MAX_RETRIES: u32 = 10;
/// Time allowed per request (HubSpot's webhook timeout).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The default [`crate::Knobs::webhook_retry_base`]: the first retry comes after about this
/// long and each next one waits twice as long, so ten retries span about 24 hours.
pub(crate) const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(84);

/// The subscription types the sandbox can send, in a fixed order: the index is part of each
/// type's stable `subscriptionId`.
const SUBSCRIPTION_TYPES: [&str; 15] = [
    "contact.propertyChange",
    "contact.deletion",
    "contact.privacyDeletion",
    "company.propertyChange",
    "company.deletion",
    "deal.propertyChange",
    "deal.deletion",
    "ticket.propertyChange",
    "ticket.deletion",
    "product.propertyChange",
    "product.deletion",
    "line_item.propertyChange",
    "line_item.deletion",
    "object.propertyChange",
    "object.deletion",
];

/// Counters of webhook delivery since the sandbox started (or [`crate::Sandbox::reset_stats`],
/// which keeps `pending_events`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookStats {
    /// Batches formed and sent a first time.
    pub batches_sent: u64,
    /// Requests made, first tries and retries.
    pub attempts: u64,
    /// Batches the receiver accepted (2xx).
    pub delivered_batches: u64,
    /// Events in those batches.
    pub delivered_events: u64,
    /// Requests that failed: connection error, timeout, or a status other than 2xx.
    pub failed_attempts: u64,
    /// Batches given up: refused with a 4xx other than 429, or still failing after
    /// 10 retries.
    pub dropped_batches: u64,
    /// Events neither delivered nor given up yet (queued, in flight or waiting to retry).
    pub pending_events: u64,
}

/// Where the webhooks go, as [`crate::Sandbox::webhook_subscription`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSubscription {
    /// The target URL.
    pub url: url::Url,
    /// The app whose client secret signs the requests.
    pub client_id: String,
    /// That app's id (`appId` in the events).
    pub app_id: u64,
}

/// A client secret: kept out of `Debug` and logs.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// One event of HubSpot's legacy webhook payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event {
    pub event_id: u64,
    pub subscription_id: u64,
    pub portal_id: u64,
    pub app_id: u64,
    pub occurred_at: i64,
    pub subscription_type: &'static str,
    pub attempt_number: u32,
    pub object_id: u64,
    /// Only on the generic `object.*` types: which type the record is (`0-48`, `2-…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_value: Option<String>,
    pub change_source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_flag: Option<&'static str>,
}

/// What one change did to one record, for its event.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub object_id: u64,
    /// For [`Edit::Modify`]: the property that moved and its new value.
    pub property: Option<(&'static str, String)>,
}

#[derive(Debug)]
struct Subscription {
    info: WebhookSubscription,
    portal_id: u64,
    user_id: u64,
    /// The next `eventId`: counts from 1 per subscription, so ids repeat across subscriptions
    /// (HubSpot does not promise unique event ids either).
    next_event_id: u64,
    /// Feeds the sender task; dropping it stops the task.
    events: mpsc::UnboundedSender<Vec<Event>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Client secrets by client id (every registered app).
    secrets: HashMap<String, Secret>,
    subscription: Option<Subscription>,
}

/// The webhook half of the sandbox: subscription, secrets, counters.
#[derive(Debug)]
pub(crate) struct Hub {
    inner: Mutex<Inner>,
    stats: Arc<Mutex<WebhookStats>>,
    /// [`crate::Knobs::webhook_retry_base`] in ms, read by the sender at each retry.
    retry_base_ms: Arc<AtomicU64>,
    /// The custom object's `2-…` id, for its `object.*` events' `objectTypeId`.
    custom_type_id: std::sync::OnceLock<String>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Hub {
    pub(crate) fn new(retry_base: Duration) -> Self {
        Self {
            inner: Mutex::default(),
            stats: Arc::default(),
            retry_base_ms: Arc::new(AtomicU64::new(millis(retry_base))),
            custom_type_id: std::sync::OnceLock::new(),
        }
    }

    /// Names the portal's custom object's `objectTypeId` (once, at start).
    pub(crate) fn set_custom_type_id(&self, id: &str) {
        let _ = self.custom_type_id.set(id.to_owned());
    }

    /// Remembers an app's client secret (registration replaces it).
    pub(crate) fn register_secret(&self, client_id: &str, secret: &str) {
        lock(&self.inner)
            .secrets
            .insert(client_id.to_owned(), Secret(secret.to_owned()));
    }

    pub(crate) fn set_retry_base(&self, base: Duration) {
        self.retry_base_ms.store(millis(base), Ordering::Relaxed);
    }

    /// Subscribes `target`, signed with `client_id`'s secret, replacing any subscription.
    /// `app_id` resolves the client's app id (it takes the sandbox's state lock, so it is
    /// called before this lock is taken).
    pub(crate) fn subscribe(
        &self,
        target: url::Url,
        client_id: &str,
        app_id: impl FnOnce() -> u64,
        portal_id: u64,
        user_id: u64,
    ) -> Result<(), String> {
        if !matches!(target.scheme(), "http" | "https") {
            return Err(format!(
                "The webhook URL must be http or https, not '{}'.",
                target.scheme()
            ));
        }
        let Some(secret) = lock(&self.inner).secrets.get(client_id).cloned() else {
            return Err(format!(
                "No app with client id '{client_id}' is registered."
            ));
        };
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "Subscribing to webhooks needs a running Tokio runtime.".to_owned())?;
        let app_id = app_id();
        let (events, receiver) = mpsc::unbounded_channel();
        let sender = deliver::Sender::new(
            target.clone(),
            secret,
            self.stats.clone(),
            self.retry_base_ms.clone(),
        )?;
        runtime.spawn(sender.run(receiver));
        tracing::info!(target = %target, client_id, app_id, "hubspot sandbox: webhooks subscribed");
        lock(&self.inner).subscription = Some(Subscription {
            info: WebhookSubscription {
                url: target,
                client_id: client_id.to_owned(),
                app_id,
            },
            portal_id,
            user_id,
            next_event_id: 1,
            events,
        });
        Ok(())
    }

    /// Ends the subscription, if any: its sender stops and undelivered events are dropped.
    pub(crate) fn unsubscribe(&self) {
        let old = lock(&self.inner).subscription.take();
        if old.is_some() {
            tracing::info!("hubspot sandbox: webhooks unsubscribed");
        }
    }

    pub(crate) fn is_subscribed(&self) -> bool {
        lock(&self.inner).subscription.is_some()
    }

    pub(crate) fn subscription(&self) -> Option<WebhookSubscription> {
        lock(&self.inner)
            .subscription
            .as_ref()
            .map(|s| s.info.clone())
    }

    pub(crate) fn stats(&self) -> WebhookStats {
        lock(&self.stats).clone()
    }

    pub(crate) fn reset_stats(&self) {
        let mut stats = lock(&self.stats);
        *stats = WebhookStats {
            pending_events: stats.pending_events,
            ..WebhookStats::default()
        };
    }

    /// Queues one event per changed record (nothing if unsubscribed); never blocks.
    pub(crate) fn publish(
        &self,
        object: ObjectType,
        edit: Edit,
        changes: Vec<Change>,
        occurred_at: i64,
    ) {
        if changes.is_empty() {
            return;
        }
        let mut inner = lock(&self.inner);
        let Some(sub) = inner.subscription.as_mut() else {
            return;
        };
        let (app_id, portal_id, user_id) = (sub.info.app_id, sub.portal_id, sub.user_id);
        let custom_type_id = self.custom_type_id.get().map_or("", String::as_str);
        let events: Vec<Event> = changes
            .into_iter()
            .map(|change| {
                let event_id = sub.next_event_id;
                sub.next_event_id += 1;
                event(
                    (object, custom_type_id),
                    edit,
                    event_id,
                    app_id,
                    portal_id,
                    user_id,
                    change.object_id,
                    change.property,
                    occurred_at,
                )
            })
            .collect();
        let count = events.len() as u64;
        lock(&self.stats).pending_events += count;
        if sub.events.send(events).is_err() {
            // The sender is gone (its runtime shut down): nothing will deliver these.
            let mut stats = lock(&self.stats);
            stats.pending_events = stats.pending_events.saturating_sub(count);
        }
    }
}

/// The legacy event for one change to one record (webhooks and the journal's files).
#[allow(clippy::too_many_arguments)]
pub(crate) fn event(
    (object, custom_type_id): (ObjectType, &str),
    edit: Edit,
    event_id: u64,
    app_id: u64,
    portal_id: u64,
    user_id: u64,
    object_id: u64,
    property: Option<(&'static str, String)>,
    occurred_at: i64,
) -> Event {
    let subscription_type = subscription_type(object, edit);
    let index = SUBSCRIPTION_TYPES
        .iter()
        .position(|t| *t == subscription_type)
        .unwrap_or(0) as u64;
    let (property_name, property_value) = match property {
        Some((name, value)) => (Some(name), Some(value)),
        None => (None, None),
    };
    Event {
        event_id,
        subscription_id: subscription_id(app_id, index),
        portal_id,
        app_id,
        occurred_at,
        subscription_type,
        attempt_number: 0,
        object_id,
        object_type_id: subscription_type.starts_with("object.").then(|| {
            if object.is_custom() {
                custom_type_id.to_owned()
            } else {
                object.type_id().to_owned()
            }
        }),
        property_name,
        property_value,
        change_source: "CRM_UI",
        source_id: Some(format!("userId:{user_id}")),
        change_flag: match edit {
            Edit::Modify => None,
            Edit::Archive | Edit::Delete => Some("DELETED"),
        },
    }
}

/// A stable `subscriptionId` per app and subscription type.
fn subscription_id(app_id: u64, type_index: u64) -> u64 {
    1_900_000 + (app_id % 100_000) * 16 + type_index
}

/// The legacy subscription type of a change: `{object}.propertyChange` for a modification,
/// `{object}.deletion` for an archive, and for a hard delete (merge or GDPR deletion)
/// `contact.privacyDeletion` on contacts, `{object}.deletion` on the others. Types without
/// their own legacy subscriptions (quotes, engagements, custom objects) use the generic
/// `object.*` ones, which name the type in `objectTypeId`.
fn subscription_type(object: ObjectType, edit: Edit) -> &'static str {
    match (object, edit) {
        (ObjectType::Contacts, Edit::Modify) => "contact.propertyChange",
        (ObjectType::Contacts, Edit::Archive) => "contact.deletion",
        (ObjectType::Contacts, Edit::Delete) => "contact.privacyDeletion",
        (ObjectType::Companies, Edit::Modify) => "company.propertyChange",
        (ObjectType::Companies, Edit::Archive | Edit::Delete) => "company.deletion",
        (ObjectType::Deals, Edit::Modify) => "deal.propertyChange",
        (ObjectType::Deals, Edit::Archive | Edit::Delete) => "deal.deletion",
        (ObjectType::Tickets, Edit::Modify) => "ticket.propertyChange",
        (ObjectType::Tickets, Edit::Archive | Edit::Delete) => "ticket.deletion",
        (ObjectType::Products, Edit::Modify) => "product.propertyChange",
        (ObjectType::Products, Edit::Archive | Edit::Delete) => "product.deletion",
        (ObjectType::LineItems, Edit::Modify) => "line_item.propertyChange",
        (ObjectType::LineItems, Edit::Archive | Edit::Delete) => "line_item.deletion",
        (_, Edit::Modify) => "object.propertyChange",
        (_, Edit::Archive | Edit::Delete) => "object.deletion",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_maps_to_a_listed_subscription_type() {
        for object in ObjectType::ALL {
            for edit in [Edit::Modify, Edit::Archive, Edit::Delete] {
                assert!(SUBSCRIPTION_TYPES.contains(&subscription_type(object, edit)));
            }
        }
    }

    #[test]
    fn generic_object_events_name_the_type() {
        let event = |object| event((object, "2-1234567"), Edit::Modify, 1, 2, 3, 4, 5, None, 6);
        let call = event(ObjectType::Calls);
        assert_eq!(call.subscription_type, "object.propertyChange");
        assert_eq!(call.object_type_id.as_deref(), Some("0-48"));
        let pet = event(ObjectType::Pets);
        assert_eq!(pet.object_type_id.as_deref(), Some("2-1234567"));
        let ticket = event(ObjectType::Tickets);
        assert_eq!(ticket.subscription_type, "ticket.propertyChange");
        assert_eq!(ticket.object_type_id, None);
        let contact = serde_json::to_value(event(ObjectType::Contacts)).unwrap();
        assert!(contact.get("objectTypeId").is_none(), "{contact}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let hub = Hub::new(DEFAULT_RETRY_BASE);
        hub.register_secret("id", "very-secret-value");
        assert!(!format!("{hub:?}").contains("very-secret-value"));
    }
}
