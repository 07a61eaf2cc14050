//! The Webhooks Journal (2026-03): a client-credentials token reads every change in order.

use std::time::Duration;

use hubspot_sandbox::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ObjectType, Pick, SandboxConfig};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, assert_api_error, spawn_default, spawn_mounted};

const READ: &str = "developer.webhooks_journal.read";

/// A client-credentials token with `scope`, from the 2026-03 token endpoint.
async fn app_token(sandbox: &TestSandbox, scope: &str) -> String {
    let response = sandbox
        .http
        .post(sandbox.url("/oauth/2026-03/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get(sandbox: &TestSandbox, path: &str, token: &str) -> Response {
    sandbox.get_url(&sandbox.url(path), token).await
}

/// The event in an entry's file (fetched without authorization).
async fn event_of(sandbox: &TestSandbox, entry: &Value) -> Value {
    let url = entry["url"].as_str().unwrap();
    let response = sandbox.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
    serde_json::from_str(text.trim_end()).unwrap()
}

fn check_entry(entry: &Value) {
    let offset = entry["currentOffset"].as_str().unwrap();
    assert!(uuid_like(offset), "{entry}");
    let expires = entry["expiresAt"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(expires).is_ok(),
        "{entry}"
    );
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

/// Changes contacts, companies and deals; the (subscriptionType, objectId) of each change in
/// order.
fn make_changes(sandbox: &TestSandbox) -> Vec<(String, u64)> {
    let s = &sandbox.sandbox;
    let mut expected = Vec::new();
    for id in s.modify_records(ObjectType::Contacts, Pick::Count(3)) {
        expected.push(("contact.propertyChange".to_owned(), id));
    }
    for id in s.archive_records(ObjectType::Companies, Pick::Count(2)) {
        expected.push(("company.deletion".to_owned(), id));
    }
    for id in s.delete_records(ObjectType::Contacts, Pick::Count(1)) {
        expected.push(("contact.privacyDeletion".to_owned(), id));
    }
    for id in s.modify_records(ObjectType::Deals, Pick::Count(2)) {
        expected.push(("deal.propertyChange".to_owned(), id));
    }
    expected
}

#[tokio::test]
async fn an_app_token_reads_every_change_once_in_order_from_earliest_through_next() {
    let sandbox = spawn_default().await;
    let token = app_token(&sandbox, READ).await;
    // Empty journal: nothing yet.
    let response = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/earliest",
        &token,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let expected = make_changes(&sandbox);
    assert_eq!(sandbox.sandbox.journal_len(), expected.len());
    let response = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/earliest",
        &token,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("x-hubspot-ratelimit-max").is_none());
    let mut entry: Value = response.json().await.unwrap();
    let mut seen = Vec::new();
    let mut event_ids = Vec::new();
    loop {
        check_entry(&entry);
        let event = event_of(&sandbox, &entry).await;
        assert_eq!(event["portalId"], sandbox.sandbox.hub_id());
        assert_eq!(event["attemptNumber"], 0);
        if event["subscriptionType"] == "contact.propertyChange" {
            assert_eq!(event["propertyName"], "lifecyclestage");
        }
        event_ids.push(event["eventId"].as_u64().unwrap());
        seen.push((
            event["subscriptionType"].as_str().unwrap().to_owned(),
            event["objectId"].as_u64().unwrap(),
        ));
        let offset = entry["currentOffset"].as_str().unwrap();
        let path = format!("/webhooks-journal/journal/2026-03/offset/{offset}/next");
        let response = get(&sandbox, &path, &token).await;
        if response.status() == StatusCode::NO_CONTENT {
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
        entry = response.json().await.unwrap();
    }
    assert_eq!(seen, expected);
    assert!(event_ids.windows(2).all(|w| w[0] < w[1]), "{event_ids:?}");

    // latest is the last one. Calls: two earliest, one next per entry, this latest.
    let latest: Value = get(&sandbox, "/webhooks-journal/journal/2026-03/latest", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(latest["currentOffset"], entry["currentOffset"]);
    let stats = sandbox.sandbox.stats();
    assert_eq!(stats.journal, expected.len() as u64 + 3);
    assert_eq!(stats.journal_files, expected.len() as u64);
    assert_eq!(stats.token_client_credentials, 1);
    assert_eq!(stats.objects, 0);
}

#[tokio::test]
async fn batch_variants_page_through_the_same_entries() {
    let sandbox = spawn_default().await;
    let token = app_token(&sandbox, READ).await;
    let expected = make_changes(&sandbox);
    let n = expected.len();

    let body: Value = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/batch/earliest/3",
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["status"], "COMPLETE");
    assert!(body["startedAt"].is_string() && body["completedAt"].is_string());
    let mut offsets: Vec<String> = Vec::new();
    let mut page = body["results"].as_array().unwrap().clone();
    assert_eq!(page.len(), 3);
    loop {
        for entry in &page {
            check_entry(entry);
            offsets.push(entry["currentOffset"].as_str().unwrap().to_owned());
        }
        let last = offsets.last().unwrap();
        let path = format!("/webhooks-journal/journal/2026-03/batch/{last}/next/3");
        let response = get(&sandbox, &path, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        page = body["results"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
    }
    assert_eq!(offsets.len(), n);
    let mut seen = Vec::new();
    let body: Value = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/batch/earliest/100",
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    for (entry, offset) in body["results"].as_array().unwrap().iter().zip(&offsets) {
        assert_eq!(entry["currentOffset"], offset.as_str());
        let event = event_of(&sandbox, entry).await;
        seen.push((
            event["subscriptionType"].as_str().unwrap().to_owned(),
            event["objectId"].as_u64().unwrap(),
        ));
    }
    assert_eq!(seen, expected);

    let body: Value = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/batch/latest/2",
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    let latest: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["currentOffset"].as_str().unwrap())
        .collect();
    assert_eq!(latest, [offsets[n - 2].as_str(), offsets[n - 1].as_str()]);

    // Batch read by offset: known ones, and a 207 naming the unknown.
    let unknown = "00000000-0000-4000-8000-000000000000";
    let response = sandbox
        .http
        .post(sandbox.url("/webhooks-journal/journal/2026-03/batch/read"))
        .bearer_auth(&token)
        .json(&json!({"inputs": [offsets[1], unknown]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"][0]["currentOffset"], offsets[1].as_str());
    assert_eq!(body["numErrors"], 1);
    assert_eq!(body["errors"][0]["category"], "OBJECT_NOT_FOUND");

    for count in ["0", "101", "x"] {
        let path = format!("/webhooks-journal/journal/2026-03/batch/earliest/{count}");
        let response = get(&sandbox, &path, &token).await;
        assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn local_journal_follows_install_portal_id_and_urls_keep_the_mount() {
    let sandbox = spawn_mounted(SandboxConfig::typical(), "/_sandbox/hubspot").await;
    let token = app_token(&sandbox, READ).await;
    let expected = make_changes(&sandbox);
    let hub = sandbox.sandbox.hub_id().to_string();
    for path in [
        "/webhooks-journal/journal-local/2026-03/batch/earliest/100".to_owned(),
        format!("/webhooks-journal/journal-local/2026-03/batch/earliest/100?installPortalId={hub}"),
        format!("/webhooks-journal/journal/2026-03/batch/earliest/100?installPortalId={hub}"),
    ] {
        let body: Value = get(&sandbox, &path, &token).await.json().await.unwrap();
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), expected.len(), "{path}");
        let url = results[0]["url"].as_str().unwrap();
        assert!(url.starts_with(&sandbox.url("/_journal/files/")), "{url}");
        event_of(&sandbox, &results[0]).await;
    }
    // Another portal: the app is not installed there, so its journal is empty.
    let path = "/webhooks-journal/journal-local/2026-03/earliest?installPortalId=1";
    assert_eq!(
        get(&sandbox, path, &token).await.status(),
        StatusCode::NO_CONTENT
    );
    let path = "/webhooks-journal/journal-local/2026-03/batch/latest/5?installPortalId=1";
    let body: Value = get(&sandbox, path, &token).await.json().await.unwrap();
    assert_eq!(body["results"], json!([]));
    let path = "/webhooks-journal/journal-local/2026-03/earliest?installPortalId=abc";
    let response = get(&sandbox, path, &token).await;
    assert_api_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn unknown_and_expired_offsets_are_404_and_old_entries_are_gone() {
    let sandbox = spawn_default().await;
    let token = app_token(&sandbox, READ).await;
    sandbox
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(2));
    let first: Value = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/earliest",
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    let offset = first["currentOffset"].as_str().unwrap().to_owned();
    for bad in ["00000000-0000-4000-8000-000000000000", "not-an-offset"] {
        for path in [
            format!("/webhooks-journal/journal/2026-03/offset/{bad}/next"),
            format!("/webhooks-journal/journal-local/2026-03/batch/{bad}/next/10"),
        ] {
            let response = get(&sandbox, &path, &token).await;
            assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
        }
    }

    // Past the 3 days: gone, and so is the offset.
    sandbox
        .sandbox
        .age_journal(Duration::from_secs(3 * 24 * 3600 - 60));
    assert_eq!(sandbox.sandbox.journal_len(), 2, "still within 3 days");
    sandbox.sandbox.age_journal(Duration::from_secs(61));
    assert_eq!(sandbox.sandbox.journal_len(), 0);
    let path = format!("/webhooks-journal/journal/2026-03/offset/{offset}/next");
    let response = get(&sandbox, &path, &token).await;
    assert_api_error(response, StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND").await;
    let response = get(&sandbox, "/webhooks-journal/journal/2026-03/latest", &token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The file of an entry that left the journal is gone too.
    let response = sandbox
        .http
        .get(first["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A shorter retention knob.
    sandbox
        .sandbox
        .update(|k| k.journal_retention = Duration::from_millis(200));
    sandbox
        .sandbox
        .archive_records(ObjectType::Deals, Pick::Count(1));
    assert_eq!(sandbox.sandbox.journal_len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sandbox.sandbox.journal_len(), 0);
}

#[tokio::test]
async fn file_urls_expire_at_expires_at() {
    let sandbox = spawn_default().await;
    sandbox
        .sandbox
        .update(|k| k.journal_url_ttl = Duration::from_millis(300));
    let token = app_token(&sandbox, READ).await;
    sandbox
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(1));
    let entry: Value = get(&sandbox, "/webhooks-journal/journal/2026-03/latest", &token)
        .await
        .json()
        .await
        .unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(entry["expiresAt"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    let left = expires - chrono::Utc::now().timestamp_millis();
    assert!((0..=300).contains(&left), "{left}");
    event_of(&sandbox, &entry).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = sandbox
        .http
        .get(entry["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A fresh fetch gives a fresh URL.
    let entry: Value = get(&sandbox, "/webhooks-journal/journal/2026-03/latest", &token)
        .await
        .json()
        .await
        .unwrap();
    event_of(&sandbox, &entry).await;
    let forged = sandbox.url("/_journal/files/0123456789abcdef");
    assert_eq!(
        sandbox.http.get(forged).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn user_tokens_and_missing_scopes_are_refused() {
    let sandbox = spawn_default().await;
    sandbox
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(1));
    let path = "/webhooks-journal/journal/2026-03/earliest";
    let response = sandbox.http.get(sandbox.url(path)).send().await.unwrap();
    assert_api_error(response, StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION").await;
    let response = get(&sandbox, path, "not-a-token").await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION").await;

    // A user's token, even one whose consent named the journal scope.
    let user = sandbox
        .tokens_with(&format!("crm.objects.contacts.read {READ}"))
        .await
        .access_token;
    let body = assert_api_error(
        get(&sandbox, path, &user).await,
        StatusCode::FORBIDDEN,
        "MISSING_SCOPES",
    )
    .await;
    assert!(body.to_string().contains(READ), "{body}");

    // An app token without the read scope.
    let other = app_token(&sandbox, "developer.webhooks_journal.subscriptions.read").await;
    let response = get(&sandbox, path, &other).await;
    assert_api_error(response, StatusCode::FORBIDDEN, "MISSING_SCOPES").await;

    // An app token cannot read the CRM, and a scope outside the guide's list is refused.
    let app = app_token(&sandbox, READ).await;
    let response = sandbox.list("contacts", Some(&app), &[]).await;
    assert_api_error(response, StatusCode::FORBIDDEN, "MISSING_SCOPES").await;
    let response = sandbox
        .http
        .post(sandbox.url("/oauth/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("scope", "crm.objects.contacts.read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Expired app token.
    sandbox.sandbox.expire_access_tokens();
    let response = get(&sandbox, path, &app).await;
    assert_api_error(response, StatusCode::UNAUTHORIZED, "EXPIRED_AUTHENTICATION").await;
}

#[tokio::test]
async fn journal_calls_are_exempt_from_the_rate_limits() {
    let mut config = SandboxConfig::typical();
    config.rate_limit = Some(hubspot_sandbox::RateLimit {
        max_requests: 1,
        window: Duration::from_secs(60),
    });
    config.daily_limit = Some(1);
    let sandbox = crate::helpers::spawn(config).await;
    let token = app_token(&sandbox, READ).await;
    sandbox
        .sandbox
        .modify_records(ObjectType::Contacts, Pick::Count(1));
    for _ in 0..5 {
        let response = get(
            &sandbox,
            "/webhooks-journal/journal/2026-03/earliest",
            &token,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response
                .headers()
                .get("x-hubspot-ratelimit-remaining")
                .is_none()
        );
    }
    let user = sandbox.tokens().await.access_token;
    assert_eq!(
        sandbox.list("contacts", Some(&user), &[]).await.status(),
        StatusCode::OK
    );
    let status = get(
        &sandbox,
        "/webhooks-journal/journal/2026-03/status/00000000-0000-4000-8000-000000000000",
        &token,
    )
    .await;
    assert_api_error(status, StatusCode::FORBIDDEN, "MISSING_SCOPES").await;
    assert_eq!(sandbox.sandbox.stats().journal, 6);
}
