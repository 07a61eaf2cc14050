//! The app exactly as `just run` starts it without HubSpot credentials: the sandbox mounted in
//! process. A user goes through the consent page over HTTP and pages through every contact.

use std::collections::HashSet;

use e2e::{
    AppOptions, TestApp, captured_logs, location, query_value, spawn_app_with, spawn_sandbox_app,
};
use integration_core::ExposeSecret as _;
use reqwest::StatusCode;

#[tokio::test]
async fn sandbox_mode_completes_the_connect_flow_and_pages_all_250_contacts() {
    let app = spawn_sandbox_app().await;
    let secrets = connect_page_all_and_disconnect(&app).await;
    assert_no_secret_logged(&secrets);
}

#[tokio::test]
async fn sandbox_mode_on_the_v1_oauth_api_logs_no_token_either() {
    // v1 revokes with the refresh token in the URL path; the request log must not carry it.
    let app = spawn_app_with(
        Vec::new(),
        AppOptions {
            vars: vec![("HUBSPOT_OAUTH_VERSION".into(), "v1".into())],
            ..AppOptions::default()
        },
    )
    .await;
    let secrets = connect_page_all_and_disconnect(&app).await;
    assert_no_secret_logged(&secrets);
}

/// No line of the whole e2e log (every test's server and sandbox so far) carries these.
fn assert_no_secret_logged(secrets: &[String]) {
    let logs = captured_logs();
    for secret in secrets {
        let leak = logs.lines().find(|l| l.contains(secret.as_str()));
        assert!(leak.is_none(), "a secret reached the logs: {leak:?}");
    }
}

/// Connects `sandy` through the sandbox's consent page, pages every contact, disconnects (which
/// revokes at the sandbox), and returns the secrets that passed by: code, state, tokens.
async fn connect_page_all_and_disconnect(app: &TestApp) -> Vec<String> {
    assert!(app.sandbox.is_some());
    let list = app.get_json("sandy", "/api/integrations").await;
    assert_eq!(list["sandbox"], true);

    // Consent page, served by the in-process sandbox.
    let consent = app.authorize("sandy").await;
    assert!(
        consent
            .path()
            .ends_with("/_sandbox/hubspot/oauth/authorize")
    );
    let page = app.client.get(consent.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Approve"));

    // Press Approve: post the consent form as the browser would.
    let form = consent_form_fields(&html);
    let action = consent
        .join(&form_action(&html))
        .expect("form action resolves");
    let mut fields = form;
    fields.push(("decision".into(), "approve".into()));
    let res = app.client.post(action).form(&fields).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let callback = location(&res);
    assert!(
        callback
            .path()
            .ends_with("/api/integrations/hubspot/callback")
    );
    let mut secrets = vec![
        query_value(&callback, "code").expect("a code"),
        query_value(&callback, "state").expect("the state"),
    ];

    // Follow the redirect to our callback, which lands on the UI with success.
    let res = app.client.get(callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(query_value(&location(&res), "result").unwrap(), "success");

    let mut ids = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor.as_ref().map_or("?limit=100".to_owned(), |c| {
            format!("?limit=100&cursor={c}")
        });
        let body: serde_json::Value = app.items("sandy", &query).await.json().await.unwrap();
        for item in body["items"].as_array().unwrap() {
            assert!(!item["title"].as_str().unwrap().is_empty());
            ids.insert(item["id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(ids.len(), 250);

    let stored = app.stored("sandy").await.expect("connected");
    secrets.push(stored.access_token.expose_secret().to_owned());
    secrets.extend(stored.refresh_token.map(|t| t.expose_secret().to_owned()));
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("X-User-Id", "sandy")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(app.stored("sandy").await.is_none());
    secrets
}

/// `(name, value)` of the consent form's hidden inputs.
fn consent_form_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value")?)))
        .collect()
}

fn form_action(html: &str) -> String {
    let form = html.split("<form").nth(1).expect("a form");
    html_unescape(&attr(form, "action").expect("form action"))
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[start..].find('"')? + start;
    Some(html_unescape(&tag[start..end]))
}

fn html_unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}
