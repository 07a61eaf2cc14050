//! Webhooks, measured: the real server (in process, sandbox mode) and a real Redis. Prints the
//! numbers docs/benchmarks.md reports.
//!
//! `cargo bench -p e2e --bench webhook_load` runs every part; `WEBHOOK_BENCH=rate|max|latency`
//! runs one.
//!
//! - rate: HubSpot delivering 1,000 events/s for 10 s (`WEBHOOK_RATE`, `WEBHOOK_BATCH` events
//!   per signed request, default 100, also run at 10): per-request latency p50/p99/max, events
//!   stored.
//! - max: 8 senders posting 100-event batches back to back for 5 s: events/s and p99.
//! - latency: a change made in the sandbox until it is on a long-polled `/events`: p50/p99 over
//!   100 changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use e2e::TestApp;
use e2e::bench::env_or;
use hmac::{Hmac, Mac as _};
use hubspot_sandbox::{ObjectType, Pick};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "sandbox-hubspot-client-secret";

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    server::telemetry::init_with(server::settings::LogFormat::Json, "info", std::io::sink);
    let part = std::env::var("WEBHOOK_BENCH").unwrap_or_else(|_| "all".into());
    let wants = |name: &str| part == "all" || part == name;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let app = e2e::spawn_sandbox_app().await;
        app.connect_via_sandbox("bench").await;
        let hub = app.sandbox.as_ref().expect("sandbox").hub_id();
        let seconds = if smoke { 1 } else { 10 };
        if wants("rate") {
            let rate = env_or("WEBHOOK_RATE", 1_000);
            for batch in [env_or("WEBHOOK_BATCH", 100), 10] {
                at_rate(&app, hub, rate, batch, seconds).await;
            }
        }
        if wants("max") {
            flat_out(&app, hub, 8, if smoke { 1 } else { 5 }).await;
        }
        if wants("latency") {
            latency(&app, if smoke { 5 } else { 100 }).await;
        }
    });
}

fn sign(uri: &str, body: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("POST{uri}{body}{timestamp}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A batch of `size` distinct contact.propertyChange events.
fn batch(hub: u64, first: u64, size: u64) -> String {
    let events: Vec<Value> = (first..first + size)
        .map(|n| {
            json!({"eventId": n, "subscriptionId": 1, "portalId": hub, "appId": 1,
                   "occurredAt": 1_765_000_000_000_u64 + n, "subscriptionType": "contact.propertyChange",
                   "attemptNumber": 0, "objectId": 1000 + n % 5000, "propertyName": "email",
                   "propertyValue": format!("{n}@example.com"), "changeSource": "CRM"})
        })
        .collect();
    Value::Array(events).to_string()
}

/// Posts one signed batch; its latency and whether it was stored whole.
async fn post(client: &reqwest::Client, uri: &str, body: String) -> (Duration, bool) {
    let now = chrono::Utc::now().timestamp_millis();
    let signature = sign(uri, &body, now);
    let started = Instant::now();
    let res = client
        .post(uri)
        .header("Content-Type", "application/json")
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", now.to_string())
        .body(body)
        .send()
        .await
        .expect("post");
    let ok = res.status().is_success();
    let _ = res.bytes().await;
    (started.elapsed(), ok)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn report(what: &str, mut latencies: Vec<Duration>, events: u64, elapsed: Duration) {
    latencies.sort();
    println!(
        "{what}: {} requests, {events} events in {:.2} s = {:.0} events/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// `rate` events a second in batches of `batch`, on a fixed schedule (requests overlap when
/// one is slow, as HubSpot's concurrent deliveries do).
async fn at_rate(app: &TestApp, hub: u64, rate: usize, batch_size: usize, seconds: u64) {
    let uri = app.url("/api/webhooks/hubspot");
    let client = reqwest::Client::new();
    let requests = rate as u64 * seconds / batch_size as u64;
    let interval = Duration::from_secs(seconds) / u32::try_from(requests).unwrap_or(1);
    let mut ticker = tokio::time::interval(interval);
    let base = rand_base();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..requests {
        ticker.tick().await;
        let (client, uri) = (client.clone(), uri.clone());
        let body = batch(hub, base + n * batch_size as u64, batch_size as u64);
        tasks.spawn(async move { post(&client, &uri, body).await });
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    while let Some(done) = tasks.join_next().await {
        let (latency, ok) = done.expect("task");
        latencies.push(latency);
        failed += u64::from(!ok);
    }
    assert_eq!(failed, 0, "every batch stored");
    report(
        &format!("intake at {rate} events/s, {batch_size} per request"),
        latencies,
        requests * batch_size as u64,
        started.elapsed(),
    );
}

/// `senders` posting 100-event batches back to back for `seconds`.
async fn flat_out(app: &TestApp, hub: u64, senders: u64, seconds: u64) {
    let uri = Arc::new(app.url("/api/webhooks/hubspot"));
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(seconds);
    let base = rand_base();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for sender in 0..senders {
        let (client, uri) = (client.clone(), uri.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0;
            while Instant::now() < until {
                let first = base + (sender * 1_000_000 + n) * 100;
                let (latency, ok) = post(&client, &uri, batch(hub, first, 100)).await;
                assert!(ok, "stored");
                latencies.push(latency);
                n += 1;
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done.expect("task"));
    }
    let events = latencies.len() as u64 * 100;
    report(
        &format!("intake flat out, {senders} senders"),
        latencies,
        events,
        started.elapsed(),
    );
}

/// A change made in the sandbox until a waiting `/events` long poll returns it.
async fn latency(app: &TestApp, samples: usize) {
    let sandbox = app.sandbox.clone().expect("sandbox");
    let first = app
        .get_as("bench", "/api/integrations/hubspot/events")
        .await
        .text()
        .await
        .expect("body");
    let mut offset = end_offset(&first);
    let mut latencies = Vec::new();
    for n in 0..samples {
        let poll = {
            let path = format!("/api/integrations/hubspot/events?since={offset}&wait=10");
            let client = app.client.clone();
            let url = app.url(&path);
            tokio::spawn(async move {
                client
                    .get(url)
                    .header("X-User-Id", "bench")
                    .send()
                    .await
                    .expect("poll")
                    .text()
                    .await
                    .expect("body")
            })
        };
        // Let the poll start waiting, then change one contact.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let changed = Instant::now();
        sandbox.modify_records(ObjectType::Contacts, Pick::Count(1 + n % 3));
        let text = poll.await.expect("poll task");
        latencies.push(changed.elapsed());
        assert!(text.contains("\"upsert\""), "{text}");
        offset = end_offset(&text);
    }
    latencies.sort();
    println!(
        "sandbox change to /events (webhook, intake, Redis, long poll): {samples} changes, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

fn end_offset(ndjson: &str) -> String {
    let end: Value = serde_json::from_str(ndjson.lines().last().expect("a line")).expect("json");
    end["offset"].as_str().expect("offset").to_owned()
}

/// A distinct event-id range per run, so runs against one Redis never dedupe each other.
fn rand_base() -> u64 {
    u64::from(uuid::Uuid::new_v4().as_u128() as u32) << 20
}
