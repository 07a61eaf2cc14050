//! Provider event logs: the [`EventLog`] half of both stores, and the retention they share.
//!
//! One log per provider account (a HubSpot portal), not per user: a change is stored once however
//! many users are connected to the account. Two bounds keep a log finite: a number of events
//! (the oldest go first; a reader who falls that far behind is told of the gap) and the time
//! within which a redelivered event is recognised (providers retry for a day; HubSpot's Journal
//! keeps three).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use async_trait::async_trait;
use integration_core::{Appended, EventLog, EventOffset, LoggedEvent, ProviderEvent, StoreError};
use tokio::time::Instant;

use crate::MemoryTokenStore;

/// How much of each account's events a store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRetention {
    /// Events kept per account (default 100,000); older ones are dropped.
    pub max_events: usize,
    /// How long a stored event's identity is remembered, so that a provider's redelivery of it
    /// is skipped (default 3 days: longer than HubSpot's day of retries).
    pub dedupe_for: Duration,
}

impl Default for EventRetention {
    fn default() -> Self {
        Self {
            max_events: 100_000,
            dedupe_for: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

/// One account's log in memory.
#[derive(Debug, Default)]
pub(crate) struct MemoryLog {
    entries: VecDeque<(EventOffset, ProviderEvent)>,
    /// Identities seen, and when.
    seen: HashMap<String, Instant>,
    /// Whether retention ever dropped an event.
    dropped: bool,
    last: (u64, u64),
}

impl MemoryLog {
    fn next_offset(&mut self) -> EventOffset {
        let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        self.last = if now > self.last.0 {
            (now, 0)
        } else {
            (self.last.0, self.last.1 + 1)
        };
        EventOffset::parse(&format!("{}-{}", self.last.0, self.last.1))
            .unwrap_or_else(|| unreachable!("two decimals joined by '-' are an offset"))
    }
}

fn log_key(provider: &str, account: &str) -> String {
    format!("{provider}:{account}")
}

#[async_trait]
impl EventLog for MemoryTokenStore {
    async fn append(
        &self,
        provider: &str,
        account: &str,
        events: &[(String, ProviderEvent)],
    ) -> Result<Appended, StoreError> {
        let retention = self.event_retention();
        let now = Instant::now();
        let mut state = self.lock();
        let log = state.events.entry(log_key(provider, account)).or_default();
        log.seen
            .retain(|_, at| now.duration_since(*at) < retention.dedupe_for);
        let mut appended = Appended::default();
        for (identity, event) in events {
            if log.seen.contains_key(identity) {
                appended.duplicates += 1;
                continue;
            }
            log.seen.insert(identity.clone(), now);
            let offset = log.next_offset();
            log.entries.push_back((offset, event.clone()));
            appended.stored += 1;
        }
        while log.entries.len() > retention.max_events {
            log.entries.pop_front();
            log.dropped = true;
        }
        Ok(appended)
    }

    async fn read(
        &self,
        provider: &str,
        account: &str,
        after: Option<&EventOffset>,
        max: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let state = self.lock();
        let Some(log) = state.events.get(&log_key(provider, account)) else {
            return Ok(Vec::new());
        };
        let after = after.map(EventOffset::parts);
        Ok(log
            .entries
            .iter()
            .filter(|(offset, _)| after.is_none_or(|a| offset.parts() > a))
            .take(max)
            .map(|(offset, event)| LoggedEvent {
                offset: offset.clone(),
                event: event.clone(),
            })
            .collect())
    }

    async fn latest(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Option<EventOffset>, StoreError> {
        let state = self.lock();
        Ok(state
            .events
            .get(&log_key(provider, account))
            .and_then(|log| log.entries.back().map(|(offset, _)| offset.clone())))
    }

    async fn dropped_before(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Option<EventOffset>, StoreError> {
        let state = self.lock();
        Ok(state
            .events
            .get(&log_key(provider, account))
            .filter(|log| log.dropped)
            .and_then(|log| log.entries.front().map(|(offset, _)| offset.clone())))
    }

    async fn position(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().positions.get(name).cloned())
    }

    async fn set_position(&self, name: &str, position: &str) -> Result<(), StoreError> {
        self.lock()
            .positions
            .insert(name.to_owned(), position.to_owned());
        Ok(())
    }
}
