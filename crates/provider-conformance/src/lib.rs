#![doc = include_str!("../README.md")]
//! The behaviour every provider must have, as test functions each provider crate runs against
//! its own wire fixtures (add this crate to `[dev-dependencies]`).
//!
//! A provider supplies a [`Fixtures`]: how to build it against a base URL, where its token and
//! list endpoints are, and the bodies its API answers with. [`provider_conformance_tests!`]
//! turns every check into a `#[tokio::test]` run against a wiremock server:
//!
//! ```ignore
//! fn fixtures() -> provider_conformance::Fixtures { /* … */ }
//! provider_conformance::provider_conformance_tests!(fixtures);
//! ```
//!
//! The checks: the token response becomes credentials and no token shows in `Debug`; a listing
//! is followed to its end with one request per page; 401 is `Unauthorized`, and through the
//! connector a 401 causes exactly one refresh and one retry (or asks to reconnect when the
//! provider cannot refresh); 429 carries `Retry-After`; a refused refresh asks to reconnect; no
//! secret we sent (client secret, code, tokens) appears in any error text. A provider whose API
//! host comes from the grant ([`Fixtures::api_base_field`]) is listed on the host its grant
//! names, and refuses a grant naming another.
#![warn(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use integration_core::{
    AuthorizationCode, Connector, ConnectorOptions, Credentials, Error, ExposeSecret as _,
    Integration, ItemQuery, RetryPolicy, UserId,
};
use serde_json::Value;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The client secret the provider under test must be built with.
pub const CLIENT_SECRET: &str = "conformance-client-SECRET";
/// The access token [`Fixtures::token_response`] must carry.
pub const ACCESS_TOKEN: &str = "conformance-access-SECRET";
/// The refresh token [`Fixtures::token_response`] must carry, when the provider refreshes.
pub const REFRESH_TOKEN: &str = "conformance-refresh-SECRET";
/// The access token a refresh must yield (see [`Fixtures::refreshed_response`]).
pub const REFRESHED_TOKEN: &str = "conformance-refreshed-SECRET";
/// The authorization code the checks exchange.
pub const CODE: &str = "conformance-code-SECRET";

/// What a provider supplies to be checked.
pub struct Fixtures {
    /// The provider with client secret [`CLIENT_SECRET`], every endpoint under `base`.
    pub build: fn(&Url) -> Arc<dyn Integration>,
    /// Path of the token endpoint under `base`.
    pub token_path: &'static str,
    /// A 200 token response granting [`ACCESS_TOKEN`] (and [`REFRESH_TOKEN`] if it refreshes).
    pub token_response: Value,
    /// A 200 refresh response granting [`REFRESHED_TOKEN`]; `None` if the provider cannot refresh.
    pub refreshed_response: Option<Value>,
    /// HTTP method and path (under `base`) of the listing a default query makes.
    pub list: (&'static str, &'static str),
    /// Two pages of the default listing: the first must link to the second, which must end it.
    pub pages: [Value; 2],
    /// How many items each page yields.
    pub items_per_page: [usize; 2],
    /// A 400 body of the token endpoint refusing a refresh token for good.
    pub rejected_refresh: Value,
    /// A 400 body of the token endpoint refusing a code, echoing a secret in its message
    /// (`{secret}` is replaced by the client secret and the code).
    pub rejected_code: Value,
    /// For a provider whose API host comes from the grant (`OAuthSpec::api_base`): the token
    /// response field naming it (`instance_url`). The checks then put the account's root,
    /// [`ACCOUNT_PATH`] under the mock server, in every token response and serve the listing
    /// there only, and check that a grant naming another host is refused. `None`: one host.
    pub api_base_field: Option<&'static str>,
}

/// Where, under the mock server, the account's own API root is when
/// [`Fixtures::api_base_field`] is set.
pub const ACCOUNT_PATH: &str = "/account-api";

impl std::fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixtures")
            .field("token_path", &self.token_path)
            .field("list", &self.list)
            .finish_non_exhaustive()
    }
}

fn user() -> UserId {
    UserId::parse("conformance-user").expect("valid user id")
}

/// `body` (a token response) naming the account's API root, when the provider learns it from
/// the grant.
fn naming_api_base(fixtures: &Fixtures, server: &MockServer, body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(field) = fixtures.api_base_field {
        body[field] = format!("{}{ACCOUNT_PATH}", server.uri()).into();
    }
    body
}

/// Where the listing is served: under the account's root when the grant names one.
fn list_path(fixtures: &Fixtures) -> String {
    let (_, list) = fixtures.list;
    match fixtures.api_base_field {
        Some(_) => format!("{ACCOUNT_PATH}{list}"),
        None => list.to_owned(),
    }
}

/// The fixtures' token response turned into credentials that are still valid.
async fn connected(fixtures: &Fixtures, server: &MockServer) -> Credentials {
    let answer = naming_api_base(fixtures, server, &fixtures.token_response);
    Mock::given(method("POST"))
        .and(path(fixtures.token_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .up_to_n_times(1)
        .mount(server)
        .await;
    let provider = (fixtures.build)(&base(server));
    let code = AuthorizationCode::parse(CODE).expect("code");
    provider
        .exchange_code(&code, "https://app.example/callback", None)
        .await
        .expect("the token response is understood")
}

fn base(server: &MockServer) -> Url {
    Url::parse(&server.uri()).expect("mock server URL")
}

fn text_of(error: &Error) -> String {
    format!("{error} {error:?}")
}

fn assert_no_secret(text: &str) {
    for secret in [
        CLIENT_SECRET,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        REFRESHED_TOKEN,
        CODE,
    ] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
}

/// The token response becomes credentials; no token shows in their `Debug`.
pub async fn code_exchange_yields_credentials(fixtures: Fixtures) {
    let server = MockServer::start().await;
    let credentials = connected(&fixtures, &server).await;
    assert_eq!(credentials.access_token.expose_secret(), ACCESS_TOKEN);
    if fixtures.refreshed_response.is_some() {
        assert_eq!(
            credentials
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret()),
            Some(REFRESH_TOKEN)
        );
    }
    assert_no_secret(&format!("{credentials:?}"));
    if fixtures.api_base_field.is_some() {
        assert_eq!(
            credentials.api_base.as_ref().map(Url::as_str),
            Some(format!("{}{ACCOUNT_PATH}", server.uri()).as_str()),
            "the grant's API root is kept"
        );
    }
    let sent = &server.received_requests().await.expect("recorded")[0];
    assert!(
        !sent.url.as_str().contains(CODE) && !sent.url.as_str().contains(CLIENT_SECRET),
        "secrets belong in the body, not the URL"
    );
}

/// A refused code is an error whose text holds none of what we sent.
pub async fn a_refused_code_leaks_no_secret(fixtures: Fixtures) {
    let server = MockServer::start().await;
    let body = fixtures
        .rejected_code
        .to_string()
        .replace("{secret}", &format!("{CLIENT_SECRET} {CODE}"));
    Mock::given(method("POST"))
        .and(path(fixtures.token_path))
        .respond_with(ResponseTemplate::new(400).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let provider = (fixtures.build)(&base(&server));
    let code = AuthorizationCode::parse(CODE).expect("code");
    let error = provider
        .exchange_code(&code, "https://app.example/callback", None)
        .await
        .expect_err("a refused code is an error");
    assert!(
        matches!(error, Error::Rejected { .. } | Error::Config(_)),
        "{error:?}"
    );
    assert_no_secret(&text_of(&error));
}

/// Following `next_cursor` reaches the end with one request per page. A next page may be the
/// listing's path or a path below it (Salesforce's `nextRecordsUrl`, `…/query/{locator}`).
pub async fn listing_is_followed_to_the_end(fixtures: Fixtures) {
    let server = MockServer::start().await;
    let credentials = connected(&fixtures, &server).await;
    let (verb, list_path) = (fixtures.list.0, list_path(&fixtures));
    Mock::given(method(verb))
        .and(AtOrBelow(list_path.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&fixtures.pages[0]))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method(verb))
        .and(AtOrBelow(list_path.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&fixtures.pages[1]))
        .with_priority(2)
        .mount(&server)
        .await;
    let provider = (fixtures.build)(&base(&server));
    let first = provider
        .list_items(&credentials, &ItemQuery::new())
        .await
        .expect("first page");
    assert_eq!(first.items.len(), fixtures.items_per_page[0]);
    let cursor = first.next_cursor.expect("the first page links to the next");
    assert!(
        provider.accepts_cursor(&cursor),
        "its own cursor is accepted"
    );
    let second = provider
        .list_items(&credentials, &ItemQuery::new().after(Some(cursor)))
        .await
        .expect("second page");
    assert_eq!(second.items.len(), fixtures.items_per_page[1]);
    assert!(
        second.next_cursor.is_none(),
        "the second page ends the listing"
    );
    for item in first.items.iter().chain(&second.items) {
        assert!(!item.id.is_empty() && !item.title.is_empty(), "{item:?}");
    }
    let listed = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r: &&Request| at_or_below(r.url.path(), &list_path))
        .count();
    assert_eq!(listed, 2, "one request per page");
}

/// Requests for a path or one below it.
struct AtOrBelow(String);

impl wiremock::Match for AtOrBelow {
    fn matches(&self, request: &Request) -> bool {
        at_or_below(request.url.path(), &self.0)
    }
}

fn at_or_below(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// 401 is `Unauthorized`; 429 carries `Retry-After`; 5xx is `Upstream`.
pub async fn statuses_map_to_the_semantic_errors(fixtures: Fixtures) {
    let (verb, list_path) = (fixtures.list.0, list_path(&fixtures));
    for (status, header) in [(401, None), (429, Some("7")), (503, None)] {
        let server = MockServer::start().await;
        let credentials = connected(&fixtures, &server).await;
        let mut answer = ResponseTemplate::new(status).set_body_json(serde_json::json!({}));
        if let Some(wait) = header {
            answer = answer.insert_header("Retry-After", wait);
        }
        Mock::given(method(verb))
            .and(path(list_path.as_str()))
            .respond_with(answer)
            .mount(&server)
            .await;
        let provider = (fixtures.build)(&base(&server));
        let error = provider
            .list_items(&credentials, &ItemQuery::new())
            .await
            .expect_err("an error status is an error");
        match status {
            401 => assert!(matches!(error, Error::Unauthorized), "{error:?}"),
            429 => assert!(
                matches!(error, Error::RateLimited { retry_after: Some(w) } if w == Duration::from_secs(7)),
                "{error:?}"
            ),
            _ => assert!(
                matches!(error, Error::Upstream { status: 503 }),
                "{error:?}"
            ),
        }
        assert_no_secret(&text_of(&error));
    }
}

/// Through the connector, a 401 causes exactly one refresh and one retry; a provider that cannot
/// refresh asks the user to reconnect instead.
pub async fn a_401_refreshes_once_and_retries_once(fixtures: Fixtures) {
    let server = MockServer::start().await;
    let credentials = connected(&fixtures, &server).await;
    let (verb, list_path) = (fixtures.list.0, list_path(&fixtures));
    Mock::given(method(verb))
        .and(path(list_path.as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method(verb))
        .and(path(list_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&fixtures.pages[1]))
        .with_priority(2)
        .mount(&server)
        .await;
    if let Some(refreshed) = &fixtures.refreshed_response {
        let refreshed = naming_api_base(&fixtures, &server, refreshed);
        Mock::given(method("POST"))
            .and(path(fixtures.token_path))
            .respond_with(ResponseTemplate::new(200).set_body_json(refreshed))
            .with_priority(3)
            .mount(&server)
            .await;
    }
    let store = Arc::new(token_store::MemoryTokenStore::new());
    let provider = (fixtures.build)(&base(&server));
    let id = provider.id();
    integration_core::CredentialStore::save(&*store, id, &user(), &credentials)
        .await
        .expect("seed");
    let connector = Connector::with_options(
        provider,
        store,
        ConnectorOptions {
            retry: RetryPolicy::none(),
            ..ConnectorOptions::default()
        },
    );
    let result = connector.items(&user(), &ItemQuery::new()).await;
    let token_calls = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.url.path() == fixtures.token_path)
        .count();
    if fixtures.refreshed_response.is_some() {
        let page = result.expect("refreshed and retried");
        assert_eq!(page.items.len(), fixtures.items_per_page[1]);
        assert_eq!(token_calls, 2, "the exchange, then exactly one refresh");
    } else {
        assert!(
            matches!(result, Err(Error::ReauthRequired { .. })),
            "{result:?}"
        );
        assert_eq!(token_calls, 1, "no refresh without a refresh token");
    }
}

/// A refresh token refused for good asks the user to reconnect, leaking nothing.
pub async fn a_refused_refresh_asks_to_reconnect(fixtures: Fixtures) {
    if fixtures.refreshed_response.is_none() {
        return;
    }
    let server = MockServer::start().await;
    let credentials = connected(&fixtures, &server).await;
    let body = fixtures
        .rejected_refresh
        .to_string()
        .replace("{secret}", &format!("{CLIENT_SECRET} {REFRESH_TOKEN}"));
    Mock::given(method("POST"))
        .and(path(fixtures.token_path))
        .respond_with(ResponseTemplate::new(400).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let provider = (fixtures.build)(&base(&server));
    let error = provider
        .refresh(&credentials)
        .await
        .expect_err("a refused refresh is an error");
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
    assert_no_secret(&text_of(&error));
}

/// A provider whose API host comes from the grant refuses a grant naming a host it does not
/// declare (the token is never used), and one naming none.
pub async fn an_undeclared_api_host_is_refused(fixtures: Fixtures) {
    let Some(field) = fixtures.api_base_field else {
        return;
    };
    for named in [Some("https://attacker.example"), None] {
        let server = MockServer::start().await;
        let mut answer = fixtures.token_response.clone();
        match named {
            Some(host) => answer[field] = host.into(),
            None => {
                answer.as_object_mut().map(|o| o.remove(field));
            }
        }
        Mock::given(method("POST"))
            .and(path(fixtures.token_path))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(&server)
            .await;
        let provider = (fixtures.build)(&base(&server));
        let code = AuthorizationCode::parse(CODE).expect("code");
        let error = provider
            .exchange_code(&code, "https://app.example/callback", None)
            .await
            .expect_err("an undeclared API host is refused");
        assert!(matches!(error, Error::InvalidResponse(_)), "{error:?}");
        assert_no_secret(&text_of(&error));
        assert!(!text_of(&error).contains("attacker"), "{error:?}");
    }
}

/// Generates one `#[tokio::test]` per check; `$fixtures` is a `fn() -> Fixtures`.
#[macro_export]
macro_rules! provider_conformance_tests {
    ($fixtures:path) => {
        $crate::provider_conformance_tests!(
            $fixtures;
            code_exchange_yields_credentials,
            a_refused_code_leaks_no_secret,
            listing_is_followed_to_the_end,
            statuses_map_to_the_semantic_errors,
            a_401_refreshes_once_and_retries_once,
            a_refused_refresh_asks_to_reconnect,
            an_undeclared_api_host_is_refused,
        );
    };
    ($fixtures:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::$case($fixtures()).await;
            }
        )+
    };
}
