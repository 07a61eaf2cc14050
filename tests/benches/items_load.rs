//! Load run of the hot path: `GET /api/integrations/hubspot/items` on the real server (sandbox
//! mode, Redis, fresh token), so each request is one Redis read, one decrypt and one upstream call.
//! Prints throughput, latency percentiles and peak memory; numbers go to docs/benchmarks.md.
//!
//! `cargo bench -p e2e --bench items_load` (env: LOAD_REQUESTS, LOAD_CONCURRENCY).

use std::time::{Duration, Instant};

use e2e::spawn_sandbox_app;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

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

async fn run(requests: usize, concurrency: usize, smoke: bool) {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    // Measure our overhead, not the fake's rate limiter.
    sandbox.update(|k| k.rate_limit = None);
    app.connect_via_sandbox("load_user").await;
    sandbox.reset_stats();

    let url = app.url("/api/integrations/hubspot/items?limit=10");
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(requests);
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = 0;
    while sent < requests || !tasks.is_empty() {
        while sent < requests && tasks.len() < concurrency {
            let client = app.client.clone();
            let url = url.clone();
            tasks.spawn(async move {
                let t = Instant::now();
                let res = client
                    .get(url)
                    .header("X-User-Id", "load_user")
                    .send()
                    .await
                    .expect("request");
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
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let stats = sandbox.stats();
    println!(
        "items load{}: {requests} requests, concurrency {concurrency}: {:.0} req/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; upstream calls {}, refreshes {}; peak RSS (server + load client) {:.1} MiB",
        if smoke { " (smoke)" } else { "" },
        requests as f64 / elapsed.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(*latencies.last().expect("latencies")),
        stats.objects,
        stats.token_refresh,
        peak_rss_mib(),
    );
    assert_eq!(
        stats.objects as usize, requests,
        "one upstream call per request"
    );
    assert_eq!(
        stats.token_refresh, 0,
        "no refresh while the token is fresh"
    );
}
