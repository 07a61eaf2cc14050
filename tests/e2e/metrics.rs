//! `GET /metrics` speaks Prometheus and counts what operators need: requests by route pattern and
//! status with latency histograms, provider calls by operation and outcome, rate limits and
//! token refreshes.

use e2e::spawn_sandbox_app;
use reqwest::StatusCode;

#[tokio::test]
async fn metrics_count_requests_provider_calls_rate_limits_and_refreshes() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("metered").await;
    // HubSpot rejects the token before its stated expiry.
    app.sandbox
        .as_ref()
        .expect("sandbox mode")
        .expire_access_tokens();
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
