//! Bounded retries, written once for every provider.
//!
//! Two kinds of failure are worth retrying: rate limits (wait what the provider asked, capped, or
//! back off with jitter when it did not say; HubSpot often does not) and transient failures (5xx,
//! timeouts, refused connections: exponential backoff with jitter). Everything else fails at once.
//! The schedule comes from `backon`; this module only decides *whether* and *how long*.

use std::future::Future;
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable as _};

use crate::Error;

/// How hard to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `3` means at most 4 calls).
    pub max_retries: usize,
    /// First backoff delay; doubles each retry.
    pub min_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` we wait out; a provider asking for more is not retried at all (a
    /// retry before its time would only be refused again) and the caller gets `RateLimited` with
    /// the provider's wait at once.
    pub max_retry_after: Duration,
    /// Shortest wait after a 429 that came without `Retry-After` (rate windows are seconds long,
    /// so retrying after a few milliseconds would only burn the next window too).
    pub min_rate_limit_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            min_rate_limit_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Delay before the next attempt after `error`, given the backoff's own proposal; `None`
    /// stops retrying.
    fn delay_for(&self, error: &Error, backoff: Option<Duration>) -> Option<Duration> {
        let backoff = backoff?;
        match error {
            Error::RateLimited {
                retry_after: Some(wait),
            } => (*wait <= self.max_retry_after).then_some(*wait),
            Error::RateLimited { retry_after: None } => {
                Some(backoff.max(self.min_rate_limit_delay))
            }
            e if e.is_transient() => Some(backoff),
            _ => None,
        }
    }

    /// Runs `call` until it succeeds, fails with an error that is not worth retrying, or the
    /// retry budget is spent (then the last error is returned).
    pub async fn run<T, F, Fut>(&self, what: &'static str, call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_until(what, None, call).await
    }

    /// Like [`run`](Self::run), but no wait is started that would end after `deadline`: the
    /// last error is returned at once instead (for a rate limit, with the provider's
    /// `retry_after`, so the caller can tell its user how long to wait).
    pub async fn run_until<T, F, Fut>(
        &self,
        what: &'static str,
        deadline: Option<tokio::time::Instant>,
        call: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter();
        call.retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e: &Error| matches!(e, Error::RateLimited { .. }) || e.is_transient())
            .adjust(|e, backoff| {
                let wait = self.delay_for(e, backoff)?;
                match deadline {
                    Some(deadline) if tokio::time::Instant::now() + wait >= deadline => {
                        tracing::info!(call = what, ?wait, "not waiting past the request deadline");
                        None
                    }
                    _ => Some(wait),
                }
            })
            .notify(
                |e, wait| tracing::warn!(call = what, error = %e, ?wait, "retrying provider call"),
            )
            .await
    }
}

/// Parses an HTTP `Retry-After` value: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
/// A date in the past means "now"; garbage means "not said".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(12))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(12));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    fn counting(
        calls: &AtomicUsize,
        fail_times: usize,
        error: fn() -> Error,
    ) -> impl FnMut() -> std::future::Ready<Result<usize, Error>> + '_ {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(if n < fail_times { Err(error()) } else { Ok(n) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_a_bounded_number_of_times() {
        let calls = AtomicUsize::new(0);
        let policy = RetryPolicy::default();
        let result = policy
            .run(
                "t",
                counting(&calls, 100, || Error::Upstream { status: 503 }),
            )
            .await;
        assert!(matches!(result, Err(Error::Upstream { status: 503 })));
        assert_eq!(calls.load(Ordering::SeqCst), policy.max_retries + 1);

        let calls = AtomicUsize::new(0);
        let ok = policy
            .run("t", counting(&calls, 2, || Error::Unavailable("x".into())))
            .await;
        assert_eq!(ok.unwrap(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_are_not_retried() {
        let calls = AtomicUsize::new(0);
        let result = RetryPolicy::default()
            .run(
                "t",
                counting(&calls, 100, || Error::Upstream { status: 400 }),
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_out_unless_longer_than_the_cap() {
        let calls = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let ok = RetryPolicy::default()
            .run(
                "t",
                counting(&calls, 1, || Error::RateLimited {
                    retry_after: Some(Duration::from_secs(4)),
                }),
            )
            .await;
        assert!(ok.is_ok());
        assert!(started.elapsed() >= Duration::from_secs(4));

        // Longer than we are willing to wait: not retried, reported with the provider's wait.
        let calls = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let result = RetryPolicy::default()
            .run(
                "t",
                counting(&calls, 1, || Error::RateLimited {
                    retry_after: Some(Duration::from_secs(3600)),
                }),
            )
            .await;
        assert!(matches!(
            result,
            Err(Error::RateLimited { retry_after: Some(w) }) if w == Duration::from_secs(3600)
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_that_would_cross_the_deadline_is_not_started() {
        let calls = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let deadline = started + Duration::from_secs(5);
        let result = RetryPolicy::default()
            .run_until(
                "t",
                Some(deadline),
                counting(&calls, 100, || Error::RateLimited {
                    retry_after: Some(Duration::from_secs(10)),
                }),
            )
            .await;
        assert!(matches!(
            result,
            Err(Error::RateLimited { retry_after: Some(w) }) if w == Duration::from_secs(10)
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);

        // Waits that fit are still taken.
        let calls = AtomicUsize::new(0);
        let ok = RetryPolicy::default()
            .run_until(
                "t",
                Some(tokio::time::Instant::now() + Duration::from_secs(5)),
                counting(&calls, 1, || Error::RateLimited {
                    retry_after: Some(Duration::from_secs(2)),
                }),
            )
            .await;
        assert!(ok.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limits_without_retry_after_never_retry_in_a_tight_loop() {
        let calls = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let policy = RetryPolicy::default();
        let result = policy
            .run(
                "t",
                counting(&calls, 100, || Error::RateLimited { retry_after: None }),
            )
            .await;
        assert!(matches!(result, Err(Error::RateLimited { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), policy.max_retries + 1);
        let min_total = policy.min_rate_limit_delay * policy.max_retries as u32;
        assert!(started.elapsed() >= min_total);
    }
}
