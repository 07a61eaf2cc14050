//! One rate budget per provider account, shared by every user of that account and every process
//! that shares the budget's store.
//!
//! Why it is shaped like this:
//! - Providers limit per account (HubSpot: 110 requests per 10 s per portal), not per user or per
//!   server replica, so the budget is keyed by the account ([`budget_key`]) and kept where every
//!   replica sees it (Redis in production; `token-store` implements [`RateBudget`]).
//! - Retrying 429s burns the provider's budget instead of pacing it; asking the budget *before*
//!   each call and waiting what it says keeps the upstream under its limit.
//! - The algorithm is a sliding window log: the times of the calls admitted in the last window,
//!   kept per key and read and updated in one atomic step. A call is admitted while fewer than
//!   the limit were admitted in the window before it, else it waits until the oldest one leaves.
//!   That uses the provider's whole window (HubSpot grants 110 calls in any 10 s: a short sync
//!   spends them at once and finishes in the first window) and never more. [`sliding_window`] is
//!   the reference every implementation follows.
//! - The window counted is a little longer than the provider's ([`Limit::window`]): two calls
//!   admitted exactly one window apart may reach the provider less than a window apart when the
//!   first one's way there was slower.
//! - [`Priority::Background`] work (exports) may use all but a small reserve of the window
//!   ([`Limit::reserve`]), so an interactive page request of the same account never waits
//!   behind a sync, while the sync still runs at about 98% of the ceiling.

use std::time::Duration;

use async_trait::async_trait;

use crate::{StoreError, UserId};

/// Who is asking: interactive requests may use the whole window, background work all but a
/// reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// A person waits for the answer (a page of items).
    Interactive,
    /// Nobody waits on this one call (an export, a sync); it leaves a reserve for interactive ones.
    Background,
}

/// A provider's limit: at most `rate` calls in any window of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    rate: u32,
    per: Duration,
    reserve: u32,
}

impl Limit {
    /// At most `rate` calls per `per` (a `rate` of 0 counts as 1, a zero `per` as 1 ms), with
    /// the default reserve for interactive calls: one call per hundred (at least one, none for a
    /// rate of 1). HubSpot's 110 per 10 s leaves background work 109.
    pub fn new(rate: u32, per: Duration) -> Self {
        let rate = rate.max(1);
        Self {
            rate,
            per: per.max(Duration::from_millis(1)),
            reserve: (rate / 100).max(1).min(rate - 1),
        }
    }

    /// With an explicit reserve for interactive calls (clamped to `0..rate`).
    pub fn with_reserve(mut self, reserve: u32) -> Self {
        self.reserve = reserve.min(self.rate - 1);
        self
    }

    /// Calls per window.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The provider's window.
    pub fn per(&self) -> Duration {
        self.per
    }

    /// Calls of each window only interactive callers may make.
    pub fn reserve(&self) -> u32 {
        self.reserve
    }

    /// Calls a window admits to `priority`: all of them to interactive callers, all but the
    /// reserve to background ones.
    pub fn allowed(&self, priority: Priority) -> u32 {
        match priority {
            Priority::Interactive => self.rate,
            Priority::Background => self.rate - self.reserve,
        }
    }

    /// The window counted: the provider's plus half a percent, so that calls admitted a
    /// window apart still arrive a window apart when network delays vary by up to that much
    /// (50 ms on HubSpot's 10 s).
    pub fn window(&self) -> Duration {
        self.per + self.per / 200
    }
}

/// What a budget answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Call now; the call is counted.
    Admitted,
    /// Not now: ask again after this long. Nothing was counted.
    Wait(Duration),
}

/// A shared rate budget: admits a call now or says how long to wait, atomically per key.
/// Implemented on Redis and in memory by `token-store`; usable as `Arc<dyn RateBudget>`.
#[async_trait]
pub trait RateBudget: Send + Sync + std::fmt::Debug {
    /// Counts one call against `key`'s budget if `limit` admits it now for `priority`, or says
    /// how long until it would. Keys are [`budget_key`]s; implementations add their own prefix.
    async fn acquire(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
    ) -> Result<Admission, StoreError>;

    /// [`acquire`](Self::acquire) for one of several parties sharing `key` (the users of one
    /// portal): background calls take turns between parties ([`fair_turn`]), so equal exports
    /// of two users finish together instead of in the order they asked. Interactive calls and
    /// the empty party are not queued. Default: no turns, plain `acquire`.
    async fn acquire_for(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
        party: &str,
    ) -> Result<Admission, StoreError> {
        let _ = party;
        self.acquire(key, limit, priority).await
    }

    /// Admits nothing on `key` for `wait` from now (a provider said its own budget is spent):
    /// afterwards interactive callers go first again, as after any wait. A hold never shortens
    /// an existing wait. Default: budgets that cannot hold ignore it.
    async fn hold(&self, key: &str, limit: &Limit, wait: Duration) -> Result<(), StoreError> {
        let _ = (key, limit, wait);
        Ok(())
    }
}

/// What a provider's answer said about its own limit: `remaining` calls in a `window` (HubSpot's
/// `X-HubSpot-RateLimit-Remaining` and `-Interval-Milliseconds`). When it says none remain, the
/// connector holds the account's budget for a tenth of the window, so every replica stops
/// sending calls the provider would refuse (other apps of the same portal spend its budget too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHint {
    /// Calls left in the provider's current window.
    pub remaining: u64,
    /// The provider's window.
    pub window: Duration,
}

tokio::task_local! {
    static HINT: std::cell::Cell<Option<RateHint>>;
    static PACER: Option<crate::connector::Pacer>;
}

/// Waits for the account's rate budget to admit one more call, for a provider whose one
/// operation needs a second request (HubSpot: a page's ids, then a batch read of hundreds of
/// properties): every request the provider sees is paced like the first. Outside a connector
/// call, or without a budget, it returns at once. A wait past the call's deadline is
/// [`Error::RateLimited`](crate::Error::RateLimited), as for the first request.
pub async fn pace_another_call() -> Result<(), crate::Error> {
    let pacer = PACER.try_with(Clone::clone).ok().flatten();
    match pacer {
        Some(pacer) => pacer.pace().await,
        None => Ok(()),
    }
}

/// Tells the connector making the current call what the provider said about its limit (the
/// tighter of several reports wins); nothing happens outside a connector call. Providers call
/// this where they read their responses' headers.
pub fn report_rate_hint(hint: RateHint) {
    let _ = HINT.try_with(|cell| {
        let tighter = match cell.get() {
            Some(old) if old.remaining < hint.remaining => old,
            _ => hint,
        };
        cell.set(Some(tighter));
    });
}

/// Runs `call` with `pacer` for its further requests ([`pace_another_call`]), collecting what it
/// reported with [`report_rate_hint`].
pub(crate) async fn with_hint<F: std::future::Future>(
    call: F,
    pacer: Option<crate::connector::Pacer>,
) -> (F::Output, Option<RateHint>) {
    PACER
        .scope(
            pacer,
            HINT.scope(std::cell::Cell::new(None), async move {
                let output = call.await;
                (output, HINT.with(std::cell::Cell::get))
            }),
        )
        .await
}

/// The budget key of a provider account, before any deployment prefix: `{provider}:{account_id}`
/// (e.g. `hubspot:62515`), shared by every user of the account. Without an account id the user
/// stands in for it (`{provider}:user:{user_id}`), which can never equal an account's key.
pub fn budget_key(provider: &str, account_id: Option<&str>, user: &UserId) -> String {
    match account_id.filter(|id| !id.is_empty()) {
        Some(account) => format!("{provider}:{account}"),
        None => format!("{provider}:user:{user}"),
    }
}

/// Which of an account's budgets a call draws on: providers limit some endpoints separately
/// (HubSpot's CRM search: 5 requests a second per portal, besides the general limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lane {
    /// The account's general limit.
    #[default]
    Standard,
    /// The search limit, when the connector has one ([`crate::SharedBudget::with_search`]).
    Search,
}

/// How long a party told to wait still counts as waiting past the time it was told (its own
/// scheduling and round trip): others let it have its turn for that long.
pub const WAIT_SLACK: Duration = Duration::from_secs(1);

/// Whose turn it is among the background parties of one budget, the reference for every
/// [`RateBudget::acquire_for`]: a deficit round-robin on calls. `served` is the number of calls
/// this party was admitted (`None`: a party the budget does not know), `others` the counts of
/// the other parties it knows, `waiting` those of the others currently waiting for a slot.
/// Returns the party's count (a newcomer starts level with the least-served known party, so it
/// neither waits for old counts nor overtakes for long) and whether it may take a free slot now:
/// only if no waiting party has been served less. Ties go to whoever asks first. A party just
/// admitted counts as waiting for a slot's share of the window ([`turn_wait`]): a sync between
/// two pages keeps its turn from one with more streams asking more often, so users share a
/// portal equally however many streams each runs.
pub fn fair_turn(
    served: Option<u64>,
    others: impl IntoIterator<Item = u64>,
    waiting: impl IntoIterator<Item = u64>,
) -> (u64, bool) {
    let count = served.unwrap_or_else(|| others.into_iter().min().unwrap_or(0));
    let turn = waiting.into_iter().min().is_none_or(|least| count <= least);
    (count, turn)
}

/// How long a party that gave up its turn waits before asking again: one slot's share of the
/// window (at least a millisecond).
pub fn turn_wait(limit: &Limit) -> Duration {
    (limit.window() / limit.rate().max(1)).max(Duration::from_millis(1))
}

/// One sliding-window step, the reference for every [`RateBudget`]: given `now` and the times
/// of the calls admitted so far on a key (`admitted`, ascending, in any one unit: microseconds in
/// Redis; entries older than `window` are ignored), either admits a call (`Ok`: the caller
/// records `now`) or says how long until it would be (`Err`), recording nothing. `window` and
/// `allowed` come from [`Limit::window`] and [`Limit::allowed`].
pub fn sliding_window(now: u64, admitted: &[u64], window: u64, allowed: u32) -> Result<(), u64> {
    let live: Vec<u64> = (admitted.iter().copied())
        .filter(|t| t.saturating_add(window) > now)
        .collect();
    let allowed = allowed.max(1) as usize;
    if live.len() < allowed {
        return Ok(());
    }
    // The call that must leave the window before one more fits.
    let blocking = live[live.len() - allowed];
    Err(blocking + window - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A caller that waits exactly what it is told: every window of `per` holds at most `rate`
    /// calls, the first window is used whole, and background work runs at ≥ 98% of the ceiling.
    fn simulate(limit: Limit, priority: Priority, calls: usize) -> Vec<u64> {
        let window = limit.window().as_micros() as u64;
        let (mut now, mut admitted) = (0u64, Vec::new());
        while admitted.len() < calls {
            match sliding_window(now, &admitted, window, limit.allowed(priority)) {
                Ok(()) => admitted.push(now),
                Err(wait) => now += wait,
            }
        }
        admitted
    }

    #[test]
    fn parties_take_turns_and_newcomers_start_level() {
        // Nobody waits: go.
        assert_eq!(fair_turn(Some(5), [3], []), (5, true));
        // Someone served less waits: give way; served as much: go (first come).
        assert_eq!(fair_turn(Some(5), [3], [3]), (5, false));
        assert_eq!(fair_turn(Some(3), [3], [3]), (3, true));
        // A newcomer starts level with the least-served known party, not at zero.
        assert_eq!(fair_turn(None, [1_000, 40], [1_000]), (40, true));
        assert_eq!(fair_turn(None, [], []), (0, true));
    }

    #[test]
    fn hubspots_window_is_used_whole_and_never_exceeded() {
        let limit = Limit::new(110, Duration::from_secs(10));
        assert_eq!(limit.reserve(), 1);
        assert_eq!(limit.allowed(Priority::Background), 109);
        let per = limit.per().as_micros() as u64;
        for priority in [Priority::Interactive, Priority::Background] {
            let admitted = simulate(limit, priority, 2_000);
            for (i, start) in admitted.iter().enumerate() {
                let in_window = admitted[i..]
                    .iter()
                    .take_while(|t| **t < start + per)
                    .count();
                assert!(
                    in_window <= 110,
                    "{in_window} calls in the window from {start}"
                );
            }
            // The first window's calls all go at once.
            let first = limit.allowed(priority) as usize;
            assert!(admitted[..first].iter().all(|t| *t == 0), "{priority:?}");
            // The sustained pace: at least 98% of the ceiling.
            let span = (admitted[1_999] - admitted[0]) as f64 / per as f64;
            let pace = 1_999.0 / span;
            assert!(
                pace >= 0.98 * 110.0,
                "{priority:?}: {pace:.1} calls per window"
            );
        }
    }

    #[test]
    fn a_full_window_waits_for_its_oldest_call_and_background_leaves_the_reserve() {
        // 3 per 1,000 µs (window 1,005), a reserve of 1.
        let limit = Limit::new(3, Duration::from_micros(1_000)).with_reserve(1);
        let window = limit.window().as_micros() as u64;
        assert_eq!(window, 1_005);
        let admitted = [0, 10, 20];
        assert_eq!(sliding_window(30, &admitted, window, 3), Err(975));
        assert_eq!(sliding_window(1_005, &admitted, window, 3), Ok(()));
        // Background may use 2 of the 3: it waits for the second-oldest call to leave.
        assert_eq!(sliding_window(30, &admitted[..2], window, 2), Err(975));
        assert_eq!(sliding_window(30, &admitted[..2], window, 3), Ok(()));
        // Old entries are ignored.
        assert_eq!(sliding_window(5_000, &admitted, window, 1), Ok(()));
    }

    #[test]
    fn tiny_limits_stay_valid() {
        let one = Limit::new(0, Duration::ZERO);
        assert_eq!((one.rate(), one.reserve()), (1, 0));
        assert_eq!(one.allowed(Priority::Background), 1);
        assert_eq!(one.per(), Duration::from_millis(1));
        let search = Limit::new(5, Duration::from_secs(1));
        assert_eq!(search.allowed(Priority::Background), 4);
        assert_eq!(
            Limit::new(5, Duration::from_secs(1))
                .with_reserve(9)
                .reserve(),
            4
        );
    }

    #[test]
    fn budget_keys_name_the_account_or_else_the_user() {
        let user = UserId::parse("alice").expect("user");
        assert_eq!(budget_key("hubspot", Some("62515"), &user), "hubspot:62515");
        assert_eq!(budget_key("hubspot", None, &user), "hubspot:user:alice");
        assert_eq!(budget_key("hubspot", Some(""), &user), "hubspot:user:alice");
    }
}
