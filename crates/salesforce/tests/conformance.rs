//! Salesforce passes the checks every provider passes, on the API host its grant names.

mod common;

use std::sync::Arc;

use integration_core::Integration;
use provider_conformance::{ACCESS_TOKEN, Fixtures, REFRESH_TOKEN, REFRESHED_TOKEN};
use serde_json::{Value, json};
use url::Url;

fn build(base: &Url) -> Arc<dyn Integration> {
    let at = |p: &str| base.join(p).expect("url").to_string();
    common::salesforce(&[
        ("auth", at("services/oauth2/authorize")),
        ("token", at("services/oauth2/token")),
        // The one allowed root: conformance names `{mock}/account-api` in its token answers.
        ("api_base", base.to_string()),
    ])
}

/// Salesforce's token answer: no `expires_in`; `instance_url` is added by the checks. A refresh
/// answer has no refresh token (Salesforce reuses it).
fn token(access: &str, refresh: Option<&str>) -> Value {
    let mut answer = json!({"access_token": access, "signature": "0CmxinZir53Yex7nE0TD+zMpvIWYGb/bdJh6XfOH6EQ=",
        "scope": "refresh_token api", "token_type": "Bearer", "issued_at": "1278448101416",
        "id": "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001Sv6AAAS"});
    if let Some(refresh) = refresh {
        answer["refresh_token"] = refresh.into();
    }
    answer
}

fn contact(id: &str, name: &str) -> Value {
    json!({"attributes": {"type": "Contact", "url": format!("/services/data/v60.0/sobjects/Contact/{id}")},
        "Id": id, "Name": name, "Email": null, "CreatedDate": "2024-01-15T10:30:00.000+0000",
        "LastModifiedDate": "2024-02-01T08:00:00.000+0000"})
}

fn fixtures() -> Fixtures {
    Fixtures {
        build,
        token_path: "/services/oauth2/token",
        token_response: token(ACCESS_TOKEN, Some(REFRESH_TOKEN)),
        refreshed_response: Some(token(REFRESHED_TOKEN, None)),
        list: ("GET", "/services/data/v60.0/query"),
        pages: [
            json!({"totalSize": 3, "done": false,
                   "nextRecordsUrl": "/services/data/v60.0/query/01gD0000002HU6KIAW-2",
                   "records": [contact("003D000000QOq7dIAD", "Ann Lee"),
                               contact("003D000000QOq7eIAD", "Ben Okafor")]}),
            json!({"totalSize": 3, "done": true,
                   "records": [contact("003D000000QOq7fIAD", "Chloé Novak")]}),
        ],
        items_per_page: [2, 1],
        rejected_refresh: json!({"error": "invalid_grant", "error_description": "expired access/refresh token {secret}"}),
        rejected_code: json!({"error": "invalid_grant", "error_description": "authentication failure {secret}"}),
        api_base_field: Some("instance_url"),
    }
}

provider_conformance::provider_conformance_tests!(fixtures);
