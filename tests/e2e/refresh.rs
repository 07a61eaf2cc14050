use std::time::Duration;

use e2e::{
    AppOptions, HubSpot, TestApp, assert_problem, concurrent_items, fresh_prefix, spawn_app_with,
};
use hubspot_sandbox::Sandbox;
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;

/// The app in sandbox mode with `user` connected through the consent page, and its sandbox
/// with the counters at zero.
async fn connected(options: AppOptions, user: &str) -> (TestApp, Sandbox) {
    let app = spawn_app_with(Vec::new(), options).await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox(user).await;
    sandbox.reset_stats();
    (app, sandbox)
}

fn access_token(credentials: &integration_core::Credentials) -> String {
    credentials.access_token.expose_secret().to_owned()
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_use() {
    let (app, sandbox) = connected(AppOptions::default(), "alice").await;
    let old = access_token(&app.stored("alice").await.unwrap());
    // Expires in 2 minutes: inside the 5-minute skew.
    app.expire_in("alice", chrono::Duration::minutes(2)).await;

    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let stored = app.stored("alice").await.unwrap();
    assert_ne!(access_token(&stored), old);
    assert!(stored.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(25));
    let stats = sandbox.stats();
    assert_eq!(stats.token_refresh, 1);
    // No call was made with the old token.
    assert_eq!(stats.objects, 1);
}

#[tokio::test]
async fn the_refresh_skew_is_a_setting() {
    let mut options = AppOptions::default();
    options
        .vars
        .push(("TOKEN_REFRESH_SKEW_SECS".into(), "60".into()));
    let (app, sandbox) = connected(options, "alice").await;
    let old = access_token(&app.stored("alice").await.unwrap());
    // Two minutes left is outside a one-minute skew: no refresh yet.
    app.expire_in("alice", chrono::Duration::minutes(2)).await;
    assert_eq!(app.items("alice", "").await.status(), StatusCode::OK);
    assert_eq!(sandbox.stats().token_refresh, 0);
    assert_eq!(access_token(&app.stored("alice").await.unwrap()), old);
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry() {
    let (app, sandbox) = connected(AppOptions::default(), "alice").await;
    // HubSpot may reject a token well before its stated expiry.
    app.expire_in("alice", chrono::Duration::minutes(25)).await;
    sandbox.expire_access_tokens();

    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let stats = sandbox.stats();
    assert_eq!(stats.objects, 2);
    assert_eq!(stats.token_refresh, 1);
}

#[tokio::test]
async fn a_token_rejected_even_after_refresh_asks_for_reconnection() {
    let (app, sandbox) = connected(AppOptions::default(), "alice").await;
    app.expire_in("alice", chrono::Duration::minutes(25)).await;
    sandbox.expire_access_tokens();
    // The token the refresh brings is dead on arrival too.
    sandbox.update(|k| k.access_token_ttl = Duration::ZERO);
    assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    // Exactly one retry after the refresh, not a loop.
    let stats = sandbox.stats();
    assert_eq!(stats.objects, 2);
    assert_eq!(stats.token_refresh, 1);
}

#[tokio::test]
async fn fifty_concurrent_requests_with_an_expired_token_cause_one_refresh() {
    let (app, sandbox) = connected(AppOptions::default(), "alice").await;
    app.expire_in("alice", chrono::Duration::minutes(-1)).await;
    // A refresh that takes a while, so the 50 requests really overlap it.
    sandbox.update(|k| k.latency = Duration::from_millis(200));

    concurrent_items(&[&app], "alice", 50).await;
    assert_eq!(sandbox.stats().token_refresh, 1);
}

#[tokio::test]
async fn two_server_instances_sharing_redis_refresh_once() {
    let hubspot = HubSpot::start().await;
    let prefix = fresh_prefix();
    let options = || AppOptions {
        key_prefix: prefix.clone(),
        ..AppOptions::default()
    };
    let first = hubspot.app(options()).await;
    let second = hubspot.app(options()).await;
    first.connect_via_sandbox("alice").await;
    first
        .expire_in("alice", chrono::Duration::minutes(-1))
        .await;
    hubspot
        .sandbox
        .update(|k| k.latency = Duration::from_millis(300));
    hubspot.sandbox.reset_stats();

    concurrent_items(&[&first, &second], "alice", 50).await;
    assert_eq!(hubspot.sandbox.stats().token_refresh, 1);
}

#[tokio::test]
async fn a_refresh_token_hubspot_rejects_asks_for_reconnection_and_forgets_the_grant() {
    let (app, sandbox) = connected(AppOptions::default(), "alice").await;
    app.expire_in("alice", chrono::Duration::minutes(-1)).await;
    // The app was uninstalled from the portal: HubSpot refuses the refresh token.
    sandbox.revoke_all_tokens();
    let body = assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    assert!(body["detail"].as_str().unwrap().contains("re-authorised"));
    let stats = sandbox.stats();
    assert_eq!((stats.token_errors, stats.token_refresh), (1, 0));
    assert!(app.stored("alice").await.is_none());
    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], false);
    // The integrations list says why: the card shows "needs reconnect".
    let list = app.get_json("alice", "/api/integrations").await;
    assert_eq!(list["integrations"][0]["status"], "reauth_required");
}
