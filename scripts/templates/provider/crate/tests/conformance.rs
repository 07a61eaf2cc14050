//! __Name__ passes the checks every provider passes, on its wire format.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use integration_core::Integration;
use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};
use provider_conformance::{ACCESS_TOKEN, CLIENT_SECRET, Fixtures, REFRESH_TOKEN, REFRESHED_TOKEN};
use serde_json::{Value, json};
use url::Url;

/// __Name__ as a server builds it, every URL under `base`.
fn build(base: &Url) -> Arc<dyn Integration> {
    let at = |p: &str| base.join(p).expect("url").to_string();
    let vars = HashMap::from([
        ("__NAME___CLIENT_ID".to_owned(), "client-1".to_owned()),
        ("__NAME___CLIENT_SECRET".to_owned(), CLIENT_SECRET.to_owned()),
        ("__NAME___REDIRECT_URI".to_owned(), "http://127.0.0.1:9/cb".to_owned()),
        ("__NAME___AUTH_URL".to_owned(), at("oauth/authorize")),
        ("__NAME___TOKEN_URL".to_owned(), at("oauth/token")),
        ("__NAME___API_BASE_URL".to_owned(), at("v1")),
    ]);
    let Ok(Configured::Live(settings)) = ProviderSettings::from_vars("__name__", &vars) else {
        panic!("live settings");
    };
    let client = http::client(Duration::from_secs(5), "__name__-tests");
    ProviderFactory::build(&__name__::FACTORY, &settings, client).expect("builds")
}

fn token(access: &str) -> Value {
    json!({"access_token": access, "refresh_token": REFRESH_TOKEN, "token_type": "bearer",
           "expires_in": 3600, "scope": "records:read", "account_id": "acct-1"})
}

fn record(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "created_at": "2024-01-02T03:04:05Z"})
}

fn fixtures() -> Fixtures {
    Fixtures {
        build,
        token_path: "/oauth/token",
        token_response: token(ACCESS_TOKEN),
        refreshed_response: Some(token(REFRESHED_TOKEN)),
        list: ("GET", "/v1/records"),
        pages: [
            json!({"records": [record("r1", "One"), record("r2", "Two")], "next_cursor": "c2"}),
            json!({"records": [record("r3", "Three")], "next_cursor": null}),
        ],
        items_per_page: [2, 1],
        rejected_refresh: json!({"error": "invalid_grant", "error_description": "bad token {secret}"}),
        rejected_code: json!({"error": "invalid_grant", "error_description": "code {secret} is not valid"}),
        api_base_field: None,
    }
}

provider_conformance::provider_conformance_tests!(fixtures);
