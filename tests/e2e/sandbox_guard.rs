//! What guards the sandboxes mounted at `/_sandbox/{id}`: their admin routes answer only the
//! peers `SANDBOX_ADMIN` allows (loopback by default), and a request body that never arrives is
//! cut within the request deadline.

use std::time::Duration;

use e2e::{AppOptions, TestApp, spawn_app_with};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

async fn sandbox_app(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..AppOptions::default()
        },
    )
    .await
}

#[tokio::test]
async fn by_default_the_sandbox_admin_routes_answer_a_caller_on_127_0_0_1() {
    let app = sandbox_app(&[]).await;
    assert_eq!(app.address.host_str(), Some("127.0.0.1"));
    let res = app
        .client
        .get(app.url("/_sandbox/hubspot/_admin/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .post(app.url("/_sandbox/hubspot/_admin/revoke-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn with_sandbox_admin_off_revoke_all_is_refused_in_hubspots_error_shape_and_logs_nobody_out()
{
    let app = sandbox_app(&[("SANDBOX_ADMIN", "off")]).await;
    app.connect_via_sandbox("ada").await;
    for path in [
        "/_sandbox/hubspot/_admin/revoke-all",
        // The router decodes `%5F`; the guard must see the same path it does.
        "/_sandbox/hubspot/%5Fadmin/revoke-all",
        "/_sandbox/hubspot//_admin/revoke-all",
    ] {
        let res = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "error", "{body}");
        assert_eq!(body["category"], "FORBIDDEN", "{body}");
        assert!(body["correlationId"].is_string(), "{body}");
    }
    let res = app
        .client
        .get(app.url("/_sandbox/hubspot/_admin/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Ada is still connected: the refused call revoked nothing.
    assert_eq!(app.items("ada", "").await.status(), StatusCode::OK);
    // The sandbox's other routes are untouched.
    let res = app
        .client
        .get(app.url("/_sandbox/hubspot/_assets/consent.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Sends `POST path` with a `Content-Length` of 100 and only part of the body, then stalls;
/// returns what the server answered before closing, within `wait`.
async fn stalled_post(app: &TestApp, path: &str, content_type: &str, wait: Duration) -> String {
    let port = app.address.port().unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n\
         Content-Length: 100\r\n\r\ngrant_type="
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "POST {path}: the connection was still open after {wait:?}, answered {:?}",
        String::from_utf8_lossy(&answer)
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_sandbox_post_whose_body_never_arrives_is_answered_408_and_closed_within_the_deadline() {
    let app = sandbox_app(&[("REQUEST_DEADLINE_SECS", "1")]).await;
    let form = "application/x-www-form-urlencoded";
    let started = std::time::Instant::now();
    let answer = stalled_post(
        &app,
        "/_sandbox/hubspot/oauth/v1/token",
        form,
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // The other sandboxes and HubSpot's JSON routes are bounded the same way.
    for (path, content_type) in [
        ("/_sandbox/notion/v1/oauth/token", "application/json"),
        (
            "/_sandbox/hubspot/crm/v3/objects/contacts/search",
            "application/json",
        ),
        ("/_sandbox/hubspot/_admin/faults", "application/json"),
    ] {
        let answer = stalled_post(&app, path, content_type, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn a_sandbox_token_post_whose_body_arrives_in_time_is_served_as_before() {
    let app = sandbox_app(&[("REQUEST_DEADLINE_SECS", "1")]).await;
    let res = app
        .client
        .post(app.url("/_sandbox/hubspot/oauth/v1/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "nope")])
        .send()
        .await
        .unwrap();
    // Refused for what it says (no client, unknown token), not for timing.
    let status = res.status();
    assert!(
        status.is_client_error() && status != StatusCode::REQUEST_TIMEOUT,
        "{status}"
    );
}
