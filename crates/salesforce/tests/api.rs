//! Salesforce's quirks against wiremock: the API host comes from the grant (on Salesforce's
//! domains only), the org from the identity URL, SOQL per kind, `nextRecordsUrl` cursors, times
//! without the offset's colon, and error arrays (the org's API limit is a rate limit).

mod common;

use std::sync::Arc;

use integration_core::{AuthorizationCode, Credentials, Cursor, Error, Integration, ItemQuery};
use serde_json::json;
use url::Url;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IDENTITY: &str = "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001Sv6AAAS";

async fn exchange(provider: &Arc<dyn Integration>) -> Result<Credentials, Error> {
    let code = AuthorizationCode::parse("code-1").expect("code");
    provider.exchange_code(&code, common::REDIRECT, None).await
}

#[tokio::test]
async fn the_grant_names_the_api_host_and_only_salesforce_hosts_are_taken() {
    for (instance, taken) in [
        ("https://acme.my.salesforce.com", true),
        ("https://na123.salesforce.com", true),
        ("https://acme--dev.sandbox.my.salesforce.com", true),
        ("https://evil.example", false),
        ("https://acme.my.salesforce.com.evil.example", false),
        ("http://acme.my.salesforce.com", false),
        ("https://salesforce.com", false),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/services/oauth2/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "00Dxx!AQ", "refresh_token": "5Aep", "token_type": "Bearer",
                "instance_url": instance, "id": IDENTITY, "issued_at": "1278448101416",
                "signature": "c2ln", "scope": "refresh_token api"})))
            .mount(&server)
            .await;
        let token = format!("{}/services/oauth2/token", server.uri());
        let provider = common::salesforce(&[("token", token)]);
        let result = exchange(&provider).await;
        if !taken {
            let error = result.expect_err(instance);
            assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
            assert!(!error.to_string().contains("evil"), "{error}");
            continue;
        }
        let c = result.expect(instance);
        assert_eq!(
            c.api_base
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/')),
            Some(instance)
        );
        assert_eq!(c.account_id.as_deref(), Some("00Dxx0000001gPLEAY"));
        // The org's My Domain host names it in the UI, not a URL.
        assert_eq!(c.account_name.as_deref(), instance.strip_prefix("https://"));
        assert_eq!(c.account_user.as_deref(), Some(IDENTITY));
        assert_eq!(
            c.expires_at, None,
            "Salesforce does not say when a session ends"
        );
    }
}

fn credentials(instance: &Url) -> Credentials {
    Credentials {
        access_token: "00Dxx!AQ".to_owned().into(),
        refresh_token: None,
        expires_at: None,
        scopes: vec!["api".into()],
        account_id: None,
        account_name: None,
        account_user: None,
        obtained_at: chrono::Utc::now(),
        api_base: Some(instance.clone()),
    }
}

/// A provider pinned to the mock server, and credentials whose instance is `/acme` on it.
async fn on_mock() -> (MockServer, Arc<dyn Integration>, Credentials) {
    let server = MockServer::start().await;
    let provider = common::salesforce(&[("api_base", server.uri())]);
    let instance = Url::parse(&format!("{}/acme", server.uri())).expect("url");
    (server, provider, credentials(&instance))
}

#[tokio::test]
async fn records_map_with_their_kind_times_and_links_and_pages_follow_the_locator() {
    let (server, provider, c) = on_mock().await;
    let record = json!({"attributes": {"type": "Account", "url": "/services/data/v60.0/sobjects/Account/001A"},
        "Id": "001A", "Name": "Acme", "Website": "https://acme.example", "Industry": null,
        "CreatedDate": "2024-01-15T10:30:00.000+0200", "LastModifiedDate": "2024-02-01T08:00:00.000+0000"});
    Mock::given(method("GET"))
        .and(path("/acme/services/data/v60.0/query"))
        .and(query_param(
            "q",
            "SELECT Id, Name, CreatedDate, LastModifiedDate, Website, Industry FROM Account ORDER BY Id",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"totalSize": 2,
            "done": false, "nextRecordsUrl": "/services/data/v60.0/query/01gD0000002HU6KIAW-1",
            "records": [record]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/acme/services/data/v60.0/query/01gD0000002HU6KIAW-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"totalSize": 2, "done": true, "records": []})),
        )
        .mount(&server)
        .await;
    let page = provider
        .list_items(&c, &ItemQuery::new().object_type("accounts"))
        .await
        .unwrap();
    let item = &page.items[0];
    assert_eq!((item.id.as_str(), item.title.as_str()), ("001A", "Acme"));
    assert_eq!(item.item_type.as_deref(), Some("Account"));
    assert_eq!(
        item.url.as_deref(),
        Some(format!("{}/acme/001A", server.uri()).as_str())
    );
    assert_eq!(
        item.created_at.unwrap().to_rfc3339(),
        "2024-01-15T08:30:00+00:00"
    );
    assert_eq!(
        item.updated_at.unwrap().to_rfc3339(),
        "2024-02-01T08:00:00+00:00"
    );
    assert_eq!(item.properties["Website"], "https://acme.example");
    assert!(!item.properties.contains_key("attributes"));
    let next = page.next_cursor.unwrap();
    assert_eq!(
        next.as_str(),
        "/services/data/v60.0/query/01gD0000002HU6KIAW-1"
    );
    let last = provider
        .list_items(&c, &ItemQuery::new().after(Some(next)))
        .await
        .unwrap();
    assert!(last.items.is_empty() && last.next_cursor.is_none());

    // Cursors of another shape are refused before any request; so is an unknown kind.
    let before = server.received_requests().await.unwrap().len();
    for foreign in [
        "c1MTA",
        "/services/data/v60.0/query/01gD0000002HU6KIAW",
        "/services/data/v60.0/query/../sobjects-1",
        "/services/data/v60.0/sobjects/Account/001A-1",
        "/services/data/v60.0/query/01gD%2F-1",
        "https://evil.example/services/data/v60.0/query/01gD0000002HU6KIAW-1",
    ] {
        let cursor = Cursor::parse(foreign).unwrap();
        assert!(!provider.accepts_cursor(&cursor), "{foreign}");
        let refused = provider
            .list_items(&c, &ItemQuery::new().after(Some(cursor)))
            .await;
        assert!(
            matches!(refused, Err(Error::InvalidInput(_))),
            "{refused:?}"
        );
    }
    let unknown = provider
        .list_items(&c, &ItemQuery::new().object_type("leads"))
        .await;
    assert!(
        matches!(unknown, Err(Error::InvalidInput(_))),
        "{unknown:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn error_arrays_map_and_the_org_api_limit_is_a_rate_limit() {
    let cases = [
        (
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        ),
        (401, "INVALID_SESSION_ID", "Session expired or invalid"),
        (400, "MALFORMED_QUERY", "unexpected token: FORM"),
        (
            403,
            "API_DISABLED_FOR_ORG",
            "API is not enabled for this Organization",
        ),
    ];
    for (status, code, message) in cases {
        let (server, provider, c) = on_mock().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!([{"message": message, "errorCode": code}])),
            )
            .mount(&server)
            .await;
        let error = provider
            .list_items(&c, &ItemQuery::new())
            .await
            .unwrap_err();
        match code {
            "REQUEST_LIMIT_EXCEEDED" => assert!(
                matches!(error, Error::RateLimited { retry_after: None }),
                "{error:?}"
            ),
            "INVALID_SESSION_ID" => assert!(matches!(error, Error::Unauthorized), "{error:?}"),
            _ => assert!(
                matches!(&error, Error::Rejected { code: c, message: m } if c == code && m == message),
                "{error:?}"
            ),
        }
    }
}

/// `Sforce-Limit-Info` feeds the rate budget: once it says the org's 24-hour allowance is spent,
/// the account's shared budget is held, and the next call is refused at once, never sent.
#[tokio::test]
async fn a_spent_daily_allowance_holds_the_shared_budget() {
    use integration_core::{Connector, ConnectorOptions, CredentialStore as _, Limit};
    use integration_core::{SharedBudget, UserId};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "00Dxx!AQ", "refresh_token": "5Aep", "token_type": "Bearer",
            "instance_url": server.uri(), "id": IDENTITY, "issued_at": "1278448101416"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v60.0/query"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Sforce-Limit-Info", "api-usage=15000/15000")
                .set_body_json(json!({"totalSize": 0, "done": true, "records": []})),
        )
        .mount(&server)
        .await;
    let at = |p: &str| format!("{}{p}", server.uri());
    let provider = common::salesforce(&[
        ("token", at("/services/oauth2/token")),
        ("api_base", server.uri()),
    ]);
    let credentials = exchange(&provider).await.expect("connected");
    let store = Arc::new(token_store::MemoryTokenStore::new());
    let user = UserId::parse("ada").expect("user");
    store
        .save("salesforce", &user, &credentials)
        .await
        .expect("saved");
    let budget = SharedBudget::new(
        store.clone(),
        Limit::new(25, std::time::Duration::from_secs(20)),
    );
    let options = ConnectorOptions {
        budget: Some(budget),
        ..ConnectorOptions::default()
    };
    let connector = Connector::with_options(provider, store, options);

    connector
        .items(&user, &ItemQuery::new())
        .await
        .expect("the last call of the day");
    let held = connector.items(&user, &ItemQuery::new()).await;
    assert!(
        matches!(held, Err(Error::RateLimited { retry_after: Some(w) }) if w.as_secs() > 3600),
        "{held:?}"
    );
    let queries = server.received_requests().await.expect("recorded");
    let queries = queries
        .iter()
        .filter(|r| r.url.path().contains("/query"))
        .count();
    assert_eq!(queries, 1, "no call Salesforce would refuse");
}
