//! The `Connector` paces provider calls through a shared rate budget (here the memory store's,
//! on a paused tokio clock): a provider that answers 429 above its limit never sees one, and
//! users of one account share one budget.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use integration_core::{
    AuthorizationCode, AuthorizationRequest, Connector, ConnectorOptions, CredentialStore as _,
    Credentials, Error, Integration, ItemQuery, Limit, Page, PkceVerifier, Priority, ProviderInfo,
    RateHint, SharedBudget, UserId, report_rate_hint,
};
use token_store::MemoryTokenStore;
use tokio::time::Instant;

const INFO: ProviderInfo = ProviderInfo {
    id: "fake",
    name: "Fake",
    description: "A provider that answers 429 above its rate limit",
    object_types: &[],
    columns: &[],
    permissions: &[],
    logo_svg: "",
    pkce: false,
};

/// Answers 429 to any call that would make more than `rate` calls in the last `per`.
#[derive(Debug)]
struct LimitedProvider {
    rate: usize,
    per: Duration,
    calls: Mutex<Vec<Instant>>,
    refused: Mutex<usize>,
    /// Reported with every answer, as HubSpot's `X-HubSpot-RateLimit-*` headers are.
    hint: Option<RateHint>,
}

impl LimitedProvider {
    fn new(rate: usize, per: Duration) -> Self {
        Self {
            rate,
            per,
            calls: Mutex::new(Vec::new()),
            refused: Mutex::new(0),
            hint: None,
        }
    }
}

#[async_trait]
impl Integration for LimitedProvider {
    fn info(&self) -> &ProviderInfo {
        &INFO
    }

    fn authorization_url(&self, _: &AuthorizationRequest<'_>) -> Result<url::Url, Error> {
        Err(Error::Config("not used".into()))
    }

    async fn exchange_code(
        &self,
        _: &AuthorizationCode,
        _: &str,
        _: Option<&PkceVerifier>,
    ) -> Result<Credentials, Error> {
        Err(Error::Config("not used".into()))
    }

    async fn list_items(&self, _: &Credentials, _: &ItemQuery) -> Result<Page, Error> {
        let now = Instant::now();
        let mut calls = self.calls.lock().expect("calls");
        let recent = calls.iter().filter(|t| now - **t < self.per).count();
        if recent >= self.rate {
            *self.refused.lock().expect("refused") += 1;
            return Err(Error::RateLimited {
                retry_after: Some(Duration::from_secs(1)),
            });
        }
        calls.push(now);
        if let Some(hint) = self.hint {
            report_rate_hint(hint);
        }
        Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        })
    }
}

fn credentials(account: &str) -> Credentials {
    Credentials {
        access_token: "at".to_owned().into(),
        refresh_token: None,
        expires_at: None,
        scopes: Vec::new(),
        account_id: Some(account.to_owned()),
        account_name: None,
        account_user: None,
        obtained_at: Utc::now(),
        api_base: None,
    }
}

async fn connector(provider: &Arc<LimitedProvider>, limit: Limit) -> (Connector, Vec<UserId>) {
    let store = Arc::new(MemoryTokenStore::new());
    let users: Vec<UserId> = ["ada", "grace", "edsger"]
        .iter()
        .map(|u| UserId::parse(*u).expect("user"))
        .collect();
    for user in &users {
        // Three users of one account.
        store
            .save("fake", user, &credentials("62515"))
            .await
            .expect("save");
    }
    let connector = Connector::with_options(
        Arc::clone(provider) as Arc<dyn Integration>,
        Arc::clone(&store) as _,
        ConnectorOptions {
            budget: Some(SharedBudget::new(store, limit)),
            ..ConnectorOptions::default()
        },
    );
    (connector, users)
}

#[tokio::test(start_paused = true)]
async fn thirty_calls_at_ten_per_second_are_paced_without_a_single_429() {
    let provider = Arc::new(LimitedProvider::new(10, Duration::from_secs(1)));
    let limit = Limit::new(10, Duration::from_secs(1));
    let (connector, users) = connector(&provider, limit).await;
    let connector = Arc::new(connector);
    let tasks: Vec<_> = (0..30)
        .map(|n| {
            let connector = Arc::clone(&connector);
            let user = users[n % users.len()].clone();
            tokio::spawn(async move { connector.items(&user, &ItemQuery::new()).await })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("every caller gets its page");
    }
    assert_eq!(*provider.refused.lock().expect("refused"), 0, "no 429s");
    let calls = provider.calls.lock().expect("calls").clone();
    assert_eq!(calls.len(), 30);
    // A window's worth at once, then the next when the first has left the window: three windows
    // (on the paused clock, so this is the schedule, not a wall-clock measurement). The provider
    // counts a sliding window too, and refused none.
    let at_once = calls.iter().filter(|t| **t == calls[0]).count();
    assert_eq!(at_once, 10, "the first window is used whole");
    let span = *calls.last().expect("calls") - calls[0];
    assert!(span >= limit.window() * 2, "{span:?}");
    assert!(span < limit.window() * 3, "{span:?}");
}

#[tokio::test(start_paused = true)]
async fn a_budget_wait_past_the_deadline_is_a_rate_limit_at_once() {
    let provider = Arc::new(LimitedProvider::new(100, Duration::from_secs(60)));
    // Two calls a minute: the third waits ~60 s, past the 20 s deadline.
    let limit = Limit::new(2, Duration::from_secs(60));
    let (connector, users) = connector(&provider, limit).await;
    for _ in 0..2 {
        connector
            .items(&users[0], &ItemQuery::new())
            .await
            .expect("within the window");
    }
    let started = Instant::now();
    let refused = connector.items(&users[1], &ItemQuery::new()).await;
    assert!(
        matches!(refused, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(20)),
        "{refused:?}"
    );
    assert_eq!(started.elapsed(), Duration::ZERO, "answered at once");
    assert_eq!(provider.calls.lock().expect("calls").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_provider_saying_its_budget_is_spent_holds_ours_for_its_window() {
    // Our budget would allow plenty; the provider says the account has nothing left in its
    // 600 s window (other apps of the same account spent it): we hold for a tenth of it.
    let provider = Arc::new(LimitedProvider {
        hint: Some(RateHint {
            remaining: 0,
            window: Duration::from_secs(600),
        }),
        ..LimitedProvider::new(100, Duration::from_secs(60))
    });
    let (connector, users) = connector(&provider, Limit::new(100, Duration::from_secs(10))).await;
    connector
        .items(&users[0], &ItemQuery::new())
        .await
        .expect("the call that learns it");
    // Another user of the account: no call the provider would refuse, an answer at once.
    let refused = connector.items(&users[1], &ItemQuery::new()).await;
    assert!(
        matches!(refused, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(55) && w <= Duration::from_secs(61)),
        "{refused:?}"
    );
    assert_eq!(provider.calls.lock().expect("calls").len(), 1);
    // After the window, calls flow again.
    tokio::time::advance(Duration::from_secs(61)).await;
    connector
        .items(&users[2], &ItemQuery::new())
        .await
        .expect("after the hold");
}

#[tokio::test(start_paused = true)]
async fn background_calls_leave_the_reserve_to_interactive_ones() {
    let provider = Arc::new(LimitedProvider::new(100, Duration::from_secs(60)));
    // Ten a minute, two of them kept for interactive calls.
    let limit = Limit::new(10, Duration::from_secs(60)).with_reserve(2);
    let (connector, users) = connector(&provider, limit).await;
    for _ in 0..limit.allowed(Priority::Background) {
        connector
            .items_as(&users[0], &ItemQuery::new(), Priority::Background)
            .await
            .expect("background's share of the window");
    }
    // Background would now wait; an interactive call of another user of the account does not.
    let started = Instant::now();
    connector
        .items(&users[1], &ItemQuery::new())
        .await
        .expect("interactive");
    assert_eq!(started.elapsed(), Duration::ZERO);
    // Background's share is spent until its oldest call leaves the window (a minute, past the
    // deadline): told so at once, without a call.
    let refused = connector
        .items_as(&users[0], &ItemQuery::new(), Priority::Background)
        .await;
    assert!(
        matches!(refused, Err(Error::RateLimited { retry_after: Some(w) }) if w > Duration::from_secs(55)),
        "{refused:?}"
    );
    assert_eq!(
        provider.calls.lock().expect("calls").len(),
        limit.allowed(Priority::Background) as usize + 1
    );
}
