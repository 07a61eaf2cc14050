//! Load run of the hot path: `GET /api/integrations/hubspot/items` on the real server (sandbox
//! mode, Redis, fresh token), so each request is one Redis read, one decrypt and one upstream call.
//! Prints throughput, latency percentiles and peak memory; numbers go to docs/benchmarks.md.
//!
//! `cargo bench -p e2e --bench items_load` (env: LOAD_REQUESTS, LOAD_CONCURRENCY).

use std::time::{Duration, Instant};

use e2e::bench::{env_or, peak_rss_mib};
use e2e::spawn_sandbox_app;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a short smoke.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let requests = if smoke {
        50
    } else {
        env_or("LOAD_REQUESTS", 5000)
    };
    let concurrency = env_or("LOAD_CONCURRENCY", 32);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(requests, concurrency, smoke));
}

/// Latencies of `requests` GETs of `url` with `header`, `concurrency` at a time, and the wall time.
async fn load(
    client: &reqwest::Client,
    url: &str,
    header: (&'static str, String),
    requests: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(requests);
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = 0;
    while sent < requests || !tasks.is_empty() {
        while sent < requests && tasks.len() < concurrency {
            let request = client.get(url).header(header.0, header.1.clone());
            tasks.spawn(async move {
                let t = Instant::now();
                let res = request.send().await.expect("request");
                assert!(res.status().is_success(), "{}", res.status());
                res.bytes().await.expect("body");
                t.elapsed()
            });
            sent += 1;
        }
        if let Some(done) = tasks.join_next().await {
            latencies.push(done.expect("task"));
        }
    }
    latencies.sort();
    (started.elapsed(), latencies)
}

fn report(
    what: &str,
    smoke: bool,
    requests: usize,
    concurrency: usize,
    run: &(Duration, Vec<Duration>),
) {
    let (elapsed, latencies) = run;
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}{}: {requests} requests, concurrency {concurrency}: {:.0} req/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        if smoke { " (smoke)" } else { "" },
        requests as f64 / elapsed.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(*latencies.last().expect("latencies")),
    );
}

async fn run(requests: usize, concurrency: usize, smoke: bool) {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    // Measure our overhead, not the fake's rate limiter.
    sandbox.update(|k| k.rate_limit = None);
    app.connect_via_sandbox("load_user").await;
    sandbox.reset_stats();

    let url = app.url("/api/integrations/hubspot/items?limit=10");
    let through_us = load(
        &app.client,
        &url,
        ("X-User-Id", "load_user".into()),
        requests,
        concurrency,
    )
    .await;
    let stats = sandbox.stats();
    report("items load", smoke, requests, concurrency, &through_us);
    println!(
        "  upstream calls {}, refreshes {}; peak RSS (server + load client) {:.1} MiB",
        stats.objects,
        stats.token_refresh,
        peak_rss_mib(),
    );

    // The same page straight from the upstream (the sandbox), with the same client and token:
    // the floor our overhead is measured against.
    let token = app.stored("load_user").await.expect("connected");
    let direct_url = app.url("/_sandbox/hubspot/crm/v3/objects/contacts?limit=10&archived=false");
    let bearer = format!(
        "Bearer {}",
        integration_core::ExposeSecret::expose_secret(&token.access_token)
    );
    let direct = load(
        &app.client,
        &direct_url,
        ("Authorization", bearer),
        requests,
        concurrency,
    )
    .await;
    report("upstream direct", smoke, requests, concurrency, &direct);
    assert_eq!(
        stats.objects as usize, requests,
        "one upstream call per request"
    );
    assert_eq!(
        stats.token_refresh, 0,
        "no refresh while the token is fresh"
    );
}
