//! The HTTP contract is generated from the handlers and snapshotted in `docs/openapi.json`: an
//! API change fails this test until the snapshot is updated (`UPDATE_OPENAPI=1 cargo test -p e2e
//! openapi`), so it shows up as a reviewable diff.

use e2e::{HubSpotMock, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn the_served_openapi_document_matches_the_snapshot() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let served: serde_json::Value = res.json().await.unwrap();
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
