//! The HubSpot provider against a wiremock HubSpot: one test per HubSpot response it handles.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use common::*;
use hubspot::{HubSpot, HubSpotConfig};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, Cursor, Error, ExposeSecret as _, Integration,
    ItemQuery, OAuthState,
};
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONTACTS: &str = "/crm/v3/objects/contacts";

async fn setup() -> (MockServer, HubSpot) {
    let server = MockServer::start().await;
    let provider = hubspot(config_for(&server));
    (server, provider)
}

fn fresh() -> integration_core::Credentials {
    credentials("at-1", chrono::Duration::minutes(30))
}

fn form_of(request: &wiremock::Request) -> HashMap<String, String> {
    serde_urlencoded::from_bytes(&request.body).unwrap()
}

// ---------- list_items ----------

#[tokio::test]
async fn pages_follow_the_after_cursor_from_the_body_not_the_link() {
    let (server, provider) = setup().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .and(query_param("after", "NTI1Cg%3D%3D"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [contact("2", json!("Grace"), json!("Hopper"), json!(null))]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .and(query_param("limit", "100"))
        .and(query_param("properties", "firstname,lastname,email"))
        .and(query_param("archived", "false"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [contact("1", json!("Ada"), json!("Lovelace"), json!("ada@example.com"))],
            "paging": {"next": {
                "after": "NTI1Cg%3D%3D",
                "link": "https://evil.example.com/steal?after=elsewhere"
            }}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;

    let first = provider
        .list_items(&fresh(), &ItemQuery::new())
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].title, "Ada Lovelace");
    let cursor = first.next_cursor.clone().expect("a next page");
    // HubSpot's opaque token travels wrapped, and comes back byte for byte.
    assert_eq!(cursor.unwrap_provider().unwrap(), "NTI1Cg%3D%3D");

    let second = provider
        .list_items(&fresh(), &ItemQuery::new().after(Some(cursor)))
        .await
        .unwrap();
    assert_eq!(second.items[0].id, "2");
    assert_eq!(second.items[0].title, "Grace Hopper");
    assert_eq!(second.next_cursor, None);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let after: Vec<_> = requests[1]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(after, ["NTI1Cg%3D%3D"]);
    assert_eq!(requests[1].url.path(), CONTACTS);
    assert_ne!(requests[1].url.host_str(), Some("evil.example.com"));
}

#[tokio::test]
async fn records_map_to_items_with_properties_titles_and_links() {
    let (server, provider) = setup().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [
                contact("1", json!("Ada"), json!("Lovelace"), json!("ada@example.com")),
                contact("2", json!(null), json!(" "), json!("only@example.com")),
                contact("3", json!(null), json!(null), json!(null)),
                contact("4", json!("Solo"), json!(null), json!(null)),
            ]
        })))
        .mount(&server)
        .await;

    let page = provider
        .list_items(&fresh(), &ItemQuery::new())
        .await
        .unwrap();
    let titles: Vec<_> = page.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Ada Lovelace", "only@example.com", "Contact 3", "Solo"]
    );

    let ada = &page.items[0];
    assert_eq!(ada.item_type.as_deref(), Some("contact"));
    assert_eq!(
        ada.url.as_deref(),
        Some(format!("{}/contacts/62515/record/0-1/1", server.uri()).as_str())
    );
    assert_eq!(
        ada.created_at,
        Some("2024-01-02T03:04:05.678Z".parse().unwrap())
    );
    assert_eq!(
        ada.updated_at,
        Some("2024-02-03T04:05:06Z".parse().unwrap())
    );
    assert_eq!(ada.properties["email"], json!("ada@example.com"));
    assert_eq!(ada.properties["hs_object_id"], json!("1"));
    // Nulls are kept, not dropped.
    assert_eq!(
        page.items[2].properties.get("firstname"),
        Some(&Value::Null)
    );
}

#[tokio::test]
async fn links_are_omitted_without_a_hub_id() {
    let (server, provider) = setup().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [contact("1", json!("Ada"), json!(null), json!(null))]
        })))
        .mount(&server)
        .await;
    let mut creds = fresh();
    creds.account_id = None;
    let page = provider
        .list_items(&creds, &ItemQuery::new())
        .await
        .unwrap();
    assert_eq!(page.items[0].url, None);
}

#[tokio::test]
async fn companies_and_deals_use_their_own_paths_properties_and_links() {
    let (server, provider) = setup().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/companies"))
        .and(query_param("properties", "name,domain"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [{"id": "9", "properties": {"name": "Acme", "domain": "acme.io"}}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/deals"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [{"id": "5", "properties": {"dealname": "Big one", "amount": "10"}}]
        })))
        .mount(&server)
        .await;

    let companies = provider
        .list_items(&fresh(), &ItemQuery::new().object_type("companies"))
        .await
        .unwrap();
    assert_eq!(companies.items[0].title, "Acme");
    assert_eq!(companies.items[0].item_type.as_deref(), Some("company"));
    assert!(
        companies.items[0]
            .url
            .as_deref()
            .unwrap()
            .ends_with("/contacts/62515/record/0-2/9")
    );

    let deals = provider
        .list_items(&fresh(), &ItemQuery::new().object_type("deals"))
        .await
        .unwrap();
    assert_eq!(deals.items[0].title, "Big one");
    assert_eq!(deals.items[0].item_type.as_deref(), Some("deal"));
    assert!(
        deals.items[0]
            .url
            .as_deref()
            .unwrap()
            .ends_with("/record/0-3/5")
    );

    let unsupported = provider
        .list_items(&fresh(), &ItemQuery::new().object_type("tickets"))
        .await;
    assert!(matches!(unsupported, Err(Error::InvalidInput(_))));
}

#[tokio::test]
async fn requested_limits_are_clamped_to_hubspots_maximum() {
    let (server, provider) = setup().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&server)
        .await;
    for (asked, sent) in [(500, "100"), (0, "1"), (25, "25")] {
        provider
            .list_items(&fresh(), &ItemQuery::new().limit(asked))
            .await
            .unwrap();
        let requests = server.received_requests().await.unwrap();
        let limit = requests
            .last()
            .unwrap()
            .url
            .query_pairs()
            .find(|(k, _)| k == "limit")
            .map(|(_, v)| v.into_owned());
        assert_eq!(limit.as_deref(), Some(sent), "asked {asked}");
    }
}

async fn list_error(response: ResponseTemplate) -> Error {
    let (server, provider) = setup().await;
    Mock::given(method("GET"))
        .and(path(CONTACTS))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    provider
        .list_items(&fresh(), &ItemQuery::new())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn expired_and_invalid_tokens_are_unauthorized() {
    for category in ["EXPIRED_AUTHENTICATION", "INVALID_AUTHENTICATION"] {
        let error = list_error(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error",
            "message": "The OAuth token used to make this call expired.",
            "correlationId": "c0ffee",
            "category": category
        })))
        .await;
        assert!(
            matches!(error, Error::Unauthorized),
            "{category}: {error:?}"
        );
    }
}

#[tokio::test]
async fn missing_scopes_is_rejected_with_the_category() {
    let error = list_error(ResponseTemplate::new(403).set_body_json(json!({
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "correlationId": "c0ffee",
        "category": "MISSING_SCOPES"
    })))
    .await;
    match error {
        Error::InsufficientScope { scope } => assert!(scope.contains("scopes")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rate_limits_carry_retry_after_when_given() {
    let error = list_error(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "3")
            .insert_header("X-HubSpot-RateLimit-Max", "100")
            .insert_header("X-HubSpot-RateLimit-Remaining", "0")
            .insert_header("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
            .set_body_json(json!({
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "c0ffee",
                "policyName": "TEN_SECONDLY_ROLLING"
            })),
    )
    .await;
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3)),
        "{error:?}"
    );
}

#[tokio::test]
async fn rate_limits_accept_an_http_date() {
    let at = std::time::SystemTime::now() + Duration::from_secs(120);
    let error =
        list_error(ResponseTemplate::new(429).insert_header("Retry-After", httpdate(at).as_str()))
            .await;
    match error {
        Error::RateLimited {
            retry_after: Some(d),
        } => {
            assert!(
                d > Duration::from_secs(100) && d <= Duration::from_secs(120),
                "{d:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

fn httpdate(at: std::time::SystemTime) -> String {
    // RFC 7231 IMF-fixdate.
    chrono::DateTime::<Utc>::from(at)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[tokio::test]
async fn rate_limits_without_retry_after_say_nothing() {
    let error = list_error(ResponseTemplate::new(429).set_body_json(json!({
        "status": "error", "message": "slow down", "policyName": "DAILY"
    })))
    .await;
    assert!(
        matches!(error, Error::RateLimited { retry_after: None }),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_errors_are_upstream() {
    for status in [500, 502, 503] {
        let error = list_error(ResponseTemplate::new(status)).await;
        assert!(
            matches!(error, Error::Upstream { status: s } if s == status),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn malformed_pages_are_invalid_responses_without_the_body() {
    let error = list_error(
        ResponseTemplate::new(200).set_body_string("{\"results\": [ {\"id\": SECRET-LOOKING-BODY"),
    )
    .await;
    match error {
        Error::InvalidResponse(reason) => assert!(!reason.contains("SECRET"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let error =
        list_error(ResponseTemplate::new(200).set_body_json(json!({"results": "nope"}))).await;
    assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
}

#[tokio::test]
async fn oversized_pages_are_refused() {
    let huge = format!(
        "{{\"results\": [], \"pad\": \"{}\"}}",
        "x".repeat(9 * 1024 * 1024)
    );
    let error = list_error(ResponseTemplate::new(200).set_body_string(huge)).await;
    assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
}

#[tokio::test]
async fn refused_connections_are_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = Url::parse(&format!("http://{addr}")).unwrap();
    let config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into())
        .with_base_url(&base)
        .unwrap();
    let provider = hubspot(config);
    let error = provider
        .list_items(&fresh(), &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
    let error = provider.refresh(&fresh()).await.unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn slow_answers_time_out_as_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"results": []}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let mut config = config_for(&server);
    config.request_timeout = Duration::from_millis(100);
    let error = hubspot(config)
        .list_items(&fresh(), &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn base_urls_with_a_path_prefix_keep_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/_sandbox/hubspot/crm/v3/objects/contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [contact("1", json!("Ada"), json!(null), json!(null))]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/_sandbox/hubspot/oauth/2026-03/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("at-2", "rt-2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/_sandbox/hubspot/oauth/2026-03/token/revoke"))
        .and(body_string_contains("token=rt-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/_sandbox/hubspot", server.uri())).unwrap();
    let config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into())
        .with_base_url(&base)
        .unwrap();
    let provider = hubspot(config);
    let page = provider
        .list_items(&fresh(), &ItemQuery::new())
        .await
        .unwrap();
    assert!(
        page.items[0]
            .url
            .as_deref()
            .unwrap()
            .contains("/_sandbox/hubspot/contacts/62515/record/0-1/1")
    );
    provider.refresh(&fresh()).await.unwrap();
    provider.revoke(&fresh()).await.unwrap();
}

// ---------- tokens ----------

#[tokio::test]
async fn codes_are_exchanged_with_the_secret_in_the_form_body() {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("at-new", "rt-new")))
        .expect(1)
        .mount(&server)
        .await;

    let before = Utc::now();
    let code = AuthorizationCode::parse("code-xyz").unwrap();
    let creds = provider
        .exchange_code(&code, "https://app.example.com/callback", None)
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let form = form_of(&requests[0]);
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert_eq!(form["redirect_uri"], "https://app.example.com/callback");
    assert_eq!(form["code"], "code-xyz");
    assert!(requests[0].headers.get("authorization").is_none());
    assert!(
        requests[0].url.query().is_none(),
        "nothing secret in the URL"
    );

    assert_eq!(creds.access_token.expose_secret(), "at-new");
    assert_eq!(
        creds.refresh_token.as_ref().unwrap().expose_secret(),
        "rt-new"
    );
    assert_eq!(creds.account_id.as_deref(), Some("62515"));
    assert_eq!(creds.scopes, ["oauth", "crm.objects.contacts.read"]);
    let expires = creds.expires_at.unwrap();
    assert!(expires >= before + chrono::Duration::seconds(1800));
    assert!(expires <= Utc::now() + chrono::Duration::seconds(1800));
}

#[tokio::test]
async fn refresh_sends_the_refresh_token_and_tolerates_missing_scopes() {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "bearer",
            "refresh_token": "rt-1",
            "access_token": "at-2",
            "expires_in": 1800
        })))
        .expect(1)
        .mount(&server)
        .await;
    let creds = provider.refresh(&fresh()).await.unwrap();
    let form = form_of(&server.received_requests().await.unwrap()[0]);
    assert_eq!(form["refresh_token"], "rt-1");
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert!(!form.contains_key("code"));
    assert_eq!(creds.access_token.expose_secret(), "at-2");
    assert!(creds.scopes.is_empty(), "empty so the connector inherits");
    assert_eq!(creds.account_id, None);
    // What the connector does with it:
    let merged = creds.inherit_from(&fresh());
    assert_eq!(merged.scopes, fresh().scopes);
    assert_eq!(merged.account_id.as_deref(), Some("62515"));
}

async fn token_error(status: u16, body: Value, refresh: bool) -> Error {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    if refresh {
        provider.refresh(&fresh()).await.unwrap_err()
    } else {
        let code = AuthorizationCode::parse("code-xyz").unwrap();
        provider
            .exchange_code(&code, "https://app.example.com/callback", None)
            .await
            .unwrap_err()
    }
}

#[tokio::test]
async fn bad_auth_codes_are_rejected() {
    let error = token_error(
        400,
        json!({"status": "BAD_AUTH_CODE", "message": "missing or unknown auth code", "correlationId": "c"}),
        false,
    )
    .await;
    match error {
        Error::Rejected { code, message } => {
            assert_eq!(code, "BAD_AUTH_CODE");
            assert_eq!(message, "missing or unknown auth code");
        }
        other => panic!("{other:?}"),
    }
    let error = token_error(400, json!({"error": "invalid_grant"}), false).await;
    assert!(
        matches!(error, Error::Rejected { ref code, .. } if code == "invalid_grant"),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_refresh_tokens_require_reauthorisation() {
    let error = token_error(
        400,
        json!({"status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token", "correlationId": "c"}),
        true,
    )
    .await;
    assert!(
        matches!(error, Error::ReauthRequired { ref reason } if reason == "missing or invalid refresh token"),
        "{error:?}"
    );
    let error = token_error(
        400,
        json!({"error": "invalid_grant", "error_description": "refresh token revoked"}),
        true,
    )
    .await;
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
}

#[tokio::test]
async fn client_misconfiguration_is_a_config_error_without_the_secret() {
    for (status, refresh) in [
        ("BAD_CLIENT_ID", false),
        ("BAD_CLIENT_SECRET", true),
        ("BAD_REDIRECT_URI", false),
    ] {
        let error = token_error(
            400,
            json!({"status": status, "message": format!("bad value {CLIENT_SECRET}")}),
            refresh,
        )
        .await;
        assert!(matches!(error, Error::Config(_)), "{status}: {error:?}");
        let text = format!("{error} {error:?}");
        assert!(!text.contains(CLIENT_SECRET), "{text}");
    }
}

#[tokio::test]
async fn token_endpoint_rate_limits_and_outages_map_like_the_api() {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let e = provider.refresh(&fresh()).await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(2)),
        "{e:?}"
    );
    let e = provider.refresh(&fresh()).await.unwrap_err();
    assert!(matches!(e, Error::Upstream { status: 502 }), "{e:?}");
    let e = provider.refresh(&fresh()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidResponse(_)), "{e:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .and(path("/oauth/2026-03/token"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/elsewhere", server.uri())),
        )
        .mount(&server)
        .await;
    let e = provider.refresh(&fresh()).await.unwrap_err();
    assert!(matches!(e, Error::Upstream { status: 307 }), "{e:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// ---------- revoke ----------

#[tokio::test]
async fn revoke_posts_the_refresh_token_in_the_body_and_accepts_gone() {
    for status in [200, 204, 404] {
        let (server, provider) = setup().await;
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token/revoke"))
            .and(body_string_contains("token=rt-1"))
            .and(body_string_contains("token_type_hint=refresh_token"))
            .and(body_string_contains("client_secret="))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
        provider.revoke(&fresh()).await.unwrap();
    }
}

#[tokio::test]
async fn revoke_never_puts_the_token_in_the_url_and_maps_failures() {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let mut creds = fresh();
    creds.refresh_token = Some("a/b c".to_owned().into());
    let e = provider.revoke(&creds).await.unwrap_err();
    assert!(matches!(e, Error::Upstream { status: 503 }), "{e:?}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/oauth/2026-03/token/revoke");
    assert!(!requests[0].url.as_str().contains("a%2Fb"));
    let body = String::from_utf8_lossy(&requests[0].body);
    assert!(body.contains("token=a%2Fb+c"), "{body}");
}

#[tokio::test]
async fn revoke_refused_is_rejected_not_unauthorized() {
    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let e = provider.revoke(&fresh()).await.unwrap_err();
    assert!(matches!(e, Error::Rejected { .. }), "{e:?}");
}

#[tokio::test]
async fn revoke_without_a_refresh_token_is_a_no_op() {
    let (server, provider) = setup().await;
    let mut creds = fresh();
    creds.refresh_token = None;
    provider.revoke(&creds).await.unwrap();
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---------- authorize URL and config ----------

#[test]
fn authorize_url_encodes_scopes_and_state() {
    let mut config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into());
    config.scopes = vec!["crm.objects.contacts.read".into(), "oauth".into()];
    let provider = hubspot::provider(config.clone(), reqwest::Client::new());
    let state = OAuthState::generate();
    let url = provider
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://app.example.com/cb?x=1&y=2",
            pkce_challenge: None,
        })
        .unwrap();
    assert_eq!(
        url.origin().unicode_serialization(),
        "https://app.hubspot.com"
    );
    assert_eq!(url.path(), "/oauth/authorize");
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], "https://app.example.com/cb?x=1&y=2");
    assert_eq!(query["scope"], "crm.objects.contacts.read oauth");
    assert_eq!(query["state"], state.as_str());
    assert!(!query.contains_key("optional_scope"));
    assert!(!url.as_str().contains(' '));
    assert!(
        !url.as_str().contains("cb?x"),
        "redirect_uri is percent-encoded"
    );
    assert!(!url.as_str().contains(CLIENT_SECRET));

    config.optional_scopes = vec![
        "crm.objects.deals.read".into(),
        "crm.objects.companies.read".into(),
    ];
    let provider = hubspot::provider(config, reqwest::Client::new());
    let url = provider
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://a/cb",
            pkce_challenge: None,
        })
        .unwrap();
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query["optional_scope"],
        "crm.objects.deals.read crm.objects.companies.read"
    );
}

#[test]
fn identity_is_hubspot() {
    let provider = hubspot::provider(
        HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into()),
        reqwest::Client::new(),
    );
    assert_eq!(provider.id(), "hubspot");
    assert_eq!(provider.display_name(), "HubSpot");
}

#[test]
fn debug_output_never_shows_the_secret() {
    let config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into());
    let text = format!("{config:?}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert!(text.contains(CLIENT_ID));
    let provider = hubspot::provider(config, reqwest::Client::new());
    assert!(!format!("{provider:?}").contains(CLIENT_SECRET));
}

#[test]
fn cursors_round_trip_through_the_core_type() {
    assert!(Cursor::parse("NTI1Cg%3D%3D").is_ok());
}

// ---------- logging ----------

#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_tokens_codes_or_the_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("hubspot=trace,integration_core=trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (server, provider) = setup().await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("at-LEAK", "rt-LEAK")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token", "correlationId": "c"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-HubSpot-RateLimit-Remaining", "0")
                .insert_header("X-HubSpot-RateLimit-Max", "100"),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;

    let code = AuthorizationCode::parse("code-LEAK").unwrap();
    let creds = provider
        .exchange_code(&code, "https://app.example.com/cb", None)
        .await
        .unwrap();
    let _ = provider.refresh(&creds).await;
    let _ = provider.list_items(&creds, &ItemQuery::new()).await;
    let _ = provider.revoke(&creds).await;
    drop(server);
    let errors = [
        provider
            .list_items(&creds, &ItemQuery::new())
            .await
            .unwrap_err(),
        provider.refresh(&creds).await.unwrap_err(),
    ];

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("hubspot rate limit"), "{logs}");
    for needle in ["LEAK", CLIENT_SECRET] {
        assert!(!logs.contains(needle), "{needle} in logs:\n{logs}");
        for error in &errors {
            assert!(!format!("{error} {error:?}").contains(needle), "{error:?}");
        }
    }
}
