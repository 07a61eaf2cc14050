use e2e::{
    AppOptions, FRONTEND, HubSpot, TEST_CLIENT_ID, assert_problem, location, query_value,
    redis_command, spawn_app,
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
        .put_state(&state, &pending, std::time::Duration::from_millis(50), 10)
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
    let key = app
        .store
        .state_redis_key(&integration_core::OAuthState::parse(&state).unwrap());
    let ttl = redis_command(&["PTTL", &key]).await;
    let ttl: i64 = String::from_utf8(ttl).unwrap().parse().unwrap();
    assert!((590_000..=600_000).contains(&ttl), "state TTL {ttl} ms");
}

/// Another browser: its own cookie jar, follows no redirects.
fn another_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Where following `callback` in `browser` sends it: the UI's `result`, and `error` if any.
async fn outcome(browser: &reqwest::Client, callback: &url::Url) -> (String, Option<String>) {
    let res = browser.get(callback.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let target = location(&res);
    (
        query_value(&target, "result").unwrap(),
        query_value(&target, "error"),
    )
}

fn success() -> (String, Option<String>) {
    ("success".to_owned(), None)
}

fn invalid_state() -> (String, Option<String>) {
    ("error".to_owned(), Some("invalid_state".to_owned()))
}

#[tokio::test]
async fn a_bare_callback_does_not_cancel_a_pending_flow() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let callback = app.approve_at_sandbox("alice").await;
    // While alice is on the consent page, a link makes her browser open our callback: with no
    // state, a provider error and no state, or a state of nobody's.
    let unknown = integration_core::OAuthState::generate();
    let pending = integration_core::BrowserBinding::key_for(
        &integration_core::OAuthState::parse(&query_value(&callback, "state").unwrap()).unwrap(),
    );
    for query in [
        vec![],
        vec![("error", "access_denied")],
        vec![("code", "c"), ("state", unknown.as_str())],
    ] {
        let res = app.callback_browser(&query).await;
        assert_eq!(
            query_value(&location(&res), "error").as_deref(),
            Some("invalid_state"),
            "{query:?}"
        );
        let touched: Vec<&str> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .filter(|c| c.contains(&pending))
            .collect();
        assert!(
            touched.is_empty(),
            "the pending flow's binding is left alone: {touched:?}"
        );
    }
    assert_eq!(outcome(&app.client, &callback).await, success());
    assert!(app.stored("alice").await.is_some());
}

#[tokio::test]
async fn two_flows_in_one_browser_both_complete() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    // The same browser starts HubSpot in two tabs (and, meanwhile, bob in a third), then
    // finishes them in any order.
    let first = app.approve_at_sandbox("alice").await;
    let second = app.approve_at_sandbox("alice").await;
    let bobs = app.approve_at_sandbox("bob").await;
    assert_eq!(outcome(&app.client, &first).await, success());
    assert_eq!(outcome(&app.client, &bobs).await, success());
    assert_eq!(outcome(&app.client, &second).await, success());
    assert!(app.stored("alice").await.is_some());
    assert!(app.stored("bob").await.is_some());
    assert_eq!(hubspot.sandbox.stats().token_authorization_code, 3);
}

#[tokio::test]
async fn a_state_presented_from_another_browser_is_refused_and_still_completes_in_its_own_browser()
{
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let callback = app.approve_at_sandbox("alice").await;
    // Someone who got hold of the state tries it in their browser, without a code (a bare or
    // forged link, or the provider's `error=`): refused, and the flow is left alone.
    let mut bare = callback.clone();
    let state = query_value(&callback, "state").unwrap();
    bare.query_pairs_mut().clear().append_pair("state", &state);
    let mut denied = bare.clone();
    denied
        .query_pairs_mut()
        .append_pair("error", "access_denied");
    let mallory = another_browser();
    for forged in [&bare, &denied] {
        assert_eq!(outcome(&mallory, forged).await, invalid_state());
        let res = (mallory.get(forged.clone()))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "invalid_state").await;
    }
    assert!(app.stored("alice").await.is_none());
    assert_eq!(token_calls(&hubspot), 0, "no code was redeemed");

    // Alice's own browser still finishes, once.
    assert_eq!(outcome(&app.client, &callback).await, success());
    assert!(app.stored("alice").await.is_some());
    assert_eq!(outcome(&app.client, &callback).await, invalid_state());
}

/// A provider's code arriving in a browser that did not start the flow means the consent page
/// was opened by someone else: the flow ends, so that code can never be redeemed by anyone
/// (the account-linking attack in `auth.rs` relies on the opposite).
#[tokio::test]
async fn a_code_presented_from_another_browser_ends_the_flow() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    let callback = app.approve_at_sandbox("alice").await;
    assert_eq!(
        outcome(&another_browser(), &callback).await,
        invalid_state()
    );
    assert_eq!(outcome(&app.client, &callback).await, invalid_state());
    assert!(app.stored("alice").await.is_none());
    assert_eq!(token_calls(&hubspot), 0, "the code was never redeemed");
}

#[tokio::test]
async fn the_n_plus_first_authorization_drops_the_oldest_pending_flow() {
    let hubspot = HubSpot::start().await;
    let app = hubspot
        .app(AppOptions {
            vars: vec![("OAUTH_PENDING_PER_USER".to_owned(), "3".to_owned())],
            ..AppOptions::default()
        })
        .await;
    let mut callbacks = Vec::new();
    for _ in 0..4 {
        callbacks.push(app.approve_at_sandbox("alice").await);
    }
    let states: Vec<integration_core::OAuthState> = callbacks
        .iter()
        .map(|c| integration_core::OAuthState::parse(&query_value(c, "state").unwrap()).unwrap())
        .collect();

    // Redis holds 3 of alice's 4 states: not the oldest.
    let mut held = Vec::new();
    for state in &states {
        let exists = redis_command(&["EXISTS", &app.store.state_redis_key(state)]).await;
        held.push(exists == b"1");
    }
    assert_eq!(held, [false, true, true, true]);
    let index = app.store.pending_index_redis_key(&e2e::user_id("alice"));
    assert_eq!(redis_command(&["ZCARD", &index]).await, b"3");

    assert_eq!(outcome(&app.client, &callbacks[0]).await, invalid_state());
    assert_eq!(outcome(&app.client, &callbacks[3]).await, success());
}
