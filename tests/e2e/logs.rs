//! Logs carry a request id on every request line and never a secret.

use e2e::{HubSpot, TEST_CLIENT_SECRET, captured_logs, query_value, spawn_app, spawn_sandbox_app};
use hubspot_sandbox::Faults;
use integration_core::ExposeSecret as _;
use reqwest::StatusCode;

#[tokio::test]
async fn logs_have_request_ids_and_no_secrets() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;

    let callback = app.approve_at_sandbox("loggy").await;
    let mut secrets = vec![
        query_value(&callback, "code").expect("code"),
        query_value(&callback, "state").expect("state"),
        TEST_CLIENT_SECRET.to_owned(),
    ];
    let res = app.client.get(callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let first = app.stored("loggy").await.expect("connected");
    secrets.push(first.access_token.expose_secret().to_owned());
    secrets.extend(first.refresh_token.map(|t| t.expose_secret().to_owned()));
    // 401 → refresh → retry: every path that touches a token.
    hubspot.sandbox.expire_access_tokens();
    assert_eq!(app.items("loggy", "").await.status(), StatusCode::OK);
    let refreshed = app.stored("loggy").await.expect("still connected");
    secrets.push(refreshed.access_token.expose_secret().to_owned());

    let logs = captured_logs();
    for secret in &secrets {
        let leak = logs.lines().find(|l| l.contains(secret.as_str()));
        assert!(
            leak.is_none(),
            "a secret reached the logs: {secret}: {leak:?}"
        );
    }
    let callback_line = logs
        .lines()
        .find(|l| {
            l.contains("/api/integrations/hubspot/callback") && l.contains("request finished")
        })
        .expect("the callback request was logged");
    let line: serde_json::Value = serde_json::from_str(callback_line).unwrap();
    assert!(
        line["span"]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() >= 32),
        "{line}"
    );
    assert!(logs.contains("refreshing access token"));
}

#[tokio::test]
async fn each_failure_is_logged_once_with_its_request_id() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("failing").await;
    app.sandbox
        .as_ref()
        .expect("sandbox mode")
        .set_faults(Faults {
            fail_next: 100,
            fail_status: 503,
            ..Faults::default()
        });
    for (user, status, message) in [
        ("nobody", 404, "request refused"),
        ("failing", 502, "request failed"),
    ] {
        let res = app.items(user, "").await;
        assert_eq!(res.status().as_u16(), status);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let logs = captured_logs();
        let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&id)).collect();
        let failures = lines.iter().filter(|l| l.contains(message)).count();
        assert_eq!(failures, 1, "{message} once for {user}: {lines:#?}");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("request finished"))
                .count(),
            1,
            "one access line"
        );
    }
}

/// The JSON log lines of the request `res` answered, parsed.
fn log_lines_of(res: &reqwest::Response) -> Vec<serde_json::Value> {
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    captured_logs()
        .lines()
        .filter(|l| l.contains(&id))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn control_characters_in_a_callbacks_provider_name_are_escaped_in_the_log() {
    let app = spawn_sandbox_app().await;
    // No identity needed; the provider segment decodes to a newline, ESC and NUL.
    let res = app
        .client
        .get(app.url(
            "/api/integrations/evil%0A2030-01-01T00:00:00Z%20INFO%20forged%1B%5B2K%00/callback?code=c&state=s",
        ))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let lines = log_lines_of(&res);
    let refused = lines
        .iter()
        .find(|l| l["message"] == "request refused")
        .unwrap_or_else(|| panic!("the refusal was logged: {lines:#?}"));
    let detail = refused["detail"].as_str().expect("a detail");
    assert!(
        !detail.chars().any(char::is_control),
        "raw control characters reached the log: {detail:?}"
    );
    assert!(
        detail.contains(r"evil\n2030-01-01T00:00:00Z INFO forged\u{1b}[2K\0"),
        "escaped, not dropped: {detail}"
    );
    for line in &lines {
        for value in [&line["span"]["path"], &line["span"]["method"]] {
            let text = value.as_str().unwrap_or_default();
            assert!(!text.chars().any(char::is_control), "{line}");
        }
    }
}

#[tokio::test]
async fn a_very_long_request_path_is_cut_short_in_the_log() {
    let app = spawn_sandbox_app().await;
    let path = format!("/api/{}end", "ab/".repeat(4_000));
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let lines = log_lines_of(&res);
    let finished = lines
        .iter()
        .find(|l| l["message"] == "request finished")
        .unwrap_or_else(|| panic!("the request was logged: {lines:#?}"));
    let logged = finished["span"]["path"].as_str().expect("a path");
    assert!(logged.starts_with("/api/ab/ab/"), "{logged}");
    assert!(
        logged.len() <= 1_024,
        "{} bytes of path logged",
        logged.len()
    );
}

#[tokio::test]
async fn a_made_up_method_is_logged_as_other() {
    let app = spawn_sandbox_app().await;
    let marker = format!("FORGED{}", uuid::Uuid::new_v4().simple()).to_uppercase();
    let method = reqwest::Method::from_bytes(marker.as_bytes()).unwrap();
    let res = app
        .client
        .request(method, app.url("/api/integrations"))
        .header("X-User-Id", "methodical")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let lines = log_lines_of(&res);
    assert!(!lines.is_empty());
    for line in &lines {
        assert_eq!(line["span"]["method"], "other", "{line}");
    }
    assert!(!captured_logs().contains(&marker));
}
