//! Rate budgets shared by every process: the [`RateBudget`] half. The arithmetic is
//! `integration_core::budget::sliding_window`; here it runs inside Redis (see the budget script),
//! on Redis's clock, so processes on hosts with skewed clocks still agree on who may call next.

use std::time::Duration;

use async_trait::async_trait;
use integration_core::budget::{WAIT_SLACK, turn_wait};
use integration_core::{Admission, Limit, Priority, RateBudget, StoreError};

use super::RedisTokenStore;

#[async_trait]
impl RateBudget for RedisTokenStore {
    async fn acquire(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
    ) -> Result<Admission, StoreError> {
        self.acquire_for(key, limit, priority, "").await
    }

    #[tracing::instrument(skip_all, fields(budget = key))]
    async fn acquire_for(
        &self,
        key: &str,
        limit: &Limit,
        priority: Priority,
        party: &str,
    ) -> Result<Admission, StoreError> {
        let key = self.budget_redis_key(key);
        let [hold, served, seen, waiting] =
            [":hold", ":served", ":seen", ":waiting"].map(|suffix| format!("{key}{suffix}"));
        let window = micros(limit.window());
        let allowed = limit.allowed(priority);
        let fair = !party.is_empty() && priority == Priority::Background;
        let turn = micros(turn_wait(limit));
        let slack = micros(WAIT_SLACK);
        let wait: u64 = self
            .with_connection("budget", |mut connection| async move {
                self.inner
                    .budget
                    .key(&key)
                    .key(&hold)
                    .key(&served)
                    .key(&seen)
                    .key(&waiting)
                    .arg(window)
                    .arg(allowed)
                    .arg(party)
                    .arg(if fair { "1" } else { "0" })
                    .arg(turn)
                    .arg(slack)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(match wait {
            0 => Admission::Admitted,
            wait => Admission::Wait(Duration::from_micros(wait)),
        })
    }

    #[tracing::instrument(skip_all, fields(budget = key))]
    async fn hold(&self, key: &str, _limit: &Limit, wait: Duration) -> Result<(), StoreError> {
        let key = format!("{}:hold", self.budget_redis_key(key));
        let ahead = micros(wait);
        self.with_connection("budget hold", |mut connection| async move {
            self.inner
                .hold
                .key(&key)
                .arg(ahead)
                .invoke_async::<i64>(&mut connection)
                .await
        })
        .await
        .map(drop)
    }
}

/// Whole microseconds.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
