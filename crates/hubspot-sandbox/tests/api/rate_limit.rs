use std::time::Duration;

use hubspot_sandbox::{RateLimit, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn;

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn limited(max: u32, window: Duration) -> SandboxConfig {
    SandboxConfig {
        rate_limit: Some(RateLimit {
            max_requests: max,
            window,
        }),
        ..SandboxConfig::typical()
    }
}

#[tokio::test]
async fn every_crm_response_carries_rate_limit_headers() {
    let app = spawn(limited(3, Duration::from_secs(10))).await;
    let token = app.tokens().await.access_token;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.list("contacts", Some(&token), &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "x-hubspot-ratelimit-max").as_deref(),
            Some("3")
        );
        assert_eq!(
            header(&response, "x-hubspot-ratelimit-interval-milliseconds").as_deref(),
            Some("10000")
        );
        remaining.push(header(&response, "x-hubspot-ratelimit-remaining").unwrap());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
}

#[tokio::test]
async fn going_over_the_limit_gives_hubspots_429_without_retry_after() {
    let app = spawn(limited(3, Duration::from_secs(10))).await;
    let token = app.tokens().await.access_token;
    for _ in 0..3 {
        assert_eq!(
            app.list("contacts", Some(&token), &[]).await.status(),
            StatusCode::OK
        );
    }
    let response = app.list("contacts", Some(&token), &[]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&response, "x-hubspot-ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert_eq!(
        header(&response, "x-hubspot-ratelimit-max").as_deref(),
        Some("3")
    );
    assert!(header(&response, "retry-after").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(
        body["message"],
        "You have reached your ten_secondly_rolling limit."
    );
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    assert!(body["groupName"].is_string());
    assert!(body["correlationId"].is_string());
    assert_eq!(app.sandbox.stats().rate_limited, 1);
    assert_eq!(app.sandbox.stats().objects, 4);
}

#[tokio::test]
async fn retry_after_is_sent_only_when_the_knob_is_on() {
    let app = spawn(limited(1, Duration::from_secs(10))).await;
    let token = app.tokens().await.access_token;
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
    let response = app.list("contacts", Some(&token), &[]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&response, "retry-after").is_none());
    app.sandbox.update(|k| k.send_retry_after = true);
    let response = app.list("contacts", Some(&token), &[]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&secs), "{secs}");
}

#[tokio::test]
async fn the_window_rolls_and_requests_are_allowed_again() {
    let app = spawn(limited(2, Duration::from_millis(300))).await;
    let token = app.tokens().await.access_token;
    for _ in 0..2 {
        assert_eq!(
            app.list("contacts", Some(&token), &[]).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        app.list("contacts", Some(&token), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn no_rate_limit_means_no_429_and_no_headers() {
    let app = spawn(SandboxConfig {
        rate_limit: None,
        ..SandboxConfig::typical()
    })
    .await;
    let token = app.tokens().await.access_token;
    for _ in 0..150 {
        let response = app.list("contacts", Some(&token), &[("limit", "1")]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(header(&response, "x-hubspot-ratelimit-max").is_none());
    }
}
