//! The 2026-03 OAuth API: token, introspect, revoke, PKCE, and request validation.

use hubspot_sandbox::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{SCOPES, TestSandbox, location, param, query_of, spawn_default};

/// RFC 7636 appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

impl TestSandbox {
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST form")
    }

    pub async fn token_2026(&self, form: &[(&str, &str)]) -> Response {
        self.post_form("/oauth/2026-03/token", form).await
    }

    pub async fn exchange_2026(&self, code: &str, verifier: Option<&str>) -> Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code", code),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        self.token_2026(&form).await
    }

    pub async fn refresh_2026(&self, refresh_token: &str) -> Response {
        self.token_2026(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    pub async fn introspect(&self, token: &str, hint: Option<&str>) -> Response {
        let mut form = vec![
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("token", token),
        ];
        if let Some(h) = hint {
            form.push(("token_type_hint", h));
        }
        self.post_form("/oauth/2026-03/token/introspect", &form)
            .await
    }

    pub async fn revoke_2026(&self, token: &str) -> Response {
        self.post_form(
            "/oauth/2026-03/token/revoke",
            &[
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("token", token),
            ],
        )
        .await
    }

    /// Approves with a PKCE challenge and returns the code.
    pub async fn approve_pkce(&self, challenge: &str) -> String {
        let response = self
            .decide(&[
                ("client_id", DEFAULT_CLIENT_ID),
                ("redirect_uri", DEFAULT_REDIRECT_URI),
                ("scope", SCOPES),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
                ("decision", "approve"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let pairs = query_of(&location(&response));
        param(&pairs, "code").expect("code").to_owned()
    }
}

/// Asserts the 2026-03 error body: RFC 6749 fields, HubSpot's legacy ones, the spec's required
/// ones.
pub async fn assert_error(
    response: Response,
    http: StatusCode,
    error: &str,
    status: &str,
) -> Value {
    assert_eq!(response.status(), http);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.expect("error json");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["category"], "VALIDATION_ERROR", "{body}");
    assert_eq!(body["error_description"], body["message"], "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        body["correlationId"]
            .as_str()
            .is_some_and(|c| uuid::Uuid::parse_str(c).is_ok()),
        "{body}"
    );
    body
}

async fn ok_json(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

#[tokio::test]
async fn authorization_code_and_refresh_work_on_2026_03() {
    let app = spawn_default().await;
    let code = app.approve(SCOPES).await;
    let response = app.exchange_2026(&code, None).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens = ok_json(response).await;
    assert_eq!(tokens["token_use"], "access_token");
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 1800);
    assert_eq!(tokens["hub_id"], app.sandbox.hub_id());
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(app.list("contacts", Some(access), &[]).await.status(), 200);

    let refreshed = ok_json(app.refresh_2026(refresh).await).await;
    assert_eq!(refreshed["refresh_token"], refresh);
    assert_ne!(refreshed["access_token"], access);
    assert_eq!(refreshed["token_use"], "access_token");
    // The code is single use across versions.
    assert_error(
        app.exchange(&code).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "BAD_AUTH_CODE",
    )
    .await;
    let stats = app.sandbox.stats();
    assert_eq!(
        (stats.token_authorization_code, stats.token_refresh),
        (1, 1)
    );
}

/// Form fields of one request.
type Form = Vec<(&'static str, &'static str)>;

#[tokio::test]
async fn token_request_errors_name_rfc_6749_codes() {
    let app = spawn_default().await;
    let cases: Vec<(Form, &str, &str)> = vec![
        (vec![], "invalid_request", "BAD_GRANT_TYPE"),
        (
            vec![("grant_type", "password")],
            "unsupported_grant_type",
            "BAD_GRANT_TYPE",
        ),
        (
            vec![("grant_type", "implicit")],
            "unsupported_grant_type",
            "BAD_GRANT_TYPE",
        ),
        // Supported (the Webhooks Journal's app token), but only for an authenticated app.
        (
            vec![("grant_type", "client_credentials")],
            "invalid_client",
            "BAD_CLIENT_ID",
        ),
        (
            vec![("grant_type", "refresh_token"), ("client_id", "nope")],
            "invalid_client",
            "BAD_CLIENT_ID",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", "wrong"),
            ],
            "invalid_client",
            "BAD_CLIENT_SECRET",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
            ],
            "invalid_request",
            "BAD_REFRESH_TOKEN",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("refresh_token", "na1-nope"),
            ],
            "invalid_grant",
            "BAD_REFRESH_TOKEN",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("redirect_uri", DEFAULT_REDIRECT_URI),
            ],
            "invalid_request",
            "BAD_AUTH_CODE",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("code", "whatever"),
            ],
            "invalid_request",
            "BAD_REDIRECT_URI",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("grant_type", "refresh_token"),
            ],
            "invalid_request",
            "BAD_REQUEST",
        ),
    ];
    for (form, error, status) in cases {
        let response = app.token_2026(&form).await;
        assert_error(response, StatusCode::BAD_REQUEST, error, status).await;
    }
    let code = app.approve(SCOPES).await;
    let response = app
        .token_2026(&[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("redirect_uri", "http://elsewhere/cb"),
            ("code", &code),
        ])
        .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "BAD_REDIRECT_URI",
    )
    .await;
    // The failed attempt did not burn the code.
    assert_eq!(app.exchange_2026(&code, None).await.status(), 200);
}

#[tokio::test]
async fn bodies_that_are_not_forms_are_refused_with_json() {
    let app = spawn_default().await;
    for path in [
        "/oauth/2026-03/token",
        "/oauth/2026-03/token/introspect",
        "/oauth/2026-03/token/revoke",
    ] {
        let response = app
            .http
            .post(app.url(path))
            .json(&serde_json::json!({"grant_type": "refresh_token"}))
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "BAD_REQUEST",
        )
        .await;

        let huge = format!("grant_type=refresh_token&pad={}", "a".repeat(64 * 1024));
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "BAD_REQUEST",
        )
        .await;

        // Invalid UTF-8 and broken percent-escapes: decoded lossily, answered cleanly.
        let mut garbage = b"grant_type=%ZZ&client_id=%FF%FE&token=".to_vec();
        garbage.extend_from_slice(&[0xff, 0xc3, 0x28, b'&', b'=', b'&']);
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string(), "{body}");
    }
    // v1 keeps its own quirk: a JSON body simply has no grant_type.
    let response = app
        .http
        .post(app.url("/oauth/v1/token"))
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        "BAD_GRANT_TYPE",
    )
    .await;
}

#[tokio::test]
async fn pkce_s256_verifier_is_checked_on_both_versions() {
    let app = spawn_default().await;
    for use_v1 in [false, true] {
        let exchange = |code: String, verifier: Option<&'static str>| {
            let app = &app;
            async move {
                if use_v1 {
                    let mut form = vec![
                        ("grant_type", "authorization_code"),
                        ("client_id", DEFAULT_CLIENT_ID),
                        ("client_secret", DEFAULT_CLIENT_SECRET),
                        ("redirect_uri", DEFAULT_REDIRECT_URI),
                        ("code", code.as_str()),
                    ];
                    if let Some(v) = verifier {
                        form.push(("code_verifier", v));
                    }
                    app.token(&form).await
                } else {
                    app.exchange_2026(&code, verifier).await
                }
            }
        };
        let code = app.approve_pkce(CHALLENGE).await;
        for verifier in [None, Some("wrong-verifier-wrong-verifier-wrong-verifier-1")] {
            let body = assert_error(
                exchange(code.clone(), verifier).await,
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "BAD_AUTH_CODE",
            )
            .await;
            assert!(
                body["message"].as_str().unwrap().contains("code_verifier"),
                "{body}"
            );
        }
        // The challenge itself is not a verifier (`plain` is never accepted).
        assert_eq!(exchange(code.clone(), Some(CHALLENGE)).await.status(), 400);
        let tokens = ok_json(exchange(code, Some(VERIFIER)).await).await;
        assert!(tokens["access_token"].is_string());
    }
    // A verifier for a code that had no challenge: refused on 2026-03, ignored on v1.
    let code = app.approve(SCOPES).await;
    assert_error(
        app.exchange_2026(&code, Some(VERIFIER)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "BAD_AUTH_CODE",
    )
    .await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("code", &code),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn consent_page_carries_the_challenge_and_refuses_plain() {
    let app = spawn_default().await;
    let base = [
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", DEFAULT_REDIRECT_URI),
        ("scope", SCOPES),
    ];
    let mut query = base.to_vec();
    query.extend([
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let page = app.consent(&query).await.text().await.unwrap();
    assert!(page.contains(&format!("name=\"code_challenge\" value=\"{CHALLENGE}\"")));
    for bad in [
        vec![("code_challenge", CHALLENGE)],
        vec![
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ],
        vec![
            ("code_challenge", "short"),
            ("code_challenge_method", "S256"),
        ],
        vec![("code_challenge_method", "S256")],
    ] {
        let mut query = base.to_vec();
        query.extend(bad.iter().copied());
        let response = app.consent(&query).await;
        assert_eq!(response.status(), 400, "{bad:?}");
        assert!(response.headers().get("location").is_none());
        let mut form = query.clone();
        form.push(("decision", "approve"));
        let response = app.decide(&form).await;
        assert_eq!(response.status(), 400, "decision {bad:?}");
    }
}

#[tokio::test]
async fn introspect_describes_access_and_refresh_tokens() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let access = ok_json(app.introspect(&tokens.access_token, None).await).await;
    assert_eq!(access["active"], true);
    assert_eq!(access["token_use"], "access_token");
    assert_eq!(access["token"], tokens.access_token.as_str());
    assert_eq!(access["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(access["hub_id"], app.sandbox.hub_id());
    assert_eq!(access["hub_domain"], "vectorshift-sandbox.hubspot.com");
    assert_eq!(access["user"], "sandbox.user@example.com");
    assert!(
        access["expires_in"]
            .as_u64()
            .is_some_and(|s| s > 1700 && s <= 1800)
    );
    assert_eq!(
        access["scopes"].as_array().unwrap().len(),
        SCOPES.split(' ').count()
    );
    assert_eq!(access["signed_access_token"]["hubId"], app.sandbox.hub_id());

    for hint in [None, Some("refresh_token"), Some("access_token")] {
        let refresh = ok_json(app.introspect(&tokens.refresh_token, hint).await).await;
        assert_eq!(refresh["active"], true);
        assert_eq!(refresh["token_use"], "refresh_token");
        assert_eq!(refresh["client_id"], DEFAULT_CLIENT_ID);
    }
    // The hint does not change the answer for an access token either.
    let hinted = ok_json(
        app.introspect(&tokens.access_token, Some("refresh_token"))
            .await,
    )
    .await;
    assert_eq!(hinted["token_use"], "access_token");

    let unknown = ok_json(app.introspect("CO-unknown", None).await).await;
    assert_eq!(unknown, serde_json::json!({"active": false}));

    app.sandbox.expire_access_tokens();
    let expired = ok_json(app.introspect(&tokens.access_token, None).await).await;
    assert_eq!(expired, serde_json::json!({"active": false}));
}

#[tokio::test]
async fn introspect_and_revoke_need_client_credentials_and_a_token() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    for path in [
        "/oauth/2026-03/token/introspect",
        "/oauth/2026-03/token/revoke",
    ] {
        let response = app
            .post_form(path, &[("client_id", DEFAULT_CLIENT_ID), ("token", "x")])
            .await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "BAD_CLIENT_SECRET",
        )
        .await;
        let response = app
            .post_form(
                path,
                &[
                    ("client_id", DEFAULT_CLIENT_ID),
                    ("client_secret", DEFAULT_CLIENT_SECRET),
                ],
            )
            .await;
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "BAD_REQUEST",
        )
        .await;
    }
    // Another app's token looks inactive and cannot be revoked by this one.
    app.sandbox
        .register_client(hubspot_sandbox::RegisteredClient {
            client_id: "other".into(),
            client_secret: "other-secret".into(),
            redirect_uris: vec![DEFAULT_REDIRECT_URI.into()],
        });
    let foreign = [
        ("client_id", "other"),
        ("client_secret", "other-secret"),
        ("token", tokens.refresh_token.as_str()),
    ];
    let body = ok_json(
        app.post_form("/oauth/2026-03/token/introspect", &foreign)
            .await,
    )
    .await;
    assert_eq!(body, serde_json::json!({"active": false}));
    let response = app.post_form("/oauth/2026-03/token/revoke", &foreign).await;
    assert_eq!(response.status(), 200);
    let still = ok_json(app.introspect(&tokens.refresh_token, None).await).await;
    assert_eq!(still["active"], true);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_it_and_its_access_tokens() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let response = app.revoke_2026(&tokens.refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().is_empty());
    assert_eq!(app.sandbox.stats().revoke, 1);

    let body = ok_json(app.introspect(&tokens.refresh_token, None).await).await;
    assert_eq!(body["active"], false);
    let body = ok_json(app.introspect(&tokens.access_token, None).await).await;
    assert_eq!(body["active"], false);
    assert_eq!(
        app.list("contacts", Some(&tokens.access_token), &[])
            .await
            .status(),
        401
    );
    assert_error(
        app.refresh_2026(&tokens.refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "BAD_REFRESH_TOKEN",
    )
    .await;
    // Revoking again, or an unknown token, is still a 200 (RFC 7009 §2.2).
    assert_eq!(app.revoke_2026(&tokens.refresh_token).await.status(), 200);
    assert_eq!(app.revoke_2026("na1-unknown").await.status(), 200);
}

#[tokio::test]
async fn revoking_an_access_token_ends_only_that_token() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    assert_eq!(app.revoke_2026(&tokens.access_token).await.status(), 200);
    assert_eq!(
        app.list("contacts", Some(&tokens.access_token), &[])
            .await
            .status(),
        401
    );
    let refreshed = ok_json(app.refresh_2026(&tokens.refresh_token).await).await;
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(app.list("contacts", Some(access), &[]).await.status(), 200);
}

#[tokio::test]
async fn the_2026_03_token_endpoint_takes_injected_faults() {
    let app = spawn_default().await;
    app.sandbox.set_faults(hubspot_sandbox::Faults {
        fail_next: 1,
        fail_status: 503,
        ..Default::default()
    });
    let response = app.refresh_2026("na1-x").await;
    assert_eq!(response.status(), 503);
    assert_eq!(app.sandbox.stats().token_errors, 1);
}
