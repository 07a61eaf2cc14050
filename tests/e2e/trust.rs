//! What a caller can rely on: client mistakes refused before HubSpot is bothered, one overall
//! deadline, a refresh skew that cannot turn into a refresh storm, unreadable credentials that
//! ask for reconnection, 405s that say what is allowed, security headers, and a reconnect that
//! revokes the grant it replaces.

use std::time::Duration;

use e2e::{
    AppOptions, HubSpotMock, assert_problem, captured_logs, concurrent_items, redis_command,
    spawn_app, spawn_app_behind_proxy, spawn_app_with, token_response,
};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret as _;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

const ITEMS: &str = "/api/integrations/hubspot/items";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

/// An app whose every call has a 2-second deadline; retries use production's `Retry-After` cap
/// (30 s), so only the deadline can stop a long wait.
async fn app_with_two_second_deadline(hubspot: &HubSpotMock) -> e2e::TestApp {
    let mut options = AppOptions::default();
    options
        .vars
        .push(("REQUEST_DEADLINE_SECS".into(), "2".into()));
    options.connector.retry.max_retry_after = Duration::from_secs(30);
    spawn_app_with(hubspot.env(), options).await
}

async fn assert_hubspot_untouched(hubspot: &HubSpotMock) {
    let received = hubspot.server.received_requests().await.unwrap();
    assert!(received.is_empty(), "HubSpot was called: {received:?}");
}

// 1. Client mistakes are 4xx before any HubSpot call.

#[tokio::test]
async fn a_malformed_cursor_is_refused_before_any_hubspot_call() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(5, "access-1").await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let body = assert_problem(
        app.items("alice", "?cursor=abc").await,
        400,
        "invalid_request",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("cursor"),
        "{body}"
    );
    assert_hubspot_untouched(&hubspot).await;
}

#[tokio::test]
async fn an_unknown_object_type_is_refused_before_any_hubspot_call() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(5, "access-1").await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let body = assert_problem(
        app.items("alice", "?object_type=foo").await,
        400,
        "invalid_request",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("object_type"),
        "{body}"
    );
    assert_hubspot_untouched(&hubspot).await;
}

#[tokio::test]
async fn an_object_type_whose_scope_was_not_granted_is_forbidden_before_any_hubspot_call() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(5, "access-1").await;
    let app = spawn_app(&hubspot).await;
    // Granted: crm.objects.contacts.read and oauth only.
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let body = assert_problem(
        app.items("alice", "?object_type=companies").await,
        403,
        "insufficient_scope",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("crm.objects.companies.read"),
        "{body}"
    );
    assert_hubspot_untouched(&hubspot).await;
}

// 2. One overall deadline.

#[tokio::test]
async fn a_hubspot_slower_than_the_request_deadline_is_a_504_problem() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .contacts_answer(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "results": [] }))
                .set_delay(Duration::from_secs(10)),
        )
        .await;
    let app = app_with_two_second_deadline(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let body = assert_problem(app.items("alice", "").await, 504, "upstream_timeout").await;
    assert!(body["detail"].as_str().unwrap().contains("2 s"), "{body}");
}

#[tokio::test]
async fn a_retry_after_longer_than_the_deadline_is_reported_at_once_instead_of_waited_out() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .contacts_answer(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "10")
                .set_body_json(serde_json::json!({
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "policyName": "TEN_SECONDLY_ROLLING"
                })),
        )
        .await;
    let app = app_with_two_second_deadline(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let res = app.items("alice", "").await;
    assert_eq!(header(&res, "retry-after"), Some("10"));
    let body = assert_problem(res, 429, "rate_limited").await;
    assert_eq!(body["retry_after"], 10);
    // Not retried: the wait HubSpot asked for would end after the deadline.
    assert_eq!(hubspot.calls_to("/crm/v3/objects/contacts").await, 1);
}

// 3. The refresh skew is clamped to the token's lifetime.

#[tokio::test]
async fn a_skew_longer_than_the_token_lifetime_does_not_refresh_on_every_request() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .code_exchange_with_lifetime("code-a", "access-1", "refresh-1", 60)
        .await;
    hubspot.contacts(5, "access-1").await;
    hubspot.contacts(5, "access-2").await;
    // Refreshed tokens live 60 s too: without the clamp every request would refresh again.
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(token_response("access-2", "refresh-1", 60))
        .expect(0..=1)
        .named("refresh grant")
        .mount(&hubspot.server)
        .await;
    let mut options = AppOptions::default();
    options
        .vars
        .push(("TOKEN_REFRESH_SKEW_SECS".into(), "300".into()));
    // 200 requests at once on a loaded CI machine: give the Redis pool room and time, so the
    // only thing under test is how often the token is refreshed.
    options.vars.push(("REDIS_POOL_SIZE".into(), "64".into()));
    options
        .vars
        .push(("REDIS_TIMEOUT_MS".into(), "10000".into()));
    let app = spawn_app_with(hubspot.env(), options).await;
    app.connect_with_code("alice", "code-a").await;
    let stored = app.stored("alice").await.unwrap();
    assert_eq!(
        stored.lifetime(),
        Some(chrono::Duration::seconds(60)),
        "the mock's 60 s lifetime was stored"
    );

    concurrent_items(&[&app], "alice", 200).await;
    hubspot.server.verify().await;
    let refreshes = hubspot
        .requests_to("/oauth/2026-03/token")
        .await
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("grant_type=refresh_token"))
        .count();
    assert!(refreshes <= 1, "{refreshes} refreshes");
    assert!(
        captured_logs().contains("TOKEN_REFRESH_SKEW_SECS is not shorter"),
        "the clamp is logged"
    );
}

// 4. A stored credential that no longer decrypts asks for reconnection, never a 500.

async fn corrupt_stored_credentials(app: &e2e::TestApp, user: &str) {
    let key = format!("{}hubspot:{user}", app.key_prefix);
    let reply = redis_command(&["SET", &key, "\u{1}garbage, not an envelope \u{7f}"]).await;
    assert_eq!(reply, b"OK");
}

#[tokio::test]
async fn items_for_a_credential_that_no_longer_decrypts_ask_for_reconnection() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    corrupt_stored_credentials(&app, "alice").await;

    assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    assert_hubspot_untouched(&hubspot).await;
}

#[tokio::test]
async fn status_and_the_integrations_list_say_reauth_required_for_a_credential_that_no_longer_decrypts()
 {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    corrupt_stored_credentials(&app, "alice").await;

    let res = app
        .get_as("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let status: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status["status"], "reauth_required", "{status}");
    assert_eq!(status["connected"], false, "{status}");

    let list = app.get_json("alice", "/api/integrations").await;
    let hubspot_entry = list["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "hubspot")
        .unwrap()
        .clone();
    assert_eq!(hubspot_entry["status"], "reauth_required", "{list}");
    assert_hubspot_untouched(&hubspot).await;
}

#[tokio::test]
async fn items_still_ask_for_reconnection_after_the_status_noticed_an_undecryptable_credential() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;
    corrupt_stored_credentials(&app, "alice").await;

    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["status"], "reauth_required", "{status}");
    // Items agree with the status the UI shows.
    assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    assert_hubspot_untouched(&hubspot).await;
}

// 5. Wrong methods are 405 problems that say what is allowed.

async fn assert_method_not_allowed(res: Response, allow: &str) {
    assert_eq!(header(&res, "allow"), Some(allow), "Allow of {}", res.url());
    assert_problem(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn posting_to_items_is_a_405_that_allows_get() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    let res = app
        .client
        .post(app.url(ITEMS))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_method_not_allowed(res, "GET").await;
    assert_hubspot_untouched(&hubspot).await;
}

#[tokio::test]
async fn trace_on_the_integrations_list_is_a_405_that_allows_get() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    let res = app
        .client
        .request(
            Method::from_bytes(b"TRACE").unwrap(),
            app.url("/api/integrations"),
        )
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_method_not_allowed(res, "GET").await;
}

#[tokio::test]
async fn getting_the_connection_is_a_405_that_allows_delete() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    let res = app
        .get_as("alice", "/api/integrations/hubspot/connection")
        .await;
    assert_method_not_allowed(res, "DELETE").await;
}

#[tokio::test]
async fn an_unknown_api_path_stays_a_404_problem() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    let res = app.get_as("alice", "/api/nope").await;
    assert_eq!(header(&res, "allow"), None);
    assert_problem(res, 404, "not_found").await;
}

// 6. Security and cache headers.

#[tokio::test]
async fn every_api_answer_is_uncacheable_unsniffable_unreferred_and_has_a_request_id() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(3, "access-1").await;
    let app = spawn_app(&hubspot).await;
    app.seed_credentials("alice", "access-1", chrono::Duration::minutes(30))
        .await;

    let answers = [
        app.get_as("alice", "/api/integrations").await,
        app.get_as("alice", "/api/integrations/hubspot/status")
            .await,
        app.items("alice", "").await,
        app.items("nobody", "").await,
        app.items("alice", "?cursor=abc").await,
        app.get_as("alice", "/api/nope").await,
        app.client
            .post(app.url(ITEMS))
            .header("X-User-Id", "alice")
            .send()
            .await
            .unwrap(),
    ];
    let mut request_ids = Vec::new();
    for res in &answers {
        let url = res.url().path();
        assert_eq!(header(res, "cache-control"), Some("no-store"), "{url}");
        assert_eq!(
            header(res, "x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        assert_eq!(header(res, "referrer-policy"), Some("no-referrer"), "{url}");
        let id = header(res, "x-request-id").unwrap_or_default();
        assert!(!id.is_empty(), "{url} has no X-Request-Id");
        request_ids.push(id.to_owned());
    }
    request_ids.sort();
    request_ids.dedup();
    assert_eq!(request_ids.len(), answers.len(), "request ids are unique");
}

#[tokio::test]
async fn the_ui_has_a_content_security_policy_that_forbids_framing_by_default() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app(&hubspot).await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = header(&res, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(&res, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&res, "referrer-policy"), Some("no-referrer"));
    assert_eq!(header(&res, "strict-transport-security"), None);
}

#[tokio::test]
async fn the_ui_may_be_framed_by_the_embed_origins_only() {
    let hubspot = HubSpotMock::start().await;
    let mut options = AppOptions::default();
    options
        .vars
        .push(("EMBED_ORIGINS".into(), "https://app.vectorshift.ai".into()));
    let app = spawn_app_with(hubspot.env(), options).await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    let csp = header(&res, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let ancestors = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("frame-ancestors"))
        .unwrap();
    assert_eq!(ancestors, "frame-ancestors https://app.vectorshift.ai");
}

#[tokio::test]
async fn an_https_public_url_adds_strict_transport_security() {
    let hubspot = HubSpotMock::start().await;
    let mut options = AppOptions::default();
    options.vars.push((
        "PUBLIC_URL".into(),
        "https://integrations.example.com".into(),
    ));
    let app = spawn_app_behind_proxy(hubspot.env(), options).await;
    for path in ["/", "/api/integrations", "/api/nope"] {
        let res = app.get_as("alice", path).await;
        let hsts = header(&res, "strict-transport-security").unwrap_or_default();
        assert!(hsts.contains("max-age="), "{path}: {hsts:?}");
    }
}

#[tokio::test]
async fn without_a_public_url_there_is_no_strict_transport_security() {
    let hubspot = HubSpotMock::start().await;
    let app = spawn_app_behind_proxy(hubspot.env(), AppOptions::default()).await;
    for path in ["/", "/api/integrations", "/api/nope"] {
        let res = app.get_as("alice", path).await;
        assert_eq!(header(&res, "strict-transport-security"), None, "{path}");
    }
}

// 7. Reconnecting replaces the old grant and revokes it.

#[tokio::test]
async fn reconnecting_replaces_the_grant_and_revokes_the_old_one_at_hubspot() {
    let hubspot = HubSpotMock::start().await;
    hubspot
        .code_exchange("code-a", "access-1", "refresh-1")
        .await;
    hubspot
        .code_exchange("code-b", "access-2", "refresh-2")
        .await;
    hubspot.revoke_accepted().await;
    let app = spawn_app(&hubspot).await;

    app.connect_with_code("alice", "code-a").await;
    assert!(
        hubspot
            .requests_to("/oauth/2026-03/token/revoke")
            .await
            .is_empty(),
        "a first connection revokes nothing"
    );
    app.connect_with_code("alice", "code-b").await;

    let stored = app.stored("alice").await.unwrap();
    assert_eq!(stored.access_token.expose_secret(), "access-2");
    assert_eq!(
        stored.refresh_token.as_ref().map(|t| t.expose_secret()),
        Some("refresh-2")
    );
    let revokes = hubspot.requests_to("/oauth/2026-03/token/revoke").await;
    assert_eq!(revokes.len(), 1, "exactly one revocation");
    assert_eq!(revokes[0].method.as_str(), "POST");
    let form = String::from_utf8_lossy(&revokes[0].body);
    assert!(
        form.split('&').any(|pair| pair == "token=refresh-1"),
        "{form}"
    );
    assert!(!form.contains("refresh-2"), "{form}");
}
