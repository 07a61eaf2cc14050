//! The provider-agnostic half of every integration: one [`Connector`] wraps one
//! [`Integration`] and a [`CredentialStore`] and gives callers "list this user's items" without
//! them ever seeing a token expire.
//!
//! Why it is shaped like this:
//! - Refresh happens *before* expiry (configurable skew). HubSpot documents that a 401 is not a
//!   reliable expiry signal, so the expiry time is the primary trigger and a 401 only a fallback
//!   (refresh once, retry once).
//! - Refresh is single-flight. Concurrent requests for one user would otherwise each spend the
//!   refresh token; within a process an async mutex per user serialises them, across processes a
//!   store lock (`SET NX PX`, compare-and-delete) does, and every waiter re-reads the store before
//!   refreshing, so N requests cause one provider call.
//! - A grant the provider rejects for good is deleted, so the UI shows "reconnect" rather than
//!   failing the same way forever. So is a stored credential that no longer decrypts.
//! - A freshly minted token is never "expiring": a skew longer than the token's lifetime is
//!   clamped to half the lifetime (and logged once), or every request would refresh.
//! - Every call has one overall deadline. Retries, backoff and `Retry-After` waits stop at it;
//!   a wait that would cross it is not started, and the rate limit is reported at once with the
//!   provider's `retry_after`, so the caller's countdown can run instead of a spinner.
//! - Provider API calls are paced by an optional shared [`RateBudget`] per provider account
//!   (HubSpot counts its limit per portal, across all of its users and all of our replicas):
//!   each attempt asks the budget first and waits what it says, within the deadline; a wait that
//!   would cross it is answered as a rate limit at once. OAuth endpoints (code exchange, refresh)
//!   are not counted by HubSpot and are not paced.
//! - A client mistake (an object type the provider does not offer, a cursor or checkpoint this
//!   service never issued, a scope the user did not grant) is refused before any provider call.
//!   Cursors and checkpoints are sealed ([`Seal`]) for the user, object type and window they were
//!   issued for; the provider only ever sees its own cursors.

mod authorization;
mod calls;
mod discovery;
mod events;
mod journal;
mod pacing;
pub(crate) mod pushed;
mod queries;
mod refresh;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::budget::{Limit, RateBudget};
use crate::{CredentialStore, Credentials, Error, EventLog, Integration, RetryPolicy, Seal};

pub use discovery::DISCOVERY_TTL;
pub use events::{EventLine, IntakeError, Wait, WebhookReceipt};
pub use journal::JournalPass;
pub(crate) use pacing::Pacer;

/// Tuning for a [`Connector`].
#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    /// Refresh when the access token expires within this long (default 5 minutes).
    pub refresh_skew: Duration,
    /// Retries of provider calls.
    pub retry: RetryPolicy,
    /// How long a refresh lock is held at most if its holder dies (default 10 s). A refresh,
    /// retries included, is cut off at 80% of this so it never outlives its lock. Kept below
    /// the request deadline, so a request that finds a dead holder's lock outlasts it.
    pub lock_ttl: Duration,
    /// How long to wait for another process's refresh before giving up (default 15 s; the
    /// request deadline also bounds it).
    pub lock_wait: Duration,
    /// Pause between looks at the store while another process refreshes (default 50 ms).
    pub lock_poll: Duration,
    /// One overall deadline for a call (refresh, retries and waits included); default 20 s, below
    /// the UI's 30 s timeout so the caller always gets an answer it can show.
    pub request_deadline: Duration,
    /// How long a user has to finish the consent page (default 10 minutes).
    pub state_ttl: Duration,
    /// How many authorizations one user may have pending at once (default 10, at least 1);
    /// starting one more forgets the user's oldest.
    pub pending_per_user: usize,
    /// A rate budget shared per provider account, asked before every provider API call
    /// (default none: calls are not paced).
    pub budget: Option<SharedBudget>,
    /// How far a provider's search index trails its writes: an incremental sync's window ends
    /// this long before it starts (default 30 s), so nothing written meanwhile is missed.
    pub index_lag: Duration,
    /// How far each incremental window reaches back before its checkpoint (default 5 minutes).
    /// Search indexes promise no bound on their lag: a record indexed after its window ran
    /// arrives in a later, overlapping window instead of never. Upserts and deletes are
    /// idempotent, so the overlap only repeats what a consumer already has.
    pub lookback: Duration,
    /// Signs the cursors and checkpoints handed to callers (default: a random key, good for this
    /// process only; servers derive it from a deployment secret so replicas and restarts agree).
    pub seal: Seal,
    /// Where provider events (webhooks) are kept per account (default none: webhooks are not
    /// received and `events` is unsupported).
    pub events: Option<Arc<dyn EventLog>>,
    /// How often a waiting event feed looks at its log (default 250 ms).
    pub event_poll: Duration,
}

/// A [`RateBudget`] and the limit to apply to every account of the connector's provider.
#[derive(Debug, Clone)]
pub struct SharedBudget {
    /// Where the budget is kept (Redis, to share it across replicas).
    pub budget: Arc<dyn RateBudget>,
    /// The provider's limit per account.
    pub limit: Limit,
    /// A separate, stricter limit for search calls ([`Lane::Search`]); `None`: searches count
    /// against `limit` like any call.
    pub search: Option<Limit>,
}

impl SharedBudget {
    /// `limit` kept in `budget`.
    pub fn new(budget: Arc<dyn RateBudget>, limit: Limit) -> Self {
        Self {
            budget,
            limit,
            search: None,
        }
    }

    /// Search calls paced by `search` on their own key (HubSpot: 5 a second per portal).
    pub fn with_search(mut self, search: Limit) -> Self {
        self.search = Some(search);
        self
    }
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        Self {
            refresh_skew: Duration::from_secs(5 * 60),
            retry: RetryPolicy::default(),
            lock_ttl: Duration::from_secs(10),
            lock_wait: Duration::from_secs(15),
            lock_poll: Duration::from_millis(50),
            request_deadline: Duration::from_secs(20),
            state_ttl: Duration::from_secs(10 * 60),
            pending_per_user: 10,
            budget: None,
            index_lag: Duration::from_secs(30),
            lookback: Duration::from_secs(5 * 60),
            seal: Seal::random(),
            events: None,
            event_poll: Duration::from_millis(250),
        }
    }
}

/// What a caller may know about a connection; no tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionInfo {
    /// The provider's account id.
    pub account_id: Option<String>,
    /// A human name for the account (HubSpot: the portal's domain).
    pub account_name: Option<String>,
    /// Who granted access (HubSpot: the installing user's email).
    pub account_user: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When the current access token expires.
    pub expires_at: Option<chrono::DateTime<Utc>>,
    /// The provider's object types this account cannot be granted at all
    /// ([`Integration::grantable`]): not worth offering, not even as "Enable …".
    pub unavailable_object_types: Vec<&'static str>,
}

/// One provider plus the store of its users' credentials.
#[derive(Debug)]
pub struct Connector {
    integration: Arc<dyn Integration>,
    store: Arc<dyn CredentialStore>,
    options: ConnectorOptions,
    /// Per-user async locks; entries die with their last holder.
    local_locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// Whether the "skew longer than the token lifetime" warning was logged.
    skew_clamp_logged: AtomicBool,
    /// Wakes this process's waiting event feeds when it stores events, so a long poll answers
    /// at once rather than at its next look at the log (which other replicas' appends need).
    events_appended: Arc<tokio::sync::Notify>,
}

impl Connector {
    /// Wraps `integration` with the default options.
    pub fn new(integration: Arc<dyn Integration>, store: Arc<dyn CredentialStore>) -> Self {
        Self::with_options(integration, store, ConnectorOptions::default())
    }

    /// Wraps `integration` with explicit options.
    pub fn with_options(
        integration: Arc<dyn Integration>,
        store: Arc<dyn CredentialStore>,
        options: ConnectorOptions,
    ) -> Self {
        Self {
            integration,
            store,
            options,
            local_locks: Mutex::new(HashMap::new()),
            skew_clamp_logged: AtomicBool::new(false),
            events_appended: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The wrapped provider.
    pub fn integration(&self) -> &Arc<dyn Integration> {
        &self.integration
    }

    /// The tuning in force.
    pub fn options(&self) -> &ConnectorOptions {
        &self.options
    }

    /// Runs `call` within the request deadline.
    async fn within_deadline<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let limit = self.options.request_deadline;
        tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
            tracing::warn!(?limit, "request deadline passed");
            Err(Error::DeadlineExceeded(limit))
        })
    }
}

/// Counts one provider call by provider, operation and outcome (`provider_calls_total`), and
/// rate limits separately (`provider_rate_limited_total`).
pub(super) fn record<T>(
    provider: &'static str,
    operation: &'static str,
    result: &Result<T, Error>,
) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(error) => error.kind(),
    };
    metrics::counter!(
        "provider_calls_total",
        "provider" => provider,
        "operation" => operation,
        "outcome" => outcome
    )
    .increment(1);
    if matches!(result, Err(Error::RateLimited { .. })) {
        metrics::counter!("provider_rate_limited_total", "provider" => provider).increment(1);
    }
}

pub(super) fn info(integration: &dyn Integration, credentials: &Credentials) -> ConnectionInfo {
    ConnectionInfo {
        account_id: credentials.account_id.clone(),
        account_name: credentials.account_name.clone(),
        account_user: credentials.account_user.clone(),
        scopes: credentials.scopes.clone(),
        expires_at: credentials.expires_at,
        unavailable_object_types: integration
            .object_types()
            .iter()
            .filter(|kind| !integration.grantable(kind, credentials))
            .map(|kind| kind.id)
            .collect(),
    }
}
