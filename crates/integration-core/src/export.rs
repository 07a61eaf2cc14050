//! A whole listing as one stream, for loading a user's data into a pipeline.
//!
//! The stream pulls a page only when the consumer has taken the previous one (backpressure from
//! the reader to the provider's paging), so memory is one page whatever the number of records.
//! After each page it yields the cursor to resume from, so a consumer that lost the stream starts
//! again where it was instead of from the beginning, and it ends with an explicit
//! [`ExportEvent::End`] so a truncated stream is detectable. Pages are fetched at
//! [`Priority::Background`]: interactive requests of the same account go first.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};

use crate::{Connector, Credentials, Cursor, Error, IntegrationItem, ItemQuery, Priority, UserId};

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

enum State {
    Next(Option<Cursor>),
    /// A page's items not yet yielded, last first (popped from the end).
    Pending(Vec<IntegrationItem>, Option<Cursor>),
    Finished,
}

impl Connector {
    /// Every item `query` selects (from `query.cursor` when resuming), as a stream: see the
    /// [module docs](self). An error ends the stream after being yielded (no `End` follows).
    pub fn export(
        self: &Arc<Self>,
        user: UserId,
        query: ItemQuery,
    ) -> impl Stream<Item = Result<ExportEvent, Error>> + Send + 'static {
        let started_at = Utc::now();
        let first = query.cursor.clone();
        let connector = Arc::clone(self);
        let init = (State::Next(first), 0u64, query, None::<Credentials>);
        stream::unfold(init, move |(state, count, query, mut known)| {
            let connector = Arc::clone(&connector);
            let user = user.clone();
            async move {
                match state {
                    State::Finished => None,
                    State::Pending(mut items, next) => {
                        let Some(item) = items.pop() else {
                            return Some(match next {
                                Some(cursor) => (
                                    Ok(ExportEvent::Resume {
                                        cursor: cursor.clone(),
                                        count,
                                    }),
                                    (State::Next(Some(cursor)), count, query, known),
                                ),
                                None => (
                                    Ok(ExportEvent::End { count, started_at }),
                                    (State::Finished, count, query, known),
                                ),
                            });
                        };
                        Some((
                            Ok(ExportEvent::Item(item)),
                            (State::Pending(items, next), count + 1, query, known),
                        ))
                    }
                    State::Next(cursor) => {
                        let page_query = query.clone().after(cursor);
                        match connector
                            .items_reusing(&user, &page_query, Priority::Background, &mut known)
                            .await
                        {
                            Ok(page) => {
                                metrics::counter!(
                                    "records_exported_total",
                                    "provider" => connector.integration().id()
                                )
                                .increment(page.items.len() as u64);
                                let next = page.next_cursor;
                                let mut items = page.items;
                                if items.is_empty() {
                                    let event = match next.clone() {
                                        // An empty page that links on: keep going.
                                        Some(cursor) => ExportEvent::Resume { cursor, count },
                                        None => ExportEvent::End { count, started_at },
                                    };
                                    let state = match next {
                                        Some(cursor) => State::Next(Some(cursor)),
                                        None => State::Finished,
                                    };
                                    return Some((Ok(event), (state, count, query, known)));
                                }
                                items.reverse();
                                let Some(item) = items.pop() else {
                                    unreachable!("the page is not empty")
                                };
                                Some((
                                    Ok(ExportEvent::Item(item)),
                                    (State::Pending(items, next), count + 1, query, known),
                                ))
                            }
                            Err(error) => {
                                Some((Err(error), (State::Finished, count, query, known)))
                            }
                        }
                    }
                }
            }
        })
    }
}
