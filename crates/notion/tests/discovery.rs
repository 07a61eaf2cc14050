//! Discovery against the Notion sandbox: every shared database is an object type, and its
//! properties (`GET /v1/databases/{id}`) are its fields.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use integration_core::kit::{Configured, ProviderFactory, ProviderSettings, http};
use integration_core::{AuthorizationCode, AuthorizationRequest, Credentials, Error};
use integration_core::{Integration, ItemQuery, OAuthState};
use sandbox_kit::RegisteredClient;
use sandbox_kit::testing::{decide, query_value, serve};

const SECRET: &str = "notion-client-secret-XYZ";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Notion pointed at a fresh sandbox, and a grant through its consent page.
async fn connected() -> (Arc<dyn Integration>, Credentials) {
    let client = RegisteredClient {
        client_id: "client-1".into(),
        client_secret: SECRET.into(),
        redirect_uris: vec![REDIRECT.into()],
    };
    let sandbox: Arc<dyn sandbox_kit::ProviderSandbox> = Arc::from(notion_sandbox::sandbox(client));
    let root = serve(sandbox.clone(), "/_sandbox/notion").await;
    let mut vars: HashMap<String, String> = HashMap::from([
        ("NOTION_CLIENT_ID".into(), "client-1".into()),
        ("NOTION_CLIENT_SECRET".into(), SECRET.into()),
    ]);
    for (name, url) in sandbox.urls(&root) {
        vars.insert(format!("NOTION_{}_URL", name.to_uppercase()), url.into());
    }
    let Ok(Configured::Live(settings)) = ProviderSettings::from_vars("notion", &vars) else {
        panic!("live settings");
    };
    let http = http::client(Duration::from_secs(5), "notion-tests");
    let notion = ProviderFactory::build(&notion::FACTORY, &settings, http).expect("builds");
    let state = OAuthState::generate();
    let request = AuthorizationRequest {
        state: &state,
        redirect_uri: REDIRECT,
        pkce_challenge: None,
        extra_scopes: &[],
    };
    let back = decide(&notion.authorization_url(&request).expect("a URL"), true)
        .await
        .expect("consent");
    let code =
        AuthorizationCode::parse(&query_value(&back, "code").expect("a code")).expect("a code");
    let credentials = notion
        .exchange_code(&code, REDIRECT, None)
        .await
        .expect("exchanged");
    (notion, credentials)
}

#[tokio::test]
async fn every_shared_database_is_an_object_type_with_its_properties_as_fields() {
    let (notion, c) = connected().await;
    let kinds = notion.discover_object_types(&c).await.unwrap();
    let declared: Vec<_> = kinds.iter().filter(|k| !k.custom).map(|k| &k.id).collect();
    assert_eq!(declared, ["pages", "databases"]);
    assert_eq!(kinds[0].label, "Pages");
    let databases = (notion.list_items(&c, &ItemQuery::new().object_type("databases")))
        .await
        .unwrap()
        .items;
    let custom: Vec<_> = kinds.iter().filter(|k| k.custom).collect();
    assert_eq!(custom.len(), 15);
    for (kind, database) in custom.iter().zip(&databases) {
        assert_eq!((&kind.id, &kind.label), (&database.id, &database.title));
        assert!(
            kind.scopes.is_empty(),
            "Notion has capabilities, not scopes"
        );
        assert_eq!(notion.discovered_kind(&kind.id), Some(&[][..]));
    }

    let fields = notion.discover_fields(&c, &custom[0].id).await.unwrap();
    let field = |name: &str| fields.iter().find(|f| f.name == name).unwrap();
    let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert_eq!(field("Name").data_type, "title");
    let status = field("Status");
    assert_eq!(
        (status.data_type.as_str(), status.label.as_str()),
        ("status", "Status")
    );
    let options: Vec<_> = status.options.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(options, ["Not started", "In progress", "Done"]);
    assert_eq!(field("Priority").options.len(), 3);
    assert_eq!(field("Tags").options[1].label, "Research");
    assert!(field("Due").options.is_empty() && !field("Due").read_only);
    let created = field("Created");
    assert!(created.read_only && created.calculated && !created.hidden);
}

#[tokio::test]
async fn a_kind_notion_does_not_have_is_the_callers_mistake() {
    let (notion, c) = connected().await;
    let page = (notion.list_items(&c, &ItemQuery::new().object_type("pages")))
        .await
        .unwrap()
        .items
        .remove(0);
    let unknown = "0f1e2d3c-4b5a-4968-8776-655443322110";
    for kind in [unknown, "nope", page.id.as_str()] {
        let fields = notion.discover_fields(&c, kind).await;
        assert!(
            matches!(fields, Err(Error::InvalidInput(_))),
            "{kind}: {fields:?}"
        );
    }
    let bad = notion.discover_fields(&c, "a/b").await;
    assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
    assert_eq!(notion.discovered_kind("a/b"), None);
    // The declared kinds have no fixed fields, so `properties=` cannot be checked against them.
    let pages = notion.discover_fields(&c, "pages").await;
    assert!(matches!(pages, Err(Error::Unsupported(_))), "{pages:?}");
    assert_eq!(notion.discovered_kind("pages"), None);
    // A discovered kind is for its fields: listing its records is refused, not answered with
    // the whole workspace.
    let listed = notion
        .list_items(&c, &ItemQuery::new().object_type(unknown))
        .await;
    assert!(matches!(listed, Err(Error::InvalidInput(_))), "{listed:?}");
}
