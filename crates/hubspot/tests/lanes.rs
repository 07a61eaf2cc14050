//! A first export against the HubSpot sandbox runs both of HubSpot's allowances at once: the
//! list lane upward (110 calls in ten seconds) and CRM search downward by `hs_object_id` (its
//! own five a second), paced by the connector's budgets under the sandbox's real limits. Every
//! contact arrives once, also across a resume taken after both lanes have delivered.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

#[path = "common/peer.rs"]
mod peer;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use hubspot_sandbox::SandboxConfig;
use integration_core::{
    Connector, ConnectorOptions, CredentialStore as _, Cursor, ExportEvent, ItemQuery, Limit,
    SharedBudget,
};
use peer::{Peer, peer, user};
use token_store::MemoryTokenStore;

const CONTACTS: usize = 3_000;

/// A connector with HubSpot's budgets (110 in ten seconds, search five a second) over a
/// sandbox of `CONTACTS` contacts with its real limits, connected, the stats reset.
async fn connected() -> (Peer, Arc<Connector>) {
    let peer = peer(SandboxConfig {
        contacts: CONTACTS,
        ..SandboxConfig::default()
    })
    .await;
    let store = Arc::new(MemoryTokenStore::new());
    let budget = SharedBudget::new(store.clone(), Limit::new(110, Duration::from_secs(10)))
        .with_search(Limit::new(5, Duration::from_secs(1)));
    let connector = Connector::with_options(
        Arc::new(peer.provider(|_| {})),
        store.clone(),
        ConnectorOptions {
            budget: Some(budget),
            ..ConnectorOptions::default()
        },
    );
    let credentials = peer.connect().await;
    store.save("hubspot", &user(), &credentials).await.unwrap();
    peer.sandbox.reset_stats();
    (peer, Arc::new(connector))
}

/// The ids an export delivers until its end, or until the first resume cursor after which
/// `stop` holds for the ids so far.
async fn run(
    connector: &Arc<Connector>,
    cursor: Option<Cursor>,
    stop: impl Fn(&[u64]) -> bool,
) -> (Vec<u64>, Option<Cursor>) {
    let query = ItemQuery::new().object_type("contacts").after(cursor);
    let mut events = Box::pin(connector.export(user(), query));
    let mut ids = Vec::new();
    while let Some(event) = events.next().await {
        match event.unwrap() {
            ExportEvent::Item(item) => ids.push(item.id.parse().unwrap()),
            ExportEvent::Resume { cursor, .. } if stop(&ids) => return (ids, Some(cursor)),
            ExportEvent::Resume { .. } => {}
            ExportEvent::End { count, .. } => {
                assert_eq!(count, ids.len() as u64);
                return (ids, None);
            }
        }
    }
    panic!("the export ended without its end event");
}

/// Every contact, as the list endpoint pages through them (the truth to compare with).
async fn every_contact(connector: &Arc<Connector>) -> BTreeMap<u64, usize> {
    let mut all = BTreeMap::new();
    let mut cursor = None;
    loop {
        let query = ItemQuery::new().object_type("contacts").after(cursor);
        let page = connector.items(&user(), &query).await.unwrap();
        for item in page.items {
            all.insert(item.id.parse().unwrap(), 1);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
}

fn counted(ids: &[u64]) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(*id).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn a_first_export_reads_both_lanes_and_delivers_every_contact_once() {
    let (peer, connector) = connected().await;
    let (ids, _) = run(&connector, None, |_| false).await;
    let stats = peer.sandbox.stats();
    assert!(stats.objects > 0, "the list lane read upward");
    assert!(stats.search > 0, "the search lane read downward");
    // One lane alone lists 30 pages; the search lane's pages of 200 took some of them.
    assert!(stats.objects < 30, "{} list calls", stats.objects);
    assert_eq!(
        stats.rate_limited, 0,
        "the budgets kept both lanes under HubSpot's limits"
    );
    assert_eq!(ids.len(), CONTACTS);
    assert_eq!(counted(&ids), every_contact(&connector).await);
}

#[tokio::test]
async fn a_resume_after_both_lanes_delivered_misses_and_repeats_nothing() {
    let (peer, connector) = connected().await;
    let truth = every_contact(&connector).await;
    let (lowest, highest) = (*truth.keys().next().unwrap(), *truth.keys().last().unwrap());
    // Stop at the first cursor after both the lowest contact (the list lane's first) and the
    // highest (the search lane's first) arrived.
    let both = |ids: &[u64]| ids.contains(&lowest) && ids.contains(&highest);
    let (first, cursor) = run(&connector, None, both).await;
    let cursor = cursor.expect("a cursor after both lanes delivered");
    assert!(first.len() < CONTACTS);
    peer.sandbox.reset_stats();
    let (rest, _) = run(&connector, Some(cursor), |_| false).await;
    let stats = peer.sandbox.stats();
    assert!(stats.objects > 0 && stats.search > 0, "both lanes went on");
    let mut all = first;
    all.extend(rest);
    assert_eq!(counted(&all), truth);
}
