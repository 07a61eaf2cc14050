//! A UI on another origin (`FRONTEND_URL`, with `REACT_APP_API_BASE_URL` pointing here) may call
//! the API from a browser; no other origin may.

use e2e::{FRONTEND, spawn_sandbox_app};

async fn preflight(app: &e2e::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(
            reqwest::Method::OPTIONS,
            app.url("/api/integrations/hubspot/items"),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "x-user-id")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_configured_frontend_origin_may_call_the_api() {
    let app = spawn_sandbox_app().await;
    let res = preflight(&app, FRONTEND).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-origin"], FRONTEND);
    let allowed = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-user-id"), "{allowed}");
}

#[tokio::test]
async fn other_origins_may_not() {
    let app = spawn_sandbox_app().await;
    let res = preflight(&app, "http://evil.test").await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = app
        .client
        .get(app.url("/api/integrations"))
        .header("Origin", "http://evil.test")
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn same_origin_requests_that_carry_an_origin_header_work() {
    let app = spawn_sandbox_app().await;
    let own_origin = app.address.origin().ascii_serialization();
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("Origin", &own_origin)
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
}
