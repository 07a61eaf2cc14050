//! The sender task of one subscription: batches, signs, POSTs, retries.
//!
//! One task per subscription owns the queue; each request runs in a [`JoinSet`] so that at
//! most [`MAX_CONCURRENT_REQUESTS`] are in flight. The task ends when the subscription's
//! channel closes (unsubscribe, a new subscription, the sandbox dropped); dropping the task
//! (also at runtime shutdown) aborts its requests and takes its undelivered events off
//! `pending_events`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng as _;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{
    Event, MAX_BATCH, MAX_CONCURRENT_REQUESTS, MAX_RETRIES, REQUEST_TIMEOUT, Secret, WebhookStats,
    lock, sign,
};

/// What HubSpot's webhook requests say they are.
const USER_AGENT: &str = "HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio-http-client) - WebhooksExecutorDaemon-executor";

/// A batch and the attempt number of its next try (0 for the first).
#[derive(Debug)]
struct Batch {
    events: Vec<Event>,
    attempt: u32,
}

/// How one request ended.
#[derive(Debug)]
enum Outcome {
    Delivered,
    /// Connection failure, timeout, 5xx, 429 (with its `Retry-After`, if any), or another
    /// non-2xx status that is not a 4xx.
    Retry(Option<Duration>),
    /// A 4xx other than 429: HubSpot does not retry it.
    Refused(u16),
}

/// What the requests need, shared by the task and each request.
struct Target {
    client: reqwest::Client,
    url: url::Url,
    secret: Secret,
}

/// The sender of one subscription (see the module docs).
pub(crate) struct Sender {
    target: Arc<Target>,
    stats: Arc<Mutex<WebhookStats>>,
    retry_base_ms: Arc<AtomicU64>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("url", &self.target.url.as_str())
            .finish_non_exhaustive()
    }
}

impl Sender {
    pub(crate) fn new(
        url: url::Url,
        secret: Secret,
        stats: Arc<Mutex<WebhookStats>>,
        retry_base_ms: Arc<AtomicU64>,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("Cannot build the webhook HTTP client: {e}"))?;
        Ok(Self {
            target: Arc::new(Target {
                client,
                url,
                secret,
            }),
            stats,
            retry_base_ms,
        })
    }

    /// Delivers what arrives on `events` until the channel closes.
    pub(crate) async fn run(self, events: mpsc::UnboundedReceiver<Vec<Event>>) {
        let mut queue = Queue {
            events,
            waiting: std::collections::VecDeque::new(),
            retries: Vec::new(),
            in_flight_events: 0,
            stats: self.stats.clone(),
        };
        let mut in_flight: JoinSet<(Batch, Outcome)> = JoinSet::new();
        loop {
            while in_flight.len() < MAX_CONCURRENT_REQUESTS {
                let Some(batch) = queue.next_ready(Instant::now()) else {
                    break;
                };
                {
                    let mut stats = lock(&self.stats);
                    stats.attempts += 1;
                    if batch.attempt == 0 {
                        stats.batches_sent += 1;
                    }
                }
                queue.in_flight_events += batch.events.len();
                let target = self.target.clone();
                in_flight.spawn(async move {
                    let outcome = attempt(&target, &batch).await;
                    (batch, outcome)
                });
            }
            let next_retry = queue.next_retry_at();
            tokio::select! {
                received = queue.events.recv() => match received {
                    Some(events) => queue.waiting.extend(events),
                    // Unsubscribed or dropped: stop now, abandoning what is left.
                    None => return,
                },
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Ok((batch, outcome)) = joined {
                        queue.in_flight_events -= batch.events.len();
                        self.settle(&mut queue, batch, outcome);
                    }
                },
                () = sleep_until(next_retry), if next_retry.is_some() => {},
            }
        }
    }

    /// Books a finished request: delivered, scheduled again, or given up.
    fn settle(&self, queue: &mut Queue, mut batch: Batch, outcome: Outcome) {
        let events = batch.events.len() as u64;
        let mut stats = lock(&self.stats);
        match outcome {
            Outcome::Delivered => {
                stats.delivered_batches += 1;
                stats.delivered_events += events;
                stats.pending_events = stats.pending_events.saturating_sub(events);
            }
            Outcome::Refused(status) => {
                tracing::debug!(
                    status,
                    events,
                    "hubspot sandbox: webhook batch refused, dropped"
                );
                stats.failed_attempts += 1;
                stats.dropped_batches += 1;
                stats.pending_events = stats.pending_events.saturating_sub(events);
            }
            Outcome::Retry(_) if batch.attempt >= MAX_RETRIES => {
                tracing::debug!(
                    events,
                    "hubspot sandbox: webhook batch failed its last retry, dropped"
                );
                stats.failed_attempts += 1;
                stats.dropped_batches += 1;
                stats.pending_events = stats.pending_events.saturating_sub(events);
            }
            Outcome::Retry(retry_after) => {
                stats.failed_attempts += 1;
                batch.attempt += 1;
                let base = Duration::from_millis(self.retry_base_ms.load(Ordering::Relaxed));
                let mut delay = retry_delay(base, batch.attempt);
                if let Some(floor) = retry_after {
                    delay = delay.max(floor);
                }
                tracing::debug!(
                    events,
                    attempt = batch.attempt,
                    delay_ms = delay.as_millis() as u64,
                    "hubspot sandbox: webhook batch will be retried"
                );
                queue.retries.push((Instant::now() + delay, batch));
            }
        }
    }
}

/// The delay before retry `n` (1 to [`MAX_RETRIES`]): `base · 2^(n-1)`, randomised by ±25 %
/// as HubSpot spreads its retries. With the default base of 84 s the ten retries span about
/// 24 hours.
pub(crate) fn retry_delay(base: Duration, n: u32) -> Duration {
    let doubling = 1u32 << n.saturating_sub(1).min(20);
    let jitter = rand::rng().random_range(0.75..=1.25);
    base.saturating_mul(doubling).mul_f64(jitter)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Events not yet settled: in the channel, waiting, in flight, or waiting to retry.
struct Queue {
    events: mpsc::UnboundedReceiver<Vec<Event>>,
    waiting: std::collections::VecDeque<Event>,
    retries: Vec<(Instant, Batch)>,
    in_flight_events: usize,
    stats: Arc<Mutex<WebhookStats>>,
}

impl Queue {
    /// A due retry first, else a new batch of up to [`MAX_BATCH`] waiting events.
    fn next_ready(&mut self, now: Instant) -> Option<Batch> {
        while let Ok(events) = self.events.try_recv() {
            self.waiting.extend(events);
        }
        let due = self
            .retries
            .iter()
            .enumerate()
            .filter(|(_, (at, _))| *at <= now)
            .min_by_key(|(_, (at, _))| *at)
            .map(|(i, _)| i);
        if let Some(i) = due {
            return Some(self.retries.swap_remove(i).1);
        }
        if self.waiting.is_empty() {
            return None;
        }
        let take = self.waiting.len().min(MAX_BATCH);
        Some(Batch {
            events: self.waiting.drain(..take).collect(),
            attempt: 0,
        })
    }

    fn next_retry_at(&self) -> Option<Instant> {
        self.retries.iter().map(|(at, _)| *at).min()
    }
}

impl Drop for Queue {
    // Whatever is left will never be delivered: it is no longer pending.
    fn drop(&mut self) {
        self.events.close();
        let mut left = self.waiting.len() + self.in_flight_events;
        left += self
            .retries
            .iter()
            .map(|(_, b)| b.events.len())
            .sum::<usize>();
        while let Ok(events) = self.events.try_recv() {
            left += events.len();
        }
        if left > 0 {
            let mut stats = lock(&self.stats);
            stats.pending_events = stats.pending_events.saturating_sub(left as u64);
        }
    }
}

/// One signed POST of `batch`, its events carrying its attempt number.
async fn attempt(target: &Target, batch: &Batch) -> Outcome {
    let events: Vec<Event> = batch
        .events
        .iter()
        .map(|e| Event {
            attempt_number: batch.attempt,
            ..e.clone()
        })
        .collect();
    let body = match serde_json::to_vec(&events) {
        Ok(body) => body,
        Err(_) => return Outcome::Refused(0),
    };
    let timestamp = chrono::Utc::now().timestamp_millis();
    let url = target.url.as_str();
    let secret = target.secret.expose();
    let request = target
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-HubSpot-Signature", sign::v1(secret, &body))
        .header("X-HubSpot-Signature-Version", "v1")
        .header(
            "X-HubSpot-Signature-v3",
            sign::v3(secret, "POST", url, &body, timestamp),
        )
        .header("X-HubSpot-Request-Timestamp", timestamp.to_string())
        .header(
            "X-HubSpot-Timeout-Millis",
            REQUEST_TIMEOUT.as_millis().to_string(),
        )
        .body(body);
    match request.send().await {
        Err(error) => {
            // No URL in the message: a target's query string may carry a token of its own.
            tracing::debug!(
                timeout = error.is_timeout(),
                connect = error.is_connect(),
                "hubspot sandbox: webhook request failed"
            );
            Outcome::Retry(None)
        }
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                Outcome::Delivered
            } else if status.as_u16() == 429 {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Outcome::Retry(retry_after)
            } else if status.is_client_error() {
                Outcome::Refused(status.as_u16())
            } else {
                Outcome::Retry(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_retries_span_about_a_day_at_the_default_base() {
        let total: Duration = (1..=MAX_RETRIES)
            .map(|n| retry_delay(super::super::DEFAULT_RETRY_BASE, n))
            .sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((16.0..=32.0).contains(&hours), "{hours} h");
        let first = retry_delay(Duration::from_millis(50), 1);
        assert!(first >= Duration::from_millis(37) && first <= Duration::from_millis(63));
        assert!(retry_delay(Duration::from_millis(50), 4) >= Duration::from_millis(300));
    }
}
