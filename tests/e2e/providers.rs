//! Every registered provider, whatever it is, works end to end in sandbox mode: it is listed
//! with its metadata, connects through its own sandbox's consent page, lists its items to the
//! end, reports its connection, and disconnects. Adding a provider adds it to this test.

use std::collections::HashSet;

use e2e::spawn_sandbox_app;
use reqwest::StatusCode;

#[tokio::test]
async fn every_registered_provider_connects_through_its_sandbox_and_lists_to_the_end() {
    let app = spawn_sandbox_app().await;
    let list = app.get_json("multi", "/api/integrations").await;
    let providers = list["integrations"].as_array().expect("integrations");
    assert!(!providers.is_empty());
    for provider in providers {
        let id = provider["id"].as_str().expect("id");
        assert_eq!(
            provider["sandbox"], true,
            "{id} is served by its sandbox here"
        );
        assert_eq!(provider["status"], "not_connected", "{id}");
        for field in ["name", "description", "logo_svg"] {
            assert!(
                provider[field].as_str().is_some_and(|v| !v.is_empty()),
                "{id} declares its {field}"
            );
        }
        assert!(
            provider["columns"]
                .as_array()
                .is_some_and(|c| !c.is_empty()),
            "{id} columns"
        );

        app.connect_through_consent_page(id, "multi").await;
        // Whether the list says it searches is what the items route then does.
        let searches = provider["search"].as_bool().expect("search");
        let res = app.items_of(id, "multi", "?search=Ann&limit=1").await;
        let expected = if searches { 200 } else { 400 };
        assert_eq!(res.status().as_u16(), expected, "{id} search={searches}");
        let status = app
            .get_json("multi", &format!("/api/integrations/{id}/status"))
            .await;
        assert_eq!(status["status"], "connected", "{id}: {status}");

        let mut ids = HashSet::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("?cursor={c}"),
                None => String::new(),
            };
            let res = app.items_of(id, "multi", &query).await;
            assert_eq!(res.status(), StatusCode::OK, "{id} items{query}");
            let page: serde_json::Value = res.json().await.expect("page");
            pages += 1;
            for item in page["items"].as_array().expect("items") {
                let item_id = item["id"].as_str().expect("item id").to_owned();
                assert!(ids.insert(item_id), "{id}: an item listed twice");
                assert!(
                    item["title"].as_str().is_some_and(|t| !t.is_empty()),
                    "{id}: {item}"
                );
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 100, "{id}: the listing ends");
        }
        assert!(!ids.is_empty(), "{id} lists items");

        let res = app
            .client
            .delete(app.url(&format!("/api/integrations/{id}/connection")))
            .header("X-User-Id", "multi")
            .send()
            .await
            .expect("disconnect");
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{id}");
        assert!(
            app.stored_for(id, "multi").await.is_none(),
            "{id} forgotten"
        );
    }
}
