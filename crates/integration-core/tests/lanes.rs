//! A first export of a provider with a descending lane runs two lanes that meet in the middle.
//! A fake provider of numbered records lists them in any order (HubSpot's spec promises none)
//! at any page sizes and speeds; every record must arrive exactly once, through a resume from
//! any of the stream's cursors too.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use integration_core::{
    Connector, Credentials, Cursor, Error, ExportEvent, Integration, IntegrationItem, ItemQuery,
    LanePage, Page, ProviderInfo, UserId,
};
use proptest::prelude::*;

const INFO: ProviderInfo = ProviderInfo {
    id: "numbers",
    name: "Numbers",
    description: "Numbered records, listed in some order",
    object_types: &[],
    columns: &[],
    permissions: &[],
    logo_svg: "",
    pkce: false,
};

#[derive(Debug)]
struct Numbers {
    /// The ids in the order the list lane pages through them.
    order: Vec<u64>,
    list_page: usize,
    down_page: usize,
    /// How long each call takes, in turn (milliseconds).
    delays: Vec<u64>,
    list_calls: AtomicUsize,
    down_calls: AtomicUsize,
    /// This record is archived once the list lane has answered this many calls.
    vanish: Option<(u64, usize)>,
    list_answered: AtomicUsize,
}

impl Numbers {
    fn alive(&self, id: u64) -> bool {
        self.vanish.is_none_or(|(gone, after)| {
            id != gone || self.list_answered.load(Ordering::SeqCst) < after
        })
    }

    async fn wait(&self, call: usize) {
        let delay = self.delays[call % self.delays.len()];
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
}

fn item(id: u64) -> IntegrationItem {
    IntegrationItem::new(id.to_string(), "")
}

#[async_trait]
impl Integration for Numbers {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn authorization_url(
        &self,
        _request: &integration_core::AuthorizationRequest<'_>,
    ) -> Result<url::Url, Error> {
        Ok(url::Url::parse("https://numbers.example/consent").unwrap())
    }

    async fn exchange_code(
        &self,
        _code: &integration_core::AuthorizationCode,
        _redirect_uri: &str,
        _verifier: Option<&integration_core::PkceVerifier>,
    ) -> Result<Credentials, Error> {
        Err(Error::Unsupported("not in these tests".into()))
    }

    async fn list_items(&self, _c: &Credentials, query: &ItemQuery) -> Result<Page, Error> {
        let call = self.list_calls.fetch_add(1, Ordering::SeqCst);
        self.wait(call).await;
        let from: usize = match &query.cursor {
            None => 0,
            Some(c) => c.as_str()[1..].parse().unwrap(),
        };
        let to = (from + self.list_page).min(self.order.len());
        let ids = self.order[from..to].iter().copied();
        let items = ids.filter(|id| self.alive(*id)).map(item).collect();
        self.list_answered.fetch_add(1, Ordering::SeqCst);
        Ok(Page {
            items,
            next_cursor: (to < self.order.len()).then(|| Cursor::parse(format!("i{to}")).unwrap()),
        })
    }

    fn descends(&self) -> bool {
        true
    }

    async fn list_descending(
        &self,
        _c: &Credentials,
        _query: &ItemQuery,
        below: Option<u64>,
    ) -> Result<LanePage, Error> {
        let call = self.down_calls.fetch_add(1, Ordering::SeqCst);
        self.wait(call + 1).await;
        let ids: BTreeSet<u64> = self
            .order
            .iter()
            .copied()
            .filter(|id| self.alive(*id))
            .collect();
        let under: Vec<u64> = ids.range(..below.unwrap_or(u64::MAX)).copied().collect();
        Ok(LanePage {
            items: under
                .iter()
                .rev()
                .take(self.down_page)
                .copied()
                .map(item)
                .collect(),
            below: under.len() as u64,
        })
    }
}

async fn connector(numbers: Arc<Numbers>) -> (Arc<Connector>, UserId) {
    common::connected(numbers).await
}

/// The ids one export stream delivers until its end, or until its `stop_after`-th resume
/// cursor (returned with them).
async fn run(
    connector: &Arc<Connector>,
    user: &UserId,
    cursor: Option<Cursor>,
    stop_after: Option<usize>,
) -> (Vec<u64>, Option<Cursor>) {
    let query = ItemQuery::default().after(cursor);
    let mut stream = Box::pin(connector.export(user.clone(), query));
    let (mut ids, mut resumes) = (Vec::new(), 0);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            ExportEvent::Item(item) => ids.push(item.id.parse().unwrap()),
            ExportEvent::Resume { cursor, count } => {
                assert_eq!(count, ids.len() as u64);
                resumes += 1;
                if stop_after == Some(resumes) {
                    return (ids, Some(cursor));
                }
            }
            ExportEvent::End { count, .. } => {
                assert_eq!(count, ids.len() as u64);
                return (ids, None);
            }
        }
    }
    panic!("the stream ended without End");
}

fn counted(ids: &[u64]) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(*id).or_insert(0) += 1;
    }
    counts
}

fn numbers(order: Vec<u64>, list_page: usize, down_page: usize, delays: Vec<u64>) -> Numbers {
    Numbers {
        order,
        list_page,
        down_page,
        delays,
        list_calls: AtomicUsize::new(0),
        down_calls: AtomicUsize::new(0),
        vanish: None,
        list_answered: AtomicUsize::new(0),
    }
}

fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Ids (distinct, sparse) in a list order: ascending, or any permutation of them.
fn records() -> impl Strategy<Value = Vec<u64>> {
    (
        prop::collection::btree_set(1u64..5_000, 0..300),
        any::<bool>(),
    )
        .prop_flat_map(|(ids, ascending)| {
            let ids: Vec<u64> = ids.into_iter().collect();
            if ascending {
                Just(ids).boxed()
            } else {
                Just(ids).prop_shuffle().boxed()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_record_arrives_exactly_once_in_any_list_order_and_through_any_resume(
        order in records(),
        list_page in 1usize..40,
        down_page in 1usize..60,
        delays in prop::collection::vec(0u64..300, 1..6),
        stop_after in prop::option::of(1usize..20),
        vanish in prop::option::of((any::<prop::sample::Index>(), 0usize..12)),
    ) {
        // One record may be archived while the export runs (once the list lane has answered
        // so many calls): it arrives at most once, every other record exactly once.
        let vanish = vanish
            .filter(|_| !order.is_empty())
            .map(|(index, after)| (*index.get(&order), after));
        let mut expected: BTreeMap<u64, usize> = order.iter().map(|id| (*id, 1)).collect();
        let mut numbers = numbers(order, list_page, down_page, delays);
        numbers.vanish = vanish;
        let numbers = Arc::new(numbers);
        paused().block_on(async {
            let (connector, user) = connector(numbers).await;
            let (mut ids, cursor) = run(&connector, &user, None, stop_after).await;
            if let Some(cursor) = cursor {
                ids.extend(run(&connector, &user, Some(cursor), None).await.0);
            }
            let mut got = counted(&ids);
            if let Some((gone, _)) = vanish {
                prop_assert!(got.get(&gone).is_none_or(|n| *n == 1));
                got.remove(&gone);
                expected.remove(&gone);
            }
            prop_assert_eq!(got, expected);
            Ok(())
        })?;
    }
}

/// Ascending like HubSpot's list: the lanes meet in the middle instead of the list lane
/// reading everything, and each reads about its share.
#[test]
fn in_id_order_the_lanes_meet_and_share_the_work() {
    let order: Vec<u64> = (1..=10_000).map(|n| n * 3).collect();
    // Both lanes answer in 100 ms; the descending lane's pages are twice as large (HubSpot:
    // 200 against 100).
    let numbers = Arc::new(numbers(order, 100, 200, vec![100]));
    paused().block_on(async {
        let (connector, user) = connector(Arc::clone(&numbers)).await;
        let (ids, _) = run(&connector, &user, None, None).await;
        assert_eq!(ids.len(), 10_000);
        assert_eq!(counted(&ids).len(), 10_000);
        let list = numbers.list_calls.load(Ordering::SeqCst);
        let down = numbers.down_calls.load(Ordering::SeqCst);
        // One lane alone: 100 list calls. Together: about a third of the records up the list
        // lane (34 calls) and two thirds down (34 calls), plus the pages in flight at the end.
        assert!(list <= 36 && down <= 36, "list {list}, down {down}");
        assert!(list >= 30 && down >= 30, "list {list}, down {down}");
    });
}

/// A record archived after the list lane delivered it leaves the descending lane's counts one
/// short of what the list lane delivered: the lanes met in id order, so the export ends there
/// instead of reading the list to its end.
#[test]
fn a_record_archived_after_it_was_delivered_does_not_keep_the_list_lane_reading() {
    let order: Vec<u64> = (1..=3_000).collect();
    let mut numbers = numbers(order, 100, 200, vec![100]);
    // Delivered on the list lane's first page, archived once its second is answered.
    numbers.vanish = Some((5, 2));
    let numbers = Arc::new(numbers);
    paused().block_on(async {
        let (connector, user) = connector(Arc::clone(&numbers)).await;
        let (ids, _) = run(&connector, &user, None, None).await;
        assert_eq!(counted(&ids), (1..=3_000).map(|id| (id, 1)).collect());
        let list = numbers.list_calls.load(Ordering::SeqCst);
        assert!(list <= 12, "the list lane read {list} of 30 pages");
    });
}

/// A list that is not in id order never makes the export stop early: the list lane reads on
/// until it has delivered everything below the descending lane, and nothing is missed or
/// repeated.
#[test]
fn a_list_out_of_id_order_is_read_to_its_end() {
    // Evens first, then odds: every page is in order, the whole is not.
    let order: Vec<u64> = (1..=2_000)
        .filter(|n| n % 2 == 0)
        .chain((1..=2_000).filter(|n| n % 2 == 1))
        .collect();
    let numbers = Arc::new(numbers(order, 100, 200, vec![100]));
    paused().block_on(async {
        let (connector, user) = connector(Arc::clone(&numbers)).await;
        let (ids, _) = run(&connector, &user, None, None).await;
        assert_eq!(counted(&ids), (1..=2_000).map(|id| (id, 1)).collect());
        // The evens are ten pages: the list lane went on into the odds, where stopping at the
        // meeting point would have lost them.
        assert!(numbers.list_calls.load(Ordering::SeqCst) > 10);
    });
}

/// A resume cursor of a two-lane export carries both lanes: resumed after pages of each, the
/// export neither repeats nor misses, and goes on in both lanes.
#[test]
fn a_resume_after_both_lanes_delivered_continues_both() {
    let order: Vec<u64> = (1..=3_000).collect();
    let numbers = Arc::new(numbers(order, 100, 200, vec![100]));
    paused().block_on(async {
        let (connector, user) = connector(Arc::clone(&numbers)).await;
        // Four pages in: two from each lane (they answer in turn).
        let (first, cursor) = run(&connector, &user, None, Some(4)).await;
        assert!(first.iter().any(|id| *id <= 200), "the list lane delivered");
        assert!(
            first.iter().any(|id| *id > 2_600),
            "the descending lane delivered"
        );
        let (list, down) = (
            numbers.list_calls.load(Ordering::SeqCst),
            numbers.down_calls.load(Ordering::SeqCst),
        );
        let (rest, _) = run(&connector, &user, cursor, None).await;
        let mut all = first.clone();
        all.extend(&rest);
        assert_eq!(counted(&all), (1..=3_000).map(|id| (id, 1)).collect());
        assert!(numbers.list_calls.load(Ordering::SeqCst) > list);
        assert!(numbers.down_calls.load(Ordering::SeqCst) > down);
    });
}

/// A cursor that names a position the lanes never reach (crossed lanes) is refused as the
/// caller's mistake before any call.
#[test]
fn a_forged_position_is_refused() {
    let numbers = Arc::new(numbers((1..=10).collect(), 5, 5, vec![1]));
    paused().block_on(async {
        let (connector, user) = connector(Arc::clone(&numbers)).await;
        let query = ItemQuery::default().after(Some(Cursor::parse("2l.9.3.0..0.").unwrap()));
        let mut stream = Box::pin(connector.export(user, query));
        let first = stream.next().await.unwrap();
        assert!(matches!(first, Err(Error::InvalidInput(_))), "{first:?}");
        assert_eq!(numbers.list_calls.load(Ordering::SeqCst), 0);
    });
}
