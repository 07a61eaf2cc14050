use e2e::{HubSpotMock, assert_problem, spawn_app};
use reqwest::StatusCode;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let hubspot = HubSpotMock::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(serde_json::json!({
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "policyName": "TEN_SECONDLY_ROLLING"
                })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&hubspot.server)
        .await;
    hubspot.contacts(2, "access-1").await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    // The 429 was retried once, not surfaced. (That the wait honours Retry-After is asserted on
    // a paused clock in integration-core's retry tests: no wall-clock timing here.)
    let requests = hubspot.server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn persistent_rate_limiting_is_a_429_problem_with_retry_after() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .contacts_answer(ResponseTemplate::new(429).set_body_json(serde_json::json!({
            "status": "error", "errorType": "RATE_LIMIT", "message": "slow down"
        })))
        .await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    let res = app.items("alice", "").await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body = assert_problem(res, 429, "rate_limited").await;
    assert_eq!(body["retry_after"], retry_after);
    // Bounded: the first call plus the policy's retries.
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 4);
}

#[tokio::test]
async fn persistent_5xx_is_a_502_problem_after_bounded_retries() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .contacts_answer(ResponseTemplate::new(503).set_body_string("upstream sad"))
        .await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    assert_problem(app.items("alice", "").await, 502, "upstream_error").await;
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 4);
}

#[tokio::test]
async fn malformed_json_from_hubspot_is_a_502_problem() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .contacts_answer(ResponseTemplate::new(200).set_body_string("{\"results\": ["))
        .await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    assert_problem(app.items("alice", "").await, 502, "upstream_error").await;
}

#[tokio::test]
async fn hubspot_unreachable_is_a_502_problem() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    drop(hubspot); // nothing listens there any more
    assert_problem(app.items("alice", "").await, 502, "upstream_error").await;
}
