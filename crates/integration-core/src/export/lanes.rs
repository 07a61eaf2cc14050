//! Two lanes for a first export: the list lane reads upward from the lowest id while the
//! descending lane reads downward from the highest, each on its own allowance, until they meet.
//!
//! HubSpot paces its list API at 110 calls per ten seconds and its search API separately (the
//! spec exempts search from the ten-second limit), so a first sync that only lists leaves half
//! of what the portal may do unused. The descending lane ([`Integration::list_descending`]) is a
//! search sorted by id, each page a new query below the lowest id it has delivered (so search's
//! 10,000-result cap never applies).
//!
//! Exactly once, whatever order the list lane's pages come in (HubSpot's spec does not promise
//! one): the list lane delivers a record only below the descending lane's lowest id (`high`),
//! and the descending lane only above the list lane's highest (`low`), so `low < high` always
//! and neither delivers what the other did. The descending lane stops when it reaches `low` or
//! runs out; its pages count the records below their bound, so the export ends as soon as the
//! list lane has delivered that many below `high` (everything at or above `high` came down the
//! other lane). Records archived after the list lane delivered them make that count smaller:
//! once the lanes have met in an id order the list kept on every page, delivering more than
//! the count is enough too. A list out of id order (the evens, then the odds) shows a count it
//! has not reached, and the list lane runs on, to its end if need be: slower, never wrong.
//!
//! The position after each page (both lanes' places and the counts) is the resume cursor.
//!
//! [`Integration::list_descending`]: crate::Integration::list_descending

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Ahead, ExportEvent, Fetched, joined};
use crate::{
    Connector, Credentials, Cursor, Error, IntegrationItem, ItemQuery, LanePage, Page, Priority,
    UserId,
};

/// Where a two-lane export stands: everything a resume needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Position {
    /// The list lane's next page (sealed, as `Connector::items` takes it); `None`: its first.
    list: Option<Cursor>,
    /// The highest id the list lane delivered.
    low: Option<u64>,
    /// The lowest id the descending lane delivered: every record at or above it came that way.
    high: Option<u64>,
    /// How many records the list lane delivered (all of them below `high`).
    listed: u64,
    /// How many records have ids below `high`, as the descending lane last counted them.
    below_high: Option<u64>,
    /// The descending lane met the list lane or ran out; the list lane goes on alone.
    descended: bool,
    /// The lanes met in id order: the descending lane found an id the list lane had reached,
    /// or the list lane one the descending lane had.
    met: bool,
    /// A list page came out of id order (HubSpot's spec promises no order): only the counts
    /// or the list's end can end the export.
    disordered: bool,
}

impl Position {
    const VERSION: &'static str = "2l";

    /// Everything below `high` has come up the list lane: as many records as the descending
    /// lane counts there; or, when the lanes met in an id order the list kept, more (records
    /// delivered and archived since; waiting for equality would read the list to its end).
    fn complete(&self) -> bool {
        self.below_high.is_some_and(|below| {
            below == self.listed || (self.met && !self.disordered && self.listed > below)
        })
    }

    /// The three flags as one digit.
    fn flags(&self) -> u8 {
        u8::from(self.descended) | u8::from(self.met) << 1 | u8::from(self.disordered) << 2
    }

    /// `2l.{low}.{high}.{listed}.{below_high}.{flags}.{list}` (absent numbers empty; the list
    /// cursor last, as it may hold dots).
    pub(crate) fn encode(&self) -> String {
        let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        format!(
            "{}.{}.{}.{}.{}.{}.{}",
            Self::VERSION,
            number(self.low),
            number(self.high),
            self.listed,
            number(self.below_high),
            self.flags(),
            self.list.as_ref().map(Cursor::as_str).unwrap_or_default(),
        )
    }

    pub(crate) fn decode(text: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidInput("the export cursor is malformed".into());
        let number = |raw: &str| -> Result<Option<u64>, Error> {
            match raw {
                "" => Ok(None),
                raw => raw.parse().map(Some).map_err(|_| bad()),
            }
        };
        let fields: Vec<&str> = text.splitn(7, '.').collect();
        let [version, low, high, listed, below_high, flags, list] = fields[..] else {
            return Err(bad());
        };
        let flags: u8 = match flags.parse() {
            Ok(flags) if version == Self::VERSION && flags < 8 => flags,
            _ => return Err(bad()),
        };
        let position = Self {
            list: match list {
                "" => None,
                raw => Some(Cursor::parse(raw).map_err(|_| bad())?),
            },
            low: number(low)?,
            high: number(high)?,
            listed: listed.parse().map_err(|_| bad())?,
            below_high: number(below_high)?,
            descended: flags & 1 != 0,
            met: flags & 2 != 0,
            disordered: flags & 4 != 0,
        };
        // Only positions this module reaches: the lanes never cross.
        match (position.low, position.high) {
            (Some(low), Some(high)) if low >= high => Err(bad()),
            _ => Ok(position),
        }
    }
}

/// What follows the page being delivered.
enum Then {
    /// Fetch (or wait for) the next page of either lane.
    Fetch,
    /// Say where to resume, then fetch.
    Resume,
    End,
}

/// Which lane answered first.
enum Answer {
    List(Result<Fetched<Page>, tokio::task::JoinError>),
    Down(Result<Fetched<LanePage>, tokio::task::JoinError>),
}

pub(super) struct Lanes {
    connector: Arc<Connector>,
    user: UserId,
    /// The export's query without a cursor (the list lane's is in `at`).
    query: ItemQuery,
    started_at: DateTime<Utc>,
    count: u64,
    at: Position,
    /// The page being delivered, last item first.
    pending: Vec<IntegrationItem>,
    then: Then,
    list: Option<Ahead<Fetched<Page>>>,
    down: Option<Ahead<Fetched<LanePage>>>,
    /// The credentials of the last call, reused while fresh.
    known: Option<Credentials>,
}

impl Lanes {
    pub(super) fn new(
        connector: Arc<Connector>,
        user: UserId,
        mut query: ItemQuery,
        at: Position,
    ) -> Self {
        query.cursor = None;
        // The descending lane reads the search index, which may hold a record as it was a
        // little while ago: the next incremental window reaches back that far.
        let lag = chrono::Duration::from_std(connector.options().index_lag).unwrap_or_default();
        Self {
            started_at: Utc::now() - lag,
            connector,
            user,
            query,
            count: 0,
            at,
            pending: Vec::new(),
            then: Then::Fetch,
            list: None,
            down: None,
            known: None,
        }
    }

    /// The next event, or `None` after the end or an error.
    pub(super) async fn step(mut self) -> Option<(Result<ExportEvent, Error>, Option<Self>)> {
        loop {
            if let Some(item) = self.pending.pop() {
                self.count += 1;
                return Some((Ok(ExportEvent::Item(item)), Some(self)));
            }
            match std::mem::replace(&mut self.then, Then::Fetch) {
                Then::Fetch => {}
                Then::Resume => {
                    let text = self.at.encode();
                    return Some(
                        match self.connector.seal_lanes(&self.user, &self.query, &text) {
                            Ok(cursor) => {
                                let count = self.count;
                                (Ok(ExportEvent::Resume { cursor, count }), Some(self))
                            }
                            Err(error) => (Err(error), None),
                        },
                    );
                }
                Then::End => {
                    let (count, started_at) = (self.count, self.started_at);
                    return Some((Ok(ExportEvent::End { count, started_at }), None));
                }
            }
            self.fill();
            let answer = match (&mut self.list, &mut self.down) {
                (Some(list), Some(down)) => tokio::select! {
                    page = &mut list.0 => Answer::List(page),
                    page = &mut down.0 => Answer::Down(page),
                },
                (Some(list), None) => Answer::List((&mut list.0).await),
                (None, _) => unreachable!("`fill` keeps the list lane fetching"),
            };
            let taken = match answer {
                Answer::List(page) => {
                    self.list = None;
                    self.take_list(joined(page))
                }
                Answer::Down(page) => {
                    self.down = None;
                    self.take_down(joined(page))
                }
            };
            if let Err(error) = taken {
                return Some((Err(error), None));
            }
        }
    }

    /// Starts each idle lane's next page: right after a page arrives, so the next one is
    /// fetched while this one is delivered.
    fn fill(&mut self) {
        if self.list.is_none() {
            self.list = Some(self.fetch_list());
        }
        if self.down.is_none() && !self.at.descended {
            self.down = Some(self.fetch_down());
        }
    }

    fn fetch_list(&self) -> Ahead<Fetched<Page>> {
        let connector = Arc::clone(&self.connector);
        let user = self.user.clone();
        let query = self.query.clone().after(self.at.list.clone());
        let mut known = self.known.clone();
        Ahead(tokio::spawn(async move {
            let page = connector
                .items_reusing(&user, &query, Priority::Background, &mut known)
                .await;
            (page, known)
        }))
    }

    fn fetch_down(&self) -> Ahead<Fetched<LanePage>> {
        let connector = Arc::clone(&self.connector);
        let user = self.user.clone();
        let query = self.query.clone();
        let below = self.at.high;
        let mut known = self.known.clone();
        Ahead(tokio::spawn(async move {
            let page = (connector.items_descending(&user, &query, below, &mut known)).await;
            (page, known)
        }))
    }

    /// A list page: its records below `high` are delivered; the next page is fetched at once.
    fn take_list(&mut self, (page, known): Fetched<Page>) -> Result<(), Error> {
        let page = page?;
        self.known = known.or(self.known.take());
        let mut delivered = Vec::with_capacity(page.items.len());
        let mut previous = self.at.low;
        for item in page.items {
            let id = numeric(&item.id)?;
            if previous.is_some_and(|previous| id <= previous) {
                self.at.disordered = true;
            }
            previous = Some(id);
            if self.at.high.is_some_and(|high| id >= high) {
                self.at.met = true;
                continue;
            }
            self.at.low = Some(self.at.low.map_or(id, |low| low.max(id)));
            self.at.listed += 1;
            delivered.push(item);
        }
        self.at.list = page.next_cursor;
        self.deliver(delivered);
        if self.at.list.is_none() || self.at.complete() {
            self.finish();
        } else {
            self.then = Then::Resume;
            self.fill();
        }
        Ok(())
    }

    /// A descending page: its records above `low` are delivered, highest first.
    fn take_down(&mut self, (page, known): Fetched<LanePage>) -> Result<(), Error> {
        let page = page?;
        self.known = known.or(self.known.take());
        let asked = page.items.len() as u64;
        let mut delivered = Vec::with_capacity(page.items.len());
        let mut previous = self.at.high;
        let mut met = false;
        for item in page.items {
            let id = numeric(&item.id)?;
            if previous.is_some_and(|previous| id >= previous) {
                return Err(Error::InvalidResponse(
                    "the descending lane's records are not below its bound, highest first".into(),
                ));
            }
            previous = Some(id);
            if self.at.low.is_some_and(|low| id <= low) {
                met = true;
                self.at.met = true;
                continue;
            }
            self.at.high = Some(id);
            delivered.push(item);
        }
        // The records below the new `high` are the page's count less those delivered (they are
        // the page's highest).
        self.at.below_high = Some(page.below.saturating_sub(delivered.len() as u64));
        if met || asked == 0 || asked >= page.below {
            self.at.descended = true;
        }
        self.deliver(delivered);
        if self.at.complete() {
            self.finish();
        } else {
            self.then = Then::Resume;
            self.fill();
        }
        Ok(())
    }

    fn deliver(&mut self, mut items: Vec<IntegrationItem>) {
        metrics::counter!(
            "records_exported_total",
            "provider" => self.connector.integration().id()
        )
        .increment(items.len() as u64);
        items.reverse();
        self.pending = items;
    }

    /// Everything is delivered once `pending` is: the lanes still fetching are abandoned.
    fn finish(&mut self) {
        self.then = Then::End;
        self.list = None;
        self.down = None;
    }
}

/// A record id as the number the lanes compare.
fn numeric(id: &str) -> Result<u64, Error> {
    id.parse().map_err(|_| {
        Error::InvalidResponse(format!(
            "record id {id:?} is not a number, which a two-lane export needs"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_refuse_what_was_never_issued() {
        let at = |list: Option<&str>, low, high, flags: u8| Position {
            list: list.map(|raw| Cursor::parse(raw).unwrap()),
            low,
            high,
            listed: 7,
            below_high: high.map(|_| 9),
            descended: flags & 1 != 0,
            met: flags & 2 != 0,
            disordered: flags & 4 != 0,
        };
        for position in [
            Position::default(),
            at(Some("abc.def.ghi"), Some(3), Some(900), 0),
            at(None, None, Some(5), 1),
            at(Some("x"), Some(u64::MAX - 1), None, 6),
            at(Some("y"), Some(4), Some(5), 7),
        ] {
            assert_eq!(Position::decode(&position.encode()).unwrap(), position);
        }
        for bad in [
            "",
            "2l",
            "3l......",
            "2l.1.2.3.4.8.",
            "2l.a.....0.",
            "2l.9.3.0..0.",
            "2l...-1..0.",
        ] {
            assert!(
                matches!(Position::decode(bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
    }
}
