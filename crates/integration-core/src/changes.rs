//! Incremental sync: what changed since a checkpoint, as upserts and deletions.
//!
//! A sync covers a fixed window `[since, until)` where `until` is the sync's start minus the
//! provider's usual index lag, so a record modified while the sync runs falls in the next window
//! instead of being missed, and `since` is the checkpoint minus a lookback: search indexes
//! promise no bound on their lag, so each window overlaps the previous one and a record indexed
//! late arrives in a later run instead of never (changes are idempotent: a repeat is harmless).
//! The next checkpoint is `until`.
//! Checkpoints and resume tokens are opaque to callers (base64url JSON with a version) and carry
//! everything needed to continue, so servers stay stateless.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};

use crate::{Connector, Credentials, Cursor, Error, IntegrationItem, ItemQuery, UserId};

/// One page of changes within a window, as [`Integration::changes`](crate::Integration::changes)
/// is asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangesQuery {
    /// The object type (the provider's default when `None`).
    pub object_type: Option<String>,
    /// Records modified or archived at or after this instant…
    pub since: DateTime<Utc>,
    /// …and before this one.
    pub until: DateTime<Utc>,
    /// The provider's cursor from the previous page (`None`: the first page).
    pub cursor: Option<Cursor>,
    /// The fields each upserted record carries ([`ItemQuery::properties`]).
    pub properties: Option<Vec<String>>,
    /// The kinds each upserted record lists its related records of
    /// ([`ItemQuery::associations`]).
    pub associations: Vec<String>,
}

/// What each upserted record of a changes run carries besides its defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// [`ItemQuery::properties`].
    pub properties: Option<Vec<String>>,
    /// [`ItemQuery::associations`].
    pub associations: Vec<String>,
}

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A record created or modified in the window, as it is now.
    Upsert(IntegrationItem),
    /// A record archived or deleted in the window.
    Delete {
        /// The record's id.
        id: String,
        /// When it was archived, when the provider says.
        archived_at: Option<DateTime<Utc>>,
    },
}

/// A page of changes and the provider's cursor of the next one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangesPage {
    /// The changes, in the provider's order.
    pub changes: Vec<Change>,
    /// The next page's cursor; `None` when the window is exhausted.
    pub next_cursor: Option<Cursor>,
}

/// Where the next incremental sync starts: the end of the last window (or an export's start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Changes at or after this instant are still to be synced.
    pub since: DateTime<Utc>,
    /// The object type it is for.
    pub object_type: Option<String>,
}

/// A sync cut short, continued: its window and the provider's cursor within it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesResume {
    /// The window's start.
    pub since: DateTime<Utc>,
    /// The window's end, kept so the resumed sync covers exactly the same window.
    pub until: DateTime<Utc>,
    /// The object type.
    pub object_type: Option<String>,
    /// The provider's cursor of the next page.
    pub cursor: Cursor,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u8,
    #[serde(flatten)]
    body: T,
}

fn encode<T: Serialize>(body: &T) -> String {
    let json = serde_json::to_vec(&Envelope { v: 1, body }).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode<T: for<'de> Deserialize<'de>>(raw: &str, what: &str) -> Result<T, Error> {
    let bad = || Error::InvalidInput(format!("the {what} is not one this server issued"));
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let envelope: Envelope<T> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    (envelope.v == 1).then_some(envelope.body).ok_or_else(bad)
}

impl Checkpoint {
    /// The opaque text callers keep.
    pub fn encode(&self) -> String {
        encode(self)
    }

    /// A checkpoint from its text; anything else is [`Error::InvalidInput`].
    pub fn decode(raw: &str) -> Result<Self, Error> {
        decode(raw, "checkpoint")
    }
}

impl ChangesResume {
    /// The opaque text callers pass back to continue.
    pub fn encode(&self) -> String {
        encode(self)
    }

    /// A resume token from its text; anything else is [`Error::InvalidInput`].
    pub fn decode(raw: &str) -> Result<Self, Error> {
        decode(raw, "resume cursor")
    }
}

/// Where a [`Connector::changes`] run starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangesFrom {
    /// A new window from this checkpoint to now minus the index lag.
    Checkpoint(Checkpoint),
    /// The rest of a window a previous run did not finish.
    Resume(ChangesResume),
}

/// What [`Connector::changes`] yields, in order: changes, a resume token after each page but the
/// last, then the end with the next checkpoint. No `End` means the run was cut short.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeEvent {
    /// One change.
    Change(Change),
    /// Everything before this point was delivered; continue with this token.
    Resume {
        /// Where to continue.
        resume: ChangesResume,
        /// Changes delivered so far by this run.
        count: u64,
    },
    /// The window is done.
    End {
        /// Upserts delivered by this run.
        upserts: u64,
        /// Deletions delivered by this run.
        deletes: u64,
        /// Where the next sync starts.
        checkpoint: Checkpoint,
    },
}

enum Next {
    /// What webhooks named since the window began (see `connector::pushed`): `None` until the
    /// log is read.
    Pushed(Option<crate::connector::pushed::Pushed>),
    Fetch(Option<Cursor>),
    Resume(Cursor),
    End,
}

struct Run {
    connector: Arc<Connector>,
    user: UserId,
    query: ChangesQuery,
    pending: std::vec::IntoIter<Change>,
    next: Next,
    upserts: u64,
    deletes: u64,
    /// The credentials of the previous page, reused while fresh.
    known: Option<Credentials>,
    /// The records the webhook phase delivered: the search window skips them, since what it
    /// finds (modified before the window's end) is never newer than what was fetched by id
    /// after the run began.
    delivered: std::collections::HashSet<String>,
}

/// The record a change is about.
fn change_id(change: &Change) -> &str {
    match change {
        Change::Upsert(item) => &item.id,
        Change::Delete { id, .. } => id,
    }
}

impl Run {
    /// Notes what the webhook phase delivers, for the search window to skip.
    fn remember(&mut self, changes: &[Change]) {
        self.delivered
            .extend(changes.iter().map(|c| change_id(c).to_owned()));
    }

    /// Counts the pending changes by kind and by what found them (`webhook`, `search`).
    fn count_pending(&self, source: &'static str) {
        let provider = self.connector.integration().id();
        let changes = self.pending.as_slice();
        let deletes = (changes.iter())
            .filter(|c| matches!(c, Change::Delete { .. }))
            .count() as u64;
        let upserts = changes.len() as u64 - deletes;
        metrics::counter!("records_changed_total", "provider" => provider, "change" => "upsert", "source" => source)
            .increment(upserts);
        metrics::counter!("records_changed_total", "provider" => provider, "change" => "delete", "source" => source)
            .increment(deletes);
    }

    /// The next event: a pending change, else the resume token or the end, else a fetch.
    async fn step(mut self) -> Option<(Result<ChangeEvent, Error>, Option<Self>)> {
        loop {
            if let Some(change) = self.pending.next() {
                match &change {
                    Change::Upsert(_) => self.upserts += 1,
                    Change::Delete { .. } => self.deletes += 1,
                }
                return Some((Ok(ChangeEvent::Change(change)), Some(self)));
            }
            match std::mem::replace(&mut self.next, Next::End) {
                Next::Pushed(None) => {
                    let connector = Arc::clone(&self.connector);
                    let read = connector.pushed(&self.user, &self.query, &mut self.known);
                    match read.await {
                        Ok(pushed) => {
                            self.remember(&pushed.gone);
                            self.pending = pushed.gone.clone().into_iter();
                            self.next = Next::Pushed(Some(crate::connector::pushed::Pushed {
                                gone: Vec::new(),
                                ..pushed
                            }));
                            self.count_pending("webhook");
                        }
                        Err(error) => return Some((Err(error), None)),
                    }
                }
                Next::Pushed(Some(mut pushed)) => {
                    if pushed.changed.is_empty() {
                        self.next = Next::Fetch(self.query.cursor.clone());
                        continue;
                    }
                    let connector = Arc::clone(&self.connector);
                    let fetched = connector.fetch_pushed(
                        &self.user,
                        &self.query,
                        &mut pushed,
                        &mut self.known,
                    );
                    match fetched.await {
                        Ok(Some(changes)) => {
                            self.remember(&changes);
                            self.pending = changes.into_iter();
                            self.count_pending("webhook");
                            self.next = Next::Pushed(Some(pushed));
                        }
                        // The provider cannot fetch by id: the search window carries it all.
                        Ok(None) => self.next = Next::Fetch(self.query.cursor.clone()),
                        Err(error) => return Some((Err(error), None)),
                    }
                }
                Next::Fetch(cursor) => {
                    self.query.cursor = cursor;
                    let connector = Arc::clone(&self.connector);
                    let page =
                        connector.changes_page_reusing(&self.user, &self.query, &mut self.known);
                    let page = match page.await {
                        Ok(page) => page,
                        Err(error) => return Some((Err(error), None)),
                    };
                    let mut changes = page.changes;
                    if !self.delivered.is_empty() {
                        changes.retain(|c| !self.delivered.contains(change_id(c)));
                    }
                    self.pending = changes.into_iter();
                    self.count_pending("search");
                    self.next = page.next_cursor.map_or(Next::End, Next::Resume);
                }
                Next::Resume(cursor) => {
                    let resume = ChangesResume {
                        since: self.query.since,
                        until: self.query.until,
                        object_type: self.query.object_type.clone(),
                        cursor: cursor.clone(),
                    };
                    let count = self.upserts + self.deletes;
                    self.next = Next::Fetch(Some(cursor));
                    return Some((Ok(ChangeEvent::Resume { resume, count }), Some(self)));
                }
                Next::End => {
                    let checkpoint = Checkpoint {
                        since: self.query.until,
                        object_type: self.query.object_type.clone(),
                    };
                    let (upserts, deletes) = (self.upserts, self.deletes);
                    let end = ChangeEvent::End {
                        upserts,
                        deletes,
                        checkpoint,
                    };
                    return Some((Ok(end), None));
                }
            }
        }
    }
}

impl Connector {
    /// The changes from `from`, as a stream (see the [module docs](self)). The object type is the
    /// checkpoint's; a provider without incremental sync fails the first item with
    /// [`Error::Unsupported`]. Pages are fetched at background priority.
    pub fn changes(
        self: &Arc<Self>,
        user: UserId,
        from: ChangesFrom,
    ) -> impl Stream<Item = Result<ChangeEvent, Error>> + Send + 'static {
        self.changes_selecting(user, from, Selection::default())
    }

    /// [`changes`](Self::changes) whose upserted records carry what `selection` asks for (as an
    /// export's would).
    pub fn changes_selecting(
        self: &Arc<Self>,
        user: UserId,
        from: ChangesFrom,
        selection: Selection,
    ) -> impl Stream<Item = Result<ChangeEvent, Error>> + Send + 'static {
        let query = match from {
            ChangesFrom::Checkpoint(checkpoint) => {
                let until = Utc::now() - self.options().index_lag;
                let lookback = chrono::Duration::from_std(self.options().lookback)
                    .unwrap_or(chrono::Duration::zero());
                ChangesQuery {
                    object_type: checkpoint.object_type,
                    // Overlapping the previous window catches what its search had not indexed.
                    since: checkpoint
                        .since
                        .checked_sub_signed(lookback)
                        .unwrap_or(checkpoint.since),
                    // At least the lookback when the last sync ended less than the lag ago.
                    until: until.max(checkpoint.since),
                    cursor: None,
                    properties: selection.properties,
                    associations: selection.associations,
                }
            }
            ChangesFrom::Resume(resume) => ChangesQuery {
                object_type: resume.object_type,
                since: resume.since,
                until: resume.until,
                cursor: Some(resume.cursor),
                properties: selection.properties,
                associations: selection.associations,
            },
        };
        // A run from a checkpoint starts with what webhooks named; a resumed one is past that.
        let next = match &query.cursor {
            None => Next::Pushed(None),
            Some(cursor) => Next::Fetch(Some(cursor.clone())),
        };
        let run = Run {
            connector: Arc::clone(self),
            user,
            next,
            query,
            pending: Vec::new().into_iter(),
            upserts: 0,
            deletes: 0,
            known: None,
            delivered: std::collections::HashSet::new(),
        };
        stream::unfold(Some(run), |run| async move { run?.step().await })
    }
}

/// The items query an export starting now would make, for checking a changes request the same
/// way (object type known, scope granted).
pub(crate) fn as_items_query(query: &ChangesQuery) -> ItemQuery {
    ItemQuery {
        object_type: query.object_type.clone(),
        properties: query.properties.clone(),
        associations: query.associations.clone(),
        ..ItemQuery::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_and_resume_tokens_round_trip_and_refuse_forgeries() {
        let checkpoint = Checkpoint {
            since: "2026-11-25T10:00:00Z".parse().unwrap(),
            object_type: Some("contacts".into()),
        };
        let text = checkpoint.encode();
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        );
        assert_eq!(Checkpoint::decode(&text).unwrap(), checkpoint);
        let v2 =
            URL_SAFE_NO_PAD.encode(r#"{"v":2,"since":"2026-11-25T10:00:00Z","object_type":null}"#);
        for bad in [
            "",
            "not base64!",
            "e30",
            v2.as_str(),
            &text[..text.len() - 4],
        ] {
            assert!(
                matches!(Checkpoint::decode(bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
        let resume = ChangesResume {
            since: checkpoint.since,
            until: checkpoint.since + chrono::Duration::hours(1),
            object_type: None,
            cursor: Cursor::parse("u.42").unwrap(),
        };
        assert_eq!(ChangesResume::decode(&resume.encode()).unwrap(), resume);
        assert!(
            ChangesResume::decode(&text).is_err(),
            "a checkpoint is not a resume token"
        );
        // The longest provider cursor, wrapped, still makes a resume token that is a cursor.
        let longest = ChangesResume {
            object_type: Some("x".repeat(64)),
            cursor: Cursor::wrap_with("d", &"é".repeat(Cursor::MAX_WRAPPED / 2)).unwrap(),
            ..resume.clone()
        };
        assert!(Cursor::parse(longest.encode()).is_ok());
        // A forged token whose inner cursor is no cursor is refused like any bad input.
        for inner in ["", " ", "a\\u0000"] {
            let forged = URL_SAFE_NO_PAD.encode(format!(
                r#"{{"v":1,"since":"2026-11-25T10:00:00Z","until":"2026-11-25T11:00:00Z","object_type":null,"cursor":"{inner}"}}"#
            ));
            assert!(
                matches!(ChangesResume::decode(&forged), Err(Error::InvalidInput(_))),
                "{inner:?}"
            );
        }
    }
}
