use std::collections::HashSet;

use e2e::{HubSpotMock, assert_problem, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn paging_across_250_contacts_returns_each_once() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(250, "access-1").await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

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
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 3);
    assert_eq!(hubspot.calls_to("/oauth/2026-03/token").await, 0);
}

#[tokio::test]
async fn items_of_a_user_who_never_connected_is_not_connected() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    assert_problem(app.items("nobody", "").await, 404, "not_connected").await;
}

#[tokio::test]
async fn disconnect_revokes_at_hubspot_and_forgets_the_grant() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let hubspot = HubSpotMock::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token/revoke"))
        .and(wiremock::matchers::body_string_contains("token=refresh-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&hubspot.server)
        .await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(app.stored("alice").await.is_none());
    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], false);
}
