//! Embedding the HubSpot provider: the provider plus `integration_core::Connector` over an
//! in-memory credential store, listing a user's contacts page by page.
//!
//! HubSpot itself is replaced by a local wiremock server, so this runs without network access:
//!
//! ```text
//! cargo run -p hubspot --example list_contacts
//! ```

use std::sync::Arc;

use chrono::Utc;
use hubspot::HubSpotConfig;
use integration_core::{Connector, CredentialStore as _, Credentials, Error, ItemQuery, UserId};
use serde_json::json;
use token_store::MemoryTokenStore;
use url::Url;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hubspot_mock = fake_hubspot().await;

    // In production: `HubSpotConfig::new(id, secret)` with HubSpot's real URLs.
    let base = Url::parse(&hubspot_mock.uri())?;
    let config = HubSpotConfig::new("example-client-id", "example-secret".to_owned().into())
        .with_base_url(&base)?;
    let http = hubspot::http_client(config.request_timeout);
    let store = Arc::new(MemoryTokenStore::new());
    let connector = Connector::new(Arc::new(hubspot::provider(config, http)), store.clone());

    // Normally `connector.connect(user, code, redirect_uri)` stores these after consent.
    let user = UserId::parse("test_user")?;
    let credentials = Credentials {
        access_token: "example-access-token".to_owned().into(),
        refresh_token: Some("example-refresh-token".to_owned().into()),
        expires_at: Some(Utc::now() + chrono::Duration::minutes(30)),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        account_id: Some("62515".into()),
        account_name: None,
        account_user: None,
        obtained_at: Utc::now(),
    };
    store
        .save("hubspot", &user, &credentials)
        .await
        .map_err(Error::from)?;

    let mut query = ItemQuery::new().limit(2);
    loop {
        let page = connector.items(&user, &query).await?;
        for item in &page.items {
            println!(
                "{:>4}  {:<22} {}",
                item.id,
                item.title,
                item.url.as_deref().unwrap_or("-")
            );
        }
        match page.next_cursor {
            Some(cursor) => query = ItemQuery::new().limit(2).after(Some(cursor)),
            None => break,
        }
    }
    Ok(())
}

/// A local stand-in for `GET /crm/v3/objects/contacts`, two pages long.
async fn fake_hubspot() -> MockServer {
    let server = MockServer::start().await;
    let contact = |id: &str, first: &str, last: &str, email: &str| {
        json!({
            "id": id,
            "properties": {"firstname": first, "lastname": last, "email": email},
            "createdAt": "2024-01-02T03:04:05Z",
            "updatedAt": "2024-02-03T04:05:06Z",
            "archived": false
        })
    };
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts"))
        .and(query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [
                contact("101", "Ada", "Lovelace", "ada@example.com"),
                contact("102", "Grace", "Hopper", "grace@example.com"),
            ],
            "paging": {"next": {"after": "102", "link": "?after=102"}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts"))
        .and(query_param("after", "102"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [json!({"id": "103", "properties": {"email": "anon@example.com"}})]
        })))
        .mount(&server)
        .await;
    server
}
