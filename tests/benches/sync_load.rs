//! Sync at scale, measured: the real server (in process) in front of a standalone HubSpot sandbox
//! holding N generated contacts, a real Redis. Prints the numbers docs/benchmarks.md reports.
//!
//! `cargo bench -p e2e --bench sync_load` runs every part; `SYNC_BENCH=export|floor|replicas|changes|webhooks`
//! runs one. `EXPORT_CONTACTS=N` sizes the export part (without it, the bench runs itself once per
//! size, 10k / 100k / 1M, so each peak RSS is its own process's).
//!
//! - export: one `GET …/export` of N contacts, rate limits off: contacts/s, upstream page calls
//!   (list pages of 100 and search pages of 200, the two lanes meeting), peak RSS of the whole
//!   process (server + sandbox + client).
//! - first: the first sync of `FIRST_CONTACTS` contacts (without it 10k, 100k and 1M in turn)
//!   under HubSpot's real limits (110 calls in any 10 s; search 5 in any second), the budget
//!   on: time against the two-lane ceiling (and the one-lane one), calls by lane, upstream 429s.
//! - floor: 250 contacts in one export request vs the same three pages fetched straight from the
//!   sandbox with the same client and token, at 1 and 8 connections (`FLOOR_LATENCY_MS` adds
//!   upstream latency to every call, as HubSpot has).
//! - replicas: two servers on one Redis (shared rate budget), four users of one portal exporting
//!   at once against the sandbox's real limit (110 / 10 s): aggregate rate, shares, upstream 429s.
//! - changes: a 1,000,000-contact portal, 5,000 modified and 100 archived; one `changes` run, with
//!   the sandbox's search limit (5/s) and without.
//! - webhooks: 1,000 of 100,000 contacts modified; one `changes` run through search windows
//!   alone, then with the webhooks HubSpot sent for them (fetched by id first), then with the
//!   search index a minute behind: time and upstream calls by kind.
//! - crm: the whole CRM of `CRM_CONTACTS` contacts (100,000; 10% as many companies, 20% as many
//!   deals, one contact with 1,200 deals) in one export with `properties=*` (650) and
//!   `associations=companies,deals`, rate limits off: contacts/s, upstream calls per 100
//!   records, peak RSS; then `CRM_LIMITED` contacts (10,000) under HubSpot's real limit with
//!   the budget on: time vs the limit's ceiling, upstream 429s; and discovery, first call vs
//!   cached.

use std::time::{Duration, Instant};

use e2e::bench::{env_or, peak_rss_mib};
use e2e::{AppOptions, TestApp, fresh_prefix, spawn_app_with};
use hubspot::HubSpotConfig;
use hubspot_sandbox::{ObjectType, Pick, RateLimit, RegisteredClient, Sandbox, SandboxConfig};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, CredentialStore as _, Credentials, ExposeSecret as _,
    Integration as _, OAuthState, PkceVerifier,
};
use url::Url;

const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: a short smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    // As deployed: info-level JSON logs (to nowhere), not the test harness's debug capture,
    // which would charge every request for formatting debug events into memory.
    server::telemetry::init_with(server::settings::LogFormat::Json, "info", std::io::sink);
    let part = std::env::var("SYNC_BENCH").unwrap_or_else(|_| "all".into());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let wants = |name: &str| part == "all" || part == name;
    if wants("export") {
        match std::env::var("EXPORT_CONTACTS") {
            Ok(_) => runtime.block_on(export(env_or("EXPORT_CONTACTS", 100_000))),
            Err(_) if smoke => runtime.block_on(export(2_000)),
            // One process per size: peak RSS is a high-water mark.
            Err(_) => {
                for n in [10_000, 100_000, 1_000_000] {
                    let status = std::process::Command::new(std::env::current_exe().expect("exe"))
                        .arg("--bench")
                        .env("SYNC_BENCH", "export")
                        .env("EXPORT_CONTACTS", n.to_string())
                        .status()
                        .expect("child bench");
                    assert!(status.success(), "export bench of {n} failed");
                }
            }
        }
    }
    if wants("first") {
        let sizes = match std::env::var("FIRST_CONTACTS") {
            Ok(_) => vec![env_or("FIRST_CONTACTS", 100_000)],
            Err(_) if smoke => vec![3_000],
            Err(_) => vec![10_000, 100_000, 1_000_000],
        };
        for contacts in sizes {
            runtime.block_on(first_sync(contacts));
        }
    }
    if wants("floor") {
        runtime.block_on(floor(if smoke { 20 } else { 400 }));
    }
    if wants("replicas") && !smoke {
        runtime.block_on(replicas(env_or("REPLICAS_CONTACTS", 3_000)));
    }
    if wants("changes") {
        let (contacts, modified, archived) = if smoke {
            (5_000, 50, 5)
        } else {
            (1_000_000, 5_000, 100)
        };
        runtime.block_on(changes(contacts, modified, archived, !smoke));
    }
    if wants("crm") {
        let (contacts, limited) = if smoke {
            (1_000, 500)
        } else {
            (
                env_or("CRM_CONTACTS", 100_000),
                env_or("CRM_LIMITED", 10_000),
            )
        };
        runtime.block_on(crm(contacts, limited));
    }
    if wants("webhooks") {
        let (contacts, modified) = if smoke {
            (2_000, 100)
        } else {
            (100_000, 1_000)
        };
        runtime.block_on(webhooks(contacts, modified));
    }
}

/// A sandbox on its own port with `contacts` contacts and our client registered.
fn sandbox(contacts: usize, limits: bool) -> (Sandbox, Url) {
    sandbox_of(
        SandboxConfig {
            contacts,
            ..SandboxConfig::default()
        },
        limits,
    )
}

/// A sandbox of `config` on its own port, with our client registered and HubSpot's limits when
/// `limits`.
fn sandbox_of(config: SandboxConfig, limits: bool) -> (Sandbox, Url) {
    let sandbox = Sandbox::new(SandboxConfig {
        clients: vec![RegisteredClient {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![REDIRECT.into()],
        }],
        rate_limit: limits.then(RateLimit::default),
        search_rate_limit: limits.then(RateLimit::search),
        ..config
    });
    let (base, _) = sandbox.spawn().expect("sandbox runs");
    (sandbox, base)
}

/// The server with HubSpot pointed at the sandbox at `base`.
async fn server(base: &Url, prefix: &str, budget: bool) -> TestApp {
    let base = base.as_str().trim_end_matches('/');
    let vars = [
        ("HUBSPOT_CLIENT_ID", CLIENT_ID.to_owned()),
        ("HUBSPOT_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("HUBSPOT_REDIRECT_URI", REDIRECT.to_owned()),
        ("HUBSPOT_AUTH_URL", format!("{base}/oauth/authorize")),
        (
            "HUBSPOT_TOKEN_URL",
            format!("{base}{}", hubspot::paths::TOKEN_2026_03),
        ),
        ("HUBSPOT_API_BASE_URL", base.to_owned()),
        ("RATE_BUDGET_ENABLED", budget.to_string()),
        ("INDEX_LAG_SECS", "0".to_owned()),
    ];
    let vars = vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let options = AppOptions {
        key_prefix: prefix.to_owned(),
        ..AppOptions::default()
    };
    spawn_app_with(vars, options).await
}

/// `user` approves the sandbox's consent page; the grant is stored as the server would store it.
async fn connect(app: &TestApp, base: &Url, user: &str) -> Credentials {
    let config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into())
        .with_base_url(base)
        .expect("config");
    let hubspot = hubspot::provider(config, hubspot::http_client(Duration::from_secs(10)));
    let (state, verifier) = (OAuthState::generate(), PkceVerifier::generate());
    let challenge = verifier.challenge();
    let consent = hubspot
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: REDIRECT,
            pkce_challenge: Some(&challenge),
            extra_scopes: &[],
        })
        .expect("consent url");
    let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let res = app
        .client
        .post(base.join("oauth/authorize/decision").expect("url"))
        .form(&form)
        .send()
        .await
        .expect("approve");
    let back = Url::parse(res.headers()["location"].to_str().expect("ascii")).expect("url");
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1;
    let code = AuthorizationCode::parse(&code).expect("code");
    let credentials = hubspot
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .expect("exchange");
    let id = integration_core::UserId::parse(user).expect("user id");
    app.store
        .save("hubspot", &id, &credentials)
        .await
        .expect("save");
    credentials
}

/// Reads an NDJSON stream chunk by chunk (never whole): lines with an `id` (an export's records,
/// a changes run's deletions), all lines, and the last line without one.
async fn drain(res: reqwest::Response) -> (usize, usize, String) {
    assert!(res.status().is_success(), "{}", res.status());
    let (mut items, mut lines, mut line) = (0, 0, Vec::new());
    let mut last = String::new();
    let mut res = res;
    while let Some(chunk) = res.chunk().await.expect("chunk") {
        for &byte in chunk.iter() {
            if byte != b'\n' {
                line.push(byte);
                continue;
            }
            lines += 1;
            // Items always have an `id` key; start, cursor, end and error lines never do.
            if line.windows(5).any(|w| w == b"\"id\":") {
                items += 1;
            } else {
                last = String::from_utf8_lossy(&line).into_owned();
            }
            line.clear();
        }
    }
    (items, lines, last)
}

async fn export(contacts: usize) {
    let (sandbox, base) = sandbox(contacts, false);
    let app = server(&base, &fresh_prefix(), false).await;
    connect(&app, &base, "exporter").await;
    sandbox.reset_stats();
    let started = Instant::now();
    let res = app
        .get_as(
            "exporter",
            "/api/integrations/hubspot/export?object_type=contacts",
        )
        .await;
    let (records, _, last) = drain(res).await;
    let elapsed = started.elapsed();
    let end: serde_json::Value = serde_json::from_str(&last).expect("end line");
    assert_eq!(end["type"], "end", "the stream ended");
    assert_eq!(records, contacts, "every contact once");
    let stats = sandbox.stats();
    // The lanes read each record once, but for the pages in flight when they meet.
    let read = stats.objects as usize * 100 + stats.search as usize * 200;
    assert!(
        read >= contacts && read <= contacts + 2 * (100 + 200),
        "{} list and {} search pages for {contacts}",
        stats.objects,
        stats.search
    );
    println!(
        "export {contacts} contacts: {:.2} s, {:.0} contacts/s; {} list pages of 100 + {} search pages of 200; peak RSS {:.1} MiB (server + sandbox + client)",
        elapsed.as_secs_f64(),
        contacts as f64 / elapsed.as_secs_f64(),
        stats.objects,
        stats.search,
        peak_rss_mib(),
    );
}

/// How soon HubSpot's limits allow `contacts` records, reading list pages of 100 at 110 calls in
/// any ten seconds (110 at once, 110 more ten seconds later, …) and, with `search`, search pages
/// of 200 at five in any second besides: the least `t` whose calls carry them all.
fn ceiling(contacts: usize, search: bool) -> f64 {
    let carried = |t: f64| {
        let lists = 110 * ((t / 10.0).floor() as usize + 1);
        let searches = if search {
            5 * (t.floor() as usize + 1)
        } else {
            0
        };
        lists * 100 + searches * 200
    };
    // Whole hundredths of a second are precise enough for a ceiling in seconds.
    (0..)
        .map(|hundredths| f64::from(hundredths) / 100.0)
        .find(|t| carried(*t) >= contacts)
        .unwrap_or(f64::MAX)
}

/// A first sync of `contacts` under HubSpot's real limits with the budget on.
async fn first_sync(contacts: usize) {
    let (sandbox, base) = sandbox(contacts, true);
    let app = server(&base, &fresh_prefix(), true).await;
    connect(&app, &base, "first").await;
    sandbox.reset_stats();
    let started = Instant::now();
    let res = app
        .get_as(
            "first",
            "/api/integrations/hubspot/export?object_type=contacts",
        )
        .await;
    let (records, _, last) = drain(res).await;
    let elapsed = started.elapsed().as_secs_f64();
    let end: serde_json::Value = serde_json::from_str(&last).expect("end line");
    let stats = sandbox.stats();
    assert_eq!(
        end["type"], "end",
        "the stream ended: {last} after {records} records, {elapsed:.1} s, {stats:?}"
    );
    assert_eq!(records, contacts, "every contact once");
    let stats = sandbox.stats();
    let (two, one) = (ceiling(contacts, true), ceiling(contacts, false));
    println!(
        "first sync of {contacts} contacts under HubSpot's limits: {elapsed:.1} s ({:.0} contacts/s); two-lane ceiling {two:.1} s ({:.0}% of it), one-lane ceiling {one:.1} s; {} list + {} search calls; upstream 429s: {}; peak RSS {:.1} MiB",
        contacts as f64 / elapsed,
        if elapsed > 0.0 {
            two / elapsed * 100.0
        } else {
            100.0
        },
        stats.objects,
        stats.search,
        stats.rate_limited,
        peak_rss_mib(),
    );
}

/// 250 contacts in one export vs three pages straight from the sandbox, `rounds` times each.
async fn floor(rounds: usize) {
    // `FLOOR_LATENCY_MS`: the sandbox answers every call that much later (HubSpot's own
    // latency is tens to hundreds of milliseconds; the in-process sandbox's is none).
    let latency = Duration::from_millis(env_or("FLOOR_LATENCY_MS", 0) as u64);
    let (_sandbox, base) = sandbox_of(
        SandboxConfig {
            contacts: 250,
            latency,
            ..SandboxConfig::default()
        },
        false,
    );
    let app = server(&base, &fresh_prefix(), false).await;
    let token = connect(&app, &base, "floor").await.access_token;
    let bearer = format!("Bearer {}", token.expose_secret());
    let direct = |after: Option<&str>| {
        let mut url = base.join("crm/v3/objects/contacts").expect("url");
        url.query_pairs_mut()
            .append_pair("limit", "100")
            .append_pair("properties", "firstname,lastname,email")
            .append_pair("archived", "false");
        if let Some(after) = after {
            url.query_pairs_mut().append_pair("after", after);
        }
        app.client.get(url).header("Authorization", bearer.clone())
    };
    for connections in [1, 8] {
        let through = timed(rounds, connections, || async {
            let res = app
                .get_as("floor", "/api/integrations/hubspot/export")
                .await;
            assert_eq!(drain(res).await.0, 250);
        })
        .await;
        let straight = timed(rounds, connections, || async {
            let mut after: Option<String> = None;
            let mut seen = 0;
            loop {
                let page: serde_json::Value = direct(after.as_deref())
                    .send()
                    .await
                    .expect("page")
                    .json()
                    .await
                    .expect("json");
                seen += page["results"].as_array().expect("results").len();
                match page.pointer("/paging/next/after").and_then(|a| a.as_str()) {
                    Some(next) => after = Some(next.to_owned()),
                    None => break,
                }
            }
            assert_eq!(seen, 250);
        })
        .await;
        let paged = timed(rounds, connections, || async {
            let mut cursor: Option<String> = None;
            let mut seen = 0;
            loop {
                let query = match &cursor {
                    Some(c) => format!("?limit=100&cursor={c}"),
                    None => "?limit=100".to_owned(),
                };
                let path = format!("/api/integrations/hubspot/items{query}");
                let res = app.get_as("floor", &path).await;
                let page: serde_json::Value = res.json().await.expect("json");
                seen += page["items"].as_array().expect("items").len();
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }
            assert_eq!(seen, 250);
        })
        .await;
        println!(
            "250 contacts, {connections} connection(s): export request {:.2} ms p50 / {:.0} loads/s; three pages through /items {:.2} ms p50 / {:.0} loads/s; three direct pages {:.2} ms p50 / {:.0} loads/s; export/direct {:.2}x (p50) {:.2}x (throughput); items/direct {:.2}x (p50)",
            through.0 * 1e3,
            through.1,
            paged.0 * 1e3,
            paged.1,
            straight.0 * 1e3,
            straight.1,
            through.0 / straight.0,
            straight.1 / through.1,
            paged.0 / straight.0,
        );
    }
}

/// `rounds` runs of `load`, `connections` at a time: (p50 seconds, loads per second).
async fn timed<F, Fut>(rounds: usize, connections: usize, load: F) -> (f64, f64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(rounds);
    let mut pending = futures_util::stream::FuturesUnordered::new();
    let mut sent = 0;
    use futures_util::StreamExt as _;
    while sent < rounds || !pending.is_empty() {
        while sent < rounds && pending.len() < connections {
            let run = load();
            pending.push(async move {
                let t = Instant::now();
                run.await;
                t.elapsed()
            });
            sent += 1;
        }
        if let Some(latency) = pending.next().await {
            latencies.push(latency);
        }
    }
    latencies.sort();
    let p50 = latencies[latencies.len() / 2].as_secs_f64();
    (p50, rounds as f64 / started.elapsed().as_secs_f64())
}

/// Two replicas, four users of one portal, each exporting `contacts` contacts at once.
async fn replicas(contacts: usize) {
    let (sandbox, base) = sandbox(contacts, true);
    let prefix = fresh_prefix();
    let apps = [
        server(&base, &prefix, true).await,
        server(&base, &prefix, true).await,
    ];
    let users = ["ana", "ben", "cho", "dev"];
    for user in users {
        connect(&apps[0], &base, user).await;
    }
    sandbox.reset_stats();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, user) in users.iter().enumerate() {
        let app = &apps[i % 2];
        let request = app
            .client
            .get(app.url("/api/integrations/hubspot/export?object_type=contacts"))
            .header("X-User-Id", *user);
        let user = *user;
        tasks.spawn(async move {
            let (records, _, last) = drain(request.send().await.expect("export")).await;
            (user, records, last, Instant::now())
        });
    }
    let mut finished = Vec::new();
    while let Some(done) = tasks.join_next().await {
        finished.push(done.expect("task"));
    }
    let elapsed = started.elapsed();
    let stats = sandbox.stats();
    let calls = stats.objects + stats.search;
    // Both of HubSpot's allowances, the list's and search's, for everyone's records.
    let floor_secs = ceiling(contacts * users.len(), true);
    println!(
        "replicas: 2 servers, 4 users of one portal, {contacts} contacts each: {} upstream calls ({} list, {} search) in {:.1} s; the limits allow them in {:.1} s at best; upstream 429s: {} ({:.2}% of calls)",
        calls,
        stats.objects,
        stats.search,
        elapsed.as_secs_f64(),
        floor_secs,
        stats.rate_limited,
        stats.rate_limited as f64 / calls.max(1) as f64 * 100.0,
    );
    for (user, records, last, at) in finished {
        let ended = last.contains("\"type\":\"end\"");
        println!(
            "  {user}: {records} contacts, finished after {:.1} s, {}",
            (at - started).as_secs_f64(),
            if ended {
                "complete (end line)"
            } else {
                "CUT SHORT"
            }
        );
    }
}

async fn changes(contacts: usize, modified: usize, archived: usize, limited: bool) {
    for limits in [false, true] {
        if limits && !limited {
            continue;
        }
        let (sandbox, base) = sandbox(contacts, limits);
        // Measures our side: HubSpot's search index lag (its own seconds) is left out.
        sandbox.update(|knobs| knobs.contract.search_lag = hubspot_sandbox::SearchLag::OFF);
        // Against HubSpot's limits, with ours on (as deployed): searches paced at 5/s.
        let app = server(&base, &fresh_prefix(), limits).await;
        connect(&app, &base, "syncer").await;
        // The checkpoint an export hands out (sealed by the server for this user).
        let export = app
            .get_as("syncer", "/api/integrations/hubspot/export")
            .await;
        let (_, _, end) = drain(export).await;
        let end: serde_json::Value = serde_json::from_str(&end).expect("end line");
        let checkpoint = end["checkpoint"].as_str().expect("checkpoint").to_owned();
        tokio::time::sleep(Duration::from_millis(5)).await;
        sandbox.modify_records(ObjectType::Contacts, Pick::Count(modified));
        sandbox.archive_records(ObjectType::Contacts, Pick::Count(archived));
        tokio::time::sleep(Duration::from_millis(5)).await;
        sandbox.reset_stats();
        let started = Instant::now();
        let path = format!("/api/integrations/hubspot/changes?since={checkpoint}");
        let (records, _, last) = drain(app.get_as("syncer", &path).await).await;
        let elapsed = started.elapsed();
        let end: serde_json::Value = serde_json::from_str(&last).expect("end line");
        assert_eq!(end["type"], "end", "{last}");
        let stats = sandbox.stats();
        println!(
            "changes on {contacts} contacts, {modified} modified + {archived} archived, sandbox limits {}: {:.2} s; {} upserts + {} deletes ({records} lines); {} search calls + {} list calls; {} upstream 429s",
            if limits { "on (5 searches/s)" } else { "off" },
            elapsed.as_secs_f64(),
            end["upserts"],
            end["deletes"],
            stats.search,
            stats.objects,
            stats.rate_limited,
        );
    }
}

/// A `changes` run after `modified` edits, through search windows alone vs with the webhooks
/// HubSpot sent for them (fetched by id before the window), with HubSpot's real limits and
/// ours; and with the search index a minute behind, where only webhooks can deliver anything.
async fn webhooks(contacts: usize, modified: usize) {
    for (label, subscribed, lag) in [
        ("search windows only", false, Duration::ZERO),
        ("webhooks + search", true, Duration::ZERO),
        (
            "webhooks + search, index 60 s behind",
            true,
            Duration::from_secs(60),
        ),
    ] {
        let (sandbox, base) = sandbox(contacts, true);
        sandbox.update(|knobs| {
            knobs.contract.search_lag = hubspot_sandbox::SearchLag::Fixed(lag);
        });
        let app = server(&base, &fresh_prefix(), true).await;
        connect(&app, &base, "syncer").await;
        let export = app
            .get_as("syncer", "/api/integrations/hubspot/export")
            .await;
        let (_, _, end) = drain(export).await;
        let end: serde_json::Value = serde_json::from_str(&end).expect("end line");
        let checkpoint = end["checkpoint"].as_str().expect("checkpoint").to_owned();
        if subscribed {
            let target = Url::parse(&app.url("/api/webhooks/hubspot")).expect("url");
            sandbox
                .subscribe_webhooks(target, CLIENT_ID)
                .expect("subscribe");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        sandbox.modify_records(ObjectType::Contacts, Pick::Count(modified));
        if subscribed {
            let deadline = Instant::now() + Duration::from_secs(60);
            while sandbox.webhook_stats().delivered_events < modified as u64 {
                assert!(Instant::now() < deadline, "webhooks not delivered");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        sandbox.reset_stats();
        let started = Instant::now();
        let path = format!("/api/integrations/hubspot/changes?since={checkpoint}");
        let res = app.get_as("syncer", &path).await;
        let (_, _, last) = drain(res).await;
        let elapsed = started.elapsed();
        let end: serde_json::Value = serde_json::from_str(&last).expect("end line");
        assert_eq!(end["type"], "end", "{last}");
        let stats = sandbox.stats();
        println!(
            "changes after {modified} edits of {contacts} contacts, {label}: {:.2} s; {} upserts; {} batch reads + {} search calls + {} list calls; {} upstream 429s",
            elapsed.as_secs_f64(),
            end["upserts"],
            stats.batch_read,
            stats.search,
            stats.objects,
            stats.rate_limited,
        );
    }
}

/// A sandbox like [`sandbox`], with companies and deals in proportion to `contacts`.
fn crm_sandbox(contacts: usize, limits: bool) -> (Sandbox, Url) {
    let config = SandboxConfig {
        contacts,
        companies: (contacts / 10).max(1),
        deals: (contacts / 5).max(1_200),
        ..SandboxConfig::default()
    };
    sandbox_of(config, limits)
}

const CRM_EXPORT: &str = "/api/integrations/hubspot/export?object_type=contacts&properties=*&associations=companies,deals";

/// One export of the whole CRM: (seconds, records, sandbox stats).
async fn crm_export(app: &TestApp, sandbox: &Sandbox) -> (f64, usize, hubspot_sandbox::Stats) {
    sandbox.reset_stats();
    let started = Instant::now();
    let res = app.get_as("crm", CRM_EXPORT).await;
    let (records, _, last) = drain(res).await;
    let elapsed = started.elapsed().as_secs_f64();
    let end: serde_json::Value = serde_json::from_str(&last).expect("end line");
    assert_eq!(end["type"], "end", "the stream ended: {last}");
    (elapsed, records, sandbox.stats())
}

async fn crm(contacts: usize, limited: usize) {
    let (sandbox, base) = crm_sandbox(contacts, false);
    let app = server(&base, &fresh_prefix(), false).await;
    connect(&app, &base, "crm").await;
    // Discovery: the first call asks HubSpot, the next ones the cache.
    let fields = "/api/integrations/hubspot/fields?object_type=contacts";
    let started = Instant::now();
    let first = app.get_as("crm", fields).await;
    assert!(first.status().is_success());
    let all: serde_json::Value = first.json().await.expect("fields");
    let first = started.elapsed();
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        let res = app.get_as("crm", fields).await;
        assert!(res.status().is_success());
        res.bytes().await.expect("body");
    }
    let cached = started.elapsed() / rounds;
    println!(
        "discovery of {} contact properties: first {:.1} ms, cached {:.1} ms (mean of {rounds})",
        all["fields"].as_array().map_or(0, Vec::len),
        first.as_secs_f64() * 1e3,
        cached.as_secs_f64() * 1e3,
    );

    let (elapsed, records, stats) = crm_export(&app, &sandbox).await;
    assert_eq!(records, contacts, "every contact once");
    assert_eq!(stats.uri_too_long, 0);
    let calls = stats.objects + stats.batch_read + stats.search + stats.associations;
    println!(
        "crm export of {contacts} contacts, 650 properties, companies and deals: {elapsed:.2} s, {:.0} contacts/s; upstream {} list + {} batch read + {} search + {} association reads = {:.2} calls per 100 records; peak RSS {:.1} MiB (server + sandbox + client)",
        contacts as f64 / elapsed,
        stats.objects,
        stats.batch_read,
        stats.search,
        stats.associations,
        calls as f64 * 100.0 / contacts as f64,
        peak_rss_mib(),
    );

    // HubSpot's real limit (110 calls in any 10 s), our budget on.
    let (sandbox, base) = crm_sandbox(limited, true);
    let app = server(&base, &fresh_prefix(), true).await;
    connect(&app, &base, "crm").await;
    app.get_as("crm", fields)
        .await
        .bytes()
        .await
        .expect("fields");
    let (elapsed, records, stats) = crm_export(&app, &sandbox).await;
    assert_eq!(records, limited, "every contact once");
    // Association reads are exempt from the ten-second limit (the spec says so): the window
    // counts the lists and batch reads. Its best: the first 109 at once, then 109 every 10 s.
    let counted = stats.objects + stats.batch_read;
    let ceiling = (counted.saturating_sub(109) as f64 / 109.0).ceil() * 10.0;
    println!(
        "crm export of {limited} contacts under HubSpot's limit: {elapsed:.1} s for {counted} calls counted by the window (+{} searches on their own allowance, +{} exempt association reads); the window allows them in {ceiling:.0} s at best; {} upstream 429s",
        stats.search, stats.associations, stats.rate_limited,
    );
}
