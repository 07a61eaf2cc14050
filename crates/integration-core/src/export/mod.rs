//! A whole listing as one stream, for loading a user's data into a pipeline.
//!
//! Pages are pipelined: as soon as a page names the next one, that one is fetched while this
//! one is delivered, so the provider's latency overlaps the mapping and writing of records. At
//! most one page is fetched ahead (backpressure from the reader to the provider's paging), so
//! memory is two pages whatever the number of records, and the page ahead is abandoned (its
//! task aborted) when the consumer drops the stream.
//! After each page it yields the cursor to resume from, so a consumer that lost the stream starts
//! again where it was instead of from the beginning, and it ends with an explicit
//! [`ExportEvent::End`] so a truncated stream is detectable. Pages are fetched at
//! [`Priority::Background`]: interactive requests of the same account go first.
//!
//! A first export from a provider with a descending lane runs two lanes at once (see
//! [`lanes`]): the same events, pages from both lanes interleaved.

mod lanes;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};

use crate::{
    Connector, Credentials, Cursor, Error, IntegrationItem, ItemQuery, Page, Priority, UserId,
};

/// What an export yields, in order: items, a cursor after each page but the last, then the end.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportEvent {
    /// One record.
    Item(IntegrationItem),
    /// Everything before this point was delivered; restart from `cursor` to continue.
    Resume {
        /// The cursor of the next page.
        cursor: Cursor,
        /// Items delivered so far by this stream.
        count: u64,
    },
    /// The listing ended; nothing is missing.
    End {
        /// Items delivered by this stream.
        count: u64,
        /// When the export started: records modified after it are the next incremental sync.
        started_at: DateTime<Utc>,
    },
}

/// A page fetched with the credentials it ended with (reused by the next page while fresh).
type Fetched<T = Page> = (Result<T, Error>, Option<Credentials>);

/// What a fetching task ended with: its page, or, when the task itself failed, why.
fn joined<T>(page: Result<Fetched<T>, tokio::task::JoinError>) -> Fetched<T> {
    page.unwrap_or_else(|e| {
        let why = format!("fetching the next page failed: {e}");
        (Err(Error::Unavailable(why)), None)
    })
}

/// The page after the one being delivered, fetched meanwhile; aborted when dropped.
struct Ahead<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Phase {
    /// The page at this cursor is wanted next (from `ahead` when it is being fetched already).
    Fetch(Option<Cursor>),
    /// `pending` is being delivered; then `next` (or the end).
    Deliver,
    Finished,
}

struct Run {
    connector: Arc<Connector>,
    user: UserId,
    query: ItemQuery,
    started_at: DateTime<Utc>,
    count: u64,
    phase: Phase,
    /// The current page's items not yet yielded, last first (popped from the end).
    pending: Vec<IntegrationItem>,
    /// Where the listing continues after the current page; `None`: it ends there.
    next: Option<Cursor>,
    /// The page at `next`, being fetched.
    ahead: Option<Ahead<Fetched>>,
    /// The credentials of the last call, reused while fresh.
    known: Option<Credentials>,
}

impl Run {
    /// Fetches the page at `cursor` with `known` credentials.
    fn fetch(
        &self,
        cursor: Option<Cursor>,
        known: Option<Credentials>,
    ) -> impl Future<Output = Fetched> + Send + 'static + use<> {
        let connector = Arc::clone(&self.connector);
        let user = self.user.clone();
        let query = self.query.clone().after(cursor);
        async move {
            let mut known = known;
            let page = connector
                .items_reusing(&user, &query, Priority::Background, &mut known)
                .await;
            (page, known)
        }
    }

    /// The next event, or `None` after the end or an error.
    async fn step(mut self) -> Option<(Result<ExportEvent, Error>, Option<Self>)> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Finished) {
                Phase::Finished => return None,
                Phase::Deliver => {
                    if let Some(item) = self.pending.pop() {
                        self.count += 1;
                        self.phase = Phase::Deliver;
                        return Some((Ok(ExportEvent::Item(item)), Some(self)));
                    }
                    let count = self.count;
                    return Some(match self.next.take() {
                        Some(cursor) => {
                            self.phase = Phase::Fetch(Some(cursor.clone()));
                            (Ok(ExportEvent::Resume { cursor, count }), Some(self))
                        }
                        None => {
                            let started_at = self.started_at;
                            (Ok(ExportEvent::End { count, started_at }), None)
                        }
                    });
                }
                Phase::Fetch(cursor) => {
                    let (page, known) = match self.ahead.take() {
                        Some(mut ahead) => joined((&mut ahead.0).await),
                        None => {
                            let known = self.known.take();
                            self.fetch(cursor, known).await
                        }
                    };
                    let page = match page {
                        Ok(page) => page,
                        Err(error) => return Some((Err(error), None)),
                    };
                    self.known = known;
                    metrics::counter!(
                        "records_exported_total",
                        "provider" => self.connector.integration().id()
                    )
                    .increment(page.items.len() as u64);
                    self.pending = page.items;
                    self.pending.reverse();
                    self.next = page.next_cursor;
                    if let Some(next) = &self.next {
                        let fetch = self.fetch(Some(next.clone()), self.known.clone());
                        self.ahead = Some(Ahead(tokio::spawn(fetch)));
                    }
                    self.phase = Phase::Deliver;
                }
            }
        }
    }
}

/// A one-lane or a two-lane export.
enum Export {
    One(Run),
    Two(lanes::Lanes),
    /// Refused before any call; the error is yielded once.
    Refused(Error),
}

impl Export {
    async fn step(self) -> Option<(Result<ExportEvent, Error>, Option<Self>)> {
        match self {
            Self::One(run) => {
                let (event, run) = run.step().await?;
                Some((event, run.map(Self::One)))
            }
            Self::Two(lanes) => {
                let (event, lanes) = lanes.step().await?;
                Some((event, lanes.map(Self::Two)))
            }
            Self::Refused(error) => Some((Err(error), None)),
        }
    }
}

impl Connector {
    /// Every item `query` selects (from `query.cursor` when resuming), as a stream: see the
    /// [module docs](self). An error ends the stream after being yielded (no `End` follows).
    pub fn export(
        self: &Arc<Self>,
        user: UserId,
        query: ItemQuery,
    ) -> impl Stream<Item = Result<ExportEvent, Error>> + Send + 'static {
        let export = match self.lanes_position(&user, &query) {
            Some(Ok(at)) => Export::Two(lanes::Lanes::new(Arc::clone(self), user, query, at)),
            Some(Err(error)) => Export::Refused(error),
            None => Export::One(Run {
                connector: Arc::clone(self),
                user,
                started_at: Utc::now(),
                count: 0,
                phase: Phase::Fetch(query.cursor.clone()),
                query,
                pending: Vec::new(),
                next: None,
                ahead: None,
                known: None,
            }),
        };
        stream::unfold(Some(export), |export| async move { export?.step().await })
    }

    /// [`check_query`](Self::check_query) for an export, whose cursor may also be a two-lane
    /// one: a bad query is refused before the response starts.
    pub fn check_export(&self, user: &UserId, query: &ItemQuery) -> Result<(), Error> {
        match self.lanes_position(user, query) {
            Some(position) => {
                position?;
                self.check_query(user, &query.clone().after(None))
            }
            None => self.check_query(user, query),
        }
    }

    /// Where a two-lane export of `query` starts: the beginning for a first export from a
    /// provider with a descending lane, the position in a two-lane cursor when resuming; `None`
    /// for one lane (no such lane, a search, or a one-lane cursor).
    fn lanes_position(
        &self,
        user: &UserId,
        query: &ItemQuery,
    ) -> Option<Result<lanes::Position, Error>> {
        if !self.integration().descends() || query.search.is_some() {
            return None;
        }
        match &query.cursor {
            None => Some(Ok(lanes::Position::default())),
            Some(cursor) => {
                let text = self.open_lanes(user, query, cursor)?;
                Some(lanes::Position::decode(&text))
            }
        }
    }
}
