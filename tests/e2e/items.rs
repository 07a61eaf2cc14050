use std::collections::HashSet;

use e2e::{assert_problem, spawn_sandbox_app};
use integration_core::ExposeSecret as _;
use reqwest::StatusCode;

#[tokio::test]
async fn paging_across_250_contacts_returns_each_once() {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    sandbox.reset_stats();

    let mut ids = HashSet::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=100&cursor={c}"),
            None => "?limit=100".to_owned(),
        };
        let res = app.items("alice", &query).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        pages.push(items.len());
        for item in items {
            assert!(ids.insert(item["id"].as_str().unwrap().to_owned()));
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, [100, 100, 50]);
    assert_eq!(ids.len(), 250);
    // One upstream call per page, nothing else (no refresh while the token is fresh).
    let stats = sandbox.stats();
    assert_eq!(stats.objects, 3);
    assert_eq!(
        stats.token_authorization_code + stats.token_refresh + stats.token_errors,
        0
    );
}

#[tokio::test]
async fn items_of_a_user_who_never_connected_is_not_connected() {
    let app = spawn_sandbox_app().await;
    assert_problem(app.items("nobody", "").await, 404, "not_connected").await;
}

#[tokio::test]
async fn disconnect_revokes_at_hubspot_and_forgets_the_grant() {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    let access = app.stored("alice").await.unwrap().access_token;
    sandbox.reset_stats();
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(sandbox.stats().revoke, 1);
    // HubSpot no longer honours the grant: the access token minted from it is dead too.
    let res = app
        .client
        .get(app.url("/_sandbox/hubspot/crm/v3/objects/contacts?limit=1"))
        .bearer_auth(access.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(app.stored("alice").await.is_none());
    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], false);
}
