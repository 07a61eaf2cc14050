use std::time::Duration;

use e2e::{
    AppOptions, HubSpotMock, assert_problem, concurrent_items, fresh_prefix, spawn_app,
    spawn_app_with,
};
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_use() {
    let hubspot = HubSpotMock::start().await;
    hubspot.refresh("access-2", 1, Duration::ZERO).await;
    hubspot.contacts(5, "access-2").await;
    let app = spawn_app(&hubspot).await;
    // Expires in 2 minutes: inside the 5-minute skew.
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(2))
        .await;

    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let stored = app.stored("alice").await.unwrap();
    assert_eq!(stored.access_token.expose_secret(), "access-2");
    assert!(stored.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(25));
    // No call was made with the old token.
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 1);
}

#[tokio::test]
async fn the_refresh_skew_is_a_setting() {
    let hubspot = HubSpotMock::start().await;
    hubspot.refresh("access-2", 0, Duration::ZERO).await;
    hubspot.contacts(5, "access-1").await;
    let mut options = AppOptions::default();
    options
        .vars
        .push(("TOKEN_REFRESH_SKEW_SECS".into(), "60".into()));
    let app = spawn_app_with(hubspot.env(), options).await;
    // Two minutes left is outside a one-minute skew: no refresh yet.
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(2))
        .await;
    assert_eq!(app.items("alice", "").await.status(), StatusCode::OK);
    hubspot.server.verify().await;
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry() {
    let hubspot = HubSpotMock::start().await;
    hubspot.token_rejected("access-1").await;
    hubspot.refresh("access-2", 1, Duration::ZERO).await;
    hubspot.contacts(5, "access-2").await;
    let app = spawn_app(&hubspot).await;
    // HubSpot may reject a token well before its stated expiry.
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(25))
        .await;

    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 2);
}

#[tokio::test]
async fn a_token_rejected_even_after_refresh_asks_for_reconnection() {
    let hubspot = HubSpotMock::start().await;
    hubspot.token_rejected("access-1").await;
    hubspot.token_rejected("access-2").await;
    hubspot.refresh("access-2", 1, Duration::ZERO).await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(25))
        .await;
    assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    // Exactly one retry after the refresh, not a loop.
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 2);
}

#[tokio::test]
async fn fifty_concurrent_requests_with_an_expired_token_cause_one_refresh() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .refresh("access-2", 1, Duration::from_millis(200))
        .await;
    hubspot.contacts(5, "access-2").await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(-1))
        .await;

    concurrent_items(&[&app], "alice", 50).await;
    // `refresh(.., 1, ..)` fails the test on drop unless exactly one refresh was made.
    hubspot.server.verify().await;
}

#[tokio::test]
async fn two_server_instances_sharing_redis_refresh_once() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .refresh("access-2", 1, Duration::from_millis(300))
        .await;
    hubspot.contacts(5, "access-2").await;
    let prefix = fresh_prefix();
    let options = || AppOptions {
        key_prefix: prefix.clone(),
        ..AppOptions::default()
    };
    let first = spawn_app_with(hubspot.env(), options()).await;
    let second = spawn_app_with(hubspot.env(), options()).await;
    first
        .seed_credentials("alice", "access-1", chrono::Duration::minutes(-1))
        .await;

    concurrent_items(&[&first, &second], "alice", 50).await;
    hubspot.server.verify().await;
}

#[tokio::test]
async fn a_refresh_token_hubspot_rejects_asks_for_reconnection_and_forgets_the_grant() {
    let hubspot = HubSpotMock::start().await;
    hubspot.refresh_rejected().await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(-1))
        .await;
    let body = assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    assert!(body["detail"].as_str().unwrap().contains("re-authorised"));
    assert!(app.stored("alice").await.is_none());
    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], false);
    // The integrations list says why: the card shows "needs reconnect".
    let list = app.get_json("alice", "/api/integrations").await;
    assert_eq!(list["integrations"][0]["status"], "reauth_required");
}
