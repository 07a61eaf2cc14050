//! The Airtable provider against wiremock answering as Airtable documents.

mod common;

use std::time::Duration;

use common::{REDIRECT, SECRET, airtable};
use integration_core::{AuthorizationCode, AuthorizationRequest, Credentials, Error};
use integration_core::{ExposeSecret as _, ItemQuery, OAuthState, PkceVerifier};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn wired(server: &MockServer) -> std::sync::Arc<dyn integration_core::Integration> {
    airtable(&[
        ("token", format!("{}/oauth2/v1/token", server.uri())),
        ("api_base", format!("{}/v0", server.uri())),
    ])
}

fn credentials() -> Credentials {
    Credentials {
        access_token: "access-SECRET-1".to_owned().into(),
        refresh_token: Some("refresh-SECRET-1".to_owned().into()),
        expires_at: Some(chrono::Utc::now() + chrono::Duration::minutes(60)),
        scopes: vec!["schema.bases:read".into()],
        account_id: None,
        account_name: None,
        account_user: None,
        obtained_at: chrono::Utc::now(),
        api_base: None,
    }
}

fn bases(ids: &[&str], offset: Option<&str>) -> serde_json::Value {
    let list: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "name": format!("Base {id}"), "permissionLevel": "create"}))
        .collect();
    match offset {
        Some(o) => json!({"bases": list, "offset": o}),
        None => json!({"bases": list}),
    }
}

#[test]
fn the_consent_url_asks_for_pkce_s256_and_the_documented_scopes() {
    let state = OAuthState::generate();
    let challenge = PkceVerifier::generate().challenge();
    let request = AuthorizationRequest {
        state: &state,
        redirect_uri: REDIRECT,
        pkce_challenge: Some(&challenge),
        extra_scopes: &[],
    };
    let url = airtable(&[]).authorization_url(&request).unwrap();
    assert!(
        url.as_str()
            .starts_with("https://airtable.com/oauth2/v1/authorize?"),
        "{url}"
    );
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "data.records:read schema.bases:read");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"], challenge.as_str());
    assert_eq!(q["client_id"], "client-1");
    assert!(!url.as_str().contains(SECRET));
}

#[tokio::test]
async fn the_code_is_exchanged_with_basic_auth_a_form_body_and_the_verifier() {
    let server = MockServer::start().await;
    let verifier = PkceVerifier::generate();
    let basic = format!("Basic {}", base64_of(&format!("client-1:{SECRET}")));
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .and(header("authorization", basic.as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains(format!(
            "code_verifier={}",
            verifier.secret().expose_secret()
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "access-SECRET-1",
            "refresh_token": "refresh-SECRET-1", "token_type": "Bearer", "expires_in": 3600,
            "refresh_expires_in": 5_184_000, "scope": "data.records:read schema.bases:read"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let code = AuthorizationCode::parse("code-SECRET-1").unwrap();
    let c = wired(&server)
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .unwrap();
    assert_eq!(c.access_token.expose_secret(), "access-SECRET-1");
    assert_eq!(
        c.refresh_token.as_ref().unwrap().expose_secret(),
        "refresh-SECRET-1"
    );
    let lifetime = c.expires_at.unwrap() - chrono::Utc::now();
    assert!(lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::minutes(60));
    assert_eq!(c.scopes, ["data.records:read", "schema.bases:read"]);
    let debug = format!("{c:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
}

fn base64_of(text: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ABC[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_invalid_grant_asks_to_reconnect() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .and(body_string_contains("refresh_token=refresh-SECRET-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "access-SECRET-2",
            "refresh_token": "refresh-SECRET-2", "token_type": "Bearer", "expires_in": 3600})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant",
            "error_description": "refresh-SECRET-1 was already used"})),
        )
        .mount(&server)
        .await;
    let provider = wired(&server);
    let fresh = provider.refresh(&credentials()).await.unwrap();
    assert_eq!(fresh.access_token.expose_secret(), "access-SECRET-2");
    assert_eq!(
        fresh.refresh_token.as_ref().unwrap().expose_secret(),
        "refresh-SECRET-2"
    );
    let error = provider.refresh(&credentials()).await.unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(!text.contains("SECRET") && !text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn tables_are_listed_base_by_base_to_the_end_across_bases_pages() {
    let server = MockServer::start().await;
    let ids: Vec<String> = (0..7).map(|i| format!("app{i}")).collect();
    let first: Vec<&str> = ids[..6].iter().map(String::as_str).collect();
    Mock::given(method("GET"))
        .and(path("/v0/meta/bases"))
        .and(query_param("offset", "itr1/app5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bases(&["app6"], None)))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/meta/bases"))
        .and(header("authorization", "Bearer access-SECRET-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bases(&first, Some("itr1/app5"))))
        .with_priority(2)
        .mount(&server)
        .await;
    for id in &ids {
        let tables = json!({"tables": [
            {"id": format!("tbl{id}a"), "name": "Tasks", "primaryFieldId": "fld1", "fields": [], "views": []},
            {"id": format!("tbl{id}b"), "name": "People", "primaryFieldId": "fld2", "fields": [], "views": []}]});
        Mock::given(method("GET"))
            .and(path(format!("/v0/meta/bases/{id}/tables")))
            .respond_with(ResponseTemplate::new(200).set_body_json(tables))
            .mount(&server)
            .await;
    }
    let provider = wired(&server);
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None, 0);
    loop {
        let query = ItemQuery::new().object_type("tables").after(cursor);
        let page = provider.list_items(&credentials(), &query).await.unwrap();
        pages += 1;
        seen.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        pages, 3,
        "5 bases, then the sixth, then the next bases page"
    );
    assert_eq!(seen.len(), 14);
    let t = &seen[0];
    assert_eq!(
        (t.id.as_str(), t.title.as_str(), t.parent_id.as_deref()),
        ("tblapp0a", "Tasks", Some("app0"))
    );
    assert_eq!(t.item_type.as_deref(), Some("table"));
    assert_eq!(t.properties["base"], "Base app0");
    assert_eq!(t.url.as_deref(), Some("https://airtable.com/app0/tblapp0a"));
    assert_eq!(seen[13].parent_id.as_deref(), Some("app6"));

    let requests = server.received_requests().await.unwrap().len();
    assert_eq!(
        requests,
        3 + 7,
        "one request per bases page read plus one per base"
    );

    // A small limit stops after the base that reaches it.
    let query = ItemQuery::new().object_type("tables").limit(1);
    let page = provider.list_items(&credentials(), &query).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_cursor.unwrap().as_str(), "1~");
}

#[tokio::test]
async fn a_base_id_from_the_answer_stays_one_path_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v0/meta/bases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bases(&["app1/../../x?y"], None)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/meta/bases/app1%2F..%2F..%2Fx%3Fy/tables"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tables": []})))
        .mount(&server)
        .await;
    let query = ItemQuery::new().object_type("tables");
    let page = wired(&server).list_items(&credentials(), &query).await;
    assert!(page.unwrap().items.is_empty());
    let paths: Vec<String> = (server.received_requests().await.unwrap().iter())
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/v0/meta/bases",
            "/v0/meta/bases/app1%2F..%2F..%2Fx%3Fy/tables"
        ]
    );
}

#[tokio::test]
async fn bases_page_with_offset_and_errors_keep_their_meaning() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v0/meta/bases"))
        .and(query_param("offset", "itr1/appB"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bases(&["appC"], None)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/meta/bases"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(bases(&["appA", "appB"], Some("itr1/appB"))),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    let provider = wired(&server);
    let first = provider
        .list_items(&credentials(), &ItemQuery::new())
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].item_type.as_deref(), Some("base"));
    assert_eq!(first.items[0].properties["permissionLevel"], "create");
    let second = provider
        .list_items(&credentials(), &ItemQuery::new().after(first.next_cursor))
        .await
        .unwrap();
    assert_eq!((second.items.len(), second.next_cursor), (1, None));

    let bad = integration_core::Cursor::parse("not-a-tables-cursor").unwrap();
    let error = provider
        .list_items(
            &credentials(),
            &ItemQuery::new().object_type("tables").after(Some(bad)),
        )
        .await;
    assert!(matches!(error, Err(Error::InvalidInput(_))), "{error:?}");

    for (status, body, check) in [
        (
            401,
            json!({"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}),
            "unauthorized",
        ),
        (
            429,
            json!({"errors": [{"error": "RATE_LIMIT_REACHED"}]}),
            "rate",
        ),
        (
            422,
            json!({"error": {"type": "INVALID_OFFSET_VALUE", "message": "bad offset"}}),
            "rejected",
        ),
        (503, json!({}), "upstream"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let error = wired(&server)
            .list_items(&credentials(), &ItemQuery::new())
            .await
            .unwrap_err();
        match check {
            "unauthorized" => assert!(matches!(error, Error::Unauthorized), "{error:?}"),
            "rate" => assert!(
                matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(30)),
                "{error:?}"
            ),
            "rejected" => assert!(
                matches!(&error, Error::Rejected { code, .. } if code == "INVALID_OFFSET_VALUE")
            ),
            _ => assert!(
                matches!(error, Error::Upstream { status: 503 }),
                "{error:?}"
            ),
        }
        assert!(!format!("{error} {error:?}").contains("SECRET"));
    }
}
