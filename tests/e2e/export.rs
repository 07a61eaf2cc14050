//! `GET …/export`: the whole listing in one NDJSON stream, each record read once (HubSpot: list
//! pages upward, search pages downward, meeting in the middle), resumable from any cursor line
//! it delivered, and detectably truncated when the upstream fails midway.

use std::collections::HashSet;

use e2e::{TestApp, assert_problem, spawn_sandbox_app};
use hubspot_sandbox::Faults;
use reqwest::StatusCode;
use serde_json::Value;

async fn export(app: &TestApp, user: &str, query: &str) -> (StatusCode, Vec<Value>) {
    let res = app
        .get_as(user, &format!("/api/integrations/hubspot/export{query}"))
        .await;
    let status = res.status();
    if status == StatusCode::OK {
        assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    }
    let text = res.text().await.expect("body");
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    (status, lines)
}

fn items(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.get("type").is_none())
        .map(|l| l["id"].as_str().expect("item id").to_owned())
        .collect()
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind).collect()
}

#[tokio::test]
async fn an_export_streams_every_contact_once_then_an_end_line_reading_each_page_once() {
    let app = spawn_sandbox_app().await;
    app.connect_through_consent_page("hubspot", "exporter")
        .await;
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    sandbox.reset_stats();

    let (status, lines) = export(&app, "exporter", "?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    let ids = items(&lines);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250, "each once");
    // Both lanes read: list pages of 100 up, search pages of 200 down, each at most once more
    // than it needed (the page in flight when they meet).
    let stats = sandbox.stats();
    assert!(stats.objects >= 1 && stats.search >= 1, "{stats:?}");
    assert!(stats.objects <= 3 && stats.search <= 2, "{stats:?}");
    let pages = (stats.objects + stats.search) as usize;
    let cursors = of_type(&lines, "cursor").len();
    assert!(
        cursors >= 1 && cursors < pages,
        "a resume point after each page delivered but the last: {cursors} of {pages}"
    );
    let end = lines.last().expect("lines");
    assert_eq!(end["type"], "end", "the stream says it is complete");
    assert_eq!(end["count"], 250);
    assert!(end["checkpoint"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(of_type(&lines, "error").is_empty());
}

/// A browser asks for gzip; an export must still reach it line by line as pages arrive, not
/// held back by a compressor until the end (the UI's progress bar moves with every page).
#[tokio::test]
async fn an_export_is_never_compressed_so_lines_arrive_while_later_pages_are_still_unfetched() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("watcher").await;
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    sandbox.reset_stats();
    let mut res = app
        .client
        .get(app.url("/api/integrations/hubspot/export?limit=10"))
        .header("X-User-Id", "watcher")
        .header("Accept-Encoding", "gzip, br, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let encoding = res.headers().get("content-encoding");
    assert!(encoding.is_none_or(|e| e == "identity"), "{encoding:?}");
    // The first record reaches us before the lanes have read what the export needs (each
    // pulls a page only when its previous one was taken).
    let mut seen = Vec::new();
    while !seen.contains(&b'\n') {
        seen.extend_from_slice(&res.chunk().await.unwrap().expect("a first line"));
    }
    let calls = |s: hubspot_sandbox::Stats| s.objects + s.search;
    let fetched = calls(sandbox.stats());
    while res.chunk().await.unwrap().is_some() {}
    let all = calls(sandbox.stats());
    assert!(
        fetched < all,
        "{fetched} of {all} pages fetched before the first line arrived"
    );
}

#[tokio::test]
async fn an_export_resumes_from_a_cursor_it_delivered() {
    let app = spawn_sandbox_app().await;
    app.connect_through_consent_page("hubspot", "resumer").await;
    let (_, full) = export(&app, "resumer", "?limit=100").await;
    let line = of_type(&full, "cursor")[0];
    let cursor = line["cursor"].as_str().expect("cursor").to_owned();
    // A page of either lane: 100 up the list or 200 down the search.
    let count = line["count"].as_u64().expect("count") as usize;
    assert!(count == 100 || count == 200, "{count}");
    let first_page: Vec<String> = items(&full).into_iter().take(count).collect();

    let (status, rest) = export(&app, "resumer", &format!("?limit=100&cursor={cursor}")).await;
    assert_eq!(status, StatusCode::OK);
    let rest_ids = items(&rest);
    assert_eq!(rest_ids.len(), 250 - count);
    assert!(
        rest_ids.iter().all(|id| !first_page.contains(id)),
        "nothing twice"
    );
    assert_eq!(rest.last().expect("end")["count"], 250 - count as u64);
}

#[tokio::test]
async fn an_upstream_failure_midway_ends_the_stream_without_an_end_line() {
    let app = spawn_sandbox_app().await;
    app.connect_through_consent_page("hubspot", "unlucky").await;
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    // Two pages are served (of either lane, whichever asks first); then HubSpot answers 503.
    sandbox.set_faults(Faults {
        pass_next: 2,
        fail_next: 1_000,
        fail_status: 503,
        ..Faults::default()
    });

    let (status, lines) = export(&app, "unlucky", "?limit=10").await;
    assert_eq!(status, StatusCode::OK, "the stream had started");
    let delivered = items(&lines);
    // Ten or 200 records a page, up the list lane or down the search lane: some, not all.
    assert!(
        !delivered.is_empty() && delivered.len() < 250,
        "{}",
        delivered.len()
    );
    assert_eq!(
        delivered.iter().collect::<HashSet<_>>().len(),
        delivered.len()
    );
    let resume = of_type(&lines, "cursor").last().expect("a cursor line")["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = lines.last().expect("lines");
    assert_eq!(last["type"], "error");
    assert_eq!(last["code"], "upstream_error");
    assert!(
        of_type(&lines, "end").is_empty(),
        "a truncated stream has no end line"
    );

    // Where to resume: both lanes' places; it delivers the rest, nothing twice.
    sandbox.set_faults(Faults::default());
    let (status, rest) = export(&app, "unlucky", &format!("?limit=10&cursor={resume}")).await;
    assert_eq!(status, StatusCode::OK);
    let rest_ids = items(&rest);
    assert_eq!(rest_ids.len(), 250 - delivered.len());
    assert!(rest_ids.iter().all(|id| !delivered.contains(id)));
    assert_eq!(rest.last().expect("end")["type"], "end");
}

#[tokio::test]
async fn exporting_without_a_connection_or_with_a_bad_cursor_is_a_problem_not_a_stream() {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    let res = app
        .get_as("nobody", "/api/integrations/hubspot/export")
        .await;
    assert_problem(res, 404, "not_connected").await;
    let res = app
        .get_as("nobody", "/api/integrations/hubspot/export?cursor=abc")
        .await;
    assert_problem(res, 400, "invalid_request").await;
    assert_eq!(
        sandbox.stats(),
        hubspot_sandbox::Stats::default(),
        "HubSpot untouched"
    );
}
