//! What a caller can rely on: client mistakes refused before HubSpot is bothered, one overall
//! deadline, a refresh skew that cannot turn into a refresh storm, unreadable credentials that
//! ask for reconnection, 405s that say what is allowed, security headers, and a reconnect that
//! revokes the grant it replaces.

use std::time::Duration;

use e2e::{
    AppOptions, TestApp, assert_problem, captured_logs, concurrent_items, redis_command,
    spawn_app_behind_proxy, spawn_app_with, spawn_sandbox_app,
};
use hubspot_sandbox::{Faults, Sandbox, Stats};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret as _;

const ITEMS: &str = "/api/integrations/hubspot/items";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

/// An app in sandbox mode whose every call has a 2-second deadline; retries use production's
/// `Retry-After` cap (30 s), so only the deadline can stop a long wait.
async fn app_with_two_second_deadline() -> TestApp {
    let mut options = AppOptions::default();
    options
        .vars
        .push(("REQUEST_DEADLINE_SECS".into(), "2".into()));
    options.connector.retry.max_retry_after = Duration::from_secs(30);
    spawn_app_with(Vec::new(), options).await
}

fn sandbox(app: &TestApp) -> Sandbox {
    app.sandbox.clone().expect("sandbox mode")
}

/// `alice` connected through the sandbox, its counters at zero afterwards.
async fn connect_alice(app: &TestApp) -> Sandbox {
    let sandbox = sandbox(app);
    app.connect_via_sandbox("alice").await;
    sandbox.reset_stats();
    sandbox
}

fn assert_hubspot_untouched(sandbox: &Sandbox) {
    assert_eq!(sandbox.stats(), Stats::default(), "HubSpot was called");
}

// 1. Client mistakes are 4xx before any HubSpot call.

#[tokio::test]
async fn a_malformed_cursor_is_refused_before_any_hubspot_call() {
    let app = spawn_sandbox_app().await;
    let hubspot = connect_alice(&app).await;

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
    assert_hubspot_untouched(&hubspot);
}

#[tokio::test]
async fn an_unknown_object_type_is_refused_before_any_hubspot_call() {
    let app = spawn_sandbox_app().await;
    let hubspot = connect_alice(&app).await;

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
    assert_hubspot_untouched(&hubspot);
}

#[tokio::test]
async fn an_object_type_whose_scope_was_not_granted_is_forbidden_before_any_hubspot_call() {
    // Asking for no optional scope: granted are crm.objects.contacts.read and oauth only.
    let app = spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![("HUBSPOT_OPTIONAL_SCOPES".into(), "none".into())],
            ..AppOptions::default()
        },
    )
    .await;
    let hubspot = connect_alice(&app).await;

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
    assert_hubspot_untouched(&hubspot);
}

/// By default the consent also asks for companies and deals (HubSpot's `optional_scope`): a
/// portal that has them grants every object type offered in one consent.
#[tokio::test]
async fn one_consent_grants_every_object_type_the_portal_has() {
    let app = spawn_sandbox_app().await;
    let hubspot = connect_alice(&app).await;
    for kind in ["contacts", "companies", "deals"] {
        let res = app
            .items("alice", &format!("?object_type={kind}&limit=2"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{kind}");
    }
    assert_eq!(hubspot.stats().objects, 3);
}

async fn app_asking_no_optional_scope() -> TestApp {
    spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![("HUBSPOT_OPTIONAL_SCOPES".into(), "none".into())],
            ..AppOptions::default()
        },
    )
    .await
}

async fn status_of(app: &TestApp, user: &str) -> serde_json::Value {
    app.get_json(user, "/api/integrations/hubspot/status").await
}

/// "Enable Companies": a grant without companies gains them through a consent that asks for
/// their scope, and the same user then reads companies.
#[tokio::test]
async fn enabling_an_object_type_asks_for_its_scope_and_reaches_its_records() {
    let app = app_asking_no_optional_scope().await;
    app.connect_via_sandbox("alice").await;
    assert_problem(
        app.items("alice", "?object_type=companies").await,
        403,
        "insufficient_scope",
    )
    .await;

    app.connect_through_consent_page_with("hubspot", "alice", "?object_type=companies")
        .await;

    let res = app.items("alice", "?object_type=companies&limit=3").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: serde_json::Value = res.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "{page}");
    let status = status_of(&app, "alice").await;
    let scopes: Vec<&str> = status["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(scopes.contains(&"crm.objects.companies.read"), "{status}");
    assert!(scopes.contains(&"crm.objects.contacts.read"), "{status}");
    // Deals were not asked for: still not granted, and still worth enabling.
    assert!(!scopes.contains(&"crm.objects.deals.read"), "{status}");
    assert_eq!(status["unavailable_object_types"], serde_json::json!([]));
}

#[tokio::test]
async fn enabling_an_object_type_the_provider_does_not_offer_is_refused() {
    let app = spawn_sandbox_app().await;
    for (query, why) in [
        (
            "?object_type=widgets",
            "object_type must be one of: contacts, companies, deals",
        ),
        ("?object_type=no%20such", "object_type"),
    ] {
        let res = app
            .get_as(
                "alice",
                &format!("/api/integrations/hubspot/authorize{query}"),
            )
            .await;
        let body = assert_problem(res, 400, "invalid_request").await;
        assert!(body["detail"].as_str().unwrap().contains(why), "{body}");
    }
}

/// A portal whose plan lacks deals: the consent's optional deals scope is left out of the
/// grant (as HubSpot does), the status says deals cannot be had, and asking for them as
/// required stops at HubSpot's error page instead of a consent.
#[tokio::test]
async fn an_object_type_the_portal_lacks_is_reported_unavailable_and_cannot_be_enabled() {
    let app = spawn_sandbox_app().await;
    let hubspot = sandbox(&app);
    hubspot.update(|k| k.unavailable_scopes = vec!["crm.objects.deals.read".into()]);
    app.connect_via_sandbox("alice").await;

    let status = status_of(&app, "alice").await;
    assert_eq!(
        status["unavailable_object_types"],
        serde_json::json!(["deals"])
    );
    assert_eq!(
        app.items("alice", "?object_type=companies&limit=1")
            .await
            .status(),
        StatusCode::OK
    );

    let consent = app
        .client
        .get(app.url("/api/integrations/hubspot/authorize?object_type=deals"))
        .header("X-User-Id", "alice")
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::OK);
    let consent: serde_json::Value = consent.json().await.unwrap();
    let page = reqwest::get(consent["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.unwrap();
    assert!(html.contains("crm.objects.deals.read"), "{html}");
    assert!(
        e2e::html::approve_form(&html).is_none(),
        "no way to approve"
    );
}

// 2. One overall deadline.

#[tokio::test]
async fn a_hubspot_slower_than_the_request_deadline_is_a_504_problem() {
    let app = app_with_two_second_deadline().await;
    let hubspot = connect_alice(&app).await;
    hubspot.update(|k| k.latency = Duration::from_secs(10));

    let body = assert_problem(app.items("alice", "").await, 504, "upstream_timeout").await;
    assert!(body["detail"].as_str().unwrap().contains("2 s"), "{body}");
}

#[tokio::test]
async fn a_retry_after_longer_than_the_deadline_is_reported_at_once_instead_of_waited_out() {
    let app = app_with_two_second_deadline().await;
    let hubspot = connect_alice(&app).await;
    // 429s asking to wait out HubSpot's 10-second window.
    hubspot.update(|k| {
        k.send_retry_after = true;
        k.rate_limit = Some(hubspot_sandbox::RateLimit {
            max_requests: 110,
            window: Duration::from_secs(10),
        });
    });
    hubspot.set_faults(Faults {
        rate_limit_next: 100,
        ..Faults::default()
    });

    let res = app.items("alice", "").await;
    assert_eq!(header(&res, "retry-after"), Some("10"));
    let body = assert_problem(res, 429, "rate_limited").await;
    assert_eq!(body["retry_after"], 10);
    // Not retried: the wait HubSpot asked for would end after the deadline.
    assert_eq!(hubspot.stats().objects, 1);
}

// 3. The refresh skew is clamped to the token's lifetime.

#[tokio::test]
async fn a_skew_longer_than_the_token_lifetime_does_not_refresh_on_every_request() {
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
    let app = spawn_app_with(Vec::new(), options).await;
    let hubspot = sandbox(&app);
    // Tokens live 60 s, refreshed ones too: without the clamp every request would refresh
    // again. HubSpot's burst limit is not under test here.
    hubspot.update(|k| {
        k.access_token_ttl = Duration::from_secs(60);
        k.rate_limit = None;
    });
    app.connect_via_sandbox("alice").await;
    let stored = app.stored("alice").await.unwrap();
    assert_eq!(
        stored.lifetime(),
        Some(chrono::Duration::seconds(60)),
        "HubSpot's 60 s lifetime was stored"
    );
    hubspot.reset_stats();

    concurrent_items(&[&app], "alice", 200).await;
    let refreshes = hubspot.stats().token_refresh;
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
    let app = spawn_sandbox_app().await;
    let hubspot = connect_alice(&app).await;
    corrupt_stored_credentials(&app, "alice").await;

    assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    assert_hubspot_untouched(&hubspot);
}

#[tokio::test]
async fn status_and_the_integrations_list_say_reauth_required_for_a_credential_that_no_longer_decrypts()
 {
    let app = spawn_sandbox_app().await;
    let hubspot = connect_alice(&app).await;
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
    assert_hubspot_untouched(&hubspot);
}

#[tokio::test]
async fn items_still_ask_for_reconnection_after_the_status_noticed_an_undecryptable_credential() {
    let app = spawn_sandbox_app().await;
    let hubspot = connect_alice(&app).await;
    corrupt_stored_credentials(&app, "alice").await;

    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["status"], "reauth_required", "{status}");
    // Items agree with the status the UI shows.
    assert_problem(app.items("alice", "").await, 401, "reauth_required").await;
    assert_hubspot_untouched(&hubspot);
}

// 5. Wrong methods are 405 problems that say what is allowed.

async fn assert_method_not_allowed(res: Response, allow: &str) {
    assert_eq!(header(&res, "allow"), Some(allow), "Allow of {}", res.url());
    assert_problem(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn posting_to_items_is_a_405_that_allows_get() {
    let app = spawn_sandbox_app().await;
    let hubspot = sandbox(&app);
    let res = app
        .client
        .post(app.url(ITEMS))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_method_not_allowed(res, "GET").await;
    assert_hubspot_untouched(&hubspot);
}

#[tokio::test]
async fn trace_on_the_integrations_list_is_a_405_that_allows_get() {
    let app = spawn_sandbox_app().await;
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
    let app = spawn_sandbox_app().await;
    let res = app
        .get_as("alice", "/api/integrations/hubspot/connection")
        .await;
    assert_method_not_allowed(res, "DELETE").await;
}

#[tokio::test]
async fn an_unknown_api_path_stays_a_404_problem() {
    let app = spawn_sandbox_app().await;
    let res = app.get_as("alice", "/api/nope").await;
    assert_eq!(header(&res, "allow"), None);
    assert_problem(res, 404, "not_found").await;
}

// 6. Security and cache headers.

#[tokio::test]
async fn every_api_answer_is_uncacheable_unsniffable_unreferred_and_has_a_request_id() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("alice").await;

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
    let app = spawn_sandbox_app().await;
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
    let mut options = AppOptions::default();
    options
        .vars
        .push(("EMBED_ORIGINS".into(), "https://app.vectorshift.ai".into()));
    let app = spawn_app_with(Vec::new(), options).await;
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
    let mut options = AppOptions::default();
    options.vars.push((
        "PUBLIC_URL".into(),
        "https://integrations.example.com".into(),
    ));
    let app = spawn_app_behind_proxy(Vec::new(), options).await;
    for path in ["/", "/api/integrations", "/api/nope"] {
        let res = app.get_as("alice", path).await;
        let hsts = header(&res, "strict-transport-security").unwrap_or_default();
        assert!(hsts.contains("max-age="), "{path}: {hsts:?}");
    }
}

#[tokio::test]
async fn without_a_public_url_there_is_no_strict_transport_security() {
    let app = spawn_app_behind_proxy(Vec::new(), AppOptions::default()).await;
    for path in ["/", "/api/integrations", "/api/nope"] {
        let res = app.get_as("alice", path).await;
        assert_eq!(header(&res, "strict-transport-security"), None, "{path}");
    }
}

// 7. Reconnecting replaces the old grant and revokes it.

#[tokio::test]
async fn reconnecting_replaces_the_grant_and_revokes_the_old_one_at_hubspot() {
    let app = spawn_sandbox_app().await;
    let hubspot = sandbox(&app);

    app.connect_via_sandbox("alice").await;
    assert_eq!(
        hubspot.stats().revoke,
        0,
        "a first connection revokes nothing"
    );
    let old = app.stored("alice").await.unwrap();
    app.connect_via_sandbox("alice").await;

    let stored = app.stored("alice").await.unwrap();
    assert_ne!(
        stored.access_token.expose_secret(),
        old.access_token.expose_secret()
    );
    assert_ne!(
        stored.refresh_token.as_ref().map(|t| t.expose_secret()),
        old.refresh_token.as_ref().map(|t| t.expose_secret())
    );
    assert_eq!(hubspot.stats().revoke, 1, "exactly one revocation");
    // The old grant is dead at HubSpot (its access token with it); the new one is alive.
    let contacts = |token: String| {
        app.client
            .get(app.url("/_sandbox/hubspot/crm/v3/objects/contacts?limit=1"))
            .bearer_auth(token)
            .send()
    };
    let res = contacts(old.access_token.expose_secret().to_owned())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the old grant");
    let res = contacts(stored.access_token.expose_secret().to_owned())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the new grant");
}
