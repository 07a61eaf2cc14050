//! Provider event logs: the [`EventLog`] half. Each account's log is a Redis Stream, so an
//! offset is a stream id every replica agrees on, reads are ranges (`XRANGE`), and retention is
//! `MAXLEN`. Appending and remembering identities is one script (see `APPEND_EVENTS_SCRIPT`), so
//! a provider's retry is stored once even when it races the first delivery.

use async_trait::async_trait;
use deadpool_redis::redis::{self, Value};
use integration_core::{Appended, EventLog, EventOffset, LoggedEvent, ProviderEvent, StoreError};

use super::RedisTokenStore;

#[async_trait]
impl EventLog for RedisTokenStore {
    #[tracing::instrument(skip_all, fields(provider = provider, events = events.len()))]
    async fn append(
        &self,
        provider: &str,
        account: &str,
        events: &[(String, ProviderEvent)],
    ) -> Result<Appended, StoreError> {
        if events.is_empty() {
            return Ok(Appended::default());
        }
        let log = self.events_redis_key(provider, account);
        let seen = format!("{log}:seen");
        let retention = self.inner.event_retention;
        let mut invocation = self.inner.append_events.prepare_invoke();
        invocation
            .key(&log)
            .key(&seen)
            .arg(u64::try_from(retention.dedupe_for.as_millis()).unwrap_or(u64::MAX))
            .arg(retention.max_events);
        for (identity, event) in events {
            let payload = serde_json::to_string(event)
                .map_err(|e| StoreError::Corrupt(format!("event not encodable: {e}")))?;
            invocation.arg(identity).arg(payload);
        }
        let replicas = self.inner.event_replicas;
        // `WAIT` on the same connection covers this connection's writes; half the store's
        // timeout leaves the rest for the script.
        let wait_ms = u64::try_from(self.inner.timeout.as_millis() / 2)
            .unwrap_or(1000)
            .max(1);
        let (stored, acknowledged): (usize, usize) = self
            .with_connection("append events", |mut connection| async move {
                let stored: usize = invocation.invoke_async(&mut connection).await?;
                if replicas == 0 {
                    return Ok((stored, 0));
                }
                let acknowledged: usize = redis::cmd("WAIT")
                    .arg(replicas)
                    .arg(wait_ms)
                    .query_async(&mut connection)
                    .await?;
                Ok((stored, acknowledged))
            })
            .await?;
        if acknowledged < replicas {
            // Stored on the primary, not yet where a failover would keep it: the provider
            // retries, and the retry finds the identities (a duplicate) if the write survives.
            return Err(StoreError::Unavailable(format!(
                "redis: events acknowledged by {acknowledged} of {replicas} replicas"
            )));
        }
        Ok(Appended {
            stored,
            duplicates: events.len() - stored,
        })
    }

    #[tracing::instrument(skip_all, fields(provider = provider))]
    async fn read(
        &self,
        provider: &str,
        account: &str,
        after: Option<&EventOffset>,
        max: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let start = after.map_or_else(|| "-".to_owned(), |a| format!("({}", a.as_str()));
        let cmd = redis::cmd("XRANGE")
            .arg(self.events_redis_key(provider, account))
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(max)
            .clone();
        let entries: Vec<(String, Vec<(String, String)>)> = self.query("XRANGE", cmd).await?;
        entries.into_iter().map(logged).collect()
    }

    #[tracing::instrument(skip_all, fields(provider = provider))]
    async fn latest(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Option<EventOffset>, StoreError> {
        let cmd = redis::cmd("XREVRANGE")
            .arg(self.events_redis_key(provider, account))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .clone();
        let entries: Vec<(String, Vec<(String, String)>)> = self.query("XREVRANGE", cmd).await?;
        Ok(entries
            .into_iter()
            .next()
            .and_then(|(id, _)| EventOffset::parse(&id)))
    }

    #[tracing::instrument(skip_all, fields(provider = provider))]
    async fn dropped_before(
        &self,
        provider: &str,
        account: &str,
    ) -> Result<Option<EventOffset>, StoreError> {
        let key = self.events_redis_key(provider, account);
        // XINFO fails on a missing key; a log that was never written lost nothing.
        let (exists, info): (bool, Value) = self
            .with_connection("XINFO", |mut connection| async move {
                let exists: bool = redis::cmd("EXISTS")
                    .arg(&key)
                    .query_async(&mut connection)
                    .await?;
                if !exists {
                    return Ok((false, Value::Nil));
                }
                let info = redis::cmd("XINFO")
                    .arg("STREAM")
                    .arg(&key)
                    .query_async(&mut connection)
                    .await?;
                Ok((true, info))
            })
            .await?;
        if !exists {
            return Ok(None);
        }
        // Trimming leaves no trace but the count: fewer entries than were ever added (Redis 7's
        // `entries-added`) means some were dropped, all before `recorded-first-entry-id`.
        let number = |name| field(&info, name).and_then(|n| n.parse::<u64>().ok());
        let dropped = matches!(
            (number("length"), number("entries-added")),
            (Some(length), Some(added)) if added > length
        );
        Ok(dropped
            .then(|| field(&info, "recorded-first-entry-id"))
            .flatten()
            .and_then(|id| EventOffset::parse(&id)))
    }

    #[tracing::instrument(skip_all, fields(name = name))]
    async fn position(&self, name: &str) -> Result<Option<String>, StoreError> {
        let key = format!("{}position:{name}", self.key_prefix());
        self.query("GET", redis::cmd("GET").arg(key).clone()).await
    }

    #[tracing::instrument(skip_all, fields(name = name))]
    async fn set_position(&self, name: &str, position: &str) -> Result<(), StoreError> {
        let key = format!("{}position:{name}", self.key_prefix());
        self.query("SET", redis::cmd("SET").arg(key).arg(position).clone())
            .await
    }
}

/// A stream entry as a logged event: its id and the `e` field's JSON.
fn logged((id, fields): (String, Vec<(String, String)>)) -> Result<LoggedEvent, StoreError> {
    let offset = EventOffset::parse(&id)
        .ok_or_else(|| StoreError::Corrupt(format!("stream id {id:?} is not an offset")))?;
    let payload = fields
        .into_iter()
        .find_map(|(name, value)| (name == "e").then_some(value))
        .ok_or_else(|| StoreError::Corrupt("an event entry has no payload".into()))?;
    let event = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("an event entry is unreadable: {e}")))?;
    Ok(LoggedEvent { offset, event })
}

/// The value after `name` in an `XINFO` reply (a flat array of names and values in RESP2, a
/// map in RESP3), as text.
fn field(info: &Value, name: &str) -> Option<String> {
    let text = |v: &Value| match v {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    };
    match info {
        Value::Array(items) => items
            .chunks(2)
            .find(|pair| pair.first().and_then(text).as_deref() == Some(name))
            .and_then(|pair| pair.get(1).and_then(text)),
        Value::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| text(k).as_deref() == Some(name))
            .and_then(|(_, v)| text(v)),
        _ => None,
    }
}
