use hubspot_sandbox::{DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{SCOPES, location, param, query_of, spawn_mounted};

/// Finds the consent form's action and resolves it as a browser would.
fn form_action(page_url: &str, html: &str) -> String {
    let start = html.find("<form method=\"post\" action=\"").expect("form")
        + "<form method=\"post\" action=\"".len();
    let action = &html[start..start + html[start..].find('"').expect("quote")];
    url::Url::parse(page_url)
        .unwrap()
        .join(action)
        .unwrap()
        .to_string()
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|chunk| {
            let name = chunk
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let value = chunk
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name.to_owned(), value.replace("&amp;", "&"))
        })
        .collect()
}

#[tokio::test]
async fn mounted_under_a_prefix_the_whole_flow_works() {
    let app = spawn_mounted(SandboxConfig::typical(), "/_sandbox/hubspot").await;
    let response = app
        .consent(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_REDIRECT_URI),
            ("scope", SCOPES),
            ("state", "mounted"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page_url = response.url().to_string();
    let html = response.text().await.unwrap();

    // Submit the form the way a browser would: relative action, hidden fields, clicked button.
    let action = form_action(&page_url, &html);
    assert_eq!(action, app.url("/oauth/authorize/decision"));
    let mut form = hidden_fields(&html);
    form.push(("decision".to_owned(), "approve".to_owned()));
    let response = app.http.post(&action).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let pairs = query_of(&location(&response));
    assert_eq!(param(&pairs, "state"), Some("mounted"));
    let code = param(&pairs, "code").unwrap().to_owned();

    let response = app.exchange(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();

    let page: Value = app
        .list("contacts", Some(token), &[("limit", "100")])
        .await
        .json()
        .await
        .unwrap();
    let link = page["paging"]["next"]["link"].as_str().unwrap();
    assert!(
        link.contains("/_sandbox/hubspot/crm/v3/objects/contacts?"),
        "{link}"
    );
    let next = app.get_url(link, token).await;
    assert_eq!(next.status(), StatusCode::OK);

    let stats: Value = app
        .http
        .get(app.url("/_admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["objects"], 2);
    // The host app's own routes are untouched.
    let host = app.base.trim_end_matches("/_sandbox/hubspot");
    assert_eq!(
        app.http
            .get(format!("{host}/health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
}

#[actix_web::test]
async fn configure_works_with_actix_test_services() {
    use actix_web::{App, test, web};
    let sandbox = hubspot_sandbox::Sandbox::new(SandboxConfig::typical());
    let app = test::init_service(
        App::new().service(web::scope("/_sandbox/hubspot").configure(|c| sandbox.configure(c))),
    )
    .await;
    let request = test::TestRequest::get()
        .uri("/_sandbox/hubspot/crm/v3/objects/contacts")
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), actix_web::http::StatusCode::UNAUTHORIZED);
    assert_eq!(sandbox.stats().objects, 1);
}
