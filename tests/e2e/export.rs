//! `GET …/export`: the whole listing in one NDJSON stream, one upstream call per page, resumable
//! from any cursor line it delivered, and detectably truncated when the upstream fails midway.

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
async fn an_export_streams_every_contact_once_then_an_end_line_one_upstream_call_a_page() {
    let app = spawn_sandbox_app().await;
    app.connect_through_consent_page("hubspot", "exporter")
        .await;
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    let before = sandbox.stats().objects;

    let (status, lines) = export(&app, "exporter", "?limit=100").await;
    assert_eq!(status, StatusCode::OK);
    let ids = items(&lines);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250, "each once");
    assert_eq!(
        sandbox.stats().objects - before,
        3,
        "ceil(250/100) page calls"
    );
    assert_eq!(
        of_type(&lines, "cursor").len(),
        2,
        "a resume point after each page but the last"
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
    // The first record reaches us while most of the 25 pages have not even been asked for
    // (the export pulls a page only when the previous one was taken).
    let mut seen = Vec::new();
    while !seen.contains(&b'\n') {
        seen.extend_from_slice(&res.chunk().await.unwrap().expect("a first line"));
    }
    let fetched = sandbox.stats().objects;
    assert!(
        fetched < 25,
        "{fetched} of 25 pages fetched before the first line arrived"
    );
    while res.chunk().await.unwrap().is_some() {}
    assert_eq!(sandbox.stats().objects, 25);
}

#[tokio::test]
async fn an_export_resumes_from_a_cursor_it_delivered() {
    let app = spawn_sandbox_app().await;
    app.connect_through_consent_page("hubspot", "resumer").await;
    let (_, full) = export(&app, "resumer", "?limit=100").await;
    let first_page: Vec<String> = items(&full).into_iter().take(100).collect();
    let cursor = of_type(&full, "cursor")[0]["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    assert_eq!(of_type(&full, "cursor")[0]["count"], 100);

    let (status, rest) = export(&app, "resumer", &format!("?limit=100&cursor={cursor}")).await;
    assert_eq!(status, StatusCode::OK);
    let rest_ids = items(&rest);
    assert_eq!(rest_ids.len(), 150);
    assert!(
        rest_ids.iter().all(|id| !first_page.contains(id)),
        "nothing twice"
    );
    assert_eq!(rest.last().expect("end")["count"], 150);
}

#[tokio::test]
async fn an_upstream_failure_midway_ends_the_stream_without_an_end_line() {
    let app = spawn_sandbox_app().await;
    app.connect_through_consent_page("hubspot", "unlucky").await;
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    // The first page is served; from the second on HubSpot answers 503.
    sandbox.set_faults(Faults {
        pass_next: 1,
        fail_next: 100,
        fail_status: 503,
        ..Faults::default()
    });

    let (status, lines) = export(&app, "unlucky", "?limit=10").await;
    assert_eq!(status, StatusCode::OK, "the stream had started");
    let delivered = items(&lines);
    assert_eq!(delivered.len(), 10);
    let resume = of_type(&lines, "cursor")[0]["cursor"]
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

    // Where to resume: HubSpot's own `after`, wrapped; it delivers the rest, nothing twice.
    assert!(!e2e::provider_cursor(&resume).is_empty(), "{resume}");
    sandbox.set_faults(Faults::default());
    let (status, rest) = export(&app, "unlucky", &format!("?limit=10&cursor={resume}")).await;
    assert_eq!(status, StatusCode::OK);
    let rest_ids = items(&rest);
    assert_eq!(rest_ids.len(), 240);
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
