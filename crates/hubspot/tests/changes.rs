//! Incremental sync against the sandbox: past search's 10,000-result cap, thousands of records
//! sharing one modification time, records modified and archived while a sync runs.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use hubspot_sandbox::{Contract, CursorStyle, ObjectType, Pick, Sandbox, SandboxConfig};
use hubspot_sandbox::{SearchLag, Vary};
use integration_core::{
    Change, ChangeEvent, ChangesFrom, Checkpoint, Connector, ConnectorOptions, CredentialStore,
    Error, ItemQuery, UserId,
};
use token_store::MemoryTokenStore;

#[path = "common/peer.rs"]
mod peer;

use peer::{Peer, peer};

/// What one run delivered.
#[derive(Debug, Default)]
struct Run {
    upserts: Vec<String>,
    deletes: Vec<String>,
    checkpoint: Option<Checkpoint>,
}

/// The seeded contract with search indexing at once and millisecond times: the tests of the
/// window algorithm need exact windows (index lag and the lookback have tests of their own).
fn exact(config: SandboxConfig) -> SandboxConfig {
    let contract = Contract {
        search_lag: SearchLag::OFF,
        timestamp_digits: Some(3),
        ..config.contract
    };
    config.with_contract(contract)
}

/// [`exact`], without HubSpot's rate limits (these tests are about what arrives, not when).
fn unpaced() -> SandboxConfig {
    exact(SandboxConfig {
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::default()
    })
}

/// A run from a checkpoint at `since` (the default object type).
fn from(since: chrono::DateTime<chrono::Utc>) -> ChangesFrom {
    ChangesFrom::Checkpoint(Checkpoint {
        since,
        object_type: None,
    })
}

/// A connector whose windows do not overlap (lookback zero).
async fn connector(peer: Peer) -> (Arc<Connector>, UserId, Sandbox) {
    connector_with(peer, Duration::ZERO).await
}

async fn connector_with(peer: Peer, lookback: Duration) -> (Arc<Connector>, UserId, Sandbox) {
    let store = Arc::new(MemoryTokenStore::new());
    let user = UserId::parse("sync_user").unwrap();
    store
        .save("hubspot", &user, &peer.connect().await)
        .await
        .unwrap();
    let options = ConnectorOptions {
        index_lag: Duration::ZERO,
        lookback,
        ..ConnectorOptions::default()
    };
    let sandbox = peer.sandbox.clone();
    let connector = Connector::with_options(Arc::new(peer.hubspot), store, options);
    (Arc::new(connector), user, sandbox)
}

/// Runs from `from` to the end; `during` runs once, after the first page.
async fn run(
    connector: &Arc<Connector>,
    user: &UserId,
    from: ChangesFrom,
    mut during: impl FnMut(),
) -> Run {
    // Windows are [since, until) in milliseconds: let the clock move past the last write.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut stream = Box::pin(connector.changes(user.clone(), from));
    let mut run = Run::default();
    let mut pages = 0;
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            ChangeEvent::Change(Change::Upsert(item)) => run.upserts.push(item.id),
            ChangeEvent::Change(Change::Delete { id, archived_at }) => {
                assert!(archived_at.is_some());
                run.deletes.push(id);
            }
            ChangeEvent::Resume { count, .. } => {
                pages += 1;
                assert_eq!(count as usize, run.upserts.len() + run.deletes.len());
                if pages == 1 {
                    during();
                }
            }
            ChangeEvent::End {
                upserts,
                deletes,
                checkpoint,
            } => {
                assert_eq!(
                    (upserts as usize, deletes as usize),
                    (run.upserts.len(), run.deletes.len())
                );
                run.checkpoint = Some(checkpoint);
            }
        }
    }
    run
}

fn unique(ids: &[String]) -> HashSet<String> {
    let set: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "an id was delivered twice");
    set
}

/// Equal sets, or a short account of the difference (not two 12,000-id dumps).
fn assert_same(got: &HashSet<String>, want: &HashSet<String>) {
    let missing: Vec<_> = want.difference(got).take(5).collect();
    let extra: Vec<_> = got.difference(want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} delivered, {} expected; missing {missing:?}…, unexpected {extra:?}…",
        got.len(),
        want.len()
    );
}

fn ids(raw: &[u64]) -> HashSet<String> {
    raw.iter().map(u64::to_string).collect()
}

#[tokio::test]
async fn twelve_thousand_records_of_one_instant_pass_the_cap_and_mid_sync_writes_wait_for_the_next_run()
 {
    let peer = peer(exact(SandboxConfig {
        contacts: 20_000,
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::default()
    }))
    .await;
    let (connector, user, sandbox) = connector(peer).await;
    let since = chrono::Utc::now();
    // 12,000 records modified in one millisecond: one timestamp, more than search can page.
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(12_000));
    assert_eq!(modified.len(), 12_000);
    let page = connector
        .items(&user, &ItemQuery::new().limit(100))
        .await
        .unwrap();
    let set = ids(&modified);
    let outside: Vec<u64> = (page.items.iter())
        .filter(|item| !set.contains(&item.id))
        .map(|item| item.id.parse().unwrap())
        .take(2)
        .collect();
    let searches_before = sandbox.stats().search;

    let (mut late_modified, mut late_archived) = (Vec::new(), Vec::new());
    let first = run(
        &connector,
        &user,
        ChangesFrom::Checkpoint(Checkpoint {
            since,
            object_type: Some("contacts".into()),
        }),
        || {
            // During the sync: touch records before and after the cursor, and outside the set;
            // archive one still to come and one outside the set.
            let picks = vec![modified[0], modified[11_999], outside[0]];
            late_modified = sandbox.modify_records(ObjectType::Contacts, Pick::Ids(picks));
            let gone = vec![modified[8_000], outside[1]];
            late_archived = sandbox.archive_records(ObjectType::Contacts, Pick::Ids(gone));
        },
    )
    .await;
    assert_eq!((late_modified.len(), late_archived.len()), (3, 2));
    let delivered = unique(&first.upserts);
    let mut expected = ids(&modified);
    // Archived before the search reached it; modified again after the window's end before the
    // search reached it (the next run has it). modified[0] was delivered before it changed.
    expected.remove(&modified[8_000].to_string());
    expected.remove(&modified[11_999].to_string());
    assert_same(&delivered, &expected);
    assert!(
        first.deletes.is_empty(),
        "archived after the window's end: next run"
    );
    let searches = sandbox.stats().search - searches_before;
    assert_eq!(
        searches,
        12_000_u64.div_ceil(200),
        "one search per 200 results, none wasted"
    );

    // The next run catches everything written while the first ran, once.
    let second = run(
        &connector,
        &user,
        ChangesFrom::Checkpoint(first.checkpoint.unwrap()),
        || {},
    )
    .await;
    assert_same(&unique(&second.upserts), &ids(&late_modified));
    assert_same(&unique(&second.deletes), &ids(&late_archived));

    // And a third, with nothing new, is empty but moves the checkpoint on.
    let third = run(
        &connector,
        &user,
        ChangesFrom::Checkpoint(second.checkpoint.clone().unwrap()),
        || {},
    )
    .await;
    assert!(third.upserts.is_empty() && third.deletes.is_empty());
    assert!(third.checkpoint.unwrap().since > second.checkpoint.unwrap().since);
}

#[tokio::test]
async fn a_resumed_run_covers_the_same_window_and_a_forged_cursor_is_refused() {
    let peer = peer(exact(SandboxConfig {
        contacts: 2_000,
        rate_limit: None,
        search_rate_limit: None,
        ..SandboxConfig::default()
    }))
    .await;
    let (connector, user, sandbox) = connector(peer).await;
    let since = chrono::Utc::now();
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(500));
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut stream = Box::pin(connector.changes(user.clone(), from(since)));
    let mut seen = Vec::new();
    let resume = loop {
        match stream.next().await.unwrap().unwrap() {
            ChangeEvent::Change(Change::Upsert(item)) => seen.push(item.id),
            ChangeEvent::Resume { resume, .. } => break resume,
            other => panic!("{other:?}"),
        }
    };
    drop(stream);
    // Written after the cut: outside the resumed window, whatever its id.
    let set = ids(&modified);
    let page = connector
        .items(&user, &ItemQuery::new().limit(100))
        .await
        .unwrap();
    let outside = page
        .items
        .iter()
        .find(|item| !set.contains(&item.id))
        .unwrap();
    let late = Pick::Ids(vec![outside.id.parse().unwrap()]);
    assert_eq!(sandbox.modify_records(ObjectType::Contacts, late).len(), 1);
    let rest = run(
        &connector,
        &user,
        ChangesFrom::Resume(resume.clone()),
        || {},
    )
    .await;
    seen.extend(rest.upserts);
    assert_same(&unique(&seen), &ids(&modified));

    let mut forged = resume;
    forged.cursor = integration_core::Cursor::parse("z99").unwrap();
    let mut stream = Box::pin(connector.changes(user.clone(), ChangesFrom::Resume(forged)));
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::InvalidInput(_)))
    ));
}

/// HubSpot promises no bound on how late its search index lists a write. A record indexed after
/// its window ran arrives in the next, overlapping window instead of never.
#[tokio::test]
async fn a_record_the_search_index_lists_late_arrives_in_a_later_run() {
    let lag = Duration::from_millis(1_500);
    let mut config = unpaced();
    config.contract.search_lag = SearchLag::Fixed(lag);
    let (connector, user, sandbox) =
        connector_with(peer(config).await, Duration::from_secs(60)).await;
    let since = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let modified = ids(&sandbox.modify_records(ObjectType::Contacts, Pick::Count(3)));
    let first = run(&connector, &user, from(since), || {}).await;
    assert!(
        unique(&first.upserts).is_disjoint(&modified),
        "not searchable yet: {first:?}"
    );
    tokio::time::sleep(lag).await;
    let second = run(
        &connector,
        &user,
        ChangesFrom::Checkpoint(first.checkpoint.unwrap()),
        || {},
    )
    .await;
    assert!(
        unique(&second.upserts).is_superset(&modified),
        "the overlapping window delivers what the index listed late: {second:?}"
    );
}

/// Archived lists page with HubSpot's opaque `after` (here percent-encoded like the spec's
/// `NTI1Cg%3D%3D`, and 2 KiB long): every deletion arrives, over several pages.
#[tokio::test]
async fn deletions_across_several_archived_pages_of_opaque_cursors_all_arrive() {
    let mut config = unpaced();
    config.contract.cursor_style = CursorStyle::PercentEncoded;
    config.contract.cursor_len = Some(2_048);
    let (connector, user, sandbox) = connector(peer(config).await).await;
    let since = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let archived = ids(&sandbox.archive_records(ObjectType::Contacts, Pick::Count(230)));
    assert_eq!(archived.len(), 230);
    let run = run(&connector, &user, from(since), || {}).await;
    assert_same(&unique(&run.deletes), &archived);
    assert_eq!(run.deletes.len(), 230, "each once");
    assert!(run.checkpoint.is_some(), "the run reached its end");
}

/// `archivedAt` is optional: a deletion without it is placed by `updatedAt`, so it is
/// delivered in its window and not again in every later one.
#[tokio::test]
async fn an_archived_record_without_archived_at_is_delivered_once() {
    let mut config = unpaced();
    config.contract.omit_optional = Vary::On;
    let (connector, user, sandbox) = connector(peer(config).await).await;
    let since = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let archived = ids(&sandbox.archive_records(ObjectType::Contacts, Pick::Count(3)));
    let first = run(&connector, &user, from(since), || {}).await;
    assert_same(&unique(&first.deletes), &archived);
    let second = run(
        &connector,
        &user,
        from(first.checkpoint.unwrap().since),
        || {},
    )
    .await;
    assert!(second.deletes.is_empty(), "{second:?}");
}
