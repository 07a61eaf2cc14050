//! The records page (`/_admin/records/{type}`) and `Sandbox::edit_record`: a person edits a
//! record by hand; the API, the journal (and webhooks, see `tests/webhooks.rs`) see it.

use hubspot_sandbox::{EditError, ObjectType, Pick, SandboxConfig};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{TestSandbox, spawn_default, spawn_mounted};

/// Form fields (or headers), in order.
type Form<'a> = Vec<(&'a str, &'a str)>;

async fn page(app: &TestSandbox, object: &str) -> (StatusCode, String) {
    let response = app
        .http
        .get(app.url(&format!("/_admin/records/{object}")))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The value of the first `name="{name}" value="…"` after `from` in `html`.
fn field_value(html: &str, from: &str, name: &str) -> String {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from}"));
    let marker = format!("name=\"{name}\" value=\"");
    let at = html[start..].find(&marker).unwrap() + start + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

fn token_of(html: &str) -> String {
    field_value(html, "<form", "_token")
}

async fn post(
    app: &TestSandbox,
    object: &str,
    id: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Response {
    let mut request = app
        .http
        .post(app.url(&format!("/_admin/records/{object}/{id}")))
        .form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Follows a 303 (its `Location` is relative) and returns the page it leads to.
async fn follow(app: &TestSandbox, response: Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(!location.contains("://"), "relative: {location}");
    let target = response.url().join(&location).unwrap();
    let page = app.http.get(target).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.unwrap()
}

/// The first contact's id, properties and `updatedAt`, through the list endpoint.
async fn first(app: &TestSandbox, token: &str, object: &str, properties: &str) -> Value {
    let response = app
        .list(
            object,
            Some(token),
            &[("limit", "1"), ("properties", properties)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["results"][0].clone()
}

fn id_of(record: &Value) -> u64 {
    record["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn editing_a_record_sets_the_value_moves_updated_at_and_journals_once() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let before = first(&app, &token, "contacts", "email,lastmodifieddate").await;
    let id = id_of(&before);
    let journal = app.sandbox.journal_len();

    let edited = app
        .sandbox
        .edit_record(ObjectType::Contacts, id, "email", " Ada.New@Example.ORG ")
        .unwrap();
    assert!(edited.changed);
    assert_eq!(edited.value, "ada.new@example.org", "trimmed, lowercased");
    let after = first(&app, &token, "contacts", "email,lastmodifieddate").await;
    assert_eq!(id_of(&after), id);
    assert_eq!(after["properties"]["email"], "ada.new@example.org");
    let updated =
        |r: &Value| chrono::DateTime::parse_from_rfc3339(r["updatedAt"].as_str().unwrap()).unwrap();
    assert!(updated(&after) > updated(&before));
    let age = chrono::Utc::now().signed_duration_since(updated(&after));
    assert!(age.num_seconds() < 60, "updatedAt is now: {after}");
    assert_eq!(
        after["properties"]["lastmodifieddate"], after["updatedAt"],
        "the last-modified date moves with updatedAt"
    );
    assert_eq!(app.sandbox.journal_len(), journal + 1);

    // The same value again is no change: nothing stored, nothing journaled.
    let again = app
        .sandbox
        .edit_record(ObjectType::Contacts, id, "email", "ada.new@example.org")
        .unwrap();
    assert!(!again.changed);
    assert_eq!(app.sandbox.journal_len(), journal + 1);

    // Deals: an enumeration and a number.
    let deal = first(&app, &token, "deals", "dealstage,amount").await;
    let deal_id = id_of(&deal);
    let stage = if deal["properties"]["dealstage"] == "closedwon" {
        "closedlost"
    } else {
        "closedwon"
    };
    app.sandbox
        .edit_record(ObjectType::Deals, deal_id, "dealstage", stage)
        .unwrap();
    app.sandbox
        .edit_record(ObjectType::Deals, deal_id, "amount", "1234.50")
        .unwrap();
    let deal = first(&app, &token, "deals", "dealstage,amount").await;
    assert_eq!(deal["properties"]["dealstage"], stage);
    assert_eq!(deal["properties"]["amount"], "1234.50");
    assert_eq!(app.sandbox.journal_len(), journal + 3);
}

#[tokio::test]
async fn invalid_edits_through_rust_are_errors_and_change_nothing() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    // Archive the first contact; the first live one is then the next.
    let archived = app
        .sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(1));
    let archived = archived[0];
    let contact = first(&app, &token, "contacts", "lifecyclestage,email").await;
    let id = id_of(&contact);
    assert_ne!(archived, id);
    let journal = app.sandbox.journal_len();
    let edit = |object, id, property: &str, value: &str| {
        app.sandbox.edit_record(object, id, property, value)
    };
    use ObjectType::{Contacts, Deals};
    assert!(matches!(
        edit(Contacts, id, "lifecyclestage", "champion"),
        Err(EditError::InvalidValue { .. })
    ));
    assert!(matches!(
        edit(Contacts, id, "email", "not an address"),
        Err(EditError::InvalidValue { .. })
    ));
    assert!(matches!(
        edit(Contacts, id, "hs_object_id", "1"),
        Err(EditError::ReadOnlyProperty { .. })
    ));
    assert!(matches!(
        edit(Contacts, id, "favourite_colour", "blue"),
        Err(EditError::UnknownProperty { .. })
    ));
    assert!(matches!(
        edit(Contacts, id, "dealstage", "closedwon"),
        Err(EditError::UnknownProperty { .. })
    ));
    assert_eq!(
        edit(Contacts, 1, "firstname", "Ada"),
        Err(EditError::NoSuchRecord {
            object: Contacts,
            id: 1
        })
    );
    assert!(matches!(
        edit(Contacts, archived, "firstname", "Ada"),
        Err(EditError::NoSuchRecord { .. })
    ));
    assert!(matches!(
        edit(Deals, id, "dealname", "x"),
        Err(EditError::NoSuchRecord { .. })
    ));
    let message = edit(Contacts, id, "lifecyclestage", "champion")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("lifecyclestage") && message.contains("customer"),
        "{message}"
    );
    assert_eq!(app.sandbox.journal_len(), journal);
    let unchanged = first(&app, &token, "contacts", "lifecyclestage,email").await;
    assert_eq!(unchanged, contact);
}

#[tokio::test]
async fn the_page_lists_records_with_labelled_forms_and_escapes_html() {
    let app = spawn_default().await;
    assert!(sandbox_kit::guard::is_admin_path(
        "/_admin/records/contacts"
    ));
    let (_, html) = page(&app, "contacts").await;
    let at = html.find("<li id=\"record-").unwrap() + "<li id=\"record-".len();
    let id: u64 = html[at..].split('"').next().unwrap().parse().unwrap();
    app.sandbox
        .edit_record(
            ObjectType::Contacts,
            id,
            "firstname",
            "<script>alert(\"x\")</script>&'",
        )
        .unwrap();

    let response = app
        .http
        .get(app.url("/_admin/records/contacts"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert!(header("content-type").starts_with("text/html"));
    assert!(header("content-security-policy").contains("default-src 'self'"));
    assert_eq!(header("x-frame-options"), "DENY");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script"), "escaped");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
    assert!(html.contains("<main") && html.contains("<h1 id=\"title\">Edit contacts</h1>"));
    assert!(html.contains("<link rel=\"stylesheet\" href=\"../records.css\">"));
    assert_eq!(html.matches("<li id=\"record-").count(), 25);
    assert_eq!(html.matches("<form ").count(), 25);
    assert!(html.contains("The first 25 of 250 live contacts"));
    // Every field has a label; enumerations are selects with their options.
    let fields = html.matches("<input type=\"text\"").count() + html.matches("<select").count();
    assert_eq!(fields, 25 * 10);
    assert_eq!(html.matches("<label for=").count(), fields);
    assert!(html.contains(&format!("<label for=\"r{id}-email\">")));
    assert!(html.contains(&format!("id=\"r{id}-email\"")));
    assert!(html.contains(&format!(
        "<select id=\"r{id}-lifecyclestage\" name=\"lifecyclestage\">"
    )));
    assert!(html.contains("<option value=\"marketingqualifiedlead\""));
    assert!(html.contains(&format!("Save contact {id}</button>")));
    assert!(html.contains("action=\"contacts/"));
    // Tabs to the other types.
    assert!(html.contains("<a href=\"contacts\" aria-current=\"page\">Contacts</a>"));
    assert!(html.contains("<a href=\"companies\">Companies</a>"));
    assert!(html.contains("<a href=\"deals\">Deals</a>"));

    let (status, deals) = page(&app, "deals").await;
    assert_eq!(status, StatusCode::OK);
    assert!(deals.contains("<select") && deals.contains("closedwon"));
    assert!(deals.contains("The first 25 of 60 live deals"));
    let (status, companies) = page(&app, "0-2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(companies.contains("COMPUTER_SOFTWARE"));
    let (status, unknown) = page(&app, "<tickets>").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(unknown.contains("&lt;tickets&gt;") && !unknown.contains("<tickets>"));

    let css = app
        .http
        .get(app.url("/_admin/records.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.text().await.unwrap().contains("--focus:"));
}

#[tokio::test]
async fn a_form_post_edits_and_redirects_back_with_a_notice() {
    let app = spawn_mounted(SandboxConfig::typical(), "/_sandbox/hubspot").await;
    let token = app.tokens().await.access_token;
    let contact = first(&app, &token, "contacts", "lifecyclestage,city").await;
    let id = id_of(&contact).to_string();
    let stage = if contact["properties"]["lifecyclestage"] == "customer" {
        "lead"
    } else {
        "customer"
    };
    let (_, html) = page(&app, "contacts").await;
    let form_token = token_of(&html);
    let version = field_value(&html, &format!("id=\"record-{id}\""), "_version");
    let journal = app.sandbox.journal_len();

    let response = post(
        &app,
        "contacts",
        &id,
        &[
            ("_token", &form_token),
            ("_version", &version),
            ("lifecyclestage", stage),
            ("city", "Zürich & <Co>"),
        ],
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("../contacts?notice=") && location.ends_with(&format!("#record-{id}")),
        "{location}"
    );
    let html = follow(&app, response).await;
    assert!(html.contains("role=\"status\""), "{html}");
    assert!(html.contains(&format!(
        "Saved contact {id}: lifecyclestage = &quot;{stage}&quot;, city = &quot;Zürich &amp; &lt;Co&gt;&quot;"
    )));
    assert!(!html.contains("<Co>"));
    assert_eq!(
        app.sandbox.journal_len(),
        journal + 2,
        "one entry per property"
    );
    let after = first(&app, &token, "contacts", "lifecyclestage,city").await;
    assert_eq!(after["properties"]["lifecyclestage"], stage);
    assert_eq!(after["properties"]["city"], "Zürich & <Co>");

    // The whole form posted back unchanged saves nothing.
    let (_, html) = page(&app, "contacts").await;
    let version = field_value(&html, &format!("id=\"record-{id}\""), "_version");
    let response = post(
        &app,
        "contacts",
        &id,
        &[
            ("_token", &form_token),
            ("_version", &version),
            ("city", "Zürich & <Co>"),
        ],
        &[],
    )
    .await;
    let html = follow(&app, response).await;
    assert!(html.contains(&format!(
        "Nothing to save: contact {id} already has these values."
    )));
    assert_eq!(app.sandbox.journal_len(), journal + 2);

    // An unknown notice key shows no notice.
    let plain = app
        .http
        .get(app.url("/_admin/records/contacts?notice=made-up"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!plain.contains("class=\"notice"));
}

#[tokio::test]
async fn invalid_form_posts_show_an_error_notice_and_change_nothing() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let archived = app
        .sandbox
        .archive_records(ObjectType::Contacts, Pick::Count(1))[0]
        .to_string();
    let contact = first(&app, &token, "contacts", "lifecyclestage,email").await;
    let id = id_of(&contact).to_string();
    let (_, html) = page(&app, "contacts").await;
    let form_token = token_of(&html);
    let version = field_value(&html, &format!("id=\"record-{id}\""), "_version");
    let journal = app.sandbox.journal_len();

    let cases: [(&str, Form<'_>, &str); 10] = [
        (
            id.as_str(),
            vec![("lifecyclestage", "champion")],
            "champion was not one of the allowed options",
        ),
        (
            id.as_str(),
            vec![("email", "ada@"), ("lifecyclestage", "lead")],
            "Email address ada@ is invalid.",
        ),
        (id.as_str(), vec![("hs_object_id", "7")], "is read-only"),
        (
            id.as_str(),
            vec![("<b>colour</b>", "blue")],
            "Property &#39;&lt;b&gt;colour&lt;/b&gt;&#39; does not exist on contacts.",
        ),
        (id.as_str(), vec![], "The form named no property to change."),
        (
            id.as_str(),
            vec![("firstname", "Ada"), ("firstname", "Eve")],
            "Property &#39;firstname&#39; was sent twice.",
        ),
        (
            "1",
            vec![("firstname", "Ada")],
            "There is no live contact with id 1.",
        ),
        (
            archived.as_str(),
            vec![("firstname", "Ada")],
            "There is no live contact with id",
        ),
        (
            "abc",
            vec![("firstname", "Ada")],
            "&#39;abc&#39; is not a record id",
        ),
        (
            id.as_str(),
            vec![("firstname", "Ada"), ("_version", "1")],
            "changed after this page was loaded",
        ),
    ];
    for (target, fields, expected) in cases {
        let mut form = vec![("_token", form_token.as_str())];
        if !fields.iter().any(|(k, _)| *k == "_version") {
            form.push(("_version", version.as_str()));
        }
        form.extend(fields);
        let response = post(&app, "contacts", target, &form, &[]).await;
        let html = follow(&app, response).await;
        assert!(html.contains("role=\"alert\""), "{target}: {expected}");
        assert!(html.contains("Not saved."), "{target}: {expected}");
        assert!(html.contains(expected), "{target}: {expected}\n{html}");
    }
    assert_eq!(app.sandbox.journal_len(), journal);
    assert_eq!(
        first(&app, &token, "contacts", "lifecyclestage,email").await,
        contact
    );
    // An unknown object type is a page too.
    let response = post(&app, "widgets", &id, &[("_token", &form_token)], &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn posts_without_the_page_token_or_from_another_site_are_refused() {
    let app = spawn_default().await;
    let token = app.tokens().await.access_token;
    let contact = first(&app, &token, "contacts", "firstname").await;
    let id = id_of(&contact).to_string();
    let (_, html) = page(&app, "contacts").await;
    let form_token = token_of(&html);
    let other_sandbox = spawn_default().await;
    let (_, other_html) = page(&other_sandbox, "contacts").await;
    let other_token = token_of(&other_html);
    assert_ne!(form_token, other_token);
    let journal = app.sandbox.journal_len();

    let same_host = app.base.clone();
    let cases: [(Form<'_>, Form<'_>, &str); 5] = [
        (vec![("firstname", "Eve")], vec![], "no page token"),
        (
            vec![("_token", "forged"), ("firstname", "Eve")],
            vec![],
            "not this sandbox",
        ),
        (
            vec![("_token", &other_token), ("firstname", "Eve")],
            vec![],
            "not this sandbox",
        ),
        (
            vec![("_token", &form_token), ("firstname", "Eve")],
            vec![("sec-fetch-site", "cross-site")],
            "from another site",
        ),
        (
            vec![("_token", &form_token), ("firstname", "Eve")],
            vec![("origin", "https://evil.example")],
            "from another origin",
        ),
    ];
    for (form, headers, expected) in cases {
        let response = post(&app, "contacts", &id, &form, &headers).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{expected}");
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(
            html.contains("role=\"alert\"") && html.contains(expected),
            "{html}"
        );
    }
    assert_eq!(app.sandbox.journal_len(), journal);
    assert_eq!(first(&app, &token, "contacts", "firstname").await, contact);

    // The same form from the page's own origin goes through.
    let response = post(
        &app,
        "contacts",
        &id,
        &[("_token", &form_token), ("firstname", "Ada")],
        &[
            ("origin", same_host.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.sandbox.journal_len(),
        journal + usize::from(contact["properties"]["firstname"] != "Ada")
    );
}
