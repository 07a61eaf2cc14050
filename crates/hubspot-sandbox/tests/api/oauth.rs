use std::time::Duration;

use hubspot_sandbox::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, RegisteredClient, SandboxConfig,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    SCOPES, assert_api_error, assert_oauth_error, location, param, query_of, spawn, spawn_default,
};

fn authorize_query<'a>(scope: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", DEFAULT_REDIRECT_URI),
        ("scope", scope),
        ("state", state),
    ]
}

#[tokio::test]
async fn consent_page_shows_app_portal_scopes_and_both_buttons() {
    let app = spawn_default().await;
    let mut query = authorize_query("crm.objects.contacts.read oauth", "xyz");
    query.push(("optional_scope", "crm.objects.deals.read"));
    let response = app.consent(&query).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    for needle in [
        "VectorShift (sandbox)",
        "vectorshift-sandbox.hubspot.com",
        "24811358",
        "crm.objects.contacts.read",
        "crm.objects.deals.read",
        "View contacts",
        ">Approve</button>",
        ">Deny</button>",
        "name=\"decision\" value=\"approve\"",
        "name=\"decision\" value=\"deny\"",
        "<form method=\"post\" action=\"authorize/decision\">",
        "name=\"state\" value=\"xyz\"",
    ] {
        assert!(
            html.contains(needle),
            "consent page lacks {needle}:\n{html}"
        );
    }
}

#[tokio::test]
async fn consent_page_escapes_hostile_state() {
    let app = spawn_default().await;
    let html = app
        .consent(&authorize_query(SCOPES, "\"><script>alert(1)</script>"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>"), "{html}");
}

#[tokio::test]
async fn unknown_client_gets_a_400_error_page_not_a_redirect() {
    let app = spawn_default().await;
    let response = app
        .consent(&[
            ("client_id", "nope"),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", SCOPES),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("Unknown app"));
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_a_400_error_page() {
    let app = spawn_default().await;
    let response = app
        .consent(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", SCOPES),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Redirect URI mismatch")
    );
}

#[tokio::test]
async fn missing_scope_gets_a_400_error_page() {
    let app = spawn_default().await;
    let response = app
        .consent(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("Missing scope"));
}

#[tokio::test]
async fn approve_redirects_to_the_redirect_uri_with_code_and_state() {
    let app = spawn_default().await;
    let response = app
        .decide(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", SCOPES),
            ("state", "abc 123"),
            ("decision", "approve"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = location(&response);
    assert!(
        location.starts_with(&format!("{DEFAULT_REDIRECT_URI}?")),
        "{location}"
    );
    let pairs = query_of(&location);
    assert!(param(&pairs, "code").is_some_and(|c| c.len() >= 32));
    assert_eq!(param(&pairs, "state"), Some("abc 123"));
}

#[tokio::test]
async fn approve_without_state_omits_state() {
    let app = spawn_default().await;
    let response = app
        .decide(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", SCOPES),
            ("decision", "approve"),
        ])
        .await;
    let pairs = query_of(&location(&response));
    assert!(param(&pairs, "code").is_some());
    assert_eq!(param(&pairs, "state"), None);
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_state() {
    let app = spawn_default().await;
    let response = app
        .decide(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", SCOPES),
            ("state", "st"),
            ("decision", "deny"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let pairs = query_of(&location(&response));
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert!(param(&pairs, "error_description").is_some());
    assert_eq!(param(&pairs, "state"), Some("st"));
    assert_eq!(param(&pairs, "code"), None);
    assert_eq!(app.sandbox.stats().denials, 1);
}

#[tokio::test]
async fn decision_revalidates_client_and_redirect_uri() {
    let app = spawn_default().await;
    for (client_id, redirect_uri) in [
        (DEFAULT_CLIENT_ID, "https://evil.example/cb"),
        ("nope", DEFAULT_REDIRECT_URI),
    ] {
        let response = app
            .decide(&[
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("scope", SCOPES),
                ("decision", "approve"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn code_exchange_returns_hubspots_token_response() {
    let app = spawn_default().await;
    let tokens = app.tokens_with("oauth crm.objects.contacts.read").await;
    let body = &tokens.body;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["hub_id"], 24_811_358);
    assert!(body["user_id"].is_u64());
    assert_eq!(
        body["scopes"],
        serde_json::json!(["oauth", "crm.objects.contacts.read"])
    );
    assert!(tokens.access_token.len() > 100 && tokens.access_token.len() <= 300);
    assert!(tokens.refresh_token.starts_with("na1-"));
    assert_eq!(app.sandbox.stats().token_authorization_code, 1);
}

#[tokio::test]
async fn optional_scopes_are_granted_too() {
    let app = spawn_default().await;
    let response = app
        .decide(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", "oauth"),
            ("optional_scope", "crm.objects.deals.read"),
            ("decision", "approve"),
        ])
        .await;
    let code = param(&query_of(&location(&response)), "code")
        .unwrap()
        .to_owned();
    let body: Value = app.exchange(&code).await.json().await.unwrap();
    assert_eq!(
        body["scopes"],
        serde_json::json!(["oauth", "crm.objects.deals.read"])
    );
}

#[tokio::test]
async fn a_code_can_be_exchanged_only_once() {
    let app = spawn_default().await;
    let code = app.approve(SCOPES).await;
    assert_eq!(app.exchange(&code).await.status(), StatusCode::OK);
    assert_oauth_error(app.exchange(&code).await, "BAD_AUTH_CODE").await;
    assert_eq!(app.sandbox.stats().token_errors, 1);
}

#[tokio::test]
async fn an_unknown_code_is_bad_auth_code() {
    let app = spawn_default().await;
    assert_oauth_error(app.exchange("not-a-code").await, "BAD_AUTH_CODE").await;
}

#[tokio::test]
async fn a_code_is_bound_to_its_redirect_uri() {
    let mut config = SandboxConfig::typical();
    config.clients[0]
        .redirect_uris
        .push("http://localhost:3000/cb".to_owned());
    let app = spawn(config).await;
    let code = app.approve(SCOPES).await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("redirect_uri", "http://localhost:3000/cb"),
            ("code", &code),
        ])
        .await;
    assert_oauth_error(response, "BAD_REDIRECT_URI").await;
    // The failed attempt did not burn the code.
    assert_eq!(app.exchange(&code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_is_bound_to_its_client() {
    let app = spawn_default().await;
    app.sandbox.register_client(RegisteredClient {
        client_id: "other".to_owned(),
        client_secret: "other-secret".to_owned(),
        redirect_uris: vec![DEFAULT_REDIRECT_URI.to_owned()],
    });
    let code = app.approve(SCOPES).await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", "other"),
            ("client_secret", "other-secret"),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code", &code),
        ])
        .await;
    assert_oauth_error(response, "BAD_AUTH_CODE").await;
}

#[tokio::test]
async fn an_expired_code_is_rejected() {
    let app = spawn(SandboxConfig {
        code_ttl: Duration::ZERO,
        ..SandboxConfig::typical()
    })
    .await;
    let code = app.approve(SCOPES).await;
    assert_oauth_error(app.exchange(&code).await, "EXPIRED_AUTH_CODE").await;
}

#[tokio::test]
async fn a_wrong_client_secret_or_unknown_client_is_rejected() {
    let app = spawn_default().await;
    let code = app.approve(SCOPES).await;
    let base = |id: &'static str, secret: &'static str| {
        vec![
            ("grant_type", "authorization_code"),
            ("client_id", id),
            ("client_secret", secret),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
        ]
    };
    let mut form = base(DEFAULT_CLIENT_ID, "wrong");
    form.push(("code", &code));
    assert_oauth_error(app.token(&form).await, "BAD_CLIENT_SECRET").await;
    let mut form = base("unknown", DEFAULT_CLIENT_SECRET);
    form.push(("code", &code));
    assert_oauth_error(app.token(&form).await, "BAD_CLIENT_ID").await;
    // Neither attempt consumed the code.
    assert_eq!(app.exchange(&code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_grant_type_or_a_json_body_is_bad_grant_type() {
    let app = spawn_default().await;
    let response = app
        .token(&[
            ("grant_type", "password"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .await;
    assert_oauth_error(response, "BAD_GRANT_TYPE").await;
    let response = app
        .http
        .post(app.url("/oauth/v1/token"))
        .json(&serde_json::json!({
            "grant_type": "refresh_token",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": "na1-x",
        }))
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, "BAD_GRANT_TYPE").await;
}

#[tokio::test]
async fn refresh_mints_a_new_access_token_and_keeps_the_refresh_token() {
    let app = spawn_default().await;
    let first = app.tokens().await;
    let response = app.refresh(&first.refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap();
    assert_ne!(new_access, first.access_token);
    assert_eq!(body["refresh_token"], first.refresh_token.as_str());
    assert_eq!(body["scopes"], first.body["scopes"]);
    assert_eq!(body["hub_id"], 24_811_358);
    assert_eq!(app.sandbox.stats().token_refresh, 1);
    // HubSpot does not revoke the previous access token on refresh: both work until expiry.
    assert_eq!(
        app.list("contacts", Some(&first.access_token), &[])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.list("contacts", Some(new_access), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_bad_refresh_token() {
    let app = spawn_default().await;
    assert_oauth_error(
        app.refresh("na1-0000-0000-0000-0000-000000000000").await,
        "BAD_REFRESH_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn access_token_info_describes_the_token() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let response = app
        .http
        .get(app.url(&format!("/oauth/v1/access-tokens/{}", tokens.access_token)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token"], tokens.access_token.as_str());
    assert_eq!(body["user"], "sandbox.user@example.com");
    assert_eq!(body["hub_domain"], "vectorshift-sandbox.hubspot.com");
    assert_eq!(body["hub_id"], 24_811_358);
    assert_eq!(body["scopes"], tokens.body["scopes"]);
    assert_eq!(body["user_id"], tokens.body["user_id"]);
    assert!(body["app_id"].is_u64());
    assert!(
        body["expires_in"]
            .as_u64()
            .is_some_and(|s| s > 1700 && s <= 1800)
    );
    assert_eq!(body["token_type"], "access");
    assert_eq!(app.sandbox.stats().token_info, 1);
}

#[tokio::test]
async fn access_token_info_for_unknown_is_404_and_for_expired_is_401() {
    let app = spawn_default().await;
    let response = app
        .http
        .get(app.url("/oauth/v1/access-tokens/COnope"))
        .send()
        .await
        .unwrap();
    assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
    let tokens = app.tokens().await;
    app.sandbox.expire_access_tokens();
    let response = app
        .http
        .get(app.url(&format!("/oauth/v1/access-tokens/{}", tokens.access_token)))
        .send()
        .await
        .unwrap();
    assert_api_error(response, StatusCode::UNAUTHORIZED, "EXPIRED_AUTHENTICATION").await;
}

#[tokio::test]
async fn refresh_token_info_describes_the_token() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let url = app.url(&format!(
        "/oauth/v1/refresh-tokens/{}",
        tokens.refresh_token
    ));
    let body: Value = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["token"], tokens.refresh_token.as_str());
    assert_eq!(body["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(body["token_type"], "refresh");
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_it_and_its_access_tokens() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let other = app.tokens().await;
    let url = app.url(&format!(
        "/oauth/v1/refresh-tokens/{}",
        tokens.refresh_token
    ));
    let response = app.http.delete(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_oauth_error(
        app.refresh(&tokens.refresh_token).await,
        "BAD_REFRESH_TOKEN",
    )
    .await;
    let response = app.list("contacts", Some(&tokens.access_token), &[]).await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION").await;
    // Another installation's tokens are untouched.
    assert_eq!(
        app.list("contacts", Some(&other.access_token), &[])
            .await
            .status(),
        StatusCode::OK
    );
    // Revoking again: the token no longer exists.
    let response = app.http.delete(&url).send().await.unwrap();
    assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
    assert_eq!(app.sandbox.stats().revoke, 2);
}

#[tokio::test]
async fn revoke_all_tokens_invalidates_access_and_refresh_tokens() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    app.sandbox.revoke_all_tokens();
    assert_oauth_error(
        app.refresh(&tokens.refresh_token).await,
        "BAD_REFRESH_TOKEN",
    )
    .await;
    let response = app.list("contacts", Some(&tokens.access_token), &[]).await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION").await;
}

#[tokio::test]
async fn access_token_ttl_is_configurable_at_runtime() {
    let app = spawn_default().await;
    app.sandbox
        .update(|k| k.access_token_ttl = Duration::from_secs(60));
    let tokens = app.tokens().await;
    assert_eq!(tokens.body["expires_in"], 60);
}
