//! `Connector::export` pipelines pages: the page after the one being delivered is fetched
//! meanwhile, never more than one ahead, and abandoned when the consumer drops the stream. A
//! fake provider of numbered pages records when each fetch starts and finishes.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use integration_core::{
    Connector, Credentials, Cursor, Error, ExportEvent, Integration, IntegrationItem, ItemQuery,
    Page, ProviderInfo, UserId,
};

const INFO: ProviderInfo = ProviderInfo {
    id: "pages",
    name: "Pages",
    description: "Numbered pages, each taking a while",
    object_types: &[],
    columns: &[],
    permissions: &[],
    logo_svg: "",
    pkce: false,
};

/// `PAGES` pages of `PER_PAGE` items; page `n`'s cursor is `p{n}`; each fetch takes `delay`.
const PAGES: usize = 5;
const PER_PAGE: usize = 3;

#[derive(Debug)]
struct Pages {
    delay: Duration,
    started: AtomicUsize,
    finished: AtomicUsize,
}

#[async_trait]
impl Integration for Pages {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn authorization_url(
        &self,
        _request: &integration_core::AuthorizationRequest<'_>,
    ) -> Result<url::Url, Error> {
        Ok(url::Url::parse("https://pages.example/consent").unwrap())
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
        self.started.fetch_add(1, Ordering::SeqCst);
        let n: usize = match &query.cursor {
            None => 0,
            Some(c) => c.as_str()[1..].parse().unwrap(),
        };
        tokio::time::sleep(self.delay).await;
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(Page {
            items: (0..PER_PAGE)
                .map(|i| IntegrationItem::new(format!("{n}-{i}"), ""))
                .collect(),
            next_cursor: (n + 1 < PAGES).then(|| Cursor::parse(format!("p{}", n + 1)).unwrap()),
        })
    }
}

async fn exporter(delay: Duration) -> (Arc<Pages>, Arc<Connector>, UserId) {
    let pages = Arc::new(Pages {
        delay,
        started: AtomicUsize::new(0),
        finished: AtomicUsize::new(0),
    });
    let (connector, user) = common::connected(Arc::clone(&pages) as _).await;
    (pages, connector, user)
}

/// Waits (paused time runs ahead) until `counter` reaches `n`, or gives up after a minute.
async fn until(counter: &AtomicUsize, n: usize) -> bool {
    for _ in 0..600 {
        if counter.load(Ordering::SeqCst) >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(start_paused = true)]
async fn the_next_page_is_fetched_while_this_one_is_delivered_and_never_more_than_one_ahead() {
    let (pages, connector, user) = exporter(Duration::from_secs(1)).await;
    let mut events = Box::pin(connector.export(user, ItemQuery::new()));
    // The first record of page 0: page 1 is already being fetched.
    assert!(matches!(
        events.next().await,
        Some(Ok(ExportEvent::Item(_)))
    ));
    assert!(
        until(&pages.started, 2).await,
        "page 1 fetched while page 0 is delivered"
    );
    // However long the consumer dawdles, nothing beyond page 1 is asked for.
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(pages.started.load(Ordering::SeqCst), 2);
    assert_eq!(pages.finished.load(Ordering::SeqCst), 2);

    // Every record exactly once, in order, with a resume point after each page but the last.
    let mut ids = vec!["0-0".to_owned()];
    let mut resumes = Vec::new();
    while let Some(event) = events.next().await {
        match event.unwrap() {
            ExportEvent::Item(item) => ids.push(item.id),
            ExportEvent::Resume { count, .. } => resumes.push(count),
            ExportEvent::End { count, .. } => {
                assert_eq!(count as usize, PAGES * PER_PAGE);
            }
        }
    }
    let expected: Vec<String> = (0..PAGES)
        .flat_map(|n| (0..PER_PAGE).map(move |i| format!("{n}-{i}")))
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(resumes, vec![3, 6, 9, 12]);
    assert_eq!(pages.started.load(Ordering::SeqCst), PAGES);
}

#[tokio::test(start_paused = true)]
async fn a_consumer_busy_with_a_page_finds_the_next_one_already_fetched() {
    // The consumer spends a second on each page, as long as a fetch takes: when it comes back
    // for more, the next page is already here (the provider's latency overlapped delivery).
    let (pages, connector, user) = exporter(Duration::from_secs(1)).await;
    let mut events = Box::pin(connector.export(user, ItemQuery::new()));
    let mut delivered = 0;
    while let Some(event) = events.next().await {
        if let ExportEvent::Resume { .. } = event.unwrap() {
            delivered += 1;
            tokio::time::sleep(Duration::from_millis(1_100)).await;
            assert_eq!(
                pages.finished.load(Ordering::SeqCst),
                delivered + 1,
                "page {delivered} was fetched while page {} was being handled",
                delivered - 1
            );
        }
    }
    assert_eq!(delivered, PAGES - 1);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_export_abandons_the_page_being_fetched_ahead() {
    let (pages, connector, user) = exporter(Duration::from_secs(5)).await;
    let mut events = Box::pin(connector.export(user, ItemQuery::new()));
    assert!(matches!(
        events.next().await,
        Some(Ok(ExportEvent::Item(_)))
    ));
    assert!(until(&pages.started, 2).await);
    drop(events);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        pages.finished.load(Ordering::SeqCst),
        1,
        "the fetch ahead was aborted with the stream"
    );
}
