//! HubSpot passes the checks every provider passes.

use std::sync::Arc;
use std::time::Duration;

use hubspot::HubSpotConfig;
use integration_core::Integration;
use provider_conformance::{ACCESS_TOKEN, CLIENT_SECRET, Fixtures, REFRESH_TOKEN, REFRESHED_TOKEN};
use serde_json::json;
use url::Url;

fn build(base: &Url) -> Arc<dyn Integration> {
    let config = HubSpotConfig::new("conformance-client", CLIENT_SECRET.to_owned().into())
        .with_base_url(base)
        .expect("base URL");
    Arc::new(hubspot::provider(
        config,
        hubspot::http_client(Duration::from_secs(5)),
    ))
}

fn contact(id: u32) -> serde_json::Value {
    json!({"id": id.to_string(), "properties": {"firstname": "Ada", "lastname": format!("{id}"), "email": format!("{id}@example.com")},
           "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-02T00:00:00Z", "archived": false})
}

fn token(access: &str) -> serde_json::Value {
    json!({"token_type": "bearer", "token_use": "access_token", "access_token": access,
           "refresh_token": REFRESH_TOKEN, "expires_in": 1800, "hub_id": 62515, "user_id": 1,
           "scopes": ["crm.objects.contacts.read", "oauth"]})
}

fn fixtures() -> Fixtures {
    Fixtures {
        build,
        token_path: hubspot::paths::TOKEN_2026_03,
        token_response: token(ACCESS_TOKEN),
        refreshed_response: Some(token(REFRESHED_TOKEN)),
        list: ("GET", "/crm/v3/objects/contacts"),
        pages: [
            // The spec's own example of an `after`: an opaque token, not an id.
            json!({"results": [contact(1), contact(2)], "paging": {"next": {"after": "NTI1Cg%3D%3D", "link": "https://api.hubapi.com/ignored"}}}),
            json!({"results": [contact(3)]}),
        ],
        items_per_page: [2, 1],
        // Only the fields HubSpot's 2026-03 spec requires of an error: nothing says whose fault.
        rejected_refresh: json!({"category": "VALIDATION_ERROR", "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
                                 "message": "missing or invalid refresh token {secret}"}),
        rejected_code: json!({"status": "BAD_AUTH_CODE", "message": "unknown code {secret}",
                              "error": "invalid_grant", "error_description": "{secret}"}),
        api_base_field: None,
    }
}

provider_conformance::provider_conformance_tests!(fixtures);
