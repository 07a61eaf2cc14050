//! Airtable passes the checks every provider passes.

mod common;

use std::sync::Arc;

use integration_core::Integration;
use provider_conformance::{ACCESS_TOKEN, Fixtures, REFRESH_TOKEN, REFRESHED_TOKEN};
use serde_json::{Value, json};
use url::Url;

fn build(base: &Url) -> Arc<dyn Integration> {
    let at = |p: &str| base.join(p).expect("url").to_string();
    common::airtable(&[
        ("auth", at("oauth2/v1/authorize")),
        ("token", at("oauth2/v1/token")),
        ("api_base", at("v0")),
    ])
}

fn token(access: &str) -> Value {
    json!({"access_token": access, "refresh_token": REFRESH_TOKEN, "token_type": "Bearer",
           "scope": "data.records:read schema.bases:read", "expires_in": 3600,
           "refresh_expires_in": 5_184_000})
}

fn fixtures() -> Fixtures {
    Fixtures {
        build,
        token_path: "/oauth2/v1/token",
        token_response: token(ACCESS_TOKEN),
        refreshed_response: Some(token(REFRESHED_TOKEN)),
        list: ("GET", "/v0/meta/bases"),
        pages: [
            json!({"bases": [{"id": "appA", "name": "CRM", "permissionLevel": "create"},
                             {"id": "appB", "name": "Hiring", "permissionLevel": "read"}],
                   "offset": "itrX/appB"}),
            json!({"bases": [{"id": "appC", "name": "Roadmap", "permissionLevel": "edit"}]}),
        ],
        items_per_page: [2, 1],
        rejected_refresh: json!({"error": "invalid_grant", "error_description": "bad token {secret}"}),
        rejected_code: json!({"error": "invalid_grant", "error_description": "code {secret} is not valid"}),
        api_base_field: None,
    }
}

provider_conformance::provider_conformance_tests!(fixtures);
