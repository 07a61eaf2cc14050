//! Helpers shared by the test binaries: a HubSpot provider pointed at a wiremock server.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::time::Duration;

use chrono::Utc;
use hubspot::{HubSpot, HubSpotConfig};
use integration_core::{Credentials, UserId};
use serde_json::{Value, json};
use url::Url;
use wiremock::MockServer;

pub const CLIENT_ID: &str = "client-123";
pub const CLIENT_SECRET: &str = "shh-client-secret";

pub fn config_for(server: &MockServer) -> HubSpotConfig {
    let base = Url::parse(&server.uri()).unwrap();
    HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into())
        .with_base_url(&base)
        .unwrap()
}

pub fn hubspot(config: HubSpotConfig) -> HubSpot {
    let http = hubspot::http_client(Duration::from_secs(5));
    hubspot::provider(config, http)
}

pub fn credentials(access: &str, expires_in: chrono::Duration) -> Credentials {
    Credentials {
        access_token: access.to_owned().into(),
        refresh_token: Some("rt-1".to_owned().into()),
        expires_at: Some(Utc::now() + expires_in),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        account_id: Some("62515".into()),
        account_name: None,
        account_user: None,
        obtained_at: Utc::now(),
    }
}

pub fn contact(id: &str, first: Value, last: Value, email: Value) -> Value {
    json!({
        "id": id,
        "properties": {
            "firstname": first, "lastname": last, "email": email,
            "hs_object_id": id,
        },
        "createdAt": "2024-01-02T03:04:05.678Z",
        "updatedAt": "2024-02-03T04:05:06Z",
        "archived": false
    })
}

pub fn token_body(access: &str, refresh: &str) -> Value {
    json!({
        "token_type": "bearer",
        "refresh_token": refresh,
        "hub_id": 62515,
        "scopes": ["oauth", "crm.objects.contacts.read"],
        "access_token": access,
        "expires_in": 1800
    })
}

pub fn user() -> UserId {
    UserId::parse("test_user").unwrap()
}
