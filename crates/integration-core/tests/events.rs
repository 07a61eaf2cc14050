//! The connector's webhook intake and event feeds, against a provider whose wire format is as
//! small as it gets (a header that must read `signed`, a JSON array of `[account, id]`), and the
//! in-memory store: what is checked before what, routing by account, replays, redelivery, and
//! what a feed hands out (sealed offsets, long polls woken by an append, gaps, follows).

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use futures_util::StreamExt as _;
use integration_core::{
    Appended, AuthorizationCode, AuthorizationRequest, Change, ChangeEvent, ChangesFrom,
    ChangesPage, ChangesQuery, Checkpoint, Connector, ConnectorOptions, CredentialStore as _,
    Credentials, Error, EventKind, EventLine, EventLog, EventOffset, InboundEvent, IntakeError,
    Integration, IntegrationItem, ItemQuery, Journal, JournalPage, LoggedEvent, Page, PkceVerifier,
    ProviderEvent, ProviderInfo, StoreError, UserId, Verified, Wait, WebhookError, WebhookRequest,
    Webhooks,
};
use token_store::{EventRetention, MemoryTokenStore};

static INFO: ProviderInfo = ProviderInfo {
    id: "pushy",
    name: "Pushy",
    description: "A provider that pushes.",
    object_types: &[],
    columns: &[],
    permissions: &[],
    logo_svg: "",
    pkce: false,
};

#[derive(Debug, Default)]
struct Pushy {
    parsed: AtomicUsize,
    /// The ids of each `fetch_items` call.
    fetched: std::sync::Mutex<Vec<Vec<String>>>,
    /// Ids `fetch_items` no longer finds.
    vanished: std::sync::Mutex<Vec<String>>,
    /// What the journal answers next (then: nothing new).
    journal: std::sync::Mutex<std::collections::VecDeque<JournalPage>>,
    /// The position of each journal read.
    journal_asked: std::sync::Mutex<Vec<Option<String>>>,
    /// What the search window finds (ids of upserts).
    searched: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl Journal for Pushy {
    async fn read_after(&self, position: Option<&str>) -> Result<JournalPage, Error> {
        self.journal_asked
            .lock()
            .unwrap()
            .push(position.map(str::to_owned));
        Ok(self.journal.lock().unwrap().pop_front().unwrap_or_default())
    }
}

fn thing(id: &str) -> IntegrationItem {
    IntegrationItem::new(id, format!("thing {id}"))
}

/// A journal page of upserts of `ids` in account `A`, ending at `next`.
fn journal_page(ids: &[&str], next: &str, more: bool) -> JournalPage {
    let body = serde_json::to_string(&ids.iter().map(|id| ["A", id]).collect::<Vec<_>>()).unwrap();
    JournalPage {
        events: Pushy::default().parse(body.as_bytes()).unwrap(),
        next: Some(next.to_owned()),
        more,
    }
}

impl Webhooks for Pushy {
    fn verify(&self, request: &WebhookRequest<'_>) -> Result<Verified, WebhookError> {
        match request.header("X-Signature") {
            Some(nonce) if nonce.starts_with("signed") => Ok(Verified {
                nonce: nonce.to_owned(),
                valid_for: Duration::from_secs(600),
            }),
            _ => Err(WebhookError::Unauthenticated("unsigned".into())),
        }
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        self.parsed.fetch_add(1, Ordering::SeqCst);
        // `[account, id]`, or `[account, id, "delete"]`, or `[account, id, "merge", merged…]`.
        let rows: Vec<Vec<String>> =
            serde_json::from_slice(body).map_err(|_| WebhookError::Malformed("not rows".into()))?;
        rows.into_iter()
            .map(|row| {
                let [account, id, rest @ ..] = row.as_slice() else {
                    return Err(WebhookError::Malformed("short row".into()));
                };
                let (kind, merged_ids) = match rest {
                    [] => (EventKind::Upsert, Vec::new()),
                    [kind] if kind == "delete" => (EventKind::Delete, Vec::new()),
                    [kind, merged @ ..] if kind == "merge" => (EventKind::Merge, merged.to_vec()),
                    _ => return Err(WebhookError::Malformed("unknown kind".into())),
                };
                Ok(InboundEvent {
                    account: account.clone(),
                    identity: format!("id-{}", row.join("-")),
                    event: ProviderEvent {
                        kind,
                        object_type: "things".into(),
                        id: id.clone(),
                        occurred_at: Utc::now(),
                        property: None,
                        merged_ids,
                        associated: None,
                    },
                })
            })
            .collect()
    }
}

#[async_trait]
impl Integration for Pushy {
    fn info(&self) -> &ProviderInfo {
        &INFO
    }
    fn authorization_url(&self, _: &AuthorizationRequest<'_>) -> Result<url::Url, Error> {
        Ok(url::Url::parse("https://pushy.example/authorize").unwrap())
    }
    async fn exchange_code(
        &self,
        _: &AuthorizationCode,
        _: &str,
        _: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error> {
        unreachable!("not exercised")
    }
    async fn list_items(&self, _: &Credentials, _: &ItemQuery) -> Result<Page, Error> {
        unreachable!("not exercised")
    }
    fn webhooks(&self) -> Option<&dyn Webhooks> {
        Some(self)
    }
    fn journal(&self) -> Option<&dyn Journal> {
        Some(self)
    }
    async fn changes(&self, _: &Credentials, _: &ChangesQuery) -> Result<ChangesPage, Error> {
        let found = self.searched.lock().unwrap().clone();
        Ok(ChangesPage {
            changes: found.iter().map(|id| Change::Upsert(thing(id))).collect(),
            next_cursor: None,
        })
    }
    async fn fetch_items(
        &self,
        _: &Credentials,
        _: &ItemQuery,
        ids: &[String],
    ) -> Result<Vec<IntegrationItem>, Error> {
        self.fetched.lock().unwrap().push(ids.to_vec());
        let vanished = self.vanished.lock().unwrap().clone();
        Ok(ids
            .iter()
            .filter(|id| !vanished.contains(id))
            .map(|id| thing(id))
            .collect())
    }
}

/// The memory store's log, failing appends while `down` is set (Redis unavailable).
#[derive(Debug)]
struct Flaky {
    store: MemoryTokenStore,
    down: AtomicBool,
}

#[async_trait]
impl EventLog for Flaky {
    async fn append(
        &self,
        provider: &str,
        account: &str,
        events: &[(String, ProviderEvent)],
    ) -> Result<Appended, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("down".into()));
        }
        self.store.append(provider, account, events).await
    }
    async fn read(
        &self,
        provider: &str,
        account: &str,
        after: Option<&EventOffset>,
        max: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        self.store.read(provider, account, after, max).await
    }
    async fn latest(&self, p: &str, a: &str) -> Result<Option<EventOffset>, StoreError> {
        self.store.latest(p, a).await
    }
    async fn dropped_before(&self, p: &str, a: &str) -> Result<Option<EventOffset>, StoreError> {
        self.store.dropped_before(p, a).await
    }
    async fn position(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.store.position(name).await
    }
    async fn set_position(&self, name: &str, position: &str) -> Result<(), StoreError> {
        self.store.set_position(name, position).await
    }
}

struct Harness {
    pushy: Arc<Pushy>,
    store: MemoryTokenStore,
    log: Arc<Flaky>,
    connector: Arc<Connector>,
}

fn harness(options: ConnectorOptions, retention: EventRetention) -> Harness {
    let pushy = Arc::new(Pushy::default());
    let store = MemoryTokenStore::new().with_event_retention(retention);
    let log = Arc::new(Flaky {
        store: store.clone(),
        down: AtomicBool::new(false),
    });
    let connector = Connector::with_options(
        Arc::clone(&pushy) as Arc<dyn Integration>,
        Arc::new(store.clone()),
        ConnectorOptions {
            events: Some(Arc::clone(&log) as Arc<dyn EventLog>),
            ..options
        },
    );
    Harness {
        pushy,
        store,
        log,
        connector: Arc::new(connector),
    }
}

fn default_harness() -> Harness {
    harness(ConnectorOptions::default(), EventRetention::default())
}

fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

impl Harness {
    async fn connect(&self, name: &str, account: &str) {
        let credentials = Credentials {
            access_token: "at".to_owned().into(),
            refresh_token: None,
            expires_at: None,
            scopes: Vec::new(),
            account_id: Some(account.into()),
            account_name: None,
            account_user: None,
            obtained_at: Utc::now(),
            api_base: None,
        };
        self.store
            .save("pushy", &user(name), &credentials)
            .await
            .unwrap();
    }

    async fn deliver(
        &self,
        signature: &str,
        body: &str,
    ) -> Result<integration_core::WebhookReceipt, IntakeError> {
        let headers = [("x-signature", signature)];
        self.connector
            .receive_webhook(&WebhookRequest {
                method: "POST",
                uri: "https://us.example/api/webhooks/pushy",
                headers: &headers,
                body: body.as_bytes(),
                received_at: Utc::now(),
            })
            .await
    }

    /// Every line of one poll of `name`'s feed.
    async fn poll(
        &self,
        name: &str,
        since: Option<&str>,
        wait: Wait,
    ) -> Result<Vec<EventLine>, Error> {
        let feed = self.connector.events(&user(name), since, wait).await?;
        Ok(feed.map(|line| line.unwrap()).collect().await)
    }
}

fn ids(lines: &[EventLine]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| match l {
            EventLine::Event { event, .. } => Some(event.id.clone()),
            _ => None,
        })
        .collect()
}

fn end_offset(lines: &[EventLine]) -> String {
    match lines.last() {
        Some(EventLine::End { offset }) => offset.clone(),
        other => panic!("no end line: {other:?}"),
    }
}

#[tokio::test]
async fn the_signature_is_checked_before_the_body_is_read() {
    let h = default_harness();
    h.connect("ann", "A").await;
    for bad in ["", "forged", "Signed"] {
        let refused = h.deliver(bad, r#"[["A","1"]]"#).await;
        assert!(matches!(
            refused,
            Err(IntakeError::Refused(WebhookError::Unauthenticated(_)))
        ));
    }
    assert_eq!(h.pushy.parsed.load(Ordering::SeqCst), 0, "never parsed");
    let malformed = h.deliver("signed-1", "{}").await;
    assert!(matches!(
        malformed,
        Err(IntakeError::Refused(WebhookError::Malformed(_)))
    ));
    assert!(
        h.store
            .read("pushy", "A", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn events_go_to_accounts_someone_is_connected_to_once_each() {
    let h = default_harness();
    h.connect("ann", "A").await;
    h.connect("ben", "A").await;
    let mut before = Vec::new();
    for name in ["ann", "ben"] {
        before.push(end_offset(&h.poll(name, None, Wait::None).await.unwrap()));
    }
    let receipt = h
        .deliver("signed-1", r#"[["A","1"],["B","2"],["A","3"]]"#)
        .await
        .unwrap();
    assert_eq!(
        (receipt.received, receipt.stored, receipt.unrouted),
        (3, 2, 1)
    );
    // The provider's retry: re-signed, same events.
    let retry = h
        .deliver("signed-2", r#"[["A","1"],["A","3"]]"#)
        .await
        .unwrap();
    assert_eq!((retry.stored, retry.duplicates), (0, 2));
    // The same signed request again is a replay.
    let replay = h.deliver("signed-2", r#"[["A","1"],["A","3"]]"#).await;
    assert!(matches!(
        replay,
        Err(IntakeError::Refused(WebhookError::Unauthenticated(_)))
    ));
    for (name, at) in ["ann", "ben"].into_iter().zip(&before) {
        let lines = h.poll(name, Some(at), Wait::None).await.unwrap();
        assert_eq!(ids(&lines), ["1", "3"], "{name}");
    }
}

#[tokio::test]
async fn a_failed_store_is_not_a_replay_when_the_provider_retries_the_same_request() {
    let h = default_harness();
    h.connect("ann", "A").await;
    h.log.down.store(true, Ordering::SeqCst);
    let failed = h.deliver("signed-7", r#"[["A","9"]]"#).await;
    assert!(matches!(failed, Err(IntakeError::Store(_))));
    h.log.down.store(false, Ordering::SeqCst);
    let retried = h.deliver("signed-7", r#"[["A","9"]]"#).await.unwrap();
    assert_eq!(retried.stored, 1);
}

#[tokio::test]
async fn offsets_are_sealed_to_their_user_and_polls_resume_after_them() {
    let h = default_harness();
    h.connect("ann", "A").await;
    h.connect("ben", "A").await;
    let first = h.poll("ann", None, Wait::None).await.unwrap();
    assert_eq!(first.len(), 1, "only the end: {first:?}");
    let at = end_offset(&first);
    h.deliver("signed-1", r#"[["A","1"],["A","2"]]"#)
        .await
        .unwrap();
    let lines = h.poll("ann", Some(&at), Wait::None).await.unwrap();
    assert_eq!(ids(&lines), ["1", "2"]);
    let after_first = match &lines[0] {
        EventLine::Event { offset, .. } => offset.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        ids(&h.poll("ann", Some(&after_first), Wait::None).await.unwrap()),
        ["2"]
    );
    // Ben may not use Ann's offsets, nor anyone a made-up one.
    for token in [after_first.as_str(), "AAAAAAAAAAAAAAAAAAAAAA.0-0", "0-0"] {
        let refused = h
            .connector
            .events(&user("ben"), Some(token), Wait::None)
            .await;
        assert!(matches!(refused, Err(Error::InvalidInput(_))), "{token}");
    }
    // Nobody connected: not connected.
    let stranger = h.connector.events(&user("cy"), None, Wait::None).await;
    assert!(matches!(stranger, Err(Error::NotConnected)));
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_is_answered_by_an_append_in_this_process_not_by_its_next_look() {
    // Looks at the log only hourly: the event can arrive within the poll only by the wake-up.
    let h = harness(
        ConnectorOptions {
            event_poll: Duration::from_secs(3600),
            ..ConnectorOptions::default()
        },
        EventRetention::default(),
    );
    h.connect("ann", "A").await;
    let at = end_offset(&h.poll("ann", None, Wait::None).await.unwrap());
    let started = tokio::time::Instant::now();
    let poll = {
        let connector = Arc::clone(&h.connector);
        tokio::spawn(async move {
            let feed = connector
                .events(&user("ann"), Some(&at), Wait::UpTo(Duration::from_secs(60)))
                .await
                .unwrap();
            feed.map(|l| l.unwrap()).collect::<Vec<_>>().await
        })
    };
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.deliver("signed-1", r#"[["A","42"]]"#).await.unwrap();
    let lines = poll.await.unwrap();
    assert_eq!(ids(&lines), ["42"]);
    assert!(matches!(lines.last(), Some(EventLine::End { .. })));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "answered at the append (virtual time), not when the wait ran out"
    );
    // With nothing to come, the wait runs out and the poll ends where it was.
    let at = end_offset(&lines);
    let quiet = h
        .poll("ann", Some(&at), Wait::UpTo(Duration::from_secs(2)))
        .await
        .unwrap();
    assert_eq!(quiet, [EventLine::End { offset: at }]);
}

#[tokio::test]
async fn a_reader_behind_what_the_log_kept_is_told_of_the_gap() {
    let h = harness(
        ConnectorOptions::default(),
        EventRetention {
            max_events: 3,
            ..EventRetention::default()
        },
    );
    h.connect("ann", "A").await;
    let at = end_offset(&h.poll("ann", None, Wait::None).await.unwrap());
    h.deliver("signed-1", r#"[["A","1"]]"#).await.unwrap();
    let lines = h.poll("ann", Some(&at), Wait::None).await.unwrap();
    let behind = match &lines[0] {
        EventLine::Event { offset, .. } => offset.clone(),
        other => panic!("{other:?}"),
    };
    h.deliver("signed-2", r#"[["A","2"],["A","3"],["A","4"],["A","5"]]"#)
        .await
        .unwrap();
    let lines = h.poll("ann", Some(&behind), Wait::None).await.unwrap();
    assert!(matches!(lines[0], EventLine::Gap { .. }), "{lines:?}");
    // After the gap, the feed goes on with what is kept.
    let EventLine::Gap { offset } = &lines[0] else {
        unreachable!()
    };
    let rest = h.poll("ann", Some(offset), Wait::None).await.unwrap();
    assert_eq!(ids(&rest), ["3", "4", "5"]);
}

#[tokio::test(start_paused = true)]
async fn a_follow_sends_idle_lines_while_nothing_happens_and_events_when_they_do() {
    let h = default_harness();
    h.connect("ann", "A").await;
    let feed = h
        .connector
        .events(&user("ann"), None, Wait::Follow(Duration::from_secs(15)))
        .await
        .unwrap();
    let mut feed = Box::pin(feed);
    assert!(matches!(
        feed.next().await,
        Some(Ok(EventLine::Idle { .. }))
    ));
    h.deliver("signed-1", r#"[["A","7"]]"#).await.unwrap();
    match feed.next().await {
        Some(Ok(EventLine::Event { event, .. })) => assert_eq!(event.id, "7"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        feed.next().await,
        Some(Ok(EventLine::Idle { .. }))
    ));
}

#[tokio::test]
async fn a_provider_without_webhooks_or_a_deployment_without_a_log_receives_nothing() {
    let pushy = Arc::new(Pushy::default());
    let connector = Connector::with_options(
        pushy as Arc<dyn Integration>,
        Arc::new(MemoryTokenStore::new()),
        ConnectorOptions::default(),
    );
    let headers = [("x-signature", "signed")];
    let request = WebhookRequest {
        method: "POST",
        uri: "https://us.example/hook",
        headers: &headers,
        body: b"[]",
        received_at: Utc::now(),
    };
    assert!(matches!(
        connector.receive_webhook(&request).await,
        Err(IntakeError::NotReceived(_))
    ));
    assert!(matches!(
        connector.events(&user("ann"), None, Wait::None).await,
        Err(Error::Unsupported(_))
    ));
}

#[tokio::test]
async fn a_changes_run_delivers_what_webhooks_named_fetched_by_id_in_batches() {
    let h = default_harness();
    h.connect("ann", "A").await;
    let checkpoint = Checkpoint {
        since: Utc::now() - chrono::Duration::seconds(1),
        object_type: None,
    };
    let mut rows: Vec<Vec<String>> = (1..=250).map(|n| vec!["A".into(), n.to_string()]).collect();
    rows.push(vec!["A".into(), "7".into(), "delete".into()]);
    rows.push(vec![
        "A".into(),
        "8".into(),
        "merge".into(),
        "9".into(),
        "8".into(),
    ]);
    rows.push(vec!["B".into(), "999".into()]);
    h.connect("bob", "B").await;
    h.deliver("signed-1", &serde_json::to_string(&rows).unwrap())
        .await
        .unwrap();
    h.pushy.vanished.lock().unwrap().push("42".into());
    // The search window finds one of them too (not repeated) and one webhooks missed.
    h.pushy
        .searched
        .lock()
        .unwrap()
        .extend(["1".to_owned(), "300".to_owned()]);

    let events: Vec<ChangeEvent> = h
        .connector
        .changes(user("ann"), ChangesFrom::Checkpoint(checkpoint))
        .map(|e| e.unwrap())
        .collect()
        .await;
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for event in &events {
        match event {
            ChangeEvent::Change(Change::Upsert(item)) => upserts.push(item.id.clone()),
            ChangeEvent::Change(Change::Delete { id, .. }) => deletes.push(id.clone()),
            _ => {}
        }
    }
    deletes.sort();
    // 7 deleted, 9 merged into 8, 42 gone by the time it is fetched; B's event is not ann's.
    assert_eq!(deletes, ["42", "7", "9"]);
    assert_eq!(upserts.len(), 250 - 3 + 1, "{upserts:?}");
    assert_eq!(
        upserts.iter().filter(|id| *id == "1").count(),
        1,
        "once in a run"
    );
    assert_eq!(
        upserts.last().map(String::as_str),
        Some("300"),
        "search still runs"
    );
    assert!(upserts.contains(&"8".to_owned()) && !upserts.contains(&"999".to_owned()));
    let calls = h.pushy.fetched.lock().unwrap().clone();
    assert_eq!(
        calls.iter().map(Vec::len).collect::<Vec<_>>(),
        [100, 100, 48]
    );
    match events.last() {
        Some(ChangeEvent::End {
            upserts: u,
            deletes: d,
            ..
        }) => assert_eq!((*u, *d), (248, 3)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_journal_is_read_from_the_saved_position_into_the_accounts_logs() {
    let h = default_harness();
    h.connect("ann", "A").await;
    let at = end_offset(&h.poll("ann", None, Wait::None).await.unwrap());
    h.pushy.journal.lock().unwrap().extend([
        journal_page(&["1", "2"], "p2", true),
        journal_page(&["3"], "p3", false),
    ]);
    let lease = Duration::from_secs(30);
    let pass = h.connector.pull_journal(lease).await.unwrap();
    assert_eq!(
        (pass.led, pass.reads, pass.events, pass.stored),
        (true, 2, 3, 3)
    );
    assert_eq!(
        ids(&h.poll("ann", Some(&at), Wait::None).await.unwrap()),
        ["1", "2", "3"]
    );
    // The next pass goes on from where this one stopped; nothing new is nothing stored.
    let pass = h.connector.pull_journal(lease).await.unwrap();
    assert_eq!((pass.reads, pass.stored), (1, 0));
    let asked = h.pushy.journal_asked.lock().unwrap().clone();
    assert_eq!(asked, [None, Some("p2".into()), Some("p3".into())]);
}

#[tokio::test]
async fn a_journal_page_that_could_not_be_stored_is_read_again() {
    let h = default_harness();
    h.connect("ann", "A").await;
    h.pushy
        .journal
        .lock()
        .unwrap()
        .push_back(journal_page(&["1"], "p1", false));
    h.log.down.store(true, Ordering::SeqCst);
    assert!(
        h.connector
            .pull_journal(Duration::from_secs(30))
            .await
            .is_err()
    );
    h.log.down.store(false, Ordering::SeqCst);
    h.pushy
        .journal
        .lock()
        .unwrap()
        .push_back(journal_page(&["1"], "p1", false));
    let pass = h
        .connector
        .pull_journal(Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(pass.stored, 1);
    let asked = h.pushy.journal_asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [None, None],
        "the position moved only once the page was stored"
    );
}

#[tokio::test]
async fn one_process_reads_the_journal_at_a_time_and_another_takes_over_when_it_dies() {
    let h = default_harness();
    h.connect("ann", "A").await;
    // Another process sharing the store (same store, its own connector).
    let other = Connector::with_options(
        Arc::clone(&h.pushy) as Arc<dyn Integration>,
        Arc::new(h.store.clone()),
        ConnectorOptions {
            events: Some(Arc::clone(&h.log) as Arc<dyn EventLog>),
            ..ConnectorOptions::default()
        },
    );
    // A reader holds the lease and dies without giving it back.
    let held = h
        .store
        .try_lock("journal-reader:pushy", Duration::from_millis(300))
        .await
        .unwrap();
    assert!(held.is_some());
    h.pushy
        .journal
        .lock()
        .unwrap()
        .push_back(journal_page(&["1"], "p1", false));
    let busy = other.pull_journal(Duration::from_secs(30)).await.unwrap();
    assert!(
        !busy.led && busy.reads == 0,
        "no second reader while the lease holds"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let took_over = other.pull_journal(Duration::from_secs(30)).await.unwrap();
    assert!(took_over.led);
    assert_eq!(took_over.stored, 1);
}
