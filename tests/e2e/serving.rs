//! The UI is served like a product: hashed assets cached for a year, the page itself revalidated,
//! text compressed, no source maps, deep links answered with the app.

use e2e::{AppOptions, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test]
async fn the_ui_is_compressed_cached_by_hash_and_deep_links_load_the_app() {
    let dist = std::env::temp_dir().join(format!("vs-dist-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>app</title>").unwrap();
    let script = "console.log('vectorshift');\n".repeat(400);
    std::fs::write(dist.join("assets/index-Bq3x9Kz1.js"), &script).unwrap();
    let app = spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![("WEB_DIST_DIR".into(), dist.display().to_string())],
            ..AppOptions::default()
        },
    )
    .await;

    let asset = app
        .client
        .get(app.url("/assets/index-Bq3x9Kz1.js"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers()["content-encoding"], "gzip");
    let compressed = asset.bytes().await.unwrap().len();
    assert!(
        compressed < script.len() / 4,
        "{compressed} of {}",
        script.len()
    );

    let index = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let deep = app
        .client
        .get(app.url("/integrations/notion"))
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), StatusCode::OK, "a deep link loads the app");
    assert_eq!(deep.headers()["cache-control"], "no-cache");
    assert!(deep.text().await.unwrap().contains("<title>app</title>"));
    std::fs::remove_dir_all(&dist).unwrap();
}

#[test]
fn the_production_build_publishes_no_source_maps() {
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../web/vite.config.ts"
    ))
    .unwrap();
    assert!(
        !config.contains("sourcemap: true"),
        "source maps would publish the UI's source"
    );
    let dist = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/dist/assets");
    if let Ok(entries) = std::fs::read_dir(dist) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".map"), "{name} is published");
        }
    }
}
