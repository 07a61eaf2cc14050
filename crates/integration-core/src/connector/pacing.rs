//! Pacing provider calls through the shared rate budget of the provider account (HubSpot counts
//! its limit per portal, across our users and replicas), and holding the budget when the
//! provider says its own is spent. A wait that would cross the deadline is a rate limit at once.

use std::sync::Arc;

use super::calls::Call;
use super::{Connector, SharedBudget};
use crate::budget::{Admission, Lane, Limit, Priority, RateBudget, RateHint, budget_key};
use crate::{Credentials, Error, UserId};

impl Connector {
    /// When the provider says its budget for the account is spent, holds ours for a tenth of its
    /// window so that no replica sends calls it would refuse. A tenth, not all of it: the
    /// provider's window rolls, so a slot usually frees long before the window ends, and a call
    /// after the hold that still finds it spent holds again (at most ten probes a window). A
    /// failing hold is logged, not fatal.
    pub(super) async fn heed(
        &self,
        user: &UserId,
        credentials: &Credentials,
        lane: Lane,
        hint: RateHint,
    ) {
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

    /// What paces `call`'s provider calls, when the connector has a budget (each waits until the
    /// account's budget admits one call of its priority; a wait that would end at or after its
    /// deadline is not started: [`Error::RateLimited`] with the wait at once). Handed to the
    /// provider for the duration of the call ([`crate::budget::pace_another_call`]), so a call
    /// that needs a second request (HubSpot: a batch read of hundreds of properties) waits for
    /// its own slot too, and the account never sees more calls than its window admits.
    pub(super) fn pacer(
        &self,
        user: &UserId,
        credentials: &Credentials,
        call: Call,
    ) -> Option<Pacer> {
        let shared = self.options.budget.as_ref()?;
        let provider = self.integration.id();
        let (key, limit) = lane_key(shared, provider, credentials, user, call.lane);
        Some(Pacer {
            budget: Arc::clone(&shared.budget),
            key,
            limit: *limit,
            party: user.as_str().to_owned(),
            priority: call.priority,
            deadline: call.deadline,
            provider,
        })
    }
}

/// One call's pacing: its account's budget, lane and priority, and its deadline.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    budget: Arc<dyn RateBudget>,
    key: String,
    limit: Limit,
    /// Who the call is for (the user): background calls of one account take turns by party.
    party: String,
    priority: Priority,
    deadline: tokio::time::Instant,
    provider: &'static str,
}

impl Pacer {
    /// Waits for one slot (see [`Connector::pace`]).
    pub(crate) async fn pace(&self) -> Result<(), Error> {
        let Self {
            budget,
            key,
            limit,
            priority,
            deadline,
            provider,
            party,
        } = self;
        let (priority, deadline, provider) = (*priority, *deadline, *provider);
        let started = tokio::time::Instant::now();
        let mut slept = false;
        loop {
            match budget.acquire_for(key, limit, priority, party).await? {
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
}

/// The budget key and limit of an account's `lane`: search calls have their own when the
/// budget has a search limit.
pub(super) fn lane_key<'a>(
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
