//! The HTTP contract is generated from the handlers and snapshotted in `docs/openapi.json`: an
//! API change fails this test until the snapshot is updated (`UPDATE_OPENAPI=1 cargo test -p e2e
//! openapi`), so it shows up as a reviewable diff.

use e2e::{AppOptions, HubSpot, TestApp, spawn_app};
use reqwest::StatusCode;

async fn served(app: &TestApp) -> serde_json::Value {
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// The security requirements of `operation` (`get`, `delete`) of `path`, or the global ones.
fn requirements(doc: &serde_json::Value, path: &str, operation: &str) -> serde_json::Value {
    let own = &doc["paths"][path][operation]["security"];
    if own.is_null() {
        doc["security"].clone()
    } else {
        own.clone()
    }
}

#[tokio::test]
async fn the_served_openapi_document_matches_the_snapshot() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let served = served(&app).await;
    for path in [
        "/api/integrations",
        "/api/integrations/{provider}/authorize",
        "/api/integrations/{provider}/callback",
        "/api/integrations/{provider}/items",
        "/api/integrations/{provider}/status",
        "/api/integrations/{provider}/connection",
    ] {
        assert!(served["paths"][path].is_object(), "{path} is documented");
    }
    assert!(served["components"]["schemas"]["IntegrationItem"].is_object());

    let snapshot_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(snapshot_path, &pretty).unwrap();
    }
    let snapshot = std::fs::read_to_string(snapshot_path).unwrap_or_default();
    assert!(
        snapshot == pretty,
        "the API changed: review and run `UPDATE_OPENAPI=1 cargo test -p e2e openapi`, then `npm --prefix web run gen:types`"
    );
}

/// The document declares how callers are named in the mode the server runs in, and nothing the
/// server would ignore: `X-User-Id` or `user_id` in `dev` mode (the snapshot above), a bearer JWT
/// in `jwt` mode.
#[tokio::test]
async fn each_identity_mode_serves_its_own_security_scheme() {
    let hubspot = HubSpot::start().await;
    let dev = served(&spawn_app(&hubspot).await).await;
    let schemes = &dev["components"]["securitySchemes"];
    assert_eq!(schemes["user_header"]["type"], "apiKey");
    assert_eq!(schemes["user_header"]["in"], "header");
    assert_eq!(schemes["user_header"]["name"], "X-User-Id");
    assert_eq!(schemes["user_query"]["in"], "query");
    assert_eq!(schemes["user_query"]["name"], "user_id");
    assert!(schemes.get("bearer").is_none(), "{schemes}");
    assert_eq!(
        requirements(&dev, "/api/integrations/{provider}/items", "get"),
        serde_json::json!([{"user_header": []}, {"user_query": []}])
    );

    let jwt = served(
        &hubspot
            .app(AppOptions {
                vars: vec![
                    ("AUTH_MODE".to_owned(), "jwt".to_owned()),
                    (
                        "AUTH_JWT_SECRET".to_owned(),
                        "an-hs256-secret-of-at-least-32-bytes!!".to_owned(),
                    ),
                ],
                ..AppOptions::default()
            })
            .await,
    )
    .await;
    let schemes = jwt["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(
        schemes.keys().collect::<Vec<_>>(),
        ["bearer"],
        "{schemes:?}"
    );
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    let bearer = serde_json::json!([{"bearer": []}]);
    for (path, operation) in [
        ("/api/integrations", "get"),
        ("/api/integrations/{provider}/authorize", "get"),
        ("/api/integrations/{provider}/items", "get"),
        ("/api/integrations/{provider}/export", "get"),
        ("/api/integrations/{provider}/changes", "get"),
        ("/api/integrations/{provider}/count", "get"),
        ("/api/integrations/{provider}/status", "get"),
        ("/api/integrations/{provider}/connection", "delete"),
    ] {
        assert_eq!(requirements(&jwt, path, operation), bearer, "{path}");
    }
    // The callback needs no identity (the state names the user) but checks one that is sent.
    assert_eq!(
        requirements(&jwt, "/api/integrations/{provider}/callback", "get"),
        serde_json::json!([{}, {"bearer": []}])
    );
    assert_eq!(
        requirements(&jwt, "/api/config", "get"),
        serde_json::json!([{}])
    );
    // Nothing the jwt server ignores is documented as an input.
    let text = jwt["paths"].to_string();
    assert!(
        !text.contains("X-User-Id\"") && !text.contains("\"user_id\""),
        "{text}"
    );
}
