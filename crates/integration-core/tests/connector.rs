//! The `Connector`'s own tests, against a scripted fake provider and `token-store`'s
//! `MemoryTokenStore`: refresh before expiry (with the skew clamped to half a token's lifetime),
//! single-flight refresh, refresh-and-retry once on a 401, forgetting a grant the provider
//! rejects, `Retry-After` waits within the request deadline, client mistakes refused before any
//! provider call (object types, scopes, sealed cursors), the browser-bound OAuth flow and
//! disconnecting. Every provider call is counted by the fake, so "refused before any provider
//! call" is checked, not assumed.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use chrono::Utc;
use integration_core::{
    AuthorizationCode, AuthorizationError, AuthorizationRequest, BrowserBinding, CallbackContext,
    CallbackParams, ChangesPage, ChangesQuery, Checkpoint, Connector, ConnectorOptions,
    CredentialStore as _, Credentials, Cursor, Error, ExposeSecret as _, Integration, ItemQuery,
    Limit, ObjectType, Page, PkceVerifier, Priority, ProviderInfo, SharedBudget, UserId,
};
use sha2::Digest as _;
use token_store::MemoryTokenStore;
use tokio::time::Instant;

const PROVIDER: &str = "fake";
const CONTACTS_SCOPE: &str = "crm.objects.contacts.read";
const COMPANIES_SCOPE: &str = "crm.objects.companies.read";
const DEALS_SCOPE: &str = "crm.objects.deals.read";
const REDIRECT: &str = "https://app.example/oauth/callback";

const INFO: ProviderInfo = ProviderInfo {
    id: PROVIDER,
    name: "Fake",
    description: "A scripted provider that counts its calls",
    object_types: &[
        ObjectType {
            id: "contacts",
            noun: "contact",
            scopes: &[CONTACTS_SCOPE],
        },
        ObjectType {
            id: "companies",
            noun: "company",
            scopes: &[COMPANIES_SCOPE],
        },
    ],
    columns: &[],
    permissions: &[],
    logo_svg: "",
    pkce: true,
};

/// What the fake's next `list_items` answers (after the script runs out: a last page).
#[derive(Debug, Clone)]
enum Reply {
    /// A page whose next provider cursor is this (`None`: the last page).
    Page(Option<&'static str>),
    /// HTTP 401.
    Unauthorized,
    /// HTTP 429 with this `Retry-After`.
    RateLimited(Duration),
}

/// What the fake's next `refresh` answers (after the script runs out: fresh credentials).
#[derive(Debug, Clone, Copy)]
enum RefreshReply {
    /// The provider rejects the refresh token for good.
    Reauth,
}

/// A provider that answers from scripts and remembers everything it was asked.
#[derive(Debug, Default)]
struct Fake {
    list_replies: Mutex<VecDeque<Reply>>,
    refresh_replies: Mutex<VecDeque<RefreshReply>>,
    /// How long a refresh takes (widens the window for concurrent refreshes).
    refresh_delay: Duration,
    /// Whether `revoke` fails (the provider is down).
    revoke_fails: bool,
    list_calls: AtomicUsize,
    refresh_calls: AtomicUsize,
    revoke_calls: AtomicUsize,
    exchange_calls: AtomicUsize,
    /// The access token each `list_items` call carried.
    list_tokens: Mutex<Vec<String>>,
    /// The cursor each `list_items` call carried.
    list_cursors: Mutex<Vec<Option<String>>>,
    /// The next provider cursor of each `changes` page (after the script runs out: none).
    changes_next: Mutex<VecDeque<&'static str>>,
    changes_calls: AtomicUsize,
    /// The cursor each `changes` call carried.
    changes_cursors: Mutex<Vec<Option<String>>>,
    /// The access tokens `revoke` was asked to revoke.
    revoked: Mutex<Vec<String>>,
    /// The PKCE challenge of the last consent URL.
    challenge: Mutex<Option<String>>,
    /// The code and PKCE verifier of each exchange.
    exchanges: Mutex<Vec<(String, Option<String>)>>,
    /// Whether it reports associations.
    associates: bool,
    /// The associations each `list_items` call asked for.
    list_associations: Mutex<Vec<Vec<String>>>,
}

impl Fake {
    fn new() -> Self {
        Self::default()
    }

    fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.list_replies.lock().unwrap().extend(replies);
    }

    fn script_refresh(&self, replies: impl IntoIterator<Item = RefreshReply>) {
        self.refresh_replies.lock().unwrap().extend(replies);
    }

    fn lists(&self) -> usize {
        self.list_calls.load(Ordering::SeqCst)
    }

    fn refreshes(&self) -> usize {
        self.refresh_calls.load(Ordering::SeqCst)
    }

    fn revokes(&self) -> usize {
        self.revoke_calls.load(Ordering::SeqCst)
    }

    fn exchanges(&self) -> usize {
        self.exchange_calls.load(Ordering::SeqCst)
    }

    /// Every provider API and OAuth call made so far.
    fn provider_calls(&self) -> usize {
        self.lists()
            + self.refreshes()
            + self.revokes()
            + self.exchanges()
            + self.changes_calls.load(Ordering::SeqCst)
    }

    fn list_tokens(&self) -> Vec<String> {
        self.list_tokens.lock().unwrap().clone()
    }

    fn list_cursors(&self) -> Vec<Option<String>> {
        self.list_cursors.lock().unwrap().clone()
    }
}

#[async_trait]
impl Integration for Fake {
    fn info(&self) -> &ProviderInfo {
        &INFO
    }

    /// Deals are not declared, but discovery may list them.
    fn discovered_kind(&self, object_type: &str) -> Option<&'static [&'static str]> {
        (object_type == "deals").then_some(&[DEALS_SCOPE][..])
    }

    fn associates(&self) -> bool {
        self.associates
    }

    fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Result<url::Url, Error> {
        let mut url = url::Url::parse("https://fake.example/oauth/authorize").unwrap();
        url.query_pairs_mut()
            .append_pair("state", request.state.as_str())
            .append_pair("redirect_uri", request.redirect_uri);
        if let Some(challenge) = request.pkce_challenge {
            url.query_pairs_mut()
                .append_pair("code_challenge", challenge.as_str());
            *self.challenge.lock().unwrap() = Some(challenge.as_str().to_owned());
        }
        Ok(url)
    }

    async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error> {
        assert_eq!(redirect_uri, REDIRECT, "the exchange repeats the redirect");
        let n = self.exchange_calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.exchanges.lock().unwrap().push((
            code.secret().expose_secret().to_owned(),
            pkce_verifier.map(|v| v.secret().expose_secret().to_owned()),
        ));
        let mut credentials = credentials(&format!("at-exchanged-{n}"), Some(60), &[]);
        credentials.refresh_token = Some(format!("rt-exchanged-{n}").into());
        credentials.scopes = vec![CONTACTS_SCOPE.into()];
        credentials.account_id = Some("42".into());
        Ok(credentials)
    }

    async fn list_items(
        &self,
        credentials: &Credentials,
        query: &ItemQuery,
    ) -> Result<Page, Error> {
        self.list_calls.fetch_add(1, Ordering::SeqCst);
        (self.list_associations.lock().unwrap()).push(query.associations.clone());
        self.list_tokens
            .lock()
            .unwrap()
            .push(credentials.access_token.expose_secret().to_owned());
        self.list_cursors
            .lock()
            .unwrap()
            .push(query.cursor.as_ref().map(|c| c.as_str().to_owned()));
        let reply = self
            .list_replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Reply::Page(None));
        match reply {
            Reply::Page(next) => Ok(Page {
                items: Vec::new(),
                next_cursor: next.map(|c| Cursor::parse(c).unwrap()),
            }),
            Reply::Unauthorized => Err(Error::Unauthorized),
            Reply::RateLimited(wait) => Err(Error::RateLimited {
                retry_after: Some(wait),
            }),
        }
    }

    async fn refresh(&self, stale: &Credentials) -> Result<Credentials, Error> {
        assert!(stale.refresh_token.is_some(), "only refreshable grants");
        let n = self.refresh_calls.fetch_add(1, Ordering::SeqCst) + 1;
        if !self.refresh_delay.is_zero() {
            tokio::time::sleep(self.refresh_delay).await;
        }
        let reply = self.refresh_replies.lock().unwrap().pop_front();
        match reply {
            Some(RefreshReply::Reauth) => Err(Error::ReauthRequired {
                reason: "refresh token revoked".into(),
            }),
            // A provider that echoes neither the refresh token nor the scopes: the connector
            // keeps the previous ones.
            None => Ok(Credentials {
                access_token: format!("at-refreshed-{n}").into(),
                refresh_token: None,
                expires_at: Some(Utc::now() + chrono::Duration::minutes(60)),
                scopes: Vec::new(),
                account_id: None,
                account_name: None,
                account_user: None,
                obtained_at: Utc::now(),
                api_base: None,
            }),
        }
    }

    async fn changes(
        &self,
        _credentials: &Credentials,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        self.changes_calls.fetch_add(1, Ordering::SeqCst);
        self.changes_cursors
            .lock()
            .unwrap()
            .push(query.cursor.as_ref().map(|c| c.as_str().to_owned()));
        let next = self.changes_next.lock().unwrap().pop_front();
        Ok(ChangesPage {
            changes: Vec::new(),
            next_cursor: next.map(|c| Cursor::parse(c).unwrap()),
        })
    }

    async fn revoke(&self, credentials: &Credentials) -> Result<(), Error> {
        self.revoke_calls.fetch_add(1, Ordering::SeqCst);
        self.revoked
            .lock()
            .unwrap()
            .push(credentials.access_token.expose_secret().to_owned());
        if self.revoke_fails {
            return Err(Error::Unavailable("provider down".into()));
        }
        Ok(())
    }
}

/// Credentials with `token` that expire in `expires_in_minutes` (`None`: never) and lived an
/// hour (obtained long enough ago that the default 5-minute skew is not clamped), granting
/// `scopes`.
fn credentials(token: &str, expires_in_minutes: Option<i64>, scopes: &[&str]) -> Credentials {
    let now = Utc::now();
    let expires_at = expires_in_minutes.map(|m| now + chrono::Duration::minutes(m));
    Credentials {
        access_token: token.to_owned().into(),
        refresh_token: Some("rt-original".to_owned().into()),
        expires_at,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        account_id: Some("42".into()),
        account_name: None,
        account_user: None,
        obtained_at: expires_at.unwrap_or(now) - chrono::Duration::minutes(60),
        api_base: None,
    }
}

fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

fn ada() -> UserId {
    user("ada")
}

struct Harness {
    fake: Arc<Fake>,
    store: Arc<MemoryTokenStore>,
    connector: Arc<Connector>,
}

impl Harness {
    fn new(fake: Fake) -> Self {
        Self::with_options(fake, ConnectorOptions::default())
    }

    fn with_options(fake: Fake, options: ConnectorOptions) -> Self {
        let fake = Arc::new(fake);
        let store = Arc::new(MemoryTokenStore::new());
        let connector = Connector::with_options(
            Arc::clone(&fake) as Arc<dyn Integration>,
            Arc::clone(&store) as _,
            options,
        );
        Self {
            fake,
            store,
            connector: Arc::new(connector),
        }
    }

    /// Stores `credentials` for `user`, as a previous connect would have.
    async fn seed(&self, user: &UserId, credentials: &Credentials) {
        self.store.save(PROVIDER, user, credentials).await.unwrap();
    }

    async fn stored(&self, user: &UserId) -> Option<Credentials> {
        self.store.load(PROVIDER, user).await.unwrap()
    }

    async fn stored_token(&self, user: &UserId) -> Option<String> {
        self.stored(user)
            .await
            .map(|c| c.access_token.expose_secret().to_owned())
    }
}

// 1. Refresh before expiry.

#[tokio::test]
async fn a_token_expiring_within_the_skew_is_refreshed_before_the_call() {
    let h = Harness::new(Fake::new());
    // Two minutes left of an hour-long token; the skew is five minutes.
    h.seed(&ada(), &credentials("at-old", Some(2), &[])).await;

    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();

    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(
        h.fake.list_tokens(),
        ["at-refreshed-1"],
        "the call sees the new token"
    );
    let stored = h.stored(&ada()).await.unwrap();
    assert_eq!(stored.access_token.expose_secret(), "at-refreshed-1");
    // What the refresh response omitted is kept.
    assert_eq!(
        stored.refresh_token.as_ref().map(|t| t.expose_secret()),
        Some("rt-original")
    );
    assert_eq!(stored.account_id.as_deref(), Some("42"));

    // The refreshed token is fresh: the next call does not refresh again.
    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(h.fake.list_tokens(), ["at-refreshed-1", "at-refreshed-1"]);
}

#[tokio::test]
async fn a_token_already_expired_is_refreshed_before_the_call() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-old", Some(-10), &[])).await;

    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();

    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(h.fake.list_tokens(), ["at-refreshed-1"]);
}

#[tokio::test]
async fn a_fresh_token_or_one_that_never_expires_is_not_refreshed() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-fresh", Some(30), &[]))
        .await;
    h.seed(&user("grace"), &credentials("at-forever", None, &[]))
        .await;

    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    h.connector
        .items(&user("grace"), &ItemQuery::new())
        .await
        .unwrap();

    assert_eq!(h.fake.refreshes(), 0);
    assert_eq!(h.fake.list_tokens(), ["at-fresh", "at-forever"]);
    assert_eq!(h.stored_token(&ada()).await.as_deref(), Some("at-fresh"));
}

#[tokio::test]
async fn a_skew_longer_than_the_token_lifetime_is_clamped_to_half_of_it() {
    let h = Harness::new(Fake::new());
    // Minted just now for four minutes; the five-minute skew would call it expiring at once.
    let now = Utc::now();
    let mut short = credentials("at-short", None, &[]);
    short.obtained_at = now;
    short.expires_at = Some(now + chrono::Duration::minutes(4));
    h.seed(&ada(), &short).await;

    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    assert_eq!(h.fake.refreshes(), 0, "half of four minutes are left");
    assert_eq!(h.fake.list_tokens(), ["at-short"]);

    // The same lifetime with less than half of it left: refreshed.
    let mut late = credentials("at-late", None, &[]);
    late.obtained_at = now - chrono::Duration::minutes(3);
    late.expires_at = Some(now + chrono::Duration::minutes(1));
    h.seed(&ada(), &late).await;

    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(h.fake.list_tokens(), ["at-short", "at-refreshed-1"]);
}

// 2. Single-flight refresh.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_with_an_expired_token_refresh_once() {
    let h = Harness::new(Fake {
        refresh_delay: Duration::from_millis(100),
        ..Fake::new()
    });
    h.seed(&ada(), &credentials("at-old", Some(-1), &[])).await;

    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let connector = Arc::clone(&h.connector);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                connector.items(&ada(), &ItemQuery::new()).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    assert_eq!(h.fake.refreshes(), 1, "exactly one refresh");
    assert_eq!(h.fake.lists(), 50);
    assert!(
        h.fake.list_tokens().iter().all(|t| t == "at-refreshed-1"),
        "{:?}",
        h.fake.list_tokens()
    );
    assert_eq!(
        h.stored_token(&ada()).await.as_deref(),
        Some("at-refreshed-1")
    );
}

#[tokio::test]
async fn a_refresh_by_another_process_is_awaited_and_reused() {
    // Another replica holds the refresh lock; when its refresh lands in the store, ours reads it
    // instead of refreshing again.
    let h = Harness::with_options(
        Fake::new(),
        ConnectorOptions {
            lock_poll: Duration::from_millis(10),
            ..ConnectorOptions::default()
        },
    );
    h.seed(&ada(), &credentials("at-old", Some(-1), &[])).await;
    let lock = format!(
        "refresh:{}",
        integration_core::credentials_key(PROVIDER, &ada())
    );
    let token = h
        .store
        .try_lock(&lock, Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();

    let connector = Arc::clone(&h.connector);
    let call = tokio::spawn(async move { connector.items(&ada(), &ItemQuery::new()).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!call.is_finished(), "waits for the other process");
    h.seed(&ada(), &credentials("at-from-elsewhere", Some(60), &[]))
        .await;
    h.store.unlock(&lock, &token).await.unwrap();

    call.await.unwrap().unwrap();
    assert_eq!(h.fake.refreshes(), 0);
    assert_eq!(h.fake.list_tokens(), ["at-from-elsewhere"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_sharing_the_store_refresh_once() {
    // Two connectors (two replicas) over one store: the store lock and the re-read after it
    // make one refresh of them.
    let fake = Arc::new(Fake {
        refresh_delay: Duration::from_millis(100),
        ..Fake::new()
    });
    let store = Arc::new(MemoryTokenStore::new());
    let options = ConnectorOptions {
        lock_poll: Duration::from_millis(10),
        ..ConnectorOptions::default()
    };
    let replicas: Vec<Arc<Connector>> = (0..2)
        .map(|_| {
            Arc::new(Connector::with_options(
                Arc::clone(&fake) as Arc<dyn Integration>,
                Arc::clone(&store) as _,
                options.clone(),
            ))
        })
        .collect();
    store
        .save(PROVIDER, &ada(), &credentials("at-old", Some(-1), &[]))
        .await
        .unwrap();

    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let connector = Arc::clone(&replicas[n % 2]);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                connector.items(&ada(), &ItemQuery::new()).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    assert_eq!(fake.refreshes(), 1, "exactly one refresh across both");
    assert!(fake.list_tokens().iter().all(|t| t == "at-refreshed-1"));
}

#[tokio::test]
async fn an_expired_token_without_a_refresh_token_asks_for_reconnect_without_a_call() {
    let h = Harness::new(Fake::new());
    let mut expired = credentials("at-old", Some(-1), &[]);
    expired.refresh_token = None;
    h.seed(&ada(), &expired).await;

    let result = h.connector.items(&ada(), &ItemQuery::new()).await;

    assert!(
        matches!(result, Err(Error::ReauthRequired { .. })),
        "{result:?}"
    );
    assert_eq!(h.fake.provider_calls(), 0);
}

// 3. Refresh and retry once on a 401.

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-rejected", Some(30), &[]))
        .await;
    h.fake.script([Reply::Unauthorized]);

    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();

    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(h.fake.list_tokens(), ["at-rejected", "at-refreshed-1"]);
    assert_eq!(
        h.stored_token(&ada()).await.as_deref(),
        Some("at-refreshed-1")
    );
}

#[tokio::test]
async fn a_401_after_the_refresh_is_reauth_required() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-rejected", Some(30), &[]))
        .await;
    h.fake.script([Reply::Unauthorized, Reply::Unauthorized]);

    let result = h.connector.items(&ada(), &ItemQuery::new()).await;

    assert!(
        matches!(result, Err(Error::ReauthRequired { .. })),
        "{result:?}"
    );
    assert_eq!(h.fake.refreshes(), 1, "one refresh");
    assert_eq!(h.fake.lists(), 2, "one retry, no more");
    // The grant itself may be fine (the provider misbehaving): kept, not deleted.
    assert_eq!(
        h.stored_token(&ada()).await.as_deref(),
        Some("at-refreshed-1")
    );
    assert!(!h.connector.needs_reconnect(&ada()).await.unwrap());
}

// 4. A refused refresh forgets the grant.

#[tokio::test]
async fn a_refused_refresh_deletes_the_grant_and_asks_for_reconnect() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-old", Some(-1), &[])).await;
    h.fake.script_refresh([RefreshReply::Reauth]);

    let result = h.connector.items(&ada(), &ItemQuery::new()).await;
    assert!(
        matches!(result, Err(Error::ReauthRequired { .. })),
        "{result:?}"
    );
    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(h.fake.lists(), 0);
    assert!(h.stored(&ada()).await.is_none(), "the grant is deleted");
    assert!(h.connector.needs_reconnect(&ada()).await.unwrap());
    assert_eq!(h.connector.status(&ada()).await.unwrap(), None);

    // Every later call says "reconnect", not "never connected", without a provider call.
    let again = h.connector.items(&ada(), &ItemQuery::new()).await;
    assert!(
        matches!(again, Err(Error::ReauthRequired { .. })),
        "{again:?}"
    );
    assert_eq!(h.fake.refreshes(), 1);
    assert_eq!(h.fake.lists(), 0);

    // A user who never connected is told so.
    let never = h.connector.items(&user("grace"), &ItemQuery::new()).await;
    assert!(matches!(never, Err(Error::NotConnected)), "{never:?}");
}

#[tokio::test]
async fn a_refused_refresh_after_a_401_deletes_the_grant_too() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-rejected", Some(30), &[]))
        .await;
    h.fake.script([Reply::Unauthorized]);
    h.fake.script_refresh([RefreshReply::Reauth]);

    let result = h.connector.items(&ada(), &ItemQuery::new()).await;

    assert!(
        matches!(result, Err(Error::ReauthRequired { .. })),
        "{result:?}"
    );
    assert_eq!(
        h.fake.lists(),
        1,
        "no retry with a token that was not renewed"
    );
    assert!(h.stored(&ada()).await.is_none());
    assert!(h.connector.needs_reconnect(&ada()).await.unwrap());
}

// 5. Rate limits within the request deadline (on tokio's paused clock).

#[tokio::test(start_paused = true)]
async fn a_retry_after_within_the_deadline_is_waited_out_and_retried() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.fake.script([Reply::RateLimited(Duration::from_secs(3))]);

    let started = Instant::now();
    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();

    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(h.fake.lists(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_past_the_deadline_is_a_rate_limit_at_once() {
    // The deadline (20 s), not the retry policy's cap (30 s), is what refuses a 25 s wait.
    let h = Harness::new(Fake::new());
    assert_eq!(
        h.connector.options().request_deadline,
        Duration::from_secs(20)
    );
    assert!(h.connector.options().retry.max_retry_after > Duration::from_secs(25));
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.fake.script([Reply::RateLimited(Duration::from_secs(25))]);

    let started = Instant::now();
    let result = h.connector.items(&ada(), &ItemQuery::new()).await;

    assert!(
        matches!(result, Err(Error::RateLimited { retry_after: Some(w) }) if w == Duration::from_secs(25)),
        "{result:?}"
    );
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "answered without waiting"
    );
    assert_eq!(h.fake.lists(), 1);
}

#[tokio::test(start_paused = true)]
async fn waits_that_add_up_past_the_deadline_stop_at_it() {
    // Each wait fits on its own; the second would end after the deadline and is not started.
    let h = Harness::with_options(
        Fake::new(),
        ConnectorOptions {
            request_deadline: Duration::from_secs(10),
            ..ConnectorOptions::default()
        },
    );
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.fake.script([
        Reply::RateLimited(Duration::from_secs(6)),
        Reply::RateLimited(Duration::from_secs(6)),
    ]);

    let started = Instant::now();
    let result = h.connector.items(&ada(), &ItemQuery::new()).await;

    assert!(
        matches!(result, Err(Error::RateLimited { retry_after: Some(w) }) if w == Duration::from_secs(6)),
        "{result:?}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(6) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(h.fake.lists(), 2);
}

// 6. Cursors are sealed for the provider, user and object type.

#[tokio::test]
async fn a_genuine_next_cursor_works_and_the_provider_gets_its_own_back() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.fake
        .script([Reply::Page(Some("provider-page-2")), Reply::Page(None)]);

    let first = h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    let next = first.next_cursor.unwrap();
    assert_ne!(
        next.as_str(),
        "provider-page-2",
        "sealed, not the provider's"
    );

    let second = h
        .connector
        .items(&ada(), &ItemQuery::new().after(Some(next)))
        .await
        .unwrap();
    assert_eq!(second.next_cursor, None);
    assert_eq!(
        h.fake.list_cursors(),
        [None, Some("provider-page-2".to_owned())],
        "the provider only ever sees its own cursor"
    );
}

#[tokio::test]
async fn a_cursor_for_the_default_object_type_works_when_it_is_named() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.fake.script([Reply::Page(Some("provider-page-2"))]);

    let next = h
        .connector
        .items(&ada(), &ItemQuery::new())
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    h.connector
        .items(
            &ada(),
            &ItemQuery::new().object_type("contacts").after(Some(next)),
        )
        .await
        .unwrap();
    assert_eq!(h.fake.list_cursors()[1].as_deref(), Some("provider-page-2"));
}

#[tokio::test]
async fn forged_or_misdirected_cursors_are_refused_without_a_provider_call() {
    let h = Harness::new(Fake::new());
    // Expired, so that even a refresh would show up as a provider call.
    h.seed(&ada(), &credentials("at", Some(-1), &[])).await;
    h.seed(&user("grace"), &credentials("at", Some(30), &[]))
        .await;
    h.fake.script([
        Reply::Page(Some("grace-page-2")),
        Reply::Page(Some("companies-page-2")),
    ]);

    // Genuine cursors, issued to grace for contacts and to grace for companies.
    let graces = h
        .connector
        .items(&user("grace"), &ItemQuery::new())
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let companies = h
        .connector
        .items(&user("grace"), &ItemQuery::new().object_type("companies"))
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    // A genuine-looking cursor sealed by another deployment (another key).
    let other = Harness::new(Fake::new());
    other.seed(&ada(), &credentials("at", Some(30), &[])).await;
    other.fake.script([Reply::Page(Some("elsewhere-page-2"))]);
    let elsewhere = other
        .connector
        .items(&ada(), &ItemQuery::new())
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let calls = h.fake.provider_calls();

    let mut tampered = graces.as_str().to_owned();
    tampered.push('x');
    let cases: Vec<(&str, ItemQuery)> = vec![
        (
            "any string",
            ItemQuery::new().after(Some(Cursor::parse("abc").unwrap())),
        ),
        (
            "the provider's own cursor, unsealed",
            ItemQuery::new().after(Some(Cursor::parse("grace-page-2").unwrap())),
        ),
        (
            "a tampered cursor",
            ItemQuery::new().after(Some(Cursor::parse(tampered).unwrap())),
        ),
        (
            "another user's cursor",
            ItemQuery::new().after(Some(graces.clone())),
        ),
        (
            "another deployment's cursor",
            ItemQuery::new().after(Some(elsewhere)),
        ),
    ];
    for (what, query) in cases {
        assert!(
            matches!(
                h.connector.check_query(&ada(), &query),
                Err(Error::InvalidInput(_))
            ),
            "check_query: {what}"
        );
        let result = h.connector.items(&ada(), &query).await;
        assert!(
            matches!(result, Err(Error::InvalidInput(_))),
            "{what}: {result:?}"
        );
    }
    // Grace's own cursor for companies is not good for her contacts (named or by default).
    for query in [
        ItemQuery::new().after(Some(companies.clone())),
        ItemQuery::new()
            .object_type("contacts")
            .after(Some(companies.clone())),
    ] {
        let result = h.connector.items(&user("grace"), &query).await;
        assert!(matches!(result, Err(Error::InvalidInput(_))), "{result:?}");
    }

    assert_eq!(h.fake.provider_calls(), calls, "no provider call at all");
    assert_eq!(h.fake.refreshes(), 0);

    // And grace's genuine cursor still works for her.
    h.connector
        .items(&user("grace"), &ItemQuery::new().after(Some(graces)))
        .await
        .unwrap();
    assert_eq!(
        h.fake.list_cursors().last().unwrap().as_deref(),
        Some("grace-page-2")
    );
}

#[tokio::test]
async fn a_changes_cursor_is_bound_to_its_window() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.fake
        .changes_next
        .lock()
        .unwrap()
        .push_back("provider-changes-2");
    let since = Utc::now() - chrono::Duration::hours(2);
    let until = Utc::now() - chrono::Duration::hours(1);
    let window = ChangesQuery {
        object_type: None,
        since,
        until,
        cursor: None,
        properties: None,
        associations: Vec::new(),
    };

    let first = h.connector.changes_page(&ada(), &window).await.unwrap();
    let next = first.next_cursor.unwrap();
    assert_ne!(next.as_str(), "provider-changes-2");
    let calls = h.fake.provider_calls();

    // The same cursor in a wider window, for another object type, for another user, or forged.
    for (who, query) in [
        (
            ada(),
            ChangesQuery {
                until: Utc::now(),
                cursor: Some(next.clone()),
                ..window.clone()
            },
        ),
        (
            ada(),
            ChangesQuery {
                object_type: Some("companies".into()),
                cursor: Some(next.clone()),
                ..window.clone()
            },
        ),
        (
            user("grace"),
            ChangesQuery {
                cursor: Some(next.clone()),
                ..window.clone()
            },
        ),
        (
            ada(),
            ChangesQuery {
                cursor: Some(Cursor::parse("provider-changes-2").unwrap()),
                ..window.clone()
            },
        ),
    ] {
        let result = h.connector.changes_page(&who, &query).await;
        assert!(
            matches!(result, Err(Error::InvalidInput(_))),
            "{query:?}: {result:?}"
        );
    }
    assert_eq!(h.fake.provider_calls(), calls, "no provider call");

    // In its own window it continues, and the provider gets its own cursor.
    let resumed = ChangesQuery {
        cursor: Some(next),
        ..window
    };
    h.connector.changes_page(&ada(), &resumed).await.unwrap();
    assert_eq!(
        *h.fake.changes_cursors.lock().unwrap(),
        [None, Some("provider-changes-2".to_owned())]
    );
}

#[tokio::test]
async fn only_checkpoints_issued_to_the_user_are_read_back() {
    let h = Harness::new(Fake::new());
    let checkpoint = Checkpoint {
        since: Utc::now() - chrono::Duration::days(1),
        object_type: Some("companies".into()),
    };
    let token = h.connector.checkpoint_token(&ada(), &checkpoint);

    assert_eq!(
        h.connector.read_checkpoint(&ada(), &token).unwrap(),
        checkpoint
    );
    for (who, forged) in [
        (user("grace"), token.clone()),
        (ada(), checkpoint.encode()),
        (ada(), "anything".to_owned()),
        (ada(), format!("{token}x")),
    ] {
        let result = h.connector.read_checkpoint(&who, &forged);
        assert!(matches!(result, Err(Error::InvalidInput(_))), "{result:?}");
    }
    // Sealed by us, but for an object type the provider does not offer.
    let tickets = h.connector.checkpoint_token(
        &ada(),
        &Checkpoint {
            object_type: Some("tickets".into()),
            ..checkpoint
        },
    );
    let result = h.connector.read_checkpoint(&ada(), &tickets);
    assert!(matches!(result, Err(Error::InvalidInput(_))), "{result:?}");
}

// 7. Object types and scopes.

#[tokio::test]
async fn an_object_type_not_offered_is_refused_without_a_provider_call() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(-1), &[])).await;
    let query = ItemQuery::new().object_type("tickets");

    assert!(matches!(
        h.connector.check_query(&ada(), &query),
        Err(Error::InvalidInput(_))
    ));
    let result = h.connector.items(&ada(), &query).await;
    let Err(Error::InvalidInput(message)) = result else {
        panic!("{result:?}");
    };
    assert!(message.contains("contacts, companies"), "{message}");
    let counted = h.connector.count(&ada(), &query).await;
    assert!(
        matches!(counted, Err(Error::InvalidInput(_))),
        "{counted:?}"
    );
    assert_eq!(h.fake.provider_calls(), 0);
}

#[tokio::test]
async fn a_grant_without_the_object_types_scope_is_refused_without_a_provider_call() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[CONTACTS_SCOPE]))
        .await;

    let result = h
        .connector
        .items(&ada(), &ItemQuery::new().object_type("companies"))
        .await;

    assert!(
        matches!(&result, Err(Error::InsufficientScope { scope }) if scope == COMPANIES_SCOPE),
        "{result:?}"
    );
    assert_eq!(h.fake.provider_calls(), 0);

    // The granted kind, named or by default, is listed.
    h.connector
        .items(&ada(), &ItemQuery::new().object_type("contacts"))
        .await
        .unwrap();
    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    assert_eq!(h.fake.lists(), 2);
}

#[tokio::test]
async fn a_discovered_kind_is_accepted_and_its_scope_checked_before_any_call() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[CONTACTS_SCOPE]))
        .await;
    let deals = ItemQuery::new().object_type("deals");

    h.connector.check_query(&ada(), &deals).unwrap();
    let result = h.connector.items(&ada(), &deals).await;
    assert!(
        matches!(&result, Err(Error::InsufficientScope { scope }) if scope == DEALS_SCOPE),
        "{result:?}"
    );
    // A kind neither declared nor discoverable is refused as before.
    let unknown = h
        .connector
        .items(&ada(), &ItemQuery::new().object_type("pets"))
        .await;
    assert!(
        matches!(unknown, Err(Error::InvalidInput(_))),
        "{unknown:?}"
    );
    assert_eq!(h.fake.provider_calls(), 0);

    h.seed(
        &ada(),
        &credentials("at", Some(30), &[CONTACTS_SCOPE, DEALS_SCOPE]),
    )
    .await;
    h.connector.items(&ada(), &deals).await.unwrap();
    assert_eq!(h.fake.lists(), 1);
}

#[tokio::test]
async fn associations_are_checked_before_any_call() {
    let contacts_with =
        |kinds: &[&'static str]| ItemQuery::new().associations(kinds.iter().copied());
    // A provider that cannot say how records relate refuses the question.
    let plain = Harness::new(Fake::new());
    plain
        .seed(&ada(), &credentials("at", Some(30), &[CONTACTS_SCOPE]))
        .await;
    let result = plain
        .connector
        .items(&ada(), &contacts_with(&["companies"]))
        .await;
    assert!(matches!(result, Err(Error::Unsupported(_))), "{result:?}");
    assert_eq!(plain.fake.provider_calls(), 0);

    let h = Harness::new(Fake {
        associates: true,
        ..Fake::new()
    });
    h.seed(&ada(), &credentials("at", Some(30), &[CONTACTS_SCOPE]))
        .await;
    // A kind the provider does not read.
    let result = h
        .connector
        .items(&ada(), &contacts_with(&["pipedrive"]))
        .await;
    let Err(Error::InvalidInput(message)) = result else {
        panic!("{result:?}");
    };
    assert!(message.contains("'pipedrive'"), "{message}");
    // A kind the grant may not read: its scope is named.
    let result = h
        .connector
        .items(&ada(), &contacts_with(&["companies"]))
        .await;
    assert!(
        matches!(&result, Err(Error::InsufficientScope { scope }) if scope == COMPANIES_SCOPE),
        "{result:?}"
    );
    assert_eq!(h.fake.provider_calls(), 0);

    h.seed(
        &ada(),
        &credentials("at", Some(30), &[CONTACTS_SCOPE, COMPANIES_SCOPE]),
    )
    .await;
    h.connector
        .items(&ada(), &contacts_with(&["companies"]))
        .await
        .unwrap();
    assert_eq!(
        *h.fake.list_associations.lock().unwrap(),
        [vec!["companies".to_owned()]]
    );
}

/// One record by id: a provider that cannot fetch by id says so; a malformed id is refused
/// before any call.
#[tokio::test]
async fn one_record_by_id_needs_a_provider_that_fetches() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[CONTACTS_SCOPE]))
        .await;
    let result = h.connector.item(&ada(), &ItemQuery::new(), "a b").await;
    assert!(matches!(result, Err(Error::InvalidInput(_))), "{result:?}");
    assert_eq!(h.fake.provider_calls(), 0);
    let result = h.connector.item(&ada(), &ItemQuery::new(), "1").await;
    assert!(matches!(result, Err(Error::Unsupported(_))), "{result:?}");
}

#[tokio::test]
async fn a_grant_recording_no_scopes_is_not_second_guessed() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;

    h.connector
        .items(&ada(), &ItemQuery::new().object_type("companies"))
        .await
        .unwrap();
    assert_eq!(h.fake.lists(), 1);
}

#[tokio::test]
async fn count_without_provider_support_is_unknown_without_a_call() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at", Some(-1), &[])).await;
    assert_eq!(
        h.connector.count(&ada(), &ItemQuery::new()).await.unwrap(),
        None
    );
    assert_eq!(h.fake.provider_calls(), 0);
}

// Pacing through a shared rate budget (the memory store's, on the paused clock).

fn paced(limit: Limit) -> Harness {
    let budget = Arc::new(MemoryTokenStore::new());
    Harness::with_options(
        Fake::new(),
        ConnectorOptions {
            budget: Some(SharedBudget::new(budget, limit)),
            ..ConnectorOptions::default()
        },
    )
}

#[tokio::test(start_paused = true)]
async fn a_budget_wait_within_the_deadline_is_waited() {
    // One call in any 5 s.
    let h = paced(Limit::new(1, Duration::from_secs(5)));
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;

    let started = Instant::now();
    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO);
    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited <= Duration::from_secs(6),
        "{waited:?}"
    );
    assert_eq!(h.fake.lists(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_budget_wait_past_the_deadline_is_a_rate_limit_without_a_call() {
    // One call a minute: the second would wait past the 20 s deadline.
    let h = paced(Limit::new(1, Duration::from_secs(60)));
    h.seed(&ada(), &credentials("at", Some(30), &[])).await;
    h.connector.items(&ada(), &ItemQuery::new()).await.unwrap();

    let started = Instant::now();
    let result = h
        .connector
        .items_as(&ada(), &ItemQuery::new(), Priority::Background)
        .await;

    assert!(
        matches!(result, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(20)),
        "{result:?}"
    );
    assert_eq!(started.elapsed(), Duration::ZERO, "answered at once");
    assert_eq!(h.fake.lists(), 1, "the provider never saw it");
}

// 8. The browser-bound OAuth flow.

fn callback(state: &str, code: Option<&str>) -> CallbackParams {
    CallbackParams {
        state: Some(state.to_owned()),
        code: code.map(str::to_owned),
        ..CallbackParams::default()
    }
}

fn from_browser(binding: &BrowserBinding) -> CallbackContext<'_> {
    CallbackContext {
        binding: Some(binding),
        user: None,
    }
}

#[tokio::test]
async fn an_authorization_round_trip_stores_the_credentials() {
    let h = Harness::new(Fake::new());
    let start = h
        .connector
        .begin_authorization(&ada(), REDIRECT)
        .await
        .unwrap();
    let query: Vec<(String, String)> = start.url.query_pairs().into_owned().collect();
    assert!(query.contains(&("state".into(), start.state.as_str().to_owned())));
    assert_eq!(h.fake.provider_calls(), 0, "nothing is exchanged yet");

    let (who, info) = h
        .connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            from_browser(&start.binding),
        )
        .await
        .unwrap();

    assert_eq!(who, ada());
    assert_eq!(info.account_id.as_deref(), Some("42"));
    assert_eq!(info.scopes, [CONTACTS_SCOPE]);
    assert_eq!(
        h.stored_token(&ada()).await.as_deref(),
        Some("at-exchanged-1")
    );
    assert_eq!(h.connector.status(&ada()).await.unwrap(), Some(info));
    // PKCE: the exchange carries the verifier of the challenge on the consent URL.
    let exchanges = h.fake.exchanges.lock().unwrap().clone();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].0, "the-code");
    let challenge = h.fake.challenge.lock().unwrap().clone().unwrap();
    assert!(query.contains(&("code_challenge".into(), challenge.clone())));
    let verifier = exchanges[0].1.clone().unwrap();
    // S256 of the verifier, checked independently of the library's own helper.
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(challenge, expected);
}

#[tokio::test]
async fn a_callback_from_another_browser_is_refused_and_the_state_stays_usable() {
    let h = Harness::new(Fake::new());
    let start = h
        .connector
        .begin_authorization(&ada(), REDIRECT)
        .await
        .unwrap();
    let stranger = BrowserBinding::generate();

    // A bare link (no code) opened in another browser, and one with no binding at all.
    for context in [from_browser(&stranger), CallbackContext::default()] {
        let refused = h
            .connector
            .finish_authorization(callback(start.state.as_str(), None), context)
            .await;
        assert!(
            matches!(refused, Err(AuthorizationError::InvalidState(_))),
            "{refused:?}"
        );
    }
    assert_eq!(h.fake.exchanges(), 0);
    assert!(h.stored(&ada()).await.is_none());

    // The browser that started the flow still finishes it.
    h.connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            from_browser(&start.binding),
        )
        .await
        .unwrap();
    assert_eq!(h.fake.exchanges(), 1);
    assert!(h.stored(&ada()).await.is_some());
}

#[tokio::test]
async fn a_code_delivered_to_another_browser_ends_the_flow() {
    let h = Harness::new(Fake::new());
    let start = h
        .connector
        .begin_authorization(&ada(), REDIRECT)
        .await
        .unwrap();

    let refused = h
        .connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            from_browser(&BrowserBinding::generate()),
        )
        .await;
    assert!(
        matches!(refused, Err(AuthorizationError::InvalidState(_))),
        "{refused:?}"
    );
    // Not even the starting browser can redeem that code now.
    let replayed = h
        .connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            from_browser(&start.binding),
        )
        .await;
    assert!(
        matches!(replayed, Err(AuthorizationError::InvalidState(_))),
        "{replayed:?}"
    );
    assert_eq!(h.fake.exchanges(), 0);
    assert!(h.stored(&ada()).await.is_none());
}

#[tokio::test]
async fn a_state_works_once() {
    let h = Harness::new(Fake::new());
    let start = h
        .connector
        .begin_authorization(&ada(), REDIRECT)
        .await
        .unwrap();
    h.connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            from_browser(&start.binding),
        )
        .await
        .unwrap();

    let reused = h
        .connector
        .finish_authorization(
            callback(start.state.as_str(), Some("another-code")),
            from_browser(&start.binding),
        )
        .await;
    assert!(
        matches!(reused, Err(AuthorizationError::InvalidState(_))),
        "{reused:?}"
    );
    assert_eq!(h.fake.exchanges(), 1);

    // A state this service never issued, a malformed one, and none at all.
    let unknown = integration_core::OAuthState::generate();
    for params in [
        callback(unknown.as_str(), Some("c")),
        callback("not-a-state", Some("c")),
        CallbackParams {
            code: Some("c".into()),
            ..CallbackParams::default()
        },
    ] {
        let refused = h
            .connector
            .finish_authorization(params, from_browser(&start.binding))
            .await;
        assert!(
            matches!(refused, Err(AuthorizationError::InvalidState(_))),
            "{refused:?}"
        );
    }
    assert_eq!(h.fake.exchanges(), 1);
}

#[tokio::test]
async fn a_flow_started_by_another_user_is_refused() {
    let h = Harness::new(Fake::new());
    let start = h
        .connector
        .begin_authorization(&ada(), REDIRECT)
        .await
        .unwrap();
    let grace = user("grace");
    let refused = h
        .connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            CallbackContext {
                binding: Some(&start.binding),
                user: Some(&grace),
            },
        )
        .await;
    assert!(
        matches!(refused, Err(AuthorizationError::InvalidState(_))),
        "{refused:?}"
    );
    assert_eq!(h.fake.exchanges(), 0);
    assert!(h.stored(&grace).await.is_none());
    assert!(h.stored(&ada()).await.is_none());
}

#[tokio::test]
async fn reconnecting_replaces_and_revokes_the_previous_grant() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-previous", Some(30), &[]))
        .await;
    let start = h
        .connector
        .begin_authorization(&ada(), REDIRECT)
        .await
        .unwrap();
    h.connector
        .finish_authorization(
            callback(start.state.as_str(), Some("the-code")),
            from_browser(&start.binding),
        )
        .await
        .unwrap();

    assert_eq!(
        h.stored_token(&ada()).await.as_deref(),
        Some("at-exchanged-1")
    );
    assert_eq!(*h.fake.revoked.lock().unwrap(), ["at-previous"]);
}

// 9. Disconnecting.

#[tokio::test]
async fn disconnect_revokes_and_deletes() {
    let h = Harness::new(Fake::new());
    h.seed(&ada(), &credentials("at-connected", Some(30), &[]))
        .await;

    assert!(h.connector.disconnect(&ada()).await.unwrap());

    assert_eq!(h.fake.revokes(), 1);
    assert_eq!(*h.fake.revoked.lock().unwrap(), ["at-connected"]);
    assert!(h.stored(&ada()).await.is_none());
    assert_eq!(h.connector.status(&ada()).await.unwrap(), None);
    assert!(!h.connector.needs_reconnect(&ada()).await.unwrap());
    let after = h.connector.items(&ada(), &ItemQuery::new()).await;
    assert!(matches!(after, Err(Error::NotConnected)), "{after:?}");

    // Nothing left to disconnect.
    assert!(!h.connector.disconnect(&ada()).await.unwrap());
    assert_eq!(h.fake.revokes(), 1);
}

#[tokio::test]
async fn disconnect_deletes_even_when_the_revocation_fails() {
    let h = Harness::new(Fake {
        revoke_fails: true,
        ..Fake::new()
    });
    h.seed(&ada(), &credentials("at-connected", Some(30), &[]))
        .await;

    assert!(h.connector.disconnect(&ada()).await.unwrap());
    assert_eq!(h.fake.revokes(), 1);
    assert!(h.stored(&ada()).await.is_none());
}

#[tokio::test]
async fn disconnect_when_never_connected_is_false() {
    let h = Harness::new(Fake::new());
    assert!(!h.connector.disconnect(&ada()).await.unwrap());
    assert_eq!(h.fake.provider_calls(), 0);
}
