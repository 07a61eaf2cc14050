use std::time::{Duration, Instant};

use hubspot_sandbox::{SandboxConfig, Stats};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_api_error, assert_oauth_error, spawn, spawn_default};

#[tokio::test]
async fn stats_count_calls_per_endpoint_and_reset() {
    let app = spawn_default().await;
    app.consent(&[("client_id", "sandbox-client-id")]).await;
    let tokens = app.tokens().await;
    app.refresh(&tokens.refresh_token).await;
    app.refresh("na1-bad").await;
    app.list("contacts", Some(&tokens.access_token), &[]).await;
    app.list("contacts", None, &[]).await;
    let stats = app.sandbox.stats();
    assert_eq!(
        stats,
        Stats {
            authorize: 1,
            approvals: 1,
            token_authorization_code: 1,
            token_refresh: 1,
            token_errors: 1,
            objects: 2,
            ..Stats::default()
        }
    );
    let over_http: Stats = app
        .http
        .get(app.url("/_admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http, stats);
    let response = app
        .http
        .post(app.url("/_admin/reset-stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.sandbox.stats(), Stats::default());
}

#[tokio::test]
async fn admin_faults_endpoint_sets_faults() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let response = app
        .http
        .post(app.url("/_admin/faults"))
        .json(&json!({"fail_next": 1, "fail_status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn admin_revoke_all_and_expire_endpoints_work() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let response = app
        .http
        .post(app.url("/_admin/expire-access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.list("contacts", Some(&tokens.access_token), &[]).await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "EXPIRED_AUTHENTICATION").await;
    let response = app
        .http
        .post(app.url("/_admin/revoke-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_oauth_error(
        app.refresh(&tokens.refresh_token).await,
        "BAD_REFRESH_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn admin_knobs_patch_changes_runtime_settings() {
    let app = spawn_default().await;
    let response = app
        .http
        .patch(app.url("/_admin/knobs"))
        .json(&json!({
            "access_token_ttl_secs": 5,
            "send_retry_after": true,
            "rate_limit_max": 1,
            "over_limit": "clamp",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let knobs: Value = response.json().await.unwrap();
    assert_eq!(knobs["access_token_ttl_secs"], 5);
    assert_eq!(knobs["rate_limit_max"], 1);
    assert_eq!(knobs["rate_limit_window_ms"], 10_000);
    assert_eq!(knobs["over_limit"], "clamp");
    let tokens = app.tokens().await;
    assert_eq!(tokens.body["expires_in"], 5);
    let response = app
        .list("contacts", Some(&tokens.access_token), &[("limit", "500")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.list("contacts", Some(&tokens.access_token), &[]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
    let response = app
        .http
        .patch(app.url("/_admin/knobs"))
        .json(&json!({"rate_limit_enabled": false}))
        .send()
        .await
        .unwrap();
    let knobs: Value = response.json().await.unwrap();
    assert_eq!(knobs["rate_limit_enabled"], false);
    assert_eq!(
        app.list("contacts", Some(&tokens.access_token), &[])
            .await
            .status(),
        StatusCode::OK
    );
    let response = app
        .http
        .patch(app.url("/_admin/knobs"))
        .json(&json!({"bogus": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn latency_is_added_to_api_and_token_responses() {
    let app = spawn(SandboxConfig {
        latency: Duration::from_millis(150),
        ..SandboxConfig::typical()
    })
    .await;
    let started = Instant::now();
    let tokens = app.tokens().await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    let started = Instant::now();
    app.list("contacts", Some(&tokens.access_token), &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    app.sandbox.update(|k| k.latency = Duration::ZERO);
    assert_eq!(app.sandbox.knobs().latency, Duration::ZERO);
}
