//! Logs carry a request id on every request line and never a secret.

use e2e::{HubSpotMock, TEST_CLIENT_SECRET, captured_logs, spawn_app};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn logs_have_request_ids_and_no_secrets() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .code_exchange(
            "code-SECRET-4711",
            "access-SECRET-4711",
            "refresh-SECRET-4711",
        )
        .await;
    hubspot.token_rejected("access-SECRET-4711").await;
    hubspot
        .refresh("access-SECRET-4712", 1, Duration::ZERO)
        .await;
    hubspot.contacts(2, "access-SECRET-4712").await;
    let app = spawn_app(&hubspot).await;

    let state = app.issue_state("loggy").await;
    let res = app
        .callback_browser(&[("code", "code-SECRET-4711"), ("state", &state)])
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    // 401 → refresh → retry: every path that touches a token.
    assert_eq!(app.items("loggy", "").await.status(), StatusCode::OK);

    let logs = captured_logs();
    for secret in ["SECRET-4711", "SECRET-4712", TEST_CLIENT_SECRET, &state] {
        let leak = logs.lines().find(|l| l.contains(secret));
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
    let hubspot = HubSpotMock::start().await;
    hubspot
        .contacts_answer(wiremock::ResponseTemplate::new(503))
        .await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("failing", "access-1", chrono::Duration::minutes(30))
        .await;
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
