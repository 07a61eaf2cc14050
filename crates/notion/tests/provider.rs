//! The Notion provider against wiremock (Notion's documented answers) and against its own
//! sandbox (the full consent flow, then paging every item).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};
use integration_core::{
    AuthorizationCode, AuthorizationRequest, Credentials, Cursor, Error, ExposeSecret as _,
    Integration, ItemQuery, OAuthState,
};
use sandbox_kit::testing::{decide, query_value, serve};
use sandbox_kit::{ApiSandbox, RegisteredClient};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "notion-client-secret-XYZ";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn notion(urls: &[(&str, String)]) -> Arc<dyn Integration> {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("NOTION_CLIENT_ID".into(), "client-1".into()),
        ("NOTION_CLIENT_SECRET".into(), SECRET.into()),
    ]);
    for (name, url) in urls {
        vars.insert(format!("NOTION_{}_URL", name.to_uppercase()), url.clone());
    }
    let Configured::Live(settings) =
        ProviderSettings::from_vars("notion", &vars).expect("settings")
    else {
        panic!("live settings");
    };
    let client = http::client(Duration::from_secs(5), "notion-tests");
    ProviderFactory::build(&notion::FACTORY, &settings, client).expect("builds")
}

fn wired(server: &MockServer) -> Arc<dyn Integration> {
    notion(&[
        ("token", format!("{}/v1/oauth/token", server.uri())),
        ("api_base", format!("{}/v1", server.uri())),
    ])
}

fn credentials(refresh: Option<&str>) -> Credentials {
    Credentials {
        access_token: "secret_access_token_ABC".to_owned().into(),
        refresh_token: refresh.map(|r| r.to_owned().into()),
        expires_at: None,
        scopes: Vec::new(),
        account_id: None,
        account_name: None,
        account_user: None,
        obtained_at: chrono::Utc::now(),
        api_base: None,
    }
}

fn page(id: &str, title: &str) -> serde_json::Value {
    json!({"object": "page", "id": id, "url": format!("https://www.notion.so/{id}"),
        "created_time": "2024-01-02T03:04:05.000Z", "last_edited_time": "2024-02-03T04:05:06.000Z",
        "parent": {"type": "page_id", "page_id": "parent-1"},
        "properties": {"Name": {"id": "title", "type": "title",
            "title": [{"plain_text": title}]}}})
}

#[test]
fn the_consent_url_asks_for_a_user_owned_grant() {
    let n = notion(&[]);
    let state = OAuthState::generate();
    let url = n
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: REDIRECT,
            pkce_challenge: None,
            extra_scopes: &[],
        })
        .unwrap();
    assert!(
        url.as_str()
            .starts_with("https://api.notion.com/v1/oauth/authorize?")
    );
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        (q["owner"].as_str(), q["response_type"].as_str()),
        ("user", "code")
    );
    assert_eq!(q["client_id"], "client-1");
    assert!(!url.as_str().contains(SECRET));
}

#[tokio::test]
async fn the_code_is_exchanged_with_basic_auth_and_a_json_body_for_a_token_that_never_expires() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .and(header(
            "authorization",
            "Basic Y2xpZW50LTE6bm90aW9uLWNsaWVudC1zZWNyZXQtWFla",
        ))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"grant_type": "authorization_code", "code": "the-code",
            "redirect_uri": REDIRECT}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "secret_abc", "token_type": "bearer", "bot_id": "b1",
            "workspace_id": "ws-1", "workspace_name": "Acme", "workspace_icon": null,
            "owner": {"type": "user", "user": {"id": "u1", "person": {"email": "ada@example.com"}}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let code = AuthorizationCode::parse("the-code").unwrap();
    let c = wired(&server)
        .exchange_code(&code, REDIRECT, None)
        .await
        .unwrap();
    assert_eq!(c.access_token.expose_secret(), "secret_abc");
    assert_eq!((c.expires_at, c.refresh_token.is_none()), (None, true));
    assert_eq!(c.account_id.as_deref(), Some("ws-1"));
    assert_eq!(c.account_name.as_deref(), Some("Acme"));
    assert_eq!(c.account_user.as_deref(), Some("ada@example.com"));
    assert!(!format!("{c:?}").contains("secret_abc"));
}

#[tokio::test]
async fn search_is_paged_to_the_end_with_the_version_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .and(header("notion-version", "2022-06-28"))
        .and(header("authorization", "Bearer secret_access_token_ABC"))
        .and(body_json(json!({"page_size": 2})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "list",
            "results": [page("p1", "Roadmap"), {"object": "database", "id": "d1",
                "title": [{"plain_text": "Tasks"}], "parent": {"type": "workspace", "workspace": true},
                "properties": {}}],
            "next_cursor": "cursor-2", "has_more": true})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .and(body_json(
            json!({"page_size": 2, "start_cursor": "cursor-2"}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list",
            "results": [page("p2", "")], "next_cursor": null, "has_more": false})),
        )
        .mount(&server)
        .await;
    let n = wired(&server);
    let first = n
        .list_items(&credentials(None), &ItemQuery::new().limit(2))
        .await
        .unwrap();
    assert_eq!(
        first.next_cursor.as_ref().map(Cursor::as_str),
        Some("cursor-2")
    );
    let (p1, d1) = (&first.items[0], &first.items[1]);
    assert_eq!(
        (p1.title.as_str(), p1.item_type.as_deref()),
        ("Roadmap", Some("page"))
    );
    assert_eq!(p1.parent_id.as_deref(), Some("parent-1"));
    assert_eq!(p1.url.as_deref(), Some("https://www.notion.so/p1"));
    assert!(p1.updated_at.is_some() && p1.created_at.is_some());
    assert_eq!(
        (d1.title.as_str(), d1.item_type.as_deref()),
        ("Tasks", Some("database"))
    );
    assert_eq!(d1.parent_id.as_deref(), Some("workspace"));
    let query = ItemQuery::new().limit(2).after(first.next_cursor);
    let last = n.list_items(&credentials(None), &query).await.unwrap();
    assert_eq!(
        (last.items[0].title.as_str(), last.next_cursor),
        ("Untitled", None)
    );
}

#[tokio::test]
async fn an_object_type_becomes_the_search_filter() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .and(body_json(json!({"page_size": 100,
            "filter": {"property": "object", "value": "database"}})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list",
            "results": [], "next_cursor": null, "has_more": false})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let query = ItemQuery::new().object_type("databases");
    assert!(
        wired(&server)
            .list_items(&credentials(None), &query)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn notion_errors_map_to_the_semantic_ones_without_secrets() {
    let server = MockServer::start().await;
    let error = |status: u16, code: &str| {
        ResponseTemplate::new(status).set_body_json(json!({"object": "error", "status": status,
            "code": code, "message": format!("echo {SECRET} secret_access_token_ABC")}))
    };
    Mock::given(path("/v1/search"))
        .respond_with(error(401, "unauthorized"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/search"))
        .respond_with(error(429, "rate_limited").insert_header("retry-after", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/oauth/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant",
            "error_description": format!("refresh token old-refresh revoked ({SECRET})")})),
        )
        .mount(&server)
        .await;
    let n = wired(&server);
    let c = credentials(Some("old-refresh"));
    let e = n.list_items(&c, &ItemQuery::new()).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized), "{e:?}");
    let e = n.list_items(&c, &ItemQuery::new()).await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{e:?}"
    );
    let e = n.refresh(&c).await.unwrap_err();
    assert!(matches!(e, Error::ReauthRequired { .. }), "{e:?}");
    for text in [e.to_string(), format!("{e:?}"), format!("{n:?}")] {
        assert!(
            !text.contains(SECRET) && !text.contains("old-refresh"),
            "{text}"
        );
    }
    let no_refresh = n.refresh(&credentials(None)).await.unwrap_err();
    assert!(matches!(no_refresh, Error::ReauthRequired { .. }));
}

#[tokio::test]
async fn a_grant_with_a_refresh_token_is_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .and(body_json(
            json!({"grant_type": "refresh_token", "refresh_token": "rt-1"}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "new",
            "token_type": "bearer", "refresh_token": "rt-2", "workspace_name": "Acme"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let fresh = wired(&server)
        .refresh(&credentials(Some("rt-1")))
        .await
        .unwrap();
    assert_eq!(fresh.access_token.expose_secret(), "new");
    assert_eq!(fresh.refresh_token.unwrap().expose_secret(), "rt-2");
}

#[tokio::test]
async fn contract_with_the_sandbox_full_consent_then_every_item() {
    let client = RegisteredClient {
        client_id: "client-1".into(),
        client_secret: SECRET.into(),
        redirect_uris: vec![REDIRECT.into()],
    };
    let sandbox: Arc<dyn sandbox_kit::ProviderSandbox> = Arc::from(notion_sandbox::sandbox(client));
    let root = serve(sandbox.clone(), "/_sandbox/notion").await;
    let urls: Vec<(&str, String)> = sandbox
        .urls(&root)
        .into_iter()
        .map(|(k, v)| (leak(k), v.to_string()))
        .collect();
    let n = notion(&urls);
    let state = OAuthState::generate();
    let request = AuthorizationRequest {
        state: &state,
        redirect_uri: REDIRECT,
        pkce_challenge: None,
        extra_scopes: &[],
    };
    let back = decide(&n.authorization_url(&request).unwrap(), true)
        .await
        .unwrap();
    assert_eq!(query_value(&back, "state").as_deref(), Some(state.as_str()));
    let code = AuthorizationCode::parse(&query_value(&back, "code").unwrap()).unwrap();
    let c = n.exchange_code(&code, REDIRECT, None).await.unwrap();
    assert_eq!(
        (c.account_name.as_deref(), c.expires_at),
        (Some("Acme (sandbox)"), None)
    );
    assert_eq!(c.account_user.as_deref(), Some("ada@example.com"));
    assert!(c.refresh_token.is_some());

    let (mut items, mut cursor) = (Vec::new(), None);
    loop {
        let query = ItemQuery::new().limit(25).after(cursor);
        let page = n.list_items(&c, &query).await.unwrap();
        items.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(items.len(), 60);
    let databases = items
        .iter()
        .filter(|i| i.item_type.as_deref() == Some("database"))
        .count();
    assert_eq!(databases, 15);
    assert!(
        items
            .iter()
            .all(|i| !i.title.is_empty() && i.parent_id.is_some())
    );
    let only = n
        .list_items(&c, &ItemQuery::new().object_type("databases"))
        .await
        .unwrap();
    assert_eq!(only.items.len(), 15);

    let fresh = n.refresh(&c).await.unwrap();
    assert!(n.list_items(&fresh, &ItemQuery::new()).await.is_ok());
    assert!(
        matches!(n.refresh(&c).await, Err(Error::ReauthRequired { .. })),
        "rotated"
    );
    let kit = sandbox
        .as_any()
        .downcast_ref::<ApiSandbox>()
        .unwrap()
        .oauth();
    kit.revoke_all();
    assert!(matches!(
        n.list_items(&fresh, &ItemQuery::new()).await,
        Err(Error::Unauthorized)
    ));
    assert_eq!(kit.stats().approvals, 1);
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
