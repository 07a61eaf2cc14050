//! `GET /metrics` speaks Prometheus and counts what operators need: requests by route pattern and
//! status with latency histograms, provider calls by operation and outcome, rate limits and
//! token refreshes.

use e2e::{HubSpotMock, spawn_app};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn metrics_count_requests_provider_calls_rate_limits_and_refreshes() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(2, "access-2").await;
    hubspot.token_rejected("access-1").await;
    hubspot.refresh("access-2", 1, Duration::ZERO).await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("metered", "access-1", chrono::Duration::minutes(30))
        .await;
    // 401 → one refresh → retry succeeds.
    assert_eq!(app.items("metered", "").await.status(), StatusCode::OK);
    assert_eq!(
        app.items("nobody", "").await.status(),
        StatusCode::NOT_FOUND
    );

    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    let has = |needles: &[&str]| {
        text.lines()
            .any(|line| needles.iter().all(|needle| line.contains(needle)))
    };
    assert!(
        has(&[
            "http_requests_total{",
            "route=\"/api/integrations/{provider}/items\"",
            "status=\"200\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "http_requests_total{",
            "route=\"/api/integrations/{provider}/items\"",
            "status=\"404\""
        ]),
        "{text}"
    );
    assert!(has(&["http_request_duration_seconds_bucket{"]), "{text}");
    assert!(
        has(&[
            "provider_calls_total{",
            "provider=\"hubspot\"",
            "operation=\"list_items\"",
            "outcome=\"unauthorized\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "provider_calls_total{",
            "operation=\"list_items\"",
            "outcome=\"ok\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "token_refreshes_total{",
            "provider=\"hubspot\"",
            "outcome=\"ok\""
        ]),
        "{text}"
    );
    assert!(!text.contains("metered"), "no user ids in labels");
}
