use std::collections::HashSet;

use e2e::{assert_problem, spawn_sandbox_app};
use integration_core::ExposeSecret as _;
use reqwest::StatusCode;

#[tokio::test]
async fn paging_across_250_contacts_returns_each_once() {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    sandbox.reset_stats();

    let mut ids = HashSet::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=100&cursor={c}"),
            None => "?limit=100".to_owned(),
        };
        let res = app.items("alice", &query).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        pages.push(items.len());
        for item in items {
            assert!(ids.insert(item["id"].as_str().unwrap().to_owned()));
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, [100, 100, 50]);
    assert_eq!(ids.len(), 250);
    // One upstream call per page, nothing else (no refresh while the token is fresh).
    let stats = sandbox.stats();
    assert_eq!(stats.objects, 3);
    assert_eq!(
        stats.token_authorization_code + stats.token_refresh + stats.token_errors,
        0
    );
}

#[tokio::test]
async fn items_of_a_user_who_never_connected_is_not_connected() {
    let app = spawn_sandbox_app().await;
    assert_problem(app.items("nobody", "").await, 404, "not_connected").await;
}

#[tokio::test]
async fn disconnect_revokes_at_hubspot_and_forgets_the_grant() {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("alice").await;
    let access = app.stored("alice").await.unwrap().access_token;
    sandbox.reset_stats();
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("X-User-Id", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(sandbox.stats().revoke, 1);
    // HubSpot no longer honours the grant: the access token minted from it is dead too.
    let res = app
        .client
        .get(app.url("/_sandbox/hubspot/crm/v3/objects/contacts?limit=1"))
        .bearer_auth(access.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(app.stored("alice").await.is_none());
    let status = app
        .get_json("alice", "/api/integrations/hubspot/status")
        .await;
    assert_eq!(status["connected"], false);
}

/// `search=` pages through HubSpot's own CRM search: every record that matches, each once,
/// whatever the page size; its cursor is good for that search only; a provider that cannot
/// search says so.
#[tokio::test]
async fn search_finds_every_matching_contact_and_its_cursor_pages_that_search_only() {
    // Paced as deployed: a page a search, at most HubSpot's 5 searches a second (the sandbox
    // enforces it, and at some contract seeds its 429s say nothing of when to retry).
    let app = e2e::spawn_sandbox_app_with(&[("RATE_BUDGET_ENABLED", "true")]).await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    app.connect_via_sandbox("sue").await;
    // Every contact, to know which ones a search must find.
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor.as_ref().map_or("?limit=100".to_owned(), |c| {
            format!("?limit=100&cursor={c}")
        });
        let body: serde_json::Value = app.items("sue", &query).await.json().await.unwrap();
        all.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    // A last name several contacts share (HubSpot's query also looks in e-mail and phone).
    let surname = all
        .iter()
        .filter_map(|c| c["properties"]["lastname"].as_str())
        .filter(|n| n.len() >= 4)
        .max_by_key(|n| {
            all.iter()
                .filter(|c| c["properties"]["lastname"] == **n)
                .count()
        })
        .unwrap()
        .to_owned();
    let needle = surname.to_lowercase();
    let expected: HashSet<String> = all
        .iter()
        .filter(|c| {
            ["firstname", "lastname", "email"].iter().any(|p| {
                c["properties"][p]
                    .as_str()
                    .is_some_and(|v| v.to_lowercase().contains(&needle))
            })
        })
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() >= 2, "{surname}: {expected:?}");

    sandbox.reset_stats();
    let mut found = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut first_cursor = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=1&search={surname}&cursor={c}"),
            None => format!("?limit=1&search={surname}"),
        };
        let res = app.items("sue", &query).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        for item in body["items"].as_array().unwrap() {
            assert!(
                found.insert(item["id"].as_str().unwrap().to_owned()),
                "each once"
            );
        }
        match body["next_cursor"].as_str() {
            Some(next) => {
                first_cursor.get_or_insert_with(|| next.to_owned());
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(found, expected);
    // One search a page (and one more for any 429 the sandbox still answered).
    let stats = sandbox.stats();
    assert_eq!(stats.search - stats.rate_limited, expected.len() as u64);
    assert_eq!(sandbox.stats().objects, 0, "no list calls");

    // The search's cursor is refused for the whole list and for another search.
    let cursor = first_cursor.unwrap();
    for query in [
        format!("?limit=1&cursor={cursor}"),
        format!("?limit=1&search=zz&cursor={cursor}"),
    ] {
        assert_problem(app.items("sue", &query).await, 400, "invalid_request").await;
    }
    let long = "x".repeat(201);
    for bad in ["%20%20", long.as_str()] {
        assert_problem(
            app.items("sue", &format!("?search={bad}")).await,
            400,
            "invalid_request",
        )
        .await;
    }
    app.connect_through_consent_page("notion", "sue").await;
    let res = app.items_of("notion", "sue", "?search=ada").await;
    assert_problem(res, 400, "search_unsupported").await;
}
