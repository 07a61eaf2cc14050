//! Webhook intake and event delivery: what a provider pushes, kept per account and served to
//! each user connected to that account.
//!
//! Intake answers the provider only after the batch is stored ([`EventLog::append`]): the
//! provider retries anything not acknowledged (HubSpot: 5xx and 429, up to ten times over a
//! day), so an error before storing loses nothing, while a success before storing could. A
//! genuine event is never refused for what it says: only a bad signature (401) or a body that
//! is not the provider's format at all (400) is, since providers never retry 4xx.
//!
//! Events are kept per provider account, not per user: one portal's change is one entry however
//! many users are connected to it. Routing is the store's index of who is connected to which
//! account ([`CredentialStore::connected_users`](crate::CredentialStore::connected_users)): an
//! event for an account nobody is connected to is acknowledged and dropped; a reader sees the
//! log of the account their credentials are for. Offsets go out sealed to the user and the
//! account, so a user who reconnects elsewhere cannot read the old account's log with an old
//! offset.

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use serde::Serialize;

use super::Connector;
use crate::events::{EventLog, EventOffset, ProviderEvent, WebhookError, WebhookRequest};
use crate::{Error, StoreError, UserId};

/// How many events one read takes from a log.
const READ_BATCH: usize = 500;

/// What a webhook request amounted to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookReceipt {
    /// Events in the request.
    pub received: usize,
    /// Events stored now.
    pub stored: usize,
    /// Events an earlier delivery already stored (a provider's retry).
    pub duplicates: usize,
    /// Events for accounts nobody here is connected to, dropped.
    pub unrouted: usize,
}

/// Why a webhook request was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The provider sends no webhooks, or this deployment keeps no event log.
    #[error("{0} webhooks are not received here")]
    NotReceived(&'static str),
    /// Not signed by the provider, replayed, or not the provider's format.
    #[error(transparent)]
    Refused(#[from] WebhookError),
    /// The log could not store the events; the provider should retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One line of a user's event feed.
#[derive(Debug, Clone, PartialEq)]
pub enum EventLine {
    /// An event, and the offset to resume after it.
    Event {
        /// The sealed offset of this event.
        offset: String,
        /// The event.
        event: ProviderEvent,
    },
    /// The log no longer holds events between the reader's offset and the next event: resync
    /// (an export, or `changes` from an older checkpoint) before trusting the feed.
    Gap {
        /// Where the feed goes on.
        offset: String,
    },
    /// Nothing new during a follow's quiet interval (servers send a keep-alive).
    Idle {
        /// The offset to resume from.
        offset: String,
    },
    /// The end of a poll: resume from `offset`.
    End {
        /// The offset to resume from.
        offset: String,
    },
}

/// How long a feed waits for events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Answer at once, ending with [`EventLine::End`].
    None,
    /// Long-poll: wait up to this long for the first event, then end.
    UpTo(Duration),
    /// Keep going, with an [`EventLine::Idle`] after each quiet interval of this long, until the
    /// caller drops the stream.
    Follow(Duration),
}

impl Connector {
    fn event_log(&self) -> Option<&Arc<dyn EventLog>> {
        self.options.events.as_ref()
    }

    /// Verifies and stores a webhook request (see the module docs): the signature first, then
    /// the body, then each account's events appended to its log if anyone is connected to it.
    pub async fn receive_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<WebhookReceipt, IntakeError> {
        let provider = self.integration.id();
        let (Some(webhooks), Some(log)) = (self.integration.webhooks(), self.event_log()) else {
            return Err(IntakeError::NotReceived(self.integration.display_name()));
        };
        let refused = |why: &'static str| {
            metrics::counter!("webhook_requests_refused_total", "provider" => provider, "why" => why)
                .increment(1);
        };
        let verified = webhooks
            .verify(request)
            .inspect_err(|_| refused("signature"))?;
        // A signed request is accepted once: the same bytes again (a replay by whoever saw
        // them) are refused while the signature is still fresh, after which its age refuses
        // it. The mark is taken before storing and given back if storing fails, so the
        // provider's retry of a request we could not store is not mistaken for a replay.
        let nonce = format!("webhook:{provider}:{}", verified.nonce);
        let Some(mark) = self.store.try_lock(&nonce, verified.valid_for).await? else {
            refused("replay");
            return Err(
                WebhookError::Unauthenticated("this request was already received".into()).into(),
            );
        };
        let stored = self
            .store_events(webhooks, log.as_ref(), request.body)
            .await;
        if let Err(IntakeError::Store(_)) = &stored {
            let _ = self.store.unlock(&nonce, &mark).await;
        }
        stored.inspect_err(|e| {
            if matches!(e, IntakeError::Refused(_)) {
                refused("malformed");
            }
        })
    }

    async fn store_events(
        &self,
        webhooks: &dyn crate::Webhooks,
        log: &dyn EventLog,
        body: &[u8],
    ) -> Result<WebhookReceipt, IntakeError> {
        let events = webhooks.parse(body)?;
        Ok(self.route(log, events, "webhook").await?)
    }

    /// Appends `events` to the logs of their accounts that someone is connected to (see the
    /// module docs), waking this process's waiting feeds; `source` labels the metrics.
    pub(super) async fn route(
        &self,
        log: &dyn EventLog,
        events: Vec<crate::InboundEvent>,
        source: &'static str,
    ) -> Result<WebhookReceipt, StoreError> {
        let provider = self.integration.id();
        let mut receipt = WebhookReceipt {
            received: events.len(),
            ..WebhookReceipt::default()
        };
        // One append per account, in the order the provider sent them.
        let mut accounts: Vec<(String, Vec<(String, ProviderEvent)>)> = Vec::new();
        for inbound in events {
            match accounts.iter_mut().find(|(a, _)| *a == inbound.account) {
                Some((_, batch)) => batch.push((inbound.identity, inbound.event)),
                None => accounts.push((inbound.account, vec![(inbound.identity, inbound.event)])),
            }
        }
        for (account, batch) in accounts {
            if self
                .store
                .connected_users(provider, &account)
                .await?
                .is_empty()
            {
                receipt.unrouted += batch.len();
                continue;
            }
            let appended = log.append(provider, &account, &batch).await?;
            if appended.stored > 0 {
                // Feeds waiting in this process look now; other replicas' at their next poll.
                self.events_appended.notify_waiters();
            }
            receipt.stored += appended.stored;
            receipt.duplicates += appended.duplicates;
        }
        for (outcome, n) in [
            ("stored", receipt.stored),
            ("duplicate", receipt.duplicates),
            ("unrouted", receipt.unrouted),
        ] {
            metrics::counter!("webhook_events_total", "provider" => provider, "outcome" => outcome, "source" => source)
                .increment(n as u64);
        }
        Ok(receipt)
    }

    /// The user's feed of their account's events after `since` (a sealed offset from an earlier
    /// line; `None`: only what arrives from now on), waiting as `wait` says. Fails before the
    /// first line when the user is not connected, the provider has no events, or `since` is not
    /// an offset this service issued to this user for this account.
    pub async fn events(
        &self,
        user: &UserId,
        since: Option<&str>,
        wait: Wait,
    ) -> Result<impl Stream<Item = Result<EventLine, Error>> + use<>, Error> {
        let provider = self.integration.id();
        let Some(log) = self.event_log().cloned() else {
            return Err(Error::Unsupported(format!(
                "{} sends no events here",
                self.integration.display_name()
            )));
        };
        if self.integration.webhooks().is_none() {
            return Err(Error::Unsupported(format!(
                "{} sends no events",
                self.integration.display_name()
            )));
        }
        let credentials = match self.load(user).await? {
            Some(credentials) => credentials,
            None if self.needs_reconnect(user).await? => {
                return Err(Error::ReauthRequired {
                    reason: "the previous connection was rejected or unreadable; reconnect".into(),
                });
            }
            None => return Err(Error::NotConnected),
        };
        let account = credentials.account_id.ok_or_else(|| {
            Error::Unsupported("this connection names no account to receive events for".into())
        })?;
        let context = ["events", provider, user.as_str(), account.as_str()];
        let start = match since {
            Some(token) => {
                let raw = self.options.seal.open(&context, token, "offset")?;
                Some(EventOffset::parse(raw).ok_or_else(|| {
                    Error::InvalidInput("the offset is not one this service issued".into())
                })?)
            }
            None => log.latest(provider, &account).await?,
        };
        let feed = Feed {
            log,
            seal: self.options.seal.clone(),
            context: context.map(str::to_owned),
            provider,
            account,
            at: start,
            wait,
            poll: self.options.event_poll,
            wake: Arc::clone(&self.events_appended),
            pending: std::collections::VecDeque::new(),
            checked_gap: since.is_none(),
            done: false,
        };
        Ok(futures_util::stream::unfold(feed, |mut feed| async move {
            let line = feed.next().await?;
            Some((line, feed))
        }))
    }
}

/// A feed's position and what it has read but not yet handed out.
struct Feed {
    log: Arc<dyn EventLog>,
    seal: crate::Seal,
    context: [String; 4],
    provider: &'static str,
    account: String,
    at: Option<EventOffset>,
    wait: Wait,
    poll: Duration,
    /// Signalled when this process stores events (see `Connector::events_appended`).
    wake: Arc<tokio::sync::Notify>,
    pending: std::collections::VecDeque<EventLine>,
    checked_gap: bool,
    done: bool,
}

impl Feed {
    fn seal(&self, offset: Option<&EventOffset>) -> String {
        let context: Vec<&str> = self.context.iter().map(String::as_str).collect();
        self.seal
            .sign(&context, offset.map_or("0-0", EventOffset::as_str))
    }

    async fn next(&mut self) -> Option<Result<EventLine, Error>> {
        if let Some(line) = self.pending.pop_front() {
            return Some(Ok(line));
        }
        if self.done {
            return None;
        }
        match self.fill().await {
            Ok(()) => self.pending.pop_front().map(Ok),
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    /// Reads until there is something to hand out: events, or the end of the wait.
    async fn fill(&mut self) -> Result<(), Error> {
        if !self.checked_gap {
            self.checked_gap = true;
            let oldest = self
                .log
                .dropped_before(self.provider, &self.account)
                .await?;
            let behind = |oldest: EventOffset| {
                self.at
                    .as_ref()
                    .is_some_and(|at| at.parts() < oldest.parts())
            };
            if oldest.is_some_and(behind) {
                self.pending.push_back(EventLine::Gap {
                    offset: self.seal(self.at.as_ref()),
                });
                return Ok(());
            }
        }
        let started = tokio::time::Instant::now();
        loop {
            // Armed before the read, so an append between the read and the wait still wakes it.
            let wake = Arc::clone(&self.wake);
            let appended = wake.notified();
            tokio::pin!(appended);
            appended.as_mut().enable();
            let events = self
                .log
                .read(self.provider, &self.account, self.at.as_ref(), READ_BATCH)
                .await?;
            if !events.is_empty() {
                for logged in events {
                    let offset = self.seal(Some(&logged.offset));
                    self.at = Some(logged.offset);
                    self.pending.push_back(EventLine::Event {
                        offset,
                        event: logged.event,
                    });
                }
                if !matches!(self.wait, Wait::Follow(_)) {
                    // The rest of the log (if any) follows at once, then the end.
                    let more = self
                        .log
                        .read(self.provider, &self.account, self.at.as_ref(), 1)
                        .await?;
                    if more.is_empty() {
                        self.end();
                    }
                }
                return Ok(());
            }
            let limit = match self.wait {
                Wait::None => Duration::ZERO,
                Wait::UpTo(limit) | Wait::Follow(limit) => limit,
            };
            let waited = started.elapsed();
            if waited >= limit {
                match self.wait {
                    Wait::Follow(_) => self.pending.push_back(EventLine::Idle {
                        offset: self.seal(self.at.as_ref()),
                    }),
                    _ => self.end(),
                }
                return Ok(());
            }
            tokio::select! {
                () = appended => {}
                () = tokio::time::sleep(self.poll.min(limit - waited)) => {}
            }
        }
    }

    fn end(&mut self) {
        self.pending.push_back(EventLine::End {
            offset: self.seal(self.at.as_ref()),
        });
        self.done = true;
    }
}
