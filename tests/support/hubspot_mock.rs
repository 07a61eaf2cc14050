//! HubSpot played by wiremock, answering as HubSpot documents (token endpoint, CRM v3 paging,
//! error bodies), with call counts the tests assert on.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TEST_CLIENT_ID: &str = "test-client-id";
pub const TEST_CLIENT_SECRET: &str = "test-client-secret-DO-NOT-LOG";
pub const HUB_ID: u64 = 62_515;
pub const PORTAL_DOMAIN: &str = "acme-62515.hubspot.com";
pub const PORTAL_USER: &str = "owner@acme.example";

pub struct HubSpotMock {
    pub server: MockServer,
}

impl HubSpotMock {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Server settings that point the app at this mock.
    pub fn env(&self) -> Vec<(String, String)> {
        let base = self.uri();
        [
            ("HUBSPOT_CLIENT_ID", TEST_CLIENT_ID.to_owned()),
            ("HUBSPOT_CLIENT_SECRET", TEST_CLIENT_SECRET.to_owned()),
            ("HUBSPOT_AUTH_URL", format!("{base}/oauth/authorize")),
            ("HUBSPOT_TOKEN_URL", format!("{base}/oauth/2026-03/token")),
            ("HUBSPOT_API_BASE_URL", base.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The authorization-code grant for `code` yields `access`/`refresh`.
    pub async fn code_exchange(&self, code: &str, access: &str, refresh: &str) {
        self.code_exchange_with_lifetime(code, access, refresh, 1800)
            .await;
    }

    /// Any other code is refused as HubSpot refuses it.
    pub async fn bad_codes(&self) {
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token"))
            .and(body_string_contains("grant_type=authorization_code"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "status": "BAD_AUTH_CODE",
                "message": "missing or unknown auth code",
                "correlationId": "5d0f1a0c-0000-4000-8000-000000000001"
            })))
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// The refresh grant yields `access`; fails the test on drop unless called exactly `times`.
    pub async fn refresh(&self, access: &str, times: u64, delay: Duration) {
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token"))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(token_response(access, "refresh-1", 1800).set_delay(delay))
            .expect(times)
            .named("refresh grant")
            .mount(&self.server)
            .await;
    }

    /// The refresh grant is rejected for good.
    pub async fn refresh_rejected(&self) {
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token"))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or invalid refresh token",
                "correlationId": "5d0f1a0c-0000-4000-8000-000000000002"
            })))
            .expect(1)
            .mount(&self.server)
            .await;
    }

    /// `total` contacts, paged as CRM v3 pages them, for requests bearing `token`.
    pub async fn contacts(&self, total: usize, token: &str) {
        Mock::given(method("GET"))
            .and(path("/crm/v3/objects/contacts"))
            .and(header("authorization", format!("Bearer {token}")))
            .respond_with(ContactPages { total })
            .mount(&self.server)
            .await;
    }

    /// Every contacts request gets `response`.
    pub async fn contacts_answer(&self, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path("/crm/v3/objects/contacts"))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    /// Requests bearing `token` are refused as expired.
    pub async fn token_rejected(&self, token: &str) {
        Mock::given(method("GET"))
            .and(path_regex("^/crm/v3/objects/"))
            .and(header("authorization", format!("Bearer {token}")))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "status": "error",
                "message": "The OAuth token used to make this call expired 2 minute(s) ago.",
                "correlationId": "5d0f1a0c-0000-4000-8000-000000000003",
                "category": "EXPIRED_AUTHENTICATION"
            })))
            .mount(&self.server)
            .await;
    }

    /// Counts of requests received by path.
    pub async fn calls_to(&self, wanted_path: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == wanted_path)
            .count()
    }
}

impl HubSpotMock {
    /// Like [`code_exchange`](Self::code_exchange), but the access token lives `expires_in`
    /// seconds.
    pub async fn code_exchange_with_lifetime(
        &self,
        code: &str,
        access: &str,
        refresh: &str,
        expires_in: u64,
    ) {
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token"))
            .and(body_string_contains("grant_type=authorization_code"))
            .and(body_string_contains(format!("code={code}")))
            .respond_with(token_response(access, refresh, expires_in))
            .mount(&self.server)
            .await;
        // Introspection at connect time: the portal's domain and the installing user.
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token/introspect"))
            .and(body_string_contains(format!("token={access}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "active": true,
                "token_use": "access_token",
                "hub_id": HUB_ID,
                "hub_domain": PORTAL_DOMAIN,
                "user": PORTAL_USER,
                "scopes": ["crm.objects.contacts.read", "oauth"],
            })))
            .mount(&self.server)
            .await;
    }

    /// Revocation succeeds for any token (assert on [`requests_to`](Self::requests_to)).
    pub async fn revoke_accepted(&self) {
        Mock::given(method("POST"))
            .and(path("/oauth/2026-03/token/revoke"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&self.server)
            .await;
    }

    /// The requests received at `wanted_path`, in order.
    pub async fn requests_to(&self, wanted_path: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == wanted_path)
            .collect()
    }
}

pub fn token_response(access: &str, refresh: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": expires_in,
        "hub_id": HUB_ID,
        "user_id": 777,
        "scopes": ["crm.objects.contacts.read", "oauth"]
    }))
}

/// Serves `/crm/v3/objects/contacts?limit&after` over `total` numbered contacts.
pub struct ContactPages {
    pub total: usize,
}

impl Respond for ContactPages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let param = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
        if limit > 100 {
            return ResponseTemplate::new(400).set_body_json(json!({
                "status": "error", "message": "limit must be at most 100", "category": "VALIDATION_ERROR"
            }));
        }
        let start: usize = param("after").and_then(|a| a.parse().ok()).unwrap_or(0);
        let end = (start + limit).min(self.total);
        let results: Vec<_> = (start..end)
            .map(|i| {
                let id = 1000 + i;
                json!({
                    "id": id.to_string(),
                    "properties": {
                        "firstname": format!("First{i}"),
                        "lastname": format!("Last{i}"),
                        "email": format!("person{i}@example.com"),
                        "hs_object_id": id.to_string()
                    },
                    "createdAt": "2024-01-02T03:04:05.000Z",
                    "updatedAt": "2024-02-03T04:05:06.000Z",
                    "archived": false
                })
            })
            .collect();
        let mut body = json!({ "results": results });
        if end < self.total {
            body["paging"] = json!({ "next": {
                "after": end.to_string(),
                // Deliberately elsewhere: clients must build the next request from `after`.
                "link": "https://api.hubapi.com/do-not-follow"
            }});
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}
