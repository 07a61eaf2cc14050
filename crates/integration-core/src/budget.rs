//! One rate budget per provider account, shared by every user of that account and every process
//! that shares the budget's store.
//!
//! Why it is shaped like this:
//! - Providers limit per account (HubSpot: 110 requests per 10 s per portal), not per user or per
//!   server replica, so the budget is keyed by the account ([`budget_key`]) and kept where every
//!   replica sees it (Redis in production; `token-store` implements [`RateBudget`]).
//! - Retrying 429s burns the provider's budget instead of pacing it; asking the budget *before*
//!   each call and waiting what it says keeps the upstream under its limit.
//! - The algorithm is GCRA (generic cell rate algorithm): one stored number per key, the
//!   *theoretical arrival time* (TAT) of the next call, read and updated in one atomic step.
//!   [`gcra`] is the reference every implementation follows.
//! - [`Limit`] promises "at most `rate` calls in any window of `per`", which is what a provider
//!   counting a sliding or fixed window checks: a burst of `burst` calls, then one call per
//!   [`emission_interval`](Limit::emission_interval) of `per / (rate - burst)`. (A GCRA with a
//!   burst of `rate` at `rate / per` would let almost `2 × rate` through in the first window.)
//! - [`Priority::Background`] work (exports) may use only part of the burst, so interactive page
//!   requests of the same account find headroom and wait less.

use std::time::Duration;

use async_trait::async_trait;

use crate::{StoreError, UserId};

/// Who is asking: interactive requests may use the whole burst, background work only part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// A person waits for the answer (a page of items).
    Interactive,
    /// Nobody waits on this one call (an export, a sync); it leaves headroom for interactive ones.
    Background,
}

/// A provider's limit: at most `rate` calls in any window of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    rate: u32,
    per: Duration,
    burst: u32,
}

impl Limit {
    /// At most `rate` calls per `per` (a `rate` of 0 counts as 1, a zero `per` as 1 ms), with the
    /// default burst: a twentieth of `rate`, at least 2 (at most `rate`). HubSpot's 110 per 10 s
    /// gives a burst of 5, then a call every 95 ms: 95% of the ceiling once the burst is spent.
    pub fn new(rate: u32, per: Duration) -> Self {
        let rate = rate.max(1);
        Self {
            rate,
            per: per.max(Duration::from_millis(1)),
            burst: (rate / 20).max(2).min(rate),
        }
    }

    /// With an explicit burst (clamped to `1..=rate`). A bigger burst answers idle accounts
    /// faster but leaves less for the sustained pace, since both share the window.
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.clamp(1, self.rate);
        self
    }

    /// Calls per window.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The window.
    pub fn per(&self) -> Duration {
        self.per
    }

    /// Calls admitted at once by an idle budget (to interactive callers).
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Calls admitted at once by an idle budget to `priority`: background callers leave a fifth
    /// of the burst (at least one call, unless the burst is one) to interactive ones.
    pub fn burst_for(&self, priority: Priority) -> u32 {
        match priority {
            Priority::Interactive => self.burst,
            Priority::Background => (self.burst - (self.burst / 5).max(1)).max(1),
        }
    }

    /// The spacing of calls once the burst is spent: `per / (rate - burst)`, so that a burst plus
    /// a window's worth of paced calls never exceeds `rate` in any window of `per`.
    pub fn emission_interval(&self) -> Duration {
        self.per / (self.rate - self.burst).max(1)
    }

    /// How far the schedule may run ahead of now before a call of `priority` has to wait.
    pub fn tolerance(&self, priority: Priority) -> Duration {
        self.emission_interval() * (self.burst_for(priority) - 1)
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

/// Runs `call`, collecting what it reported with [`report_rate_hint`].
pub(crate) async fn with_hint<F: std::future::Future>(call: F) -> (F::Output, Option<RateHint>) {
    HINT.scope(std::cell::Cell::new(None), async move {
        let output = call.await;
        (output, HINT.with(std::cell::Cell::get))
    })
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

/// One GCRA step, the reference for every [`RateBudget`]: given the stored theoretical arrival
/// time `tat` (none for an idle key) and `now`, in any one unit (microseconds in Redis), either
/// admits the call and returns the new TAT to store, or returns how long to wait (storing
/// nothing). `interval` and `tolerance` come from [`Limit::emission_interval`] and
/// [`Limit::tolerance`].
pub fn gcra(now: u64, tat: Option<u64>, interval: u64, tolerance: u64) -> Result<u64, u64> {
    let tat = tat.map_or(now, |tat| tat.max(now));
    let ahead = tat - now;
    if ahead > tolerance {
        Err(ahead - tolerance)
    } else {
        Ok(tat + interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_limit_keeps_every_window_under_the_ceiling() {
        let limit = Limit::new(110, Duration::from_secs(10));
        assert_eq!(limit.burst(), 5);
        assert_eq!(limit.burst_for(Priority::Background), 4);
        assert_eq!(limit.emission_interval(), Duration::from_secs(10) / 105);
        // Simulate a saturating caller that waits exactly what it is told, and check every
        // window of `per` (in µs) holds at most `rate` calls.
        let interval = limit.emission_interval().as_micros() as u64;
        let tolerance = limit.tolerance(Priority::Interactive).as_micros() as u64;
        let (mut now, mut tat, mut admitted) = (0u64, None, Vec::new());
        while admitted.len() < 1000 {
            match gcra(now, tat, interval, tolerance) {
                Ok(next) => {
                    tat = Some(next);
                    admitted.push(now);
                }
                Err(wait) => now += wait,
            }
        }
        let per = limit.per().as_micros() as u64;
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
        // And the pace is at least 90% of the ceiling.
        let span = admitted[999] - admitted[0];
        assert!(999.0 / (span as f64 / per as f64) >= 99.0);
    }

    #[test]
    fn gcra_admits_the_burst_then_asks_for_one_interval() {
        let (interval, tolerance) = (100, 200); // burst of 3
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(gcra(0, tat, interval, tolerance).expect("admitted"));
        }
        assert_eq!(gcra(0, tat, interval, tolerance), Err(100));
        assert_eq!(gcra(100, tat, interval, tolerance), Ok(400));
        // A key idle for long starts afresh.
        assert_eq!(gcra(10_000, tat, interval, tolerance), Ok(10_100));
    }

    #[test]
    fn background_leaves_headroom_and_tiny_limits_stay_valid() {
        let limit = Limit::new(10, Duration::from_secs(1));
        assert_eq!(limit.burst(), 2);
        assert_eq!(limit.burst_for(Priority::Background), 1);
        assert!(limit.tolerance(Priority::Background) < limit.tolerance(Priority::Interactive));
        let one = Limit::new(0, Duration::ZERO);
        assert_eq!((one.rate(), one.burst()), (1, 1));
        assert_eq!(one.emission_interval(), Duration::from_millis(1));
        assert_eq!(one.tolerance(Priority::Background), Duration::ZERO);
    }

    #[test]
    fn budget_keys_name_the_account_or_else_the_user() {
        let user = UserId::parse("alice").expect("user");
        assert_eq!(budget_key("hubspot", Some("62515"), &user), "hubspot:62515");
        assert_eq!(budget_key("hubspot", None, &user), "hubspot:user:alice");
        assert_eq!(budget_key("hubspot", Some(""), &user), "hubspot:user:alice");
    }
}
