//! The server on a three-master Redis Cluster (started by the test when `redis-server` is
//! installed; skipped with a message otherwise, failing instead when `CI` is set): connect,
//! refresh single-flight, the shared rate budget across two instances, and an export.

use e2e::{AppOptions, TestApp, fresh_prefix, spawn_app_with, user_id};
use integration_core::CredentialStore as _;
use token_store::local_cluster::LocalCluster;

/// The cluster this test binary shares; `None` without `redis-server` or `redis-cli` (a failure
/// under CI, see `test_support::required_program`).
fn cluster(test: &str) -> Option<&'static LocalCluster> {
    test_support::redis_server(test)?;
    test_support::required_program("redis-cli", test)?;
    LocalCluster::shared()
}

fn cluster_vars(cluster: &LocalCluster) -> Vec<(String, String)> {
    vec![("REDIS_URL".into(), cluster.url())]
}

async fn sandbox_app_on(cluster: &LocalCluster) -> TestApp {
    let options = AppOptions {
        vars: cluster_vars(cluster),
        key_prefix: fresh_prefix(),
        ..AppOptions::default()
    };
    spawn_app_with(Vec::new(), options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_refresh_once_and_export_on_a_cluster() {
    let Some(cluster) = cluster("connect_refresh_once_and_export_on_a_cluster") else {
        return;
    };
    let app = sandbox_app_on(cluster).await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("clustered").await;

    // The access token expires: 20 concurrent requests, one refresh (the lock is on the cluster).
    let user = user_id("clustered");
    let mut credentials = app
        .stored("clustered")
        .await
        .expect("stored on the cluster");
    credentials.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    app.store
        .save("hubspot", &user, &credentials)
        .await
        .expect("save");
    sandbox.reset_stats();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app
            .client
            .get(app.url("/api/integrations/hubspot/items?limit=5"))
            .header("X-User-Id", "clustered");
        tasks.spawn(async move { request.send().await.expect("items").status().as_u16() });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), 200);
    }
    assert_eq!(
        sandbox.stats().token_refresh,
        1,
        "single-flight across the cluster"
    );

    let res = app
        .get_as(
            "clustered",
            "/api/integrations/hubspot/export?object_type=contacts",
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    let last: serde_json::Value =
        serde_json::from_str(body.lines().last().expect("lines")).expect("json");
    assert_eq!(
        (last["type"].as_str(), last["count"].as_u64()),
        (Some("end"), Some(250))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_portal_budget_on_a_cluster() {
    let Some(cluster) = cluster("two_instances_share_one_portal_budget_on_a_cluster") else {
        return;
    };
    crate::rate_budget::two_instances_share_one_budget(cluster_vars(cluster)).await;
}
