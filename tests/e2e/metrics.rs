//! `GET /metrics` speaks Prometheus and counts what operators need: requests by route pattern and
//! status with latency histograms, provider calls by operation and outcome, rate limits and
//! token refreshes. It is served on a listener of its own (`METRICS_ADDR`), never on the public
//! port.

use std::collections::HashMap;

use e2e::{AppOptions, assert_problem, spawn_app_with, spawn_sandbox_app};
use reqwest::StatusCode;
use server::settings::Settings;
use server::startup::Application;

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

    let res = app.client.get(app.metrics_url()).send().await.unwrap();
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
    app.metrics_text()
        .await
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

#[tokio::test]
async fn the_public_port_answers_404_for_metrics() {
    let app = spawn_sandbox_app().await;
    // Something worth hiding has been counted.
    assert_eq!(
        app.items("counted", "").await.status(),
        StatusCode::NOT_FOUND
    );
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let res = app
            .client
            .request(method, app.url("/metrics"))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 404, "not_found").await;
        assert!(!body.to_string().contains("http_requests_total"), "{body}");
    }
    let public = app.address.port().expect("a port");
    let metrics = app.metrics_addr.expect("metrics on");
    assert_ne!(metrics.port(), public, "a listener of its own");
    assert!(metrics.ip().is_loopback(), "{metrics}");
}

#[tokio::test]
async fn the_metrics_listener_serves_prometheus_text_and_nothing_else() {
    let app = spawn_sandbox_app().await;
    assert_eq!(
        app.items("scraped", "").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = app.client.get(app.metrics_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/integrations/{provider}/items\"")),
        "{text}"
    );
    // Only `/metrics` there: not the API, the UI or the health checks.
    let root = format!("http://{}", app.metrics_addr.unwrap());
    for path in ["/", "/healthz", "/api/integrations", "/metrics/x"] {
        let res = app
            .client
            .get(format!("{root}{path}"))
            .header("X-User-Id", "scraped")
            .send()
            .await
            .unwrap();
        assert_problem(res, 404, "not_found").await;
    }
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![("METRICS_ADDR".into(), "off".into())],
            ..AppOptions::default()
        },
    )
    .await;
    assert_eq!(app.metrics_addr, None);
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_problem(res, 404, "not_found").await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

fn settings_with(metrics_addr: &str) -> Result<Settings, String> {
    let vars: HashMap<String, String> = [
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("METRICS_ADDR", metrics_addr.to_owned()),
        ("TOKEN_ENCRYPTION_KEY", e2e::TEST_KEY.to_owned()),
        ("REDIS_URL", e2e::redis_url()),
        ("REDIS_KEY_PREFIX", e2e::fresh_prefix()),
        ("WEB_DIST_DIR", "/nonexistent".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Settings::from_vars(vars).map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_bad_metrics_address_stops_the_start_naming_the_variable() {
    for bad in ["nope", "9464", "metrics.internal:9464", "127.0.0.1:70000"] {
        let err = settings_with(bad).expect_err(bad);
        assert!(err.starts_with("METRICS_ADDR is invalid: "), "{err}");
        assert_eq!(err.matches(". ").count(), 0, "one sentence: {err}");
    }
    // A port already taken: the start stops, naming the variable, before serving anything.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = Application::build(settings_with(&addr).expect("a well-formed address"))
        .await
        .expect_err("the port is taken")
        .to_string();
    assert!(err.starts_with("METRICS_ADDR is unusable: "), "{err}");
    assert!(err.contains(&addr), "{err}");
}
