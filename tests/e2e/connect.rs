use e2e::{
    FRONTEND, HubSpot, TEST_CLIENT_ID, assert_problem, location, query_value, redis_command,
    spawn_app,
};
use hubspot_sandbox::{SandboxConfig, Vary};
use integration_core::ExposeSecret as _;
use reqwest::StatusCode;
use token_store::PendingAuthorization;

/// Calls to HubSpot's token endpoint so far: codes redeemed, refreshes, refusals.
fn token_calls(hubspot: &HubSpot) -> u64 {
    let stats = hubspot.sandbox.stats();
    stats.token_authorization_code + stats.token_refresh + stats.token_errors
}

#[tokio::test]
async fn full_connect_flow_authorize_callback_items() {
    let mut config = SandboxConfig {
        contacts: 3,
        ..SandboxConfig::default()
    };
    // The test reads names into titles: every contact has them.
    config.contract.blank_values = Vary::Off;
    let hubspot = HubSpot::start_with(config).await;
    let hub_id = hubspot.sandbox.hub_id().to_string();
    let app = spawn_app(&hubspot).await;

    // Browsers get a redirect to HubSpot's consent page with everything HubSpot needs.
    let res = app
        .client
        .get(app.url("/api/integrations/hubspot/authorize?user_id=alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let consent = location(&res);
    assert!(
        consent
            .as_str()
            .starts_with(&format!("{}/oauth/authorize", hubspot.uri()))
    );
    assert_eq!(query_value(&consent, "client_id").unwrap(), TEST_CLIENT_ID);
    assert_eq!(
        query_value(&consent, "scope").unwrap(),
        "crm.objects.contacts.read oauth"
    );
    assert_eq!(
        query_value(&consent, "redirect_uri").unwrap(),
        app.url("/api/integrations/hubspot/callback")
    );
    let state = query_value(&consent, "state").unwrap();
    assert_eq!(state.len(), 43);

    // The user approves at HubSpot, which sends the browser back with a code.
    let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let res = app
        .client
        .post(consent.join("authorize/decision").unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let callback = location(&res);
    assert_eq!(query_value(&callback, "state").unwrap(), state);

    // We land on the UI with the outcome.
    let res = app.client.get(callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let outcome = location(&res);
    assert!(
        outcome
            .as_str()
            .starts_with(&format!("{FRONTEND}/integrations/hubspot/callback"))
    );
    assert_eq!(query_value(&outcome, "result").unwrap(), "success");
    assert_eq!(query_value(&outcome, "account_id").unwrap(), hub_id);

    // The credentials are stored for the state's user, and the items flow.
    let stored = app.stored("alice").await.expect("stored");
    assert_eq!(stored.account_id.as_deref(), Some(hub_id.as_str()));
    // What HubSpot itself says about the first contact, asked with the stored token.
    let first: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/crm/v3/objects/contacts?limit=1&properties=firstname,lastname,email",
            hubspot.uri()
        ))
        .bearer_auth(stored.access_token.expose_secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &first["results"][0];
    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let id = first["id"].as_str().unwrap();
    assert_eq!(items[0]["id"], id);
    assert_eq!(
        items[0]["title"],
        format!(
            "{} {}",
            first["properties"]["firstname"].as_str().unwrap(),
            first["properties"]["lastname"].as_str().unwrap()
        )
    );
    assert_eq!(
        items[0]["properties"]["email"],
        first["properties"]["email"]
    );
    assert_eq!(
        items[0]["url"],
        format!("https://app.hubspot.com/contacts/{hub_id}/record/0-1/{id}")
    );
    assert!(body["next_cursor"].is_null());

    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], true);
    assert_eq!(status["account_id"], hub_id);

    let list = app.get_json("alice", "/api/integrations").await;
    assert_eq!(list["integrations"][0]["id"], "hubspot");
    // HubSpot is the live one (its own settings); providers without credentials are sandboxed.
    assert_eq!(list["integrations"][0]["sandbox"], false);
    assert_eq!(list["integrations"][0]["status"], "connected");
    let list = app.get_json("bob", "/api/integrations").await;
    assert_eq!(list["integrations"][0]["status"], "not_connected");
}

#[tokio::test]
async fn authorize_answers_json_for_the_ui_popup() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let url = app.authorize("alice").await;
    assert_eq!(url.path(), "/oauth/authorize");
    assert!(query_value(&url, "state").is_some());
}

#[tokio::test]
async fn access_denied_ends_in_a_failure_outcome() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let state = app.issue_state("alice").await;
    let res = app
        .callback_browser(&[
            ("error", "access_denied"),
            ("error_description", "The user denied access"),
            ("state", &state),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let outcome = location(&res);
    assert_eq!(query_value(&outcome, "result").unwrap(), "error");
    assert_eq!(query_value(&outcome, "error").unwrap(), "access_denied");
    assert_eq!(
        query_value(&outcome, "error_description").unwrap(),
        "The user denied access"
    );
    assert!(app.stored("alice").await.is_none());
}

#[tokio::test]
async fn replayed_state_is_invalid_state() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let callback = app.approve_at_sandbox("alice").await;
    let code = query_value(&callback, "code").unwrap();
    let state = query_value(&callback, "state").unwrap();
    let res = app
        .callback_json(&[("code", &code), ("state", &state)], None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replay = app
        .callback_json(&[("code", &code), ("state", &state)], None)
        .await;
    assert_problem(replay, 400, "invalid_state").await;

    // Browsers see the same outcome on the UI.
    let replay = app
        .callback_browser(&[("code", &code), ("state", &state)])
        .await;
    assert_eq!(
        query_value(&location(&replay), "error").unwrap(),
        "invalid_state"
    );
    assert_eq!(token_calls(&hubspot), 1);
}

#[tokio::test]
async fn state_of_another_user_is_invalid_state() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let callback = app.approve_at_sandbox("alice").await;
    let code = query_value(&callback, "code").unwrap();
    let state = query_value(&callback, "state").unwrap();
    let res = app
        .callback_json(&[("code", &code), ("state", &state)], Some("mallory"))
        .await;
    assert_problem(res, 400, "invalid_state").await;
    assert!(app.stored("mallory").await.is_none());
    assert!(app.stored("alice").await.is_none());
    assert_eq!(token_calls(&hubspot), 0);
}

#[tokio::test]
async fn expired_state_is_invalid_state() {
    use token_store::StateStore as _;
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let state = integration_core::OAuthState::generate();
    let pending = PendingAuthorization {
        user_id: e2e::user_id("alice"),
        provider: "hubspot".into(),
        redirect_uri: format!("{}/api/integrations/hubspot/callback", app.address),
        binding_hash: integration_core::BrowserBinding::generate().hash(),
        pkce_verifier: None,
        created_at: chrono::Utc::now(),
    };
    app.store
        .put_state(&state, &pending, std::time::Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let res = app
        .callback_json(&[("code", "good-code"), ("state", state.as_str())], None)
        .await;
    assert_problem(res, 400, "invalid_state").await;
}

#[tokio::test]
async fn missing_or_forged_state_is_invalid_state_never_a_500() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    for query in [
        vec![("code", "c")],
        vec![("code", "c"), ("state", "forged")],
        vec![("code", "c"), ("state", &"A".repeat(43))],
    ] {
        let res = app.callback_json(&query, None).await;
        assert_problem(res, 400, "invalid_state").await;
    }
}

#[tokio::test]
async fn a_code_hubspot_refuses_ends_in_exchange_failed() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let state = app.issue_state("alice").await;
    let res = app
        .callback_browser(&[("code", "stale-code"), ("state", &state)])
        .await;
    let outcome = location(&res);
    assert_eq!(query_value(&outcome, "error").unwrap(), "exchange_failed");
    assert!(app.stored("alice").await.is_none());
    let stats = hubspot.sandbox.stats();
    assert_eq!(
        (stats.token_errors, stats.token_authorization_code),
        (1, 0),
        "HubSpot refused the code"
    );
}

#[tokio::test]
async fn credentials_are_encrypted_at_rest_in_redis() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    app.connect_via_sandbox("alice").await;
    let stored = app.stored("alice").await.expect("connected");

    let raw = redis_command(&["GET", &format!("{}hubspot:alice", app.key_prefix)]).await;
    assert!(!raw.is_empty(), "the credential key exists");
    let text = String::from_utf8_lossy(&raw);
    let refresh = stored.refresh_token.expect("a refresh token");
    for token in [stored.access_token.expose_secret(), refresh.expose_secret()] {
        assert!(!text.contains(token), "token text visible at rest");
    }
}

#[tokio::test]
async fn a_state_lives_ten_minutes_in_redis() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let state = app.issue_state("alice").await;
    let ttl = redis_command(&["PTTL", &format!("{}oauth_state:{state}", app.key_prefix)]).await;
    let ttl: i64 = String::from_utf8(ttl).unwrap().parse().unwrap();
    assert!((590_000..=600_000).contains(&ttl), "state TTL {ttl} ms");
}
