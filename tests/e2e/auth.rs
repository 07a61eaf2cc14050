//! Identity and the OAuth flow, tried as an attacker would: forged, expired and mis-signed
//! tokens; a claimed `X-User-Id` in `jwt` mode; a consent URL sent to a victim.

use e2e::{AppOptions, TestApp, location, query_value, spawn_app_with};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;
use url::Url;

const SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";

/// A throwaway Ed25519 key for the JWKS tests (generated for these tests only).
const ED_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOoyEiLVQ4gvs0InYL3+v3yGd8m1ZQgIZC5Z71KSiwzz
-----END PRIVATE KEY-----
";
const ED_PUBLIC_X: &str = "nGx9OeZjXFAt0j7OE55OYI50zAtTIhWMVeUUjWrsB-M";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn hs256(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn valid(sub: &str) -> String {
    hs256(json!({"sub": sub, "exp": now() + 600}), SECRET)
}

/// The app in sandbox mode with `AUTH_MODE=jwt`.
async fn jwt_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("AUTH_MODE".to_owned(), "jwt".to_owned()),
        ("AUTH_JWT_SECRET".to_owned(), SECRET.to_owned()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    spawn_app_with(
        Vec::new(),
        AppOptions {
            vars,
            ..AppOptions::default()
        },
    )
    .await
}

async fn get_bearer(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn assert_unauthenticated(res: reqwest::Response, why: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{why}");
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\"",
        "{why}"
    );
    let body: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(body["code"], "unauthenticated", "{why}: {body}");
}

#[tokio::test]
async fn in_jwt_mode_the_token_names_the_user_and_x_user_id_is_ignored() {
    let app = jwt_app(&[]).await;
    // Alice connects in her own browser, with her own token.
    let browser = fresh_browser();
    let consent = consent_url(&app, &browser, &valid("alice")).await;
    let callback = approve(&browser, &consent).await;
    let res = browser.get(callback).send().await.unwrap();
    assert_eq!(
        query_value(&location(&res), "result").as_deref(),
        Some("success")
    );

    // Knowing alice's id is worth nothing without her token.
    let res = app
        .client
        .get(app.url("/api/integrations/hubspot/items"))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_unauthenticated(res, "X-User-Id alone").await;
    let res = app
        .client
        .get(app.url("/api/integrations/hubspot/items?user_id=alice"))
        .send()
        .await
        .unwrap();
    assert_unauthenticated(res, "user_id alone").await;
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection?user_id=alice"))
        .send()
        .await
        .unwrap();
    assert_unauthenticated(res, "disconnect by id").await;
    assert!(
        app.stored("alice").await.is_some(),
        "alice is still connected"
    );

    // Mallory's valid token with alice's id in the header gets mallory's (empty) view.
    let res = app
        .client
        .get(app.url("/api/integrations/hubspot/items"))
        .bearer_auth(valid("mallory"))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "mallory is not connected"
    );

    let res = get_bearer(
        &app,
        &valid("alice"),
        "/api/integrations/hubspot/items?limit=3",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: serde_json::Value = res.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn forged_expired_and_mis_signed_tokens_are_refused() {
    let app = jwt_app(&[
        ("AUTH_JWT_ISSUER", "https://id.vectorshift.ai"),
        ("AUTH_JWT_AUDIENCE", "vs-integrations"),
    ])
    .await;
    let good = json!({"sub": "alice", "exp": now() + 600, "iss": "https://id.vectorshift.ai", "aud": "vs-integrations"});
    let ok = get_bearer(&app, &hs256(good.clone(), SECRET), "/api/integrations").await;
    assert_eq!(ok.status(), StatusCode::OK, "a correct token is accepted");

    let with = |patch: serde_json::Value| {
        let mut claims = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        hs256(claims, SECRET)
    };
    let b64 = |v: serde_json::Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let signed_good = hs256(good.clone(), SECRET);
    let signature = signed_good.rsplit('.').next().unwrap();
    let cases: Vec<(&str, String)> = vec![
        (
            "expired beyond the leeway",
            with(json!({"exp": now() - 3600})),
        ),
        ("no exp", with(json!({"exp": null}))),
        ("no sub", with(json!({"sub": null}))),
        ("a sub that is no user id", with(json!({"sub": "a:b c"}))),
        (
            "another issuer",
            with(json!({"iss": "https://evil.example"})),
        ),
        ("another audience", with(json!({"aud": "someone-else"}))),
        ("not valid yet", with(json!({"nbf": now() + 3600}))),
        (
            "signed with another secret",
            hs256(good.clone(), "another-secret-of-at-least-32-bytes!!!"),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(json!({"alg": "none", "typ": "JWT"})),
                b64(good.clone())
            ),
        ),
        (
            "RS256 header on an HS256 signature (algorithm confusion)",
            format!(
                "{}.{}.{signature}",
                b64(json!({"alg": "RS256", "typ": "JWT"})),
                b64(good.clone())
            ),
        ),
        (
            "claims swapped under a valid signature",
            format!(
                "{}.{}.{signature}",
                b64(json!({"alg": "HS256", "typ": "JWT"})),
                b64(
                    json!({"sub": "mallory", "exp": now() + 600, "iss": "https://id.vectorshift.ai", "aud": "vs-integrations"})
                )
            ),
        ),
        ("garbage", "not-a-jwt".to_owned()),
    ];
    for (why, token) in cases {
        assert_unauthenticated(get_bearer(&app, &token, "/api/integrations").await, why).await;
    }
    let res = app
        .client
        .get(app.url("/api/integrations"))
        .header("Authorization", "Basic YWxpY2U6cHc=")
        .send()
        .await
        .unwrap();
    assert_unauthenticated(res, "not a bearer scheme").await;
}

#[tokio::test]
async fn jwks_keys_are_fetched_once_and_unknown_keys_do_not_hammer_the_identity_provider() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let idp = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA", "use": "sig", "x": ED_PUBLIC_X}
        ]})))
        .expect(1)
        .mount(&idp)
        .await;
    let jwks = format!("{}/.well-known/jwks.json", idp.uri());
    let app = spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![
                ("AUTH_MODE".into(), "jwt".into()),
                ("AUTH_JWKS_URL".into(), jwks),
                ("AUTH_JWT_ALGORITHM".into(), "EdDSA".into()),
            ],
            ..AppOptions::default()
        },
    )
    .await;
    let key = EncodingKey::from_ed_pem(ED_PRIVATE_PEM.as_bytes()).unwrap();
    let sign = |kid: &str| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &json!({"sub": "alice", "exp": now() + 600}), &key).unwrap()
    };
    for _ in 0..3 {
        let res = get_bearer(&app, &sign("k1"), "/api/integrations").await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    for _ in 0..5 {
        assert_unauthenticated(
            get_bearer(&app, &sign("unknown"), "/api/integrations").await,
            "unknown kid",
        )
        .await;
    }
    // An HS256 token made with the public key as the secret (the classic confusion attack).
    let confused = hs256(json!({"sub": "alice", "exp": now() + 600}), ED_PUBLIC_X);
    assert_unauthenticated(
        get_bearer(&app, &confused, "/api/integrations").await,
        "HS256 vs JWKS",
    )
    .await;
    // `expect(1)` on the JWKS mock is checked when `idp` drops.
}

#[tokio::test]
async fn the_config_route_tells_the_ui_how_to_authenticate_without_a_token() {
    let app = jwt_app(&[("EMBED_ORIGINS", "https://app.vectorshift.ai")]).await;
    let res = app.client.get(app.url("/api/config")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["auth_mode"], "jwt");
    assert_eq!(body["embed_origins"], json!(["https://app.vectorshift.ai"]));
}

/// The sandbox consent page's Approve button, pressed by `browser`: returns where the sandbox
/// sends that browser back (our callback).
async fn approve(browser: &reqwest::Client, consent: &Url) -> Url {
    let mut form: Vec<(String, String)> = consent.query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let res = browser
        .post(consent.join("authorize/decision").unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    location(&res)
}

fn fresh_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn consent_url(app: &TestApp, browser: &reqwest::Client, token: &str) -> Url {
    let res = browser
        .get(app.url("/api/integrations/hubspot/authorize"))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let body: serde_json::Value = res.json().await.unwrap();
    let url = Url::parse(body["url"].as_str().unwrap()).unwrap();
    assert_eq!(
        query_value(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_value(&url, "code_challenge").is_some());
    url
}

#[tokio::test]
async fn in_jwt_mode_the_flow_completes_in_the_browser_that_started_it() {
    let app = jwt_app(&[]).await;
    // Introspection names the portal (`hub_domain` is optional there; the test reads it).
    app.sandbox
        .as_ref()
        .expect("sandbox mode")
        .update(|k| k.contract.omit_optional = hubspot_sandbox::Vary::Off);
    let browser = fresh_browser();
    let consent = consent_url(&app, &browser, &valid("alice")).await;
    let callback = approve(&browser, &consent).await;
    // The provider's redirect back carries no Authorization header: the cookie is the proof.
    let res = browser.get(callback).send().await.unwrap();
    let outcome = location(&res);
    assert_eq!(
        query_value(&outcome, "result").as_deref(),
        Some("success"),
        "{outcome}"
    );
    let stored = app.stored("alice").await.expect("alice connected");
    assert!(
        stored.account_name.is_some(),
        "introspection named the portal"
    );
    let status = get_bearer(&app, &valid("alice"), "/api/integrations/hubspot/status").await;
    let status: serde_json::Value = status.json().await.unwrap();
    assert_eq!(status["status"], "connected");
    assert!(
        status["account_name"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

#[tokio::test]
async fn a_consent_url_sent_to_a_victim_cannot_link_the_victims_account_to_the_attacker() {
    let app = jwt_app(&[]).await;
    let attacker = fresh_browser();
    let consent = consent_url(&app, &attacker, &valid("mallory")).await;

    // The victim opens the attacker's link in their own browser, approves, and comes back.
    let victim = fresh_browser();
    let callback = approve(&victim, &consent).await;
    let res = victim.get(callback.clone()).send().await.unwrap();
    let outcome = location(&res);
    assert_eq!(query_value(&outcome, "result").as_deref(), Some("error"));
    assert_eq!(
        query_value(&outcome, "error").as_deref(),
        Some("invalid_state")
    );
    assert!(
        app.stored("mallory").await.is_none(),
        "nothing linked to the attacker"
    );

    // The state died with that attempt: the attacker replaying the callback gets nothing either.
    let res = attacker.get(callback).send().await.unwrap();
    let outcome = location(&res);
    assert_eq!(
        query_value(&outcome, "error").as_deref(),
        Some("invalid_state")
    );
    assert!(app.stored("mallory").await.is_none());
}

#[tokio::test]
async fn a_pem_public_key_verifies_its_own_signatures_only() {
    const ED_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAnGx9OeZjXFAt0j7OE55OYI50zAtTIhWMVeUUjWrsB+M=
-----END PUBLIC KEY-----
";
    let app = spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![
                ("AUTH_MODE".into(), "jwt".into()),
                ("AUTH_JWT_PUBLIC_KEY".into(), ED_PUBLIC_PEM.into()),
                ("AUTH_JWT_ALGORITHM".into(), "EdDSA".into()),
            ],
            ..AppOptions::default()
        },
    )
    .await;
    let key = EncodingKey::from_ed_pem(ED_PRIVATE_PEM.as_bytes()).unwrap();
    let claims = json!({"sub": "alice", "exp": now() + 600});
    let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).unwrap();
    let res = get_bearer(&app, &token, "/api/integrations").await;
    assert_eq!(res.status(), StatusCode::OK);
    // HS256 keyed with the public key's text: the algorithm-confusion forgery.
    let forged = hs256(claims, ED_PUBLIC_PEM);
    assert_unauthenticated(
        get_bearer(&app, &forged, "/api/integrations").await,
        "HS256 with the public key",
    )
    .await;
}
