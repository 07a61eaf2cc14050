//! Schema fidelity: real sandbox answers parsed into HubSpot's published schemas.
//!
//! The spec files are HubSpot's (github.com/HubSpot/HubSpot-public-api-spec-collection) and are
//! not vendored; the schemas below are transcribed from them by hand, each naming its source:
//!
//! - OAUTH_2026_03 = `PublicApiSpecs/Auth/Oauth/Rollouts/279897/2026-03/oauth.json`
//! - OAUTH_V1 = `PublicApiSpecs/Auth/Oauth/Rollouts/155908/v1/oauth.json`
//! - CRM_OBJECTS = `PublicApiSpecs/CRM/Objects/Rollouts/424/2026-03/objects.json`
//!
//! A required property is a non-`Option` field (serde fails when it is missing); an optional one
//! is an `Option`. Integer formats are the spec's (`int32` → `i32`, so an id that overflowed
//! would fail). The specs never set `additionalProperties: false`, but where HubSpot's answer is
//! fully described we also `deny_unknown_fields`, so the sandbox cannot drift into sending
//! fields HubSpot does not document.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hubspot_sandbox::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Faults};
use reqwest::{Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::helpers::{SCOPES, spawn_default};

/// OAUTH_2026_03 and OAUTH_V1 `#/components/schemas/AccessTokenResponse` (the
/// authorization-code/refresh branch of `TokenResponseIF`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct AccessTokenResponse {
    access_token: String,
    expires_in: i64,
    refresh_token: String,
    token_type: String,
    token_use: AccessTokenUse,
    hub_id: Option<i32>,
    id_token: Option<String>,
    scopes: Option<Vec<String>>,
    user_id: Option<i32>,
}

/// `token_use` enum `["access_token"]`.
#[derive(Debug, Deserialize)]
enum AccessTokenUse {
    #[serde(rename = "access_token")]
    AccessToken,
}

/// `token_use` enum `["refresh_token"]`.
#[derive(Debug, Deserialize)]
enum RefreshTokenUse {
    #[serde(rename = "refresh_token")]
    RefreshToken,
}

/// OAUTH_2026_03 `#/components/schemas/PublicAccessTokenInfoResponse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct PublicAccessTokenInfoResponse {
    active: bool,
    app_id: i32,
    client_id: String,
    expires_in: i64,
    hub_id: i32,
    is_private_distribution: bool,
    scopes: Vec<String>,
    signed_access_token: SignedAccessToken,
    token: String,
    token_type: String,
    token_use: AccessTokenUse,
    user_id: i32,
    hub_domain: Option<String>,
    user: Option<String>,
}

/// OAUTH_2026_03 `#/components/schemas/SignedAccessToken` (every property required).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct SignedAccessToken {
    app_id: i32,
    app_install_id: String,
    audience: String,
    expires_at: i64,
    hub_id: i32,
    hublet: String,
    installing_user_id: i32,
    is_private_distribution: bool,
    is_service_account: bool,
    is_user_level: bool,
    new_signature: String,
    scope_to_scope_group_pks: String,
    scopes: String,
    signature: String,
    trial_scope_to_scope_group_pks: String,
    trial_scopes: String,
    user_id: i32,
}

/// OAUTH_2026_03 `#/components/schemas/PublicRefreshTokenInfoResponse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct PublicRefreshTokenInfoResponse {
    active: bool,
    app_id: i32,
    client_id: String,
    hub_id: i32,
    scopes: Vec<String>,
    token: String,
    token_type: String,
    token_use: RefreshTokenUse,
    user_id: i32,
    hub_domain: Option<String>,
    user: Option<String>,
}

/// Not in the spec (its `TokenInfoResponseBaseIF` has no inactive branch): RFC 7662 §2.2's
/// answer for a token that is not active, exactly `{"active": false}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InactiveToken {
    active: bool,
}

/// OAUTH_V1 `#/components/schemas/AccessTokenInfoResponse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct V1AccessTokenInfoResponse {
    app_id: i32,
    expires_in: i64,
    hub_id: i32,
    scopes: Vec<String>,
    token: String,
    token_type: String,
    user_id: i32,
    hub_domain: Option<String>,
    is_private_distribution: Option<bool>,
    signed_access_token: Option<SignedAccessToken>,
    user: Option<String>,
}

/// OAUTH_V1 `#/components/schemas/RefreshTokenInfoResponse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct V1RefreshTokenInfoResponse {
    client_id: String,
    hub_id: i32,
    scopes: Vec<String>,
    token: String,
    token_type: String,
    user_id: i32,
    hub_domain: Option<String>,
    user: Option<String>,
}

/// `#/components/schemas/Error`, identical in OAUTH_2026_03, OAUTH_V1 and CRM_OBJECTS. Open:
/// HubSpot adds `status` and, on OAuth, the RFC 6749 fields.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct Error {
    category: String,
    correlation_id: String,
    message: String,
    context: Option<HashMap<String, Vec<String>>>,
    errors: Option<Vec<ErrorDetail>>,
    links: Option<HashMap<String, String>>,
    sub_category: Option<String>,
}

/// `#/components/schemas/ErrorDetail`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct ErrorDetail {
    message: String,
    code: Option<String>,
    context: Option<HashMap<String, Vec<String>>>,
    #[serde(rename = "in")]
    in_: Option<String>,
    sub_category: Option<String>,
}

/// HubSpot changelog "New OAuth v3 API endpoints and standardized error responses": OAuth
/// errors (v1 and versioned) carry RFC 6749 `error`/`error_description` beside the legacy
/// `status`/`message`.
#[derive(Debug, Deserialize)]
struct OAuthErrorFields {
    error: String,
    #[expect(dead_code, reason = "type-checked only")]
    error_description: String,
    #[expect(dead_code, reason = "type-checked only")]
    status: String,
}

/// CRM_OBJECTS `#/components/schemas/CollectionResponseSimplePublicObjectWithAssociationsForwardPaging`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectPage {
    results: Vec<SimplePublicObjectWithAssociations>,
    paging: Option<ForwardPaging>,
}

/// CRM_OBJECTS `#/components/schemas/SimplePublicObjectWithAssociations`. The spec types
/// property values as `string`; HubSpot (and the sandbox) send `null` for a requested
/// property without a value, hence `Option<String>`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct SimplePublicObjectWithAssociations {
    archived: bool,
    created_at: DateTime<Utc>,
    id: String,
    properties: HashMap<String, Option<String>>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
    associations: Option<Value>,
    object_write_trace_id: Option<String>,
    properties_with_history: Option<Value>,
    url: Option<String>,
    warnings: Option<Vec<Value>>,
}

/// CRM_OBJECTS `#/components/schemas/CollectionResponseWithTotalSimplePublicObject` (the search
/// answer; its `paging` is the spec's `Paging`, of which the sandbox sends only `next`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchPage {
    total: i32,
    results: Vec<SimplePublicObject>,
    paging: Option<ForwardPaging>,
}

/// CRM_OBJECTS `#/components/schemas/SimplePublicObject`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct SimplePublicObject {
    archived: bool,
    created_at: DateTime<Utc>,
    id: String,
    properties: HashMap<String, Option<String>>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
    object_write_trace_id: Option<String>,
    properties_with_history: Option<Value>,
    url: Option<String>,
    warnings: Option<Vec<Value>>,
}

/// CRM_OBJECTS `#/components/schemas/ForwardPaging`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardPaging {
    next: Option<NextPage>,
}

/// CRM_OBJECTS `#/components/schemas/NextPage`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "fields exist to be type-checked")]
struct NextPage {
    after: String,
    link: Option<String>,
}

async fn parse<T: DeserializeOwned>(response: Response, status: StatusCode) -> (T, Value) {
    assert_eq!(response.status(), status);
    let value: Value = response.json().await.expect("json body");
    let typed = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
        panic!(
            "{} does not match the schema: {e}\n{value}",
            std::any::type_name::<T>()
        )
    });
    (typed, value)
}

/// The spec's `Error`, with `correlationId` in its declared `uuid` format.
async fn parse_error(response: Response, status: StatusCode) -> (Error, Value) {
    let (error, value): (Error, Value) = parse(response, status).await;
    assert!(
        uuid::Uuid::parse_str(&error.correlation_id).is_ok(),
        "correlationId is not a uuid: {value}"
    );
    (error, value)
}

async fn parse_oauth_error(response: Response, status: StatusCode) -> String {
    let (_, value) = parse_error(response, status).await;
    let fields: OAuthErrorFields = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("OAuth error fields missing: {e}\n{value}"));
    fields.error
}

#[tokio::test]
async fn token_answers_match_access_token_response_on_both_versions() {
    let app = spawn_default().await;
    let code = app.approve(SCOPES).await;
    let (tokens, _): (AccessTokenResponse, _) =
        parse(app.exchange_2026(&code, None).await, StatusCode::OK).await;
    let (_, _): (AccessTokenResponse, _) = parse(
        app.refresh_2026(&tokens.refresh_token).await,
        StatusCode::OK,
    )
    .await;
    let code = app.approve(SCOPES).await;
    let (v1, _): (AccessTokenResponse, _) = parse(app.exchange(&code).await, StatusCode::OK).await;
    let (_, _): (AccessTokenResponse, _) =
        parse(app.refresh(&v1.refresh_token).await, StatusCode::OK).await;
}

#[tokio::test]
async fn introspection_matches_the_token_info_schemas() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let (access, _): (PublicAccessTokenInfoResponse, _) = parse(
        app.introspect(&tokens.access_token, None).await,
        StatusCode::OK,
    )
    .await;
    assert!(access.active);
    let (refresh, _): (PublicRefreshTokenInfoResponse, _) = parse(
        app.introspect(&tokens.refresh_token, None).await,
        StatusCode::OK,
    )
    .await;
    assert!(refresh.active);
    let (inactive, _): (InactiveToken, _) =
        parse(app.introspect("nope", None).await, StatusCode::OK).await;
    assert!(!inactive.active);
}

#[tokio::test]
async fn v1_metadata_matches_the_v1_schemas() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let response = app
        .http
        .get(app.url(&format!("/oauth/v1/access-tokens/{}", tokens.access_token)))
        .send()
        .await
        .unwrap();
    let (_, _): (V1AccessTokenInfoResponse, _) = parse(response, StatusCode::OK).await;
    let response = app
        .http
        .get(app.url(&format!(
            "/oauth/v1/refresh-tokens/{}",
            tokens.refresh_token
        )))
        .send()
        .await
        .unwrap();
    let (_, _): (V1RefreshTokenInfoResponse, _) = parse(response, StatusCode::OK).await;
}

#[tokio::test]
async fn oauth_errors_match_the_error_schema_and_rfc_6749() {
    let app = spawn_default().await;
    let bad_refresh =
        parse_oauth_error(app.refresh_2026("na1-x").await, StatusCode::BAD_REQUEST).await;
    assert_eq!(bad_refresh, "invalid_grant");
    let v1 = parse_oauth_error(app.refresh("na1-x").await, StatusCode::BAD_REQUEST).await;
    assert_eq!(v1, "invalid_grant");
    let revoke = app
        .post_form(
            "/oauth/2026-03/token/revoke",
            &[
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", "no"),
                ("token", "t"),
            ],
        )
        .await;
    assert_eq!(
        parse_oauth_error(revoke, StatusCode::BAD_REQUEST).await,
        "invalid_client"
    );
    let introspect = app
        .http
        .post(app.url("/oauth/2026-03/token/introspect"))
        .body(format!(
            "client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        parse_oauth_error(introspect, StatusCode::UNSUPPORTED_MEDIA_TYPE).await,
        "invalid_request"
    );
    let revoke_ok = app.revoke_2026("na1-x").await;
    assert_eq!(revoke_ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn crm_pages_and_errors_match_the_crm_objects_schemas() {
    let app = spawn_default().await;
    let tokens = app.tokens().await;
    let (page, _): (ObjectPage, _) = parse(
        app.list("contacts", Some(&tokens.access_token), &[("limit", "2")])
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.results.len(), 2);
    assert!(page.paging.and_then(|p| p.next).is_some());
    let (_, _): (ObjectPage, _) = parse(
        app.list(
            "deals",
            Some(&tokens.access_token),
            &[("properties", "dealname,nonexistent,closedate")],
        )
        .await,
        StatusCode::OK,
    )
    .await;

    parse_error(
        app.list("contacts", None, &[]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    parse_error(
        app.list("widgets", Some(&tokens.access_token), &[]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    parse_error(
        app.list("contacts", Some(&tokens.access_token), &[("limit", "0")])
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let narrow = app.tokens_with("oauth").await;
    let (missing, _) = parse_error(
        app.list("contacts", Some(&narrow.access_token), &[]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(missing.errors.is_some_and(|e| !e.is_empty()));

    app.sandbox.set_faults(Faults {
        rate_limit_next: 1,
        ..Faults::default()
    });
    let (limited, _) = parse_error(
        app.list("contacts", Some(&tokens.access_token), &[]).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    assert_eq!(limited.category, "RATE_LIMITS");

    app.sandbox.expire_access_tokens();
    let (expired, _) = parse_error(
        app.list("contacts", Some(&tokens.access_token), &[]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(
        expired
            .context
            .is_some_and(|c| c.contains_key("expire time"))
    );
    parse_error(
        app.http.get(app.url("/nope")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// The transcribed types themselves reject what the spec rejects, so the checks above can fail.
#[test]
fn transcribed_schemas_reject_nonconforming_bodies() {
    let good = serde_json::json!({
        "access_token": "a", "expires_in": 1800, "refresh_token": "r",
        "token_type": "bearer", "token_use": "access_token", "hub_id": 1, "user_id": 2, "scopes": ["oauth"]
    });
    assert!(serde_json::from_value::<AccessTokenResponse>(good.clone()).is_ok());
    let mut no_use = good.clone();
    no_use.as_object_mut().unwrap().remove("token_use");
    assert!(serde_json::from_value::<AccessTokenResponse>(no_use).is_err());
    let mut wrong_use = good.clone();
    wrong_use["token_use"] = "refresh_token".into();
    assert!(serde_json::from_value::<AccessTokenResponse>(wrong_use).is_err());
    let mut extra = good.clone();
    extra["surprise"] = 1.into();
    assert!(serde_json::from_value::<AccessTokenResponse>(extra).is_err());
    let mut too_big = good;
    too_big["hub_id"] = (i64::from(i32::MAX) + 1).into();
    assert!(serde_json::from_value::<AccessTokenResponse>(too_big).is_err());

    let no_category = serde_json::json!({"status": "error", "message": "m", "correlationId": "c"});
    assert!(serde_json::from_value::<Error>(no_category).is_err());
    let bad_date = serde_json::json!({"results": [{"id": "1", "properties": {}, "archived": false,
        "createdAt": "yesterday", "updatedAt": "2024-01-01T00:00:00Z"}]});
    assert!(serde_json::from_value::<ObjectPage>(bad_date).is_err());
    assert!(
        serde_json::from_value::<InactiveToken>(serde_json::json!({"active": false, "x": 1}))
            .is_err()
    );
}

#[tokio::test]
async fn search_answers_archived_listings_and_their_errors_match_the_crm_objects_schemas() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let body = serde_json::json!({
        "filterGroups": [{"filters": [
            {"propertyName": "lastmodifieddate", "operator": "GT", "value": "0"}
        ]}],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
        "properties": ["email", "phone", "nonexistent"],
        "limit": 3,
    });
    let (page, _): (SearchPage, _) = parse(
        app.search("contacts", Some(&token), &body).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((page.total, page.results.len()), (250, 3));
    assert!(page.paging.and_then(|p| p.next).is_some());

    app.sandbox.archive_records(
        hubspot_sandbox::ObjectType::Companies,
        hubspot_sandbox::Pick::Count(2),
    );
    let (archived, _): (ObjectPage, _) = parse(
        app.list("companies", Some(&token), &[("archived", "true")])
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(archived.results.len(), 2);
    assert!(
        archived
            .results
            .iter()
            .all(|r| r.archived && r.archived_at.is_some())
    );

    for bad in [
        serde_json::json!({"after": "10000"}),
        serde_json::json!({"after": app.sandbox.search_cursor(hubspot_sandbox::ObjectType::Contacts, 10_000)}),
        serde_json::json!({"limit": 500}),
    ] {
        parse_error(
            app.search("contacts", Some(&token), &bad).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

/// Every seeded variation still matches the transcribed schemas: optional fields missing,
/// `id_token`, `url`, opaque cursors, relative links, any timestamp precision, minimal errors.
#[tokio::test]
async fn seeded_contract_answers_still_match_the_schemas() {
    for seed in 0..4 {
        let app = crate::helpers::spawn(hubspot_sandbox::SandboxConfig {
            rate_limit: None,
            search_rate_limit: None,
            hublet: (seed % 2 == 1).then(|| "eu1".to_owned()),
            ..hubspot_sandbox::SandboxConfig::default().with_contract_seed(seed)
        })
        .await;
        for _ in 0..3 {
            let code = app.approve(SCOPES).await;
            let (tokens, _): (AccessTokenResponse, _) =
                parse(app.exchange_2026(&code, None).await, StatusCode::OK).await;
            let (_, _): (AccessTokenResponse, _) = parse(
                app.refresh_2026(&tokens.refresh_token).await,
                StatusCode::OK,
            )
            .await;
            let (_, _): (PublicAccessTokenInfoResponse, _) = parse(
                app.introspect(&tokens.access_token, None).await,
                StatusCode::OK,
            )
            .await;
            let (_, _): (PublicRefreshTokenInfoResponse, _) = parse(
                app.introspect(&tokens.refresh_token, None).await,
                StatusCode::OK,
            )
            .await;
            let code = app.approve(SCOPES).await;
            let (_, _): (AccessTokenResponse, _) =
                parse(app.exchange(&code).await, StatusCode::OK).await;
            parse_error(app.refresh_2026("na1-gone").await, StatusCode::BAD_REQUEST).await;
            parse_error(app.refresh("na1-gone").await, StatusCode::BAD_REQUEST).await;
        }
        let token = app.tokens().await.access_token;
        app.sandbox.archive_records(
            hubspot_sandbox::ObjectType::Contacts,
            hubspot_sandbox::Pick::Count(12),
        );
        for archived in ["false", "true"] {
            let mut after = String::new();
            loop {
                let mut query = vec![("limit", "50"), ("archived", archived)];
                if !after.is_empty() {
                    query.push(("after", after.as_str()));
                }
                let (page, value): (ObjectPage, _) = parse(
                    app.list("contacts", Some(&token), &query).await,
                    StatusCode::OK,
                )
                .await;
                assert!(!page.results.is_empty(), "{value}");
                match value["paging"]["next"]["after"].as_str() {
                    Some(next) => after = next.to_owned(),
                    None => break,
                }
            }
        }
        let (_, value): (SearchPage, _) = parse(
            app.search("deals", Some(&token), &serde_json::json!({"limit": 20}))
                .await,
            StatusCode::OK,
        )
        .await;
        let after = value["paging"]["next"]["after"].clone();
        let (_, _): (SearchPage, _) = parse(
            app.search(
                "deals",
                Some(&token),
                &serde_json::json!({"limit": 20, "after": after}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let narrow = app.tokens_with("oauth").await.access_token;
        for _ in 0..3 {
            parse_error(
                app.list("contacts", Some(&narrow), &[]).await,
                StatusCode::FORBIDDEN,
            )
            .await;
            parse_error(
                app.list("contacts", Some("nope"), &[]).await,
                StatusCode::UNAUTHORIZED,
            )
            .await;
            parse_error(
                app.list("contacts", Some(&token), &[("after", "MTA=")])
                    .await,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    }
}
