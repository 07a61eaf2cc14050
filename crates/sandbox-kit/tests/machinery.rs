//! The shared sandbox machinery, over HTTP: consent, decisions, the token endpoint in its
//! configurations, bearer checks and paging.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::time::Duration;

use sandbox_kit::testing::{decide, query_value, serve};
use sandbox_kit::{
    ApiCall, ApiResult, ApiSandbox, ClientAuthMethods, OAuthSandbox, OAuthSandboxConfig, Pkce,
    ProviderSandbox, Refresh, RegisteredClient, paging, s256,
};
use serde_json::{Value, json};
use url::Url;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "a-verifier-of-enough-length-0123456789-abcdef";

fn client() -> RegisteredClient {
    RegisteredClient {
        client_id: "cid".into(),
        client_secret: "s3cret".into(),
        redirect_uris: vec![REDIRECT.into()],
    }
}

fn items(call: &ApiCall<'_>) -> ApiResult {
    #[derive(serde::Deserialize)]
    struct Q {
        after: Option<String>,
        limit: Option<usize>,
    }
    let q: Q = call.query()?;
    let all: Vec<usize> = (0..25).collect();
    let (page, next) = paging::cursor_page(&all, q.after.as_deref(), q.limit.unwrap_or(10))
        .map_err(|e| call.error(400, "bad_cursor", &e.to_string()))?;
    Ok(actix_web::HttpResponse::Ok().json(json!({"items": page, "next": next})))
}

struct Peer {
    root: Url,
    oauth: OAuthSandbox,
    http: reqwest::Client,
}

async fn peer(config: impl FnOnce(OAuthSandboxConfig) -> OAuthSandboxConfig) -> Peer {
    let oauth = OAuthSandbox::new(config(OAuthSandboxConfig::new(
        "Acme",
        "Acme Inc",
        client(),
    )));
    let sandbox = ApiSandbox::new(oauth.clone(), "/api").get("/api/items", items);
    let sandbox: Arc<dyn ProviderSandbox> = Arc::new(sandbox);
    let root = serve(sandbox, "/_sandbox/acme").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Peer { root, oauth, http }
}

impl Peer {
    fn consent(&self, extra: &[(&str, &str)]) -> Url {
        let mut url = self.root.join("oauth/authorize").unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", "cid")
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("state", "st4te")
            .extend_pairs(extra);
        url
    }

    async fn code(&self, extra: &[(&str, &str)]) -> String {
        let back = decide(&self.consent(extra), true).await.unwrap();
        assert_eq!(query_value(&back, "state").as_deref(), Some("st4te"));
        query_value(&back, "code").unwrap()
    }

    fn token_url(&self) -> Url {
        self.root.join("oauth/token").unwrap()
    }

    async fn form(&self, fields: &[(&str, &str)], basic: bool) -> (u16, Value) {
        let mut request = self.http.post(self.token_url()).form(fields);
        if basic {
            request = request.basic_auth("cid", Some("s3cret"));
        }
        let res = request.send().await.unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let res = self
            .http
            .get(self.root.join(path).unwrap())
            .bearer_auth(token)
            .send()
            .await;
        let res = res.unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }
}

fn redeem<'a>(code: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    fields.extend_from_slice(extra);
    fields
}

#[tokio::test]
async fn the_consent_page_is_accessible_and_works_under_a_strict_csp() {
    let peer = peer(|c| OAuthSandboxConfig {
        permissions: vec!["Read <things>".into()],
        ..c
    })
    .await;
    let res = peer.http.get(peer.consent(&[])).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Read &lt;things&gt;"));
    assert!(html.contains(">Approve</button>") && html.contains(">Deny</button>"));
    assert!(
        !html.contains("<script") && !html.contains("style="),
        "{html}"
    );
    let css = peer
        .http
        .get(peer.root.join("_assets/consent.css").unwrap())
        .send()
        .await;
    let css = css.unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.text()
            .await
            .unwrap()
            .contains("prefers-color-scheme: dark")
    );
    assert_eq!(peer.oauth.stats().consent_pages, 1);
}

#[tokio::test]
async fn bad_clients_and_redirects_get_a_page_and_other_errors_go_back_with_the_state() {
    let peer = peer(|c| c).await;
    let mut wrong = peer.consent(&[]);
    wrong.set_query(Some(
        "response_type=code&client_id=cid&redirect_uri=http://evil/&state=s",
    ));
    let res = peer.http.get(wrong).send().await.unwrap();
    assert_eq!(
        res.status(),
        400,
        "an unregistered redirect URI is never redirected to"
    );
    let mut no_state = peer.consent(&[]);
    no_state.set_query(Some(&format!(
        "response_type=code&client_id=cid&redirect_uri={REDIRECT}"
    )));
    let back = decide(&no_state, true).await.unwrap();
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("invalid_request")
    );
    let plain = peer.consent(&[("code_challenge", "x"), ("code_challenge_method", "plain")]);
    let back = decide(&plain, true).await.unwrap();
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("invalid_request")
    );
    let back = decide(&peer.consent(&[]), false).await.unwrap();
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_value(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(peer.oauth.stats().denials, 1);
}

#[tokio::test]
async fn a_code_is_single_use_and_its_replay_revokes_its_tokens() {
    let peer = peer(|c| c).await;
    let code = peer.code(&[]).await;
    let (status, body) = peer.form(&redeem(&code, &[]), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(peer.get("api/items", &access).await.0, 200);
    let (status, body) = peer.form(&redeem(&code, &[]), true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        peer.get("api/items", &access).await.0,
        401,
        "replay revokes"
    );
}

#[tokio::test]
async fn codes_expire_and_the_redirect_uri_must_match_exactly() {
    let peer = peer(|c| OAuthSandboxConfig {
        code_ttl: Duration::from_millis(50),
        ..c
    })
    .await;
    let code = peer.code(&[]).await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        peer.form(&redeem(&code, &[]), true).await.1["error"],
        "invalid_grant"
    );
    let peer = peer_default().await;
    let code = peer.code(&[]).await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://127.0.0.1:9/cb/"),
    ];
    assert_eq!(peer.form(&fields, true).await.1["error"], "invalid_grant");
}

async fn peer_default() -> Peer {
    peer(|c| c).await
}

#[tokio::test]
async fn pkce_s256_is_verified_and_can_be_required() {
    let peer = peer(|c| OAuthSandboxConfig {
        pkce: Pkce::Required,
        ..c
    })
    .await;
    let back = decide(&peer.consent(&[]), true).await.unwrap();
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("invalid_request")
    );
    let challenge = s256(VERIFIER);
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = peer.code(&pkce).await;
    let wrong = peer
        .form(
            &redeem(&code, &[("code_verifier", "not-the-verifier")]),
            true,
        )
        .await;
    assert_eq!(wrong.1["error"], "invalid_grant");
    let code = peer.code(&pkce).await;
    assert_eq!(
        peer.form(&redeem(&code, &[]), true).await.1["error"],
        "invalid_grant"
    );
    let code = peer.code(&pkce).await;
    assert_eq!(
        peer.form(&redeem(&code, &[("code_verifier", VERIFIER)]), true)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn client_authentication_follows_the_configuration() {
    let peer = peer(|c| OAuthSandboxConfig {
        client_auth: ClientAuthMethods::BODY,
        ..c
    })
    .await;
    let code = peer.code(&[]).await;
    let (status, body) = peer.form(&redeem(&code, &[]), true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let code = peer.code(&[]).await;
    let body_auth = [("client_id", "cid"), ("client_secret", "s3cret")];
    assert_eq!(peer.form(&redeem(&code, &body_auth), false).await.0, 200);
    let code = peer.code(&[]).await;
    let wrong = [("client_id", "cid"), ("client_secret", "nope")];
    assert_eq!(peer.form(&redeem(&code, &wrong), false).await.0, 401);

    let peer = peer_with_basic_only().await;
    let code = peer.code(&[]).await;
    assert_eq!(peer.form(&redeem(&code, &body_auth), false).await.0, 401);
    let code = peer.code(&[]).await;
    let res = peer
        .http
        .post(peer.token_url())
        .basic_auth("cid", Some("wrong"))
        .form(&redeem(&code, &[]));
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
}

async fn peer_with_basic_only() -> Peer {
    peer(|c| OAuthSandboxConfig {
        client_auth: ClientAuthMethods::BASIC,
        ..c
    })
    .await
}

#[tokio::test]
async fn json_bodies_when_configured_and_forms_refused_then() {
    let peer = peer(|c| OAuthSandboxConfig {
        accept_form: false,
        accept_json: true,
        access_ttl: None,
        refresh: Refresh::Off,
        token_extras: json!({"workspace_name": "Acme"}),
        ..c
    })
    .await;
    let code = peer.code(&[]).await;
    let (status, body) = peer.form(&redeem(&code, &[]), true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let code = peer.code(&[]).await;
    let json = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT});
    let res = peer
        .http
        .post(peer.token_url())
        .basic_auth("cid", Some("s3cret"))
        .json(&json);
    let body: Value = res.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["workspace_name"], "Acme");
    assert!(
        body.get("expires_in").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    peer.oauth.expire_access_tokens();
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        peer.get("api/items", access).await.0,
        200,
        "never-expiring tokens stay valid"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_old_ones_are_refused() {
    let peer = peer_default().await;
    let code = peer.code(&[("scope", "read")]).await;
    let first = peer.form(&redeem(&code, &[]), true).await.1;
    assert_eq!(first["scope"], "read");
    let old = first["refresh_token"].as_str().unwrap();
    peer.oauth.expire_access_tokens();
    let access = first["access_token"].as_str().unwrap();
    let (status, body) = peer.get("api/items", access).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", old)];
    let (status, second) = peer.form(&refresh, true).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["scope"], "read");
    assert_eq!(
        peer.get("api/items", second["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    assert_eq!(peer.form(&refresh, true).await.1["error"], "invalid_grant");
    let stats = peer.oauth.stats();
    assert_eq!(
        (stats.refreshes, stats.codes_redeemed, stats.unauthorized),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn api_routes_check_the_bearer_token_and_page_to_the_end() {
    let peer = peer_default().await;
    assert_eq!(peer.get("api/items", "made-up").await.0, 401);
    let code = peer.code(&[]).await;
    let body = peer.form(&redeem(&code, &[]), true).await.1;
    let access = body["access_token"].as_str().unwrap();
    let (mut seen, mut next) = (Vec::new(), None::<String>);
    loop {
        let path = match &next {
            Some(c) => format!("api/items?limit=7&after={c}"),
            None => "api/items?limit=7".into(),
        };
        let (status, page) = peer.get(&path, access).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap()),
        );
        match page["next"].as_str() {
            Some(c) => next = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, (0..25).collect::<Vec<u64>>());
    assert_eq!(peer.get("api/items?after=forged", access).await.0, 400);
    peer.oauth.rate_limit_next(1, 7);
    let res = peer
        .http
        .get(peer.root.join("api/items").unwrap())
        .bearer_auth(access)
        .send();
    let res = res.await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "7");
    assert_eq!(peer.get("api/items", access).await.0, 200);
}

#[test]
fn urls_point_a_provider_at_the_mount() {
    let sandbox = ApiSandbox::new(
        OAuthSandbox::new(OAuthSandboxConfig {
            token_path: "/v1/oauth/token",
            ..OAuthSandboxConfig::new("A", "a", client())
        }),
        "/v1",
    );
    let urls = sandbox.urls(&Url::parse("http://h/_sandbox/a/").unwrap());
    assert_eq!(urls["auth"].as_str(), "http://h/_sandbox/a/oauth/authorize");
    assert_eq!(urls["token"].as_str(), "http://h/_sandbox/a/v1/oauth/token");
    assert_eq!(urls["api_base"].as_str(), "http://h/_sandbox/a/v1");
}

#[tokio::test]
async fn client_credentials_only_when_configured_and_only_for_allowed_scopes() {
    let cc = [("grant_type", "client_credentials"), ("scope", "app.read")];
    let off = peer(|c| c).await;
    let (status, body) = off.form(&cc, true).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    let peer = peer(|c| OAuthSandboxConfig {
        client_credentials_scopes: vec!["app.read", "app.write"],
        ..c
    })
    .await;
    let (status, body) = peer.form(&cc, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "app.read");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let access = body["access_token"].as_str().unwrap();
    let info = peer.oauth.access_token(access).unwrap();
    assert!(info.grant.client_credentials);
    assert_eq!(info.grant.client_id, "cid");
    assert_eq!(peer.oauth.stats().client_credentials, 1);

    for scope in ["", "app.read other"] {
        let fields = [("grant_type", "client_credentials"), ("scope", scope)];
        let (status, body) = peer.form(&fields, true).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{scope}"
        );
    }
    let wrong = [
        ("grant_type", "client_credentials"),
        ("scope", "app.read"),
        ("client_id", "cid"),
        ("client_secret", "nope"),
    ];
    assert_eq!(peer.form(&wrong, false).await.0, 401);

    // A user's token is not marked.
    let code = peer.code(&[]).await;
    let (_, body) = peer.form(&redeem(&code, &[]), true).await;
    let user = body["access_token"].as_str().unwrap();
    assert!(
        !peer
            .oauth
            .access_token(user)
            .unwrap()
            .grant
            .client_credentials
    );
}
