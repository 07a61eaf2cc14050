//! The server against a HubSpot that answers as its published specs allow rather than as our
//! client expects: opaque cursors of any spelling, only the required fields of an error body,
//! token answers without their optional fields. Each test pins the variation it is about, so it
//! holds at every contract seed.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::{TestApp, assert_problem, provider_cursor, spawn_sandbox_app};
use hubspot_sandbox::{CursorStyle, Vary};
use reqwest::StatusCode;
use serde_json::Value;

fn sandbox(app: &TestApp) -> &hubspot_sandbox::Sandbox {
    app.sandbox.as_ref().expect("sandbox mode")
}

/// HubSpot's spec calls `paging.next.after` an opaque "paging cursor token" and gives
/// `NTI1Cg%3D%3D` as its example: percent-encoded, 2 KiB long, it pages `/items` to the end.
#[tokio::test]
async fn items_page_to_the_end_through_percent_encoded_two_kilobyte_cursors() {
    let app = spawn_sandbox_app().await;
    sandbox(&app).update(|knobs| {
        knobs.contract.cursor_style = CursorStyle::PercentEncoded;
        knobs.contract.cursor_len = Some(2_048);
    });
    app.connect_via_sandbox("pager").await;
    let (mut ids, mut cursor, mut pages) = (HashSet::new(), None::<String>, 0);
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=37&cursor={c}"),
            None => "?limit=37".to_owned(),
        };
        let res = app.items("pager", &query).await;
        assert_eq!(res.status(), StatusCode::OK, "page {pages}");
        let page: Value = res.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            assert!(
                ids.insert(item["id"].as_str().unwrap().to_owned()),
                "{item}"
            );
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => {
                let raw = provider_cursor(next);
                assert!(raw.contains('%') && raw.len() > 1_000, "{raw}");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!((ids.len(), pages), (250, 7));
}

/// An export follows the same cursors through every page, and ends with its end line.
#[tokio::test]
async fn an_export_pages_through_opaque_cursors_to_its_end_line() {
    let app = spawn_sandbox_app().await;
    sandbox(&app).update(|knobs| knobs.contract.cursor_style = CursorStyle::Base64);
    app.connect_via_sandbox("exporter").await;
    let res = app
        .get_as("exporter", "/api/integrations/hubspot/export?limit=10")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let lines: Vec<Value> = (res.text().await.unwrap().lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: HashSet<_> = (lines.iter())
        .filter(|l| l.get("type").is_none())
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 250);
    let end = lines.last().unwrap();
    assert_eq!(
        (end["type"].as_str(), end["count"].as_u64()),
        (Some("end"), Some(250))
    );
}

/// A refresh HubSpot refuses with only the spec's required error fields (`category`,
/// `correlationId`, `message`) ends the grant: the user is asked to reconnect, not shown 502s.
#[tokio::test]
async fn a_refresh_refused_with_only_the_required_error_fields_asks_to_reconnect() {
    let app = spawn_sandbox_app().await;
    sandbox(&app).update(|knobs| knobs.contract.minimal_errors = Vary::On);
    app.connect_via_sandbox("revoked").await;
    assert_eq!(app.items("revoked", "").await.status(), StatusCode::OK);
    sandbox(&app).revoke_all_tokens();

    assert_problem(app.items("revoked", "").await, 401, "reauth_required").await;
    let status = app
        .get_json("revoked", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], false, "{status}");
    assert!(
        app.stored("revoked").await.is_none(),
        "the dead grant is forgotten"
    );
    let list = app.get_json("revoked", "/api/integrations").await;
    assert_eq!(list["integrations"][0]["status"], "reauth_required");
}

/// `hub_id` and `scopes` are optional in HubSpot's token answer: introspection (where both are
/// required) names the portal, so the connection keeps one rate budget per portal, and the
/// scope checks have the scopes.
#[tokio::test]
async fn a_token_answer_without_hub_id_or_scopes_is_completed_by_introspection() {
    let app = spawn_sandbox_app().await;
    sandbox(&app).update(|knobs| knobs.contract.omit_optional = Vary::On);
    app.connect_via_sandbox("portal").await;
    let status = app
        .get_json("portal", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(
        status["account_id"],
        sandbox(&app).hub_id().to_string(),
        "{status}"
    );
    let scopes: Vec<&str> = (status["scopes"].as_array().unwrap().iter())
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"crm.objects.contacts.read"), "{status}");
    assert_eq!(app.items("portal", "").await.status(), StatusCode::OK);
}

/// Our cursors carry HubSpot's behind a seal; one we never issued is the caller's mistake: 400
/// `invalid_request` before any call to HubSpot (none of the portal's rate budget spent, no
/// HubSpot message echoing the forger's text), never a 502. So is a genuine cursor of another user
/// or another object type, and a tampered one.
#[tokio::test]
async fn forged_replayed_and_tampered_cursors_never_reach_hubspot() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("forger").await;
    app.connect_via_sandbox("victim").await;
    let page: Value = app.items("victim", "?limit=5").await.json().await.unwrap();
    let genuine = page["next_cursor"].as_str().unwrap().to_owned();
    let (seal, wrapped) = genuine.split_once('.').unwrap();
    let hubspot = provider_cursor(&genuine);
    let mut tampered = wrapped.as_bytes().to_vec();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{seal}.{}", String::from_utf8(tampered).unwrap());
    let forged = [
        URL_SAFE_NO_PAD.encode("NTI1Cg%3D%3D-forged"),
        URL_SAFE_NO_PAD.encode(&hubspot),
        format!("{seal}.{}", URL_SAFE_NO_PAD.encode("NTI1Cg%3D%3D-forged")),
        tampered,
        format!("AAAAAAAAAAAAAAAAAAAAAA.{wrapped}"),
    ];
    let sandbox = sandbox(&app);
    sandbox.reset_stats();
    for cursor in &forged {
        let res = app.items("forger", &format!("?cursor={cursor}")).await;
        let body = assert_problem(res, 400, "invalid_request").await;
        assert!(!body.to_string().contains("forged"), "{body}");
    }
    // Genuine, but issued to someone else or for another object type.
    let replayed = app
        .items("forger", &format!("?limit=5&cursor={genuine}"))
        .await;
    assert_problem(replayed, 400, "invalid_request").await;
    let other_kind = (app.items(
        "victim",
        &format!("?object_type=companies&cursor={genuine}"),
    ))
    .await;
    assert_problem(other_kind, 400, "invalid_request").await;
    assert_eq!(sandbox.stats().objects + sandbox.stats().search, 0);
    // The genuine cursor still works for whom it was issued.
    let next = app
        .items("victim", &format!("?limit=5&cursor={genuine}"))
        .await;
    assert_eq!(next.status(), StatusCode::OK);
    assert_eq!(sandbox.stats().objects, 1);
}
