use e2e::{assert_problem, spawn_sandbox_app};
use reqwest::StatusCode;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_sandbox_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_missing_or_invalid_user_id_is_a_400_problem() {
    let app = spawn_sandbox_app().await;
    let res = app
        .client
        .get(app.url("/api/integrations/hubspot/items"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_request").await;
    for bad in ["a b", "a:b", &"x".repeat(129), "<script>"] {
        let res = app
            .client
            .get(app.url("/api/integrations/hubspot/items"))
            .query(&[("user_id", bad)])
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "invalid_request").await;
    }
    let res = app.get_as("", "/api/integrations").await;
    assert_problem(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn bad_paging_parameters_are_400_problems() {
    let app = spawn_sandbox_app().await;
    for query in [
        "?limit=0",
        "?limit=101",
        "?limit=ten",
        "?limit=-1",
        "?cursor=a%20b",
        "?object_type=../../x",
    ] {
        let res = app.items("alice", query).await;
        assert_problem(res, 400, "invalid_request").await;
    }
}

#[tokio::test]
async fn an_unknown_provider_is_a_404_problem() {
    let app = spawn_sandbox_app().await;
    for path in [
        "/api/integrations/pipedrive/items",
        "/api/integrations/pipedrive/authorize",
        "/api/integrations/pipedrive/status",
        "/api/integrations/pipedrive/callback?state=x",
    ] {
        assert_problem(app.get_as("alice", path).await, 404, "unknown_provider").await;
    }
    assert_problem(app.get_as("alice", "/api/nope").await, 404, "not_found").await;
}
