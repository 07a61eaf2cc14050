use hubspot_sandbox::Faults;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_api_error, spawn_default};

#[tokio::test]
async fn fail_next_fails_that_many_crm_calls_then_recovers() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    app.sandbox.set_faults(Faults {
        fail_next: 2,
        fail_status: 503,
        ..Faults::default()
    });
    for _ in 0..2 {
        assert_api_error(
            app.list("contacts", Some(&token), &[]).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "INTERNAL_ERROR",
        )
        .await;
    }
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
    let stats = app.sandbox.stats();
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.objects, 3);
}

#[tokio::test]
async fn malformed_next_returns_truncated_json_with_200() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    app.sandbox.set_faults(Faults {
        malformed_next: 1,
        ..Faults::default()
    });
    let response = app.list("contacts", Some(&token), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("{\"results\": ["), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn rate_limit_next_gives_a_burst_of_429s() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    app.sandbox.set_faults(Faults {
        rate_limit_next: 3,
        ..Faults::default()
    });
    for _ in 0..3 {
        let response = app.list("contacts", Some(&token), &[]).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["x-hubspot-ratelimit-max"], "110");
        assert_eq!(response.headers()["x-hubspot-ratelimit-remaining"], "0");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    }
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.sandbox.stats().rate_limited, 3);
}

#[tokio::test]
async fn faults_apply_to_the_token_endpoint_too() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    app.sandbox.set_faults(Faults {
        fail_next: 1,
        fail_status: 502,
        malformed_next: 1,
        ..Faults::default()
    });
    assert_eq!(
        app.refresh(&tokens.refresh_token).await.status(),
        StatusCode::BAD_GATEWAY
    );
    let response = app.refresh(&tokens.refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());
    assert_eq!(
        app.refresh(&tokens.refresh_token).await.status(),
        StatusCode::OK
    );
    let pending = app.sandbox.faults();
    assert_eq!(
        (
            pending.fail_next,
            pending.malformed_next,
            pending.rate_limit_next
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn faults_happen_before_authentication() {
    let app = spawn_default().await;
    app.sandbox.set_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    });
    assert_eq!(
        app.list("contacts", None, &[]).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        app.list("contacts", None, &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn pass_next_lets_that_many_calls_through_before_the_faults() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    app.sandbox.set_faults(Faults {
        pass_next: 1,
        fail_next: 1,
        fail_status: 503,
        ..Faults::default()
    });
    let statuses = [
        app.list("contacts", Some(&token), &[]).await.status(),
        app.list("contacts", Some(&token), &[]).await.status(),
        app.list("contacts", Some(&token), &[]).await.status(),
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::OK
        ]
    );
    assert_eq!(app.sandbox.stats().faults_injected, 1);
    let left = app.sandbox.faults();
    assert_eq!((left.pass_next, left.fail_next), (0, 0));
}
