//! `GET …/changes` over HTTP in sandbox mode: an export's checkpoint, records modified and
//! archived at the sandbox afterwards, the changes run that delivers exactly those, and the
//! requests it refuses (no or forged checkpoint, a provider without incremental sync).

use std::collections::HashSet;

use e2e::{TestApp, assert_problem};
use hubspot_sandbox::{ObjectType, Pick};
use reqwest::StatusCode;
use serde_json::Value;

async fn ndjson(app: &TestApp, user: &str, path: &str) -> Vec<Value> {
    let res = app.get_as(user, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids_of(lines: &[Value], kind: &str, pointer: &str) -> HashSet<String> {
    let of_kind = lines.iter().filter(|l| l["type"] == kind);
    of_kind
        .map(|l| l.pointer(pointer).unwrap().as_str().unwrap().to_owned())
        .collect()
}

/// Sandbox mode with exact windows: no index lag, no lookback, search indexing at once (late
/// indexing and the lookback that absorbs it are tested in the hubspot crate's `changes`
/// tests). Record times may be whole seconds (the seeded contract): writes wait a second past
/// a checkpoint.
async fn sandbox_app() -> TestApp {
    let app =
        e2e::spawn_sandbox_app_with(&[("INDEX_LAG_SECS", "0"), ("CHANGES_LOOKBACK_SECS", "0")])
            .await;
    if let Some(sandbox) = &app.sandbox {
        sandbox.update(|knobs| {
            knobs.contract.search_lag = hubspot_sandbox::SearchLag::OFF;
        });
    }
    app
}

#[tokio::test]
async fn an_exports_checkpoint_gives_exactly_what_changed_since() {
    let app = sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("syncer").await;
    let export = ndjson(
        &app,
        "syncer",
        "/api/integrations/hubspot/export?object_type=contacts&total=true",
    )
    .await;
    assert_eq!(export[0]["type"], "start");
    assert_eq!(
        export[0]["total"], 250,
        "the sandbox's contacts, counted by a search"
    );
    let end = export.last().unwrap();
    assert_eq!(
        (end["type"].as_str(), end["count"].as_u64()),
        (Some("end"), Some(250))
    );
    let checkpoint = end["checkpoint"].as_str().unwrap().to_owned();

    // A record stored to the whole second is stamped up to 999 ms before it was written.
    tokio::time::sleep(std::time::Duration::from_millis(1_005)).await;
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(7));
    let archived = sandbox.archive_records(ObjectType::Contacts, Pick::Count(2));
    // Sandbox mode's webhooks for them are in before the run: an event that arrives after a
    // run's window is (rightly) delivered again by the next run, which the end of this test
    // expects to find empty.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sandbox.webhook_stats().delivered_events < 9 {
        assert!(
            std::time::Instant::now() < deadline,
            "webhooks not delivered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let path = format!("/api/integrations/hubspot/changes?object_type=contacts&since={checkpoint}");
    let lines = ndjson(&app, "syncer", &path).await;
    let names = |raw: &[u64]| raw.iter().map(u64::to_string).collect::<HashSet<_>>();
    let archived = names(&archived);
    let still_live: HashSet<_> = names(&modified).difference(&archived).cloned().collect();
    assert_eq!(ids_of(&lines, "upsert", "/item/id"), still_live);
    assert_eq!(ids_of(&lines, "delete", "/id"), archived);
    let end = lines.last().unwrap();
    assert_eq!(end["type"], "end", "{end}");
    assert_eq!(end["upserts"].as_u64().unwrap() as usize, still_live.len());
    assert_eq!(end["deletes"], 2);

    let metrics = app.metrics_text().await;
    let counted = |change: &str| {
        metrics.lines().any(|l| {
            l.starts_with("records_changed_total{")
                && l.contains(&format!("change=\"{change}\""))
                && l.contains("provider=\"hubspot\"")
        })
    };
    assert!(counted("upsert") && counted("delete"), "{metrics}");

    // From the new checkpoint: nothing.
    let next = end["checkpoint"].as_str().unwrap();
    let lines = ndjson(
        &app,
        "syncer",
        &format!("/api/integrations/hubspot/changes?since={next}"),
    )
    .await;
    let kinds = lines.iter().map(|l| l["type"].as_str().unwrap());
    assert!(
        kinds.clone().all(|k| k == "cursor" || k == "end"),
        "{lines:?}"
    );
    let end = lines.last().unwrap();
    assert_eq!(
        (end["upserts"].as_u64(), end["deletes"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn missing_forged_and_mismatched_checkpoints_and_unsupported_providers_are_problems() {
    let app = sandbox_app().await;
    app.connect_via_sandbox("picky").await;
    let changes = |query: String| {
        let app = &app;
        async move {
            app.get_as(
                "picky",
                &format!("/api/integrations/hubspot/changes{query}"),
            )
            .await
        }
    };
    assert_problem(changes(String::new()).await, 400, "invalid_request").await;
    assert_problem(
        changes("?since=bm90LWEtY2hlY2twb2ludA".into()).await,
        400,
        "invalid_request",
    )
    .await;
    assert_problem(changes("?cursor=e30".into()).await, 400, "invalid_request").await;
    // A checkpoint is what an export's end line gave this user, sealed for them.
    let export = ndjson(&app, "picky", "/api/integrations/hubspot/export").await;
    let checkpoint = export.last().unwrap()["checkpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let mismatch = changes(format!("?since={checkpoint}&object_type=deals")).await;
    assert_problem(mismatch, 400, "invalid_request").await;
    // Genuine, but someone else's: refused like a forgery, before any store or HubSpot call.
    app.connect_via_sandbox("other").await;
    let theirs = app
        .get_as(
            "other",
            &format!("/api/integrations/hubspot/changes?since={checkpoint}"),
        )
        .await;
    assert_problem(theirs, 400, "invalid_request").await;
    // Tampered: one byte of the checkpoint's body changed.
    let (seal, body) = checkpoint.split_once('.').unwrap();
    let flipped = if body.starts_with('e') { "f" } else { "e" };
    let tampered = format!("{seal}.{flipped}{}", &body[1..]);
    assert_problem(
        changes(format!("?since={tampered}")).await,
        400,
        "invalid_request",
    )
    .await;

    // Notion has no incremental sync: a typed refusal, not a failing stream.
    app.connect_through_consent_page("notion", "picky").await;
    let export = ndjson(&app, "picky", "/api/integrations/notion/export").await;
    let notion = export.last().unwrap()["checkpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .get_as(
            "picky",
            &format!("/api/integrations/notion/changes?since={notion}"),
        )
        .await;
    let problem = assert_problem(res, 400, "changes_unsupported").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("export"),
        "{problem}"
    );

    // Disconnected since: a status, not a stream.
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("X-User-Id", "picky")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(
        changes(format!("?since={checkpoint}")).await,
        404,
        "not_connected",
    )
    .await;
}
