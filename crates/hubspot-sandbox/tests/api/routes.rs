//! Routing edges: unknown paths, wrong methods, the consent stylesheet, under any mount.

use hubspot_sandbox::{DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI, SandboxConfig};
use reqwest::{Method, StatusCode};

use crate::helpers::{SCOPES, assert_api_error, spawn_default, spawn_mounted};

#[tokio::test]
async fn unknown_paths_answer_hubspot_json_not_html() {
    let root = spawn_default().await;
    let mounted = spawn_mounted(SandboxConfig::typical(), "/_sandbox/hubspot").await;
    for app in [&root, &mounted] {
        for path in [
            "/nope",
            "/oauth/v2/token",
            "/crm/v3/objects",
            "/oauth/2026-03/x",
        ] {
            let response = app.http.get(app.url(path)).send().await.unwrap();
            let body = assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
            assert!(body["message"].as_str().unwrap().contains(path), "{body}");
        }
    }
}

#[tokio::test]
async fn wrong_methods_on_known_paths_answer_json_405_with_allow() {
    let app = spawn_mounted(SandboxConfig::typical(), "/_sandbox/hubspot").await;
    let cases = [
        (Method::GET, "/oauth/2026-03/token", "POST"),
        (Method::GET, "/oauth/2026-03/token/introspect", "POST"),
        (Method::PUT, "/oauth/2026-03/token/revoke", "POST"),
        (Method::GET, "/oauth/v1/token", "POST"),
        (Method::POST, "/oauth/authorize", "GET"),
        (Method::DELETE, "/crm/v3/objects/contacts", "GET"),
        (Method::POST, "/oauth/v1/refresh-tokens/x", "GET, DELETE"),
        (Method::DELETE, "/_admin/knobs", "GET, PATCH"),
    ];
    for (method, path, allow) in cases {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_api_error(response, StatusCode::METHOD_NOT_ALLOWED, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn consent_page_links_a_stylesheet_that_resolves_under_the_mount() {
    let app = spawn_mounted(SandboxConfig::typical(), "/_sandbox/hubspot").await;
    let query = [
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", DEFAULT_REDIRECT_URI),
        ("scope", SCOPES),
    ];
    let response = app.consent(&query).await;
    assert_eq!(response.status(), 200);
    let page_url = response.url().clone();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<style") && !html.contains(" style=") && !html.contains("<script"));
    let href = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("stylesheet link");
    let css_url = page_url.join(href).unwrap();
    assert_eq!(css_url.path(), "/_sandbox/hubspot/_assets/consent.css");
    let css = app.http.get(css_url).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let text = css.text().await.unwrap();
    assert!(text.contains("prefers-color-scheme: dark") && text.contains(":focus-visible"));

    // The decision's error page sits one level deeper; its link must still resolve.
    let response = app
        .decide(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("decision", "maybe"),
        ])
        .await;
    assert_eq!(response.status(), 400);
    let page_url = response.url().clone();
    let html = response.text().await.unwrap();
    let href = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("stylesheet link");
    assert_eq!(
        page_url.join(href).unwrap().path(),
        "/_sandbox/hubspot/_assets/consent.css"
    );
}

#[tokio::test]
async fn an_oversized_consent_form_is_a_clean_413() {
    let app = spawn_default().await;
    let response = app
        .http
        .post(app.url("/oauth/authorize/decision"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("state={}", "s".repeat(100 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
