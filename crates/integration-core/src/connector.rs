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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::Utc;
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::budget::{Admission, Lane, Limit, Priority, RateBudget, RateHint, budget_key};
use crate::changes::{ChangesPage, ChangesQuery, Checkpoint};
use crate::{
    AuthorizationCode, AuthorizationError, AuthorizationRequest, AuthorizationStart,
    BrowserBinding, CallbackContext, CallbackParams, CredentialStore, Credentials, Cursor, Error,
    Integration, ItemQuery, OAuthState, Page, PendingAuthorization, PkceVerifier, RetryPolicy,
    Seal, StoreError, UserId, credentials_key,
};

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

    /// Starts the authorization-code flow for `user`: remembers a fresh one-time state (bound to a
    /// new [`BrowserBinding`], with a PKCE verifier when the provider supports it) and returns the
    /// consent URL. Hand `binding` to the browser that will visit the URL, and to no one else.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn begin_authorization(
        &self,
        user: &UserId,
        redirect_uri: &str,
    ) -> Result<AuthorizationStart, Error> {
        let state = OAuthState::generate();
        let binding = BrowserBinding::generate();
        let verifier = self
            .integration
            .supports_pkce()
            .then(PkceVerifier::generate);
        let challenge = verifier.as_ref().map(PkceVerifier::challenge);
        let url = self.integration.authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri,
            pkce_challenge: challenge.as_ref(),
        })?;
        let pending = PendingAuthorization {
            user_id: user.clone(),
            provider: self.integration.id().to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            binding_hash: binding.hash(),
            pkce_verifier: verifier,
            created_at: Utc::now(),
        };
        self.store
            .put_state(
                &state,
                &pending,
                self.options.state_ttl,
                self.options.pending_per_user,
            )
            .await?;
        Ok(AuthorizationStart {
            url,
            state,
            binding,
            expires_in: self.options.state_ttl,
        })
    }

    /// Finishes the flow when the provider sends the browser back: checks the state was issued
    /// by this provider to the browser presenting `context.binding` (and to `context.user`, when
    /// known), and only then consumes it (a state works once, whatever happens next; a callback
    /// refused by those checks leaves it to its own browser, unless it carried a code from the
    /// wrong browser, which ends the flow), exchanges the code and stores the credentials for
    /// the user who started the flow. A previous grant of that user is replaced
    /// and revoked at the provider (best effort).
    #[tracing::instrument(skip_all, fields(provider = self.integration.id()))]
    pub async fn finish_authorization(
        &self,
        params: CallbackParams,
        context: CallbackContext<'_>,
    ) -> Result<(UserId, ConnectionInfo), AuthorizationError> {
        const GONE: &str = "the state is unknown, expired or already used";
        let state = params
            .state
            .as_deref()
            .ok_or(AuthorizationError::InvalidState(
                "the callback carries no state",
            ))
            .and_then(|raw| {
                OAuthState::parse(raw)
                    .map_err(|_| AuthorizationError::InvalidState("the state is malformed"))
            })?;
        // Checked before consuming: whoever merely holds a state (it travels in URLs) cannot
        // burn the flow of the browser that started it.
        let pending = self
            .store
            .peek_state(&state)
            .await?
            .ok_or(AuthorizationError::InvalidState(GONE))?;
        if pending.provider != self.integration.id() {
            return Err(AuthorizationError::InvalidState(
                "the state was issued for another integration",
            ));
        }
        if !context.binding.is_some_and(|b| pending.bound_to(b)) {
            // A provider's answer (a code) in the wrong browser means the consent page was
            // opened by someone other than who started the flow — the classic way to link a
            // victim's account to an attacker's flow. That flow is ended, so its code can never
            // be redeemed, not even by replaying this URL in the starting browser. A callback
            // without a code (a bare or forged link) ends nothing.
            if params.code.is_some() {
                self.store.take_state(&state).await?;
            }
            tracing::warn!("callback from a browser that did not start the flow; refused");
            return Err(AuthorizationError::InvalidState(
                "this sign-in was started in another browser (or its cookie expired); start again from the app",
            ));
        }
        if context.user.is_some_and(|user| *user != pending.user_id) {
            return Err(AuthorizationError::InvalidState(
                "the state was issued to another user",
            ));
        }
        // Now consume it, atomically: of two callbacks racing past the checks, one wins. A
        // state is never rewritten, so what is taken is what was checked; compared again anyway.
        let pending = self
            .store
            .take_state(&state)
            .await?
            .filter(|taken| {
                taken.provider == pending.provider
                    && taken.user_id == pending.user_id
                    && context.binding.is_some_and(|b| taken.bound_to(b))
            })
            .ok_or(AuthorizationError::InvalidState(GONE))?;
        if let Some(error) = params.error {
            let description = params
                .error_description
                .filter(|d| !d.trim().is_empty())
                .map(|d| d.chars().take(300).collect())
                .unwrap_or_else(|| format!("The provider reported '{error}'."));
            return Err(if error == "access_denied" {
                AuthorizationError::Denied { description }
            } else {
                AuthorizationError::ProviderError {
                    error: error.chars().take(64).collect(),
                    description,
                }
            });
        }
        let code = params
            .code
            .as_deref()
            .ok_or_else(|| {
                AuthorizationError::InvalidRequest("the callback carries no code".into())
            })
            .and_then(|raw| {
                AuthorizationCode::parse(raw)
                    .map_err(|e| AuthorizationError::InvalidRequest(e.to_string()))
            })?;
        let user = pending.user_id.clone();
        let info = self
            .connect(
                &user,
                &code,
                &pending.redirect_uri,
                pending.pkce_verifier.as_ref(),
            )
            .await
            .map_err(AuthorizationError::Exchange)?;
        Ok((user, info))
    }

    /// Exchanges `code` and stores the credentials for `user`, replacing (and revoking, best
    /// effort) any previous grant. Prefer [`finish_authorization`](Self::finish_authorization),
    /// which also checks the state; call this only when you have checked it yourself.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn connect(
        &self,
        user: &UserId,
        code: &AuthorizationCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<ConnectionInfo, Error> {
        // Not retried: a code is single-use, and a retry after a lost response would fail anyway.
        let exchanged = self
            .within_deadline(
                self.integration
                    .exchange_code(code, redirect_uri, pkce_verifier),
            )
            .await;
        record(self.integration.id(), "exchange_code", &exchanged);
        let credentials = exchanged?;
        let previous = match self.store.load(self.integration.id(), user).await {
            Ok(previous) => previous,
            // Unreadable: it is being replaced anyway.
            Err(StoreError::Corrupt(_)) => None,
            Err(error) => return Err(error.into()),
        };
        self.store
            .save(self.integration.id(), user, &credentials)
            .await?;
        tracing::info!(account = ?credentials.account_id, "connected");
        if let Some(previous) = previous
            && previous.access_token.expose_secret() != credentials.access_token.expose_secret()
            && previous.refresh_token.as_ref().map(|t| t.expose_secret())
                != credentials
                    .refresh_token
                    .as_ref()
                    .map(|t| t.expose_secret())
        {
            // The replaced grant would otherwise stay valid at the provider, unused.
            if let Err(error) = self.integration.revoke(&previous).await {
                tracing::warn!(%error, "revoking the replaced grant failed");
            }
        }
        Ok(info(&credentials))
    }

    /// The user's connection, if any. A stored credential that no longer decrypts is forgotten
    /// and reported as needing reconnection (see [`needs_reconnect`](Self::needs_reconnect)).
    pub async fn status(&self, user: &UserId) -> Result<Option<ConnectionInfo>, Error> {
        match self.load(user).await {
            Ok(stored) => Ok(stored.as_ref().map(info)),
            Err(Error::ReauthRequired { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The stored credentials; an unreadable value (wrong key, tampering, old format) is logged
    /// once, forgotten and turned into [`Error::ReauthRequired`], so the user can reconnect
    /// instead of failing on every request.
    async fn load(&self, user: &UserId) -> Result<Option<Credentials>, Error> {
        let provider = self.integration.id();
        match self.store.load(provider, user).await {
            Ok(stored) => Ok(stored),
            Err(StoreError::Corrupt(why)) => {
                tracing::error!(%why, "stored credentials are unreadable; the user must reconnect");
                self.store.mark_reauth_required(provider, user).await?;
                Err(Error::ReauthRequired {
                    reason: "the stored connection could not be read; reconnect".into(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the user's grant was rejected by the provider and they have not reconnected since
    /// (the UI says "needs reconnect" rather than "not connected").
    pub async fn needs_reconnect(&self, user: &UserId) -> Result<bool, Error> {
        Ok(self
            .store
            .reauth_required(self.integration.id(), user)
            .await?)
    }

    /// Revokes the grant at the provider (best effort) and forgets it. `false` if there was none.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn disconnect(&self, user: &UserId) -> Result<bool, Error> {
        let credentials = match self.store.load(self.integration.id(), user).await {
            Ok(Some(credentials)) => credentials,
            Ok(None) => return Ok(false),
            // Nothing to revoke with, but the user still wants it gone.
            Err(StoreError::Corrupt(_)) => {
                return Ok(self.store.delete(self.integration.id(), user).await?);
            }
            Err(error) => return Err(error.into()),
        };
        if let Err(error) = self
            .within_deadline(self.integration.revoke(&credentials))
            .await
        {
            // The user asked to disconnect; an unreachable provider must not keep our copy alive.
            tracing::warn!(%error, "revoking at the provider failed; deleting our copy anyway");
        }
        Ok(self.store.delete(self.integration.id(), user).await?)
    }

    /// Refuses a query the provider cannot answer (an object type it does not offer, a cursor this
    /// service never issued to `user` for that object type) without any I/O.
    /// [`items`](Self::items) calls it first; servers may call it before anything else.
    pub fn check_query(&self, user: &UserId, query: &ItemQuery) -> Result<(), Error> {
        self.open_query(user, query).map(drop)
    }

    /// `query` with the caller's cursor opened to the provider's own, after
    /// [`check_query`](Self::check_query)'s checks.
    fn open_query(&self, user: &UserId, query: &ItemQuery) -> Result<ItemQuery, Error> {
        self.check_object_type(query.object_type.as_deref())?;
        let mut opened = query.clone();
        if let Some(cursor) = &query.cursor {
            let context = self.seal_context(user, "items", query.object_type.as_deref(), &[]);
            let inner = self.open_cursor(&context, cursor)?;
            if !self.integration.accepts_cursor(&inner) {
                // Sealed by us yet refused by the provider's own check: ours to fix, not the
                // caller's, but still never sent.
                return Err(Error::InvalidInput(
                    "cursor is malformed: pass back a next_cursor this service returned".into(),
                ));
            }
            opened.cursor = Some(inner);
        }
        Ok(opened)
    }

    fn check_object_type(&self, object_type: Option<&str>) -> Result<(), Error> {
        let offered = self.integration.object_types();
        if let Some(kind) = object_type
            && !offered.iter().any(|t| t.id == kind)
        {
            let names: Vec<&str> = offered.iter().map(|t| t.id).collect();
            return Err(Error::InvalidInput(if names.is_empty() {
                format!(
                    "{} lists one kind of item; omit object_type",
                    self.integration.display_name()
                )
            } else {
                format!("object_type must be one of: {}", names.join(", "))
            }));
        }
        Ok(())
    }

    /// What a sealed token is bound to: its purpose, the provider, the user, the object type
    /// (the provider's default spelled out, so omitting it and naming it agree) and `extra`.
    fn seal_context(
        &self,
        user: &UserId,
        purpose: &'static str,
        object_type: Option<&str>,
        extra: &[String],
    ) -> Vec<String> {
        let offered = self.integration.object_types();
        let kind = object_type
            .or_else(|| offered.first().map(|t| t.id))
            .unwrap_or_default();
        let head = [purpose, self.integration.id(), user.as_str(), kind];
        head.iter()
            .map(|s| (*s).to_owned())
            .chain(extra.iter().cloned())
            .collect()
    }

    /// The provider's cursor inside one this service sealed for `context`.
    fn open_cursor(&self, context: &[String], cursor: &Cursor) -> Result<Cursor, Error> {
        let context: Vec<&str> = context.iter().map(String::as_str).collect();
        let inner = self
            .options
            .seal
            .open(&context, cursor.as_str(), "cursor")?;
        Cursor::parse(inner)
            .map_err(|_| Error::InvalidInput("the cursor is not one this service issued".into()))
    }

    /// The provider's cursor sealed for `context`, as callers get it.
    fn seal_cursor(&self, context: &[String], inner: &Cursor) -> Result<Cursor, Error> {
        let context: Vec<&str> = context.iter().map(String::as_str).collect();
        Cursor::parse(self.options.seal.sign(&context, inner.as_str())).map_err(|_| {
            Error::InvalidResponse(format!(
                "the provider's paging cursor is longer than {} bytes",
                Cursor::MAX_LEN - Seal::OVERHEAD
            ))
        })
    }

    /// The text a caller keeps to start its next incremental sync at `checkpoint`, sealed for
    /// `user` and this provider.
    pub fn checkpoint_token(&self, user: &UserId, checkpoint: &Checkpoint) -> String {
        let context = ["checkpoint", self.integration.id(), user.as_str()];
        self.options.seal.sign(&context, &checkpoint.encode())
    }

    /// A checkpoint from [`checkpoint_token`](Self::checkpoint_token)'s text for `user`; anything
    /// else is [`Error::InvalidInput`].
    pub fn read_checkpoint(&self, user: &UserId, token: &str) -> Result<Checkpoint, Error> {
        let context = ["checkpoint", self.integration.id(), user.as_str()];
        let text = self
            .options
            .seal
            .open(&context, token.trim(), "checkpoint")?;
        let checkpoint = Checkpoint::decode(text)?;
        self.check_object_type(checkpoint.object_type.as_deref())?;
        Ok(checkpoint)
    }

    /// Refuses a query for an object type whose scope the grant lacks. Grants that record no
    /// scopes are not second-guessed.
    fn check_scope(&self, credentials: &Credentials, query: &ItemQuery) -> Result<(), Error> {
        let offered = self.integration.object_types();
        let kind = match &query.object_type {
            Some(id) => offered.iter().find(|t| t.id == id),
            None => offered.first(),
        };
        let Some(kind) = kind else { return Ok(()) };
        if credentials.scopes.is_empty()
            || kind.scopes.is_empty()
            || kind
                .scopes
                .iter()
                .any(|s| credentials.scopes.iter().any(|g| g == s))
        {
            return Ok(());
        }
        Err(Error::InsufficientScope {
            scope: kind.scopes[0].to_owned(),
        })
    }

    /// One page of the user's items, refreshing the access token as needed, within the
    /// connector's request deadline. Paced as an [`Priority::Interactive`] call.
    pub async fn items(&self, user: &UserId, query: &ItemQuery) -> Result<Page, Error> {
        self.items_as(user, query, Priority::Interactive).await
    }

    /// Like [`items`](Self::items), with the rate budget's `priority`: background work (exports,
    /// syncs) passes [`Priority::Background`] so interactive requests of the same account go
    /// first.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn items_as(
        &self,
        user: &UserId,
        query: &ItemQuery,
        priority: Priority,
    ) -> Result<Page, Error> {
        self.items_reusing(user, query, priority, &mut None).await
    }

    /// [`items_as`](Self::items_as) reusing the credentials of the caller's previous call while
    /// they are fresh (an export's pages: one store read, not one a page).
    pub(crate) async fn items_reusing(
        &self,
        user: &UserId,
        query: &ItemQuery,
        priority: Priority,
        known: &mut Option<Credentials>,
    ) -> Result<Page, Error> {
        let opened = self.open_query(user, query)?;
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let mut page = (self
            .within_deadline(self.items_until(user, &opened, priority, deadline, known)))
        .await?;
        if let Some(next) = &page.next_cursor {
            let context = self.seal_context(user, "items", query.object_type.as_deref(), &[]);
            page.next_cursor = Some(self.seal_cursor(&context, next)?);
        }
        Ok(page)
    }

    /// When the provider says its budget for the account is spent, holds ours for a tenth of its
    /// window so that no replica sends calls it would refuse. A tenth, not all of it: the
    /// provider's window rolls, so a slot usually frees long before the window ends, and a call
    /// after the hold that still finds it spent holds again (at most ten probes a window). A
    /// failing hold is logged, not fatal.
    async fn heed(&self, user: &UserId, credentials: &Credentials, lane: Lane, hint: RateHint) {
        let Some(shared) = &self.options.budget else {
            return;
        };
        if hint.remaining > 0 {
            return;
        }
        let provider = self.integration.id();
        let (key, limit) = lane_key(shared, provider, credentials, user, lane);
        let hold = hint.window / 10;
        tracing::info!(?hold, "the provider's budget is spent; holding ours");
        metrics::counter!("rate_budget_holds_total", "provider" => provider).increment(1);
        if let Err(error) = shared.budget.hold(&key, limit, hold).await {
            tracing::warn!(%error, "could not hold the rate budget");
        }
    }

    /// Waits until the account's rate budget admits one call of `priority`. A wait that would
    /// end at or after `deadline` is not started: the caller gets [`Error::RateLimited`] with
    /// the wait at once.
    async fn pace(
        &self,
        user: &UserId,
        credentials: &Credentials,
        (priority, lane): (Priority, Lane),
        deadline: tokio::time::Instant,
    ) -> Result<(), Error> {
        let Some(shared) = &self.options.budget else {
            return Ok(());
        };
        let provider = self.integration.id();
        let (key, limit) = lane_key(shared, provider, credentials, user, lane);
        let started = tokio::time::Instant::now();
        let mut slept = false;
        loop {
            match shared.budget.acquire(&key, limit, priority).await? {
                Admission::Admitted => break,
                Admission::Wait(wait) => {
                    if tokio::time::Instant::now() + wait >= deadline {
                        tracing::info!(?wait, "rate budget wait would cross the request deadline");
                        metrics::counter!("rate_budget_refusals_total", "provider" => provider)
                            .increment(1);
                        return Err(Error::RateLimited {
                            retry_after: Some(wait),
                        });
                    }
                    tracing::debug!(?wait, "waiting for the account's rate budget");
                    tokio::time::sleep(wait).await;
                    slept = true;
                }
            }
        }
        if slept {
            let waited = started.elapsed();
            metrics::counter!("rate_budget_waits_total", "provider" => provider).increment(1);
            metrics::histogram!("rate_budget_wait_seconds", "provider" => provider)
                .record(waited.as_secs_f64());
        }
        Ok(())
    }

    async fn items_until(
        &self,
        user: &UserId,
        query: &ItemQuery,
        priority: Priority,
        deadline: tokio::time::Instant,
        known: &mut Option<Credentials>,
    ) -> Result<Page, Error> {
        let call = ((priority, Lane::Standard), deadline, "list_items");
        self.call_until(user, query, call, known, |c| async move {
            self.integration.list_items(&c, query).await
        })
        .await
    }

    /// One provider call for `user` with everything around it: fresh credentials, the scope
    /// `query` needs, pacing in `lane`, retries until `deadline`, and one refresh on a 401.
    async fn call_until<'a, T, F, Fut>(
        &'a self,
        user: &'a UserId,
        query: &ItemQuery,
        (lane, deadline, operation): ((Priority, Lane), tokio::time::Instant, &'static str),
        known: &mut Option<Credentials>,
        f: F,
    ) -> Result<T, Error>
    where
        F: Fn(Credentials) -> Fut + Copy,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        // A caller making many calls in a row (an export) passes the credentials of its last
        // call: reused while they are not about to expire, instead of a store read per page.
        let credentials = match known.take() {
            Some(credentials) if !self.expiring(&credentials) => credentials,
            _ => self.fresh_credentials(user).await?,
        };
        self.check_scope(&credentials, query)?;
        let call = |credentials: Credentials| async move {
            let credentials = &credentials;
            self.options
                .retry
                .run_until(operation, Some(deadline), || async {
                    self.pace(user, credentials, lane, deadline).await?;
                    let (result, hint) = crate::budget::with_hint(f(credentials.clone())).await;
                    if let Some(hint) = hint {
                        self.heed(user, credentials, lane.1, hint).await;
                    }
                    record(self.integration.id(), operation, &result);
                    result
                })
                .await
        };
        match call(credentials.clone()).await {
            Err(Error::Unauthorized) => {
                tracing::info!("provider rejected the access token; refreshing once");
                let refreshed = self.refresh_single_flight(user, &credentials).await?;
                let result = call(refreshed.clone()).await;
                if result.is_ok() {
                    *known = Some(refreshed);
                }
                result.map_err(|e| match e {
                    Error::Unauthorized => Error::ReauthRequired {
                        reason: "the provider rejects even a freshly refreshed token".into(),
                    },
                    other => other,
                })
            }
            Ok(value) => {
                *known = Some(credentials);
                Ok(value)
            }
            Err(other) => Err(other),
        }
    }

    /// How many records `query`'s object type has, when the provider can say (`None` when it
    /// cannot, without any call). Paced in the search lane at interactive priority.
    pub async fn count(&self, user: &UserId, query: &ItemQuery) -> Result<Option<u64>, Error> {
        self.check_object_type(query.object_type.as_deref())?;
        if !self.integration.counts() {
            return Ok(None);
        }
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let lane = (Priority::Interactive, Lane::Search);
        let object_type = query.object_type.as_deref();
        let call = (lane, deadline, "count");
        self.within_deadline(
            self.call_until(user, query, call, &mut None, |c| async move {
                self.integration.count(&c, object_type).await
            }),
        )
        .await
    }

    /// One page of changes in `query`'s window (see [`Connector::changes`]), at background
    /// priority in the lane the provider names, within the request deadline.
    #[tracing::instrument(skip_all, fields(provider = self.integration.id(), user = %user))]
    pub async fn changes_page(
        &self,
        user: &UserId,
        query: &ChangesQuery,
    ) -> Result<ChangesPage, Error> {
        self.changes_page_reusing(user, query, &mut None).await
    }

    /// [`changes_page`](Self::changes_page) reusing the credentials of the previous page.
    pub(crate) async fn changes_page_reusing(
        &self,
        user: &UserId,
        query: &ChangesQuery,
        known: &mut Option<Credentials>,
    ) -> Result<ChangesPage, Error> {
        let items = crate::changes::as_items_query(query);
        self.check_object_type(items.object_type.as_deref())?;
        // A page's cursor is bound to its window: a resume token's window cannot be changed.
        let window = [query.since.to_rfc3339(), query.until.to_rfc3339()];
        let context = self.seal_context(user, "changes", query.object_type.as_deref(), &window);
        let mut opened = query.clone();
        if let Some(cursor) = &query.cursor {
            opened.cursor = Some(self.open_cursor(&context, cursor)?);
        }
        let deadline = tokio::time::Instant::now() + self.options.request_deadline;
        let lane = (Priority::Background, self.integration.changes_lane(&opened));
        let call = (lane, deadline, "changes");
        let opened = &opened;
        let mut page = self
            .within_deadline(self.call_until(user, &items, call, known, |c| async move {
                self.integration.changes(&c, opened).await
            }))
            .await?;
        if let Some(next) = &page.next_cursor {
            page.next_cursor = Some(self.seal_cursor(&context, next)?);
        }
        Ok(page)
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

    /// The user's credentials, refreshed first if they expire within the skew.
    pub async fn fresh_credentials(&self, user: &UserId) -> Result<Credentials, Error> {
        let Some(credentials) = self.load(user).await? else {
            // A grant dropped because the provider rejected it (or it became unreadable) says
            // "reconnect" on every later call too, not "never connected".
            return Err(if self.needs_reconnect(user).await? {
                Error::ReauthRequired {
                    reason: "the previous connection was rejected or unreadable; reconnect".into(),
                }
            } else {
                Error::NotConnected
            });
        };
        if self.expiring(&credentials) {
            return self.refresh_single_flight(user, &credentials).await;
        }
        Ok(credentials)
    }

    /// Whether `credentials` should be refreshed now. The skew is clamped to half the token's
    /// lifetime: with a skew at least as long as the lifetime, a token would be "expiring" the
    /// moment it is minted and every request would refresh.
    fn expiring(&self, credentials: &Credentials) -> bool {
        let skew = chrono::Duration::from_std(self.options.refresh_skew)
            .unwrap_or(chrono::Duration::zero());
        let skew = match credentials.lifetime() {
            Some(lifetime) if lifetime > chrono::Duration::zero() && skew >= lifetime => {
                if !self.skew_clamp_logged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        skew_secs = skew.num_seconds(),
                        lifetime_secs = lifetime.num_seconds(),
                        "TOKEN_REFRESH_SKEW_SECS is not shorter than the provider's token lifetime; using half the lifetime"
                    );
                }
                lifetime / 2
            }
            _ => skew,
        };
        credentials.expires_within(skew, Utc::now())
    }

    /// Replaces `stale` with fresh credentials, making at most one refresh call across every
    /// task and process that shares the store.
    async fn refresh_single_flight(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Credentials, Error> {
        if stale.refresh_token.is_none() {
            // Nothing to refresh with: no provider call, no lock.
            return Err(Error::ReauthRequired {
                reason: "the access token expired and the provider issued no refresh token".into(),
            });
        }
        let provider = self.integration.id();
        let key = credentials_key(provider, user);
        let local = self.local_lock(&key);
        let _local_guard = local.lock().await;

        // Whoever held the lock before us may have refreshed already.
        if let Some(current) = self.replaced(user, stale).await? {
            return Ok(current);
        }

        let lock_name = format!("refresh:{key}");
        let deadline = tokio::time::Instant::now() + self.options.lock_wait;
        let token = loop {
            if let Some(token) = self
                .store
                .try_lock(&lock_name, self.options.lock_ttl)
                .await?
            {
                break token;
            }
            // Another process is refreshing: wait for its result rather than refresh again.
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Unavailable(
                    "timed out waiting for another process to refresh the token".into(),
                ));
            }
            tokio::time::sleep(self.options.lock_poll).await;
            if let Some(current) = self.replaced(user, stale).await? {
                return Ok(current);
            }
        };

        let result = self.refresh_holding_lock(user, stale).await;
        if let Err(error) = self.store.unlock(&lock_name, &token).await {
            // The lock expires on its own after `lock_ttl`.
            tracing::warn!(%error, "could not release the refresh lock");
        }
        result
    }

    async fn refresh_holding_lock(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Credentials, Error> {
        let provider = self.integration.id();
        // Another process may have finished between our last look and taking the lock.
        if let Some(current) = self.replaced(user, stale).await? {
            return Ok(current);
        }
        tracing::info!("refreshing access token");
        // The refresh (with its retries) must finish while we still hold the lock, or another
        // process could take the expired lock and refresh a second time.
        let budget = self.options.lock_ttl.mul_f64(0.8);
        let refreshed = tokio::time::timeout(
            budget,
            self.options.retry.run("refresh", || async {
                let result = self.integration.refresh(stale).await;
                record(self.integration.id(), "refresh", &result);
                result
            }),
        )
        .await
        .unwrap_or_else(|_| {
            Err(Error::Unavailable(format!(
                "token refresh did not finish within {budget:?}"
            )))
        });
        metrics::counter!(
            "token_refreshes_total",
            "provider" => provider,
            "outcome" => match &refreshed { Ok(_) => "ok", Err(e) => e.kind() }
        )
        .increment(1);
        match refreshed {
            Ok(fresh) => {
                let fresh = fresh.inherit_from(stale);
                self.store.save(provider, user, &fresh).await?;
                Ok(fresh)
            }
            Err(Error::ReauthRequired { reason }) => {
                tracing::warn!(%reason, "provider rejected the refresh token; forgetting the grant");
                self.store.mark_reauth_required(provider, user).await?;
                Err(Error::ReauthRequired { reason })
            }
            Err(error) => Err(error),
        }
    }

    /// The stored credentials if someone already replaced `stale` with usable ones; an error if
    /// the grant disappeared meanwhile.
    async fn replaced(
        &self,
        user: &UserId,
        stale: &Credentials,
    ) -> Result<Option<Credentials>, Error> {
        let current = self
            .load(user)
            .await?
            .ok_or_else(|| Error::ReauthRequired {
                reason: "the connection was removed".into(),
            })?;
        let changed = current.access_token.expose_secret() != stale.access_token.expose_secret();
        Ok((changed && !self.expiring(&current)).then_some(current))
    }

    fn local_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .local_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= 1024 {
            locks.retain(|_, weak| weak.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

/// The budget key and limit of an account's `lane`: search calls have their own when the
/// budget has a search limit.
fn lane_key<'a>(
    shared: &'a SharedBudget,
    provider: &str,
    credentials: &Credentials,
    user: &UserId,
    lane: Lane,
) -> (String, &'a Limit) {
    let key = budget_key(provider, credentials.account_id.as_deref(), user);
    match (lane, &shared.search) {
        (Lane::Search, Some(search)) => (key + ":search", search),
        _ => (key, &shared.limit),
    }
}

/// Counts one provider call by provider, operation and outcome (`provider_calls_total`), and
/// rate limits separately (`provider_rate_limited_total`).
fn record<T>(provider: &'static str, operation: &'static str, result: &Result<T, Error>) {
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

fn info(credentials: &Credentials) -> ConnectionInfo {
    ConnectionInfo {
        account_id: credentials.account_id.clone(),
        account_name: credentials.account_name.clone(),
        account_user: credentials.account_user.clone(),
        scopes: credentials.scopes.clone(),
        expires_at: credentials.expires_at,
    }
}
