//! The first phase of a `changes` run: the records webhooks named since the window's start,
//! fetched by id, ahead of the search window.
//!
//! A provider's search index trails its writes by seconds to minutes and never says by how
//! much, and some changes (HubSpot's merges and GDPR deletions) never appear in it at all. A
//! webhook names the record within seconds. So a run first reads the account's event log from
//! the window's start (log offsets are arrival times, so "since the checkpoint" is one range
//! read), keeps each named record's last word (deleted, or changed), and fetches the changed
//! ones by id in batches (HubSpot: `batch/read`, 100 a call, no search call spent). The search
//! window still runs after it: anything the webhooks missed (a subscription not set up, an
//! event dropped) arrives there, and a record delivered twice is harmless (changes are
//! idempotent).
//!
//! The log is read by arrival, from the window's start to whatever is there: a webhook that
//! arrives after a run's window ended (HubSpot delivers within seconds, retries for a day) is
//! delivered by that run if it is already there, and again by the next one, never by none.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Connector;
use crate::{
    Change, ChangesQuery, Credentials, Error, EventKind, EventOffset, FETCH_BATCH, UserId,
};

/// At most this many records a run takes from the log (the rest come through search).
const MAX_PUSHED: usize = 100_000;

/// What the webhooks said about the window, reduced to each record's last word.
#[derive(Debug, Default)]
pub(crate) struct Pushed {
    /// Records changed (created, modified, merged into, restored), to fetch, oldest first.
    pub(crate) changed: std::collections::VecDeque<String>,
    /// Records gone (deleted, archived, merged away), with when.
    pub(crate) gone: Vec<Change>,
}

impl Connector {
    /// What the account's event log says changed in `query`'s object type since its window
    /// began; empty when this deployment keeps no log, the provider sends no webhooks or
    /// cannot fetch by id, or the connection names no account.
    pub(crate) async fn pushed(
        &self,
        user: &UserId,
        query: &ChangesQuery,
        known: &mut Option<Credentials>,
    ) -> Result<Pushed, Error> {
        let (Some(log), Some(_)) = (self.options.events.as_ref(), self.integration.webhooks())
        else {
            return Ok(Pushed::default());
        };
        let credentials = match known {
            Some(credentials) => credentials.clone(),
            None => self.fresh_credentials(user).await?,
        };
        let Some(account) = credentials.account_id.clone() else {
            return Ok(Pushed::default());
        };
        *known = Some(credentials);
        let wanted = query
            .object_type
            .as_deref()
            .or_else(|| self.integration.object_types().first().map(|t| t.id));
        let provider = self.integration.id();
        let since_ms = u64::try_from(query.since.timestamp_millis()).unwrap_or(0);
        let mut after = EventOffset::parse(&format!("{}-0", since_ms.saturating_sub(1)));
        // Each record's last word: changed (true) or gone (false), and when.
        let mut last: HashMap<String, (bool, DateTime<Utc>)> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut note = |id: &str, changed: bool, at: DateTime<Utc>| {
            if last.insert(id.to_owned(), (changed, at)).is_none() {
                order.push(id.to_owned());
            }
            order.len()
        };
        let mut noted = 0;
        loop {
            let batch = log.read(provider, &account, after.as_ref(), 1_000).await?;
            let Some(newest) = batch.last().map(|e| e.offset.clone()) else {
                break;
            };
            for logged in batch {
                let event = logged.event;
                if wanted.is_some_and(|w| w != event.object_type) {
                    continue;
                }
                match event.kind {
                    EventKind::Upsert | EventKind::Association => {
                        noted = note(&event.id, true, event.occurred_at);
                    }
                    EventKind::Delete => noted = note(&event.id, false, event.occurred_at),
                    EventKind::Merge => {
                        for merged in &event.merged_ids {
                            note(merged, false, event.occurred_at);
                        }
                        noted = note(&event.id, true, event.occurred_at);
                    }
                }
            }
            if noted >= MAX_PUSHED {
                break;
            }
            after = Some(newest);
        }
        let mut pushed = Pushed::default();
        for id in order {
            match last.remove(&id) {
                Some((true, _)) => pushed.changed.push_back(id),
                Some((false, at)) => pushed.gone.push(Change::Delete {
                    id,
                    archived_at: Some(at),
                }),
                None => {}
            }
        }
        Ok(pushed)
    }

    /// The next batch of `pushed`'s changed records as they are now: upserts, and deletes for
    /// those that no longer exist. `None` when the provider cannot fetch by id (the search
    /// window then carries everything).
    pub(crate) async fn fetch_pushed(
        &self,
        user: &UserId,
        query: &ChangesQuery,
        pushed: &mut Pushed,
        known: &mut Option<Credentials>,
    ) -> Result<Option<Vec<Change>>, Error> {
        let take = pushed.changed.len().min(FETCH_BATCH);
        let ids: Vec<String> = pushed.changed.drain(..take).collect();
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let items = match self
            .fetch_items_reusing(user, &crate::changes::as_items_query(query), &ids, known)
            .await
        {
            Ok(items) => items,
            Err(Error::Unsupported(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let found: std::collections::HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let missing: Vec<Change> = ids
            .iter()
            .filter(|id| !found.contains(id.as_str()))
            .map(|id| Change::Delete {
                id: id.clone(),
                archived_at: None,
            })
            .collect();
        Ok(Some(
            items
                .into_iter()
                .map(Change::Upsert)
                .chain(missing)
                .collect(),
        ))
    }
}
