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

/// The `http_requests_total` lines of `/metrics`.
async fn request_series(app: &e2e::TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text()
        .await
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("http_request"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn made_up_methods_are_counted_as_other_and_mint_no_series_of_their_own() {
    let app = spawn_sandbox_app().await;
    let marker = format!("MADEUP{}", uuid::Uuid::new_v4().simple()).to_uppercase();
    let long = format!("{marker}{}", "X".repeat(4_000));
    for i in 0..20 {
        let name = if i == 0 {
            long.clone()
        } else {
            format!("{marker}{i}")
        };
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        let res = app
            .client
            .request(method, app.url("/api/integrations/hubspot/items"))
            .header("X-User-Id", "methodical")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let series = request_series(&app).await;
    assert!(!series.contains(&marker), "a made-up method became a label");
    assert!(
        series.lines().any(|line| line.contains("method=\"other\"")
            && line.contains("route=\"/api/integrations/{provider}/items\"")
            && line.contains("status=\"405\"")),
        "{series}"
    );
}

#[tokio::test]
async fn requests_no_route_matched_are_counted_under_a_fixed_route_label() {
    let app = spawn_sandbox_app().await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    for path in [
        format!("/nowhere-{marker}"),
        format!("/api/nowhere-{marker}"),
        format!("/api/integrations/{marker}/items"),
        format!("/_sandbox/hubspot/nowhere-{marker}"),
    ] {
        let res = app
            .client
            .get(app.url(&path))
            .header("X-User-Id", "lost")
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_client_error() || res.status().is_success(),
            "{path}: {}",
            res.status()
        );
    }
    let series = request_series(&app).await;
    assert!(!series.contains(&marker), "a raw path became a label");
    assert!(
        series.lines().any(|l| l.contains("route=\"unmatched\"")),
        "{series}"
    );
}
