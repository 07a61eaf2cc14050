//! Discovery against the Airtable sandbox: every table is an object type (`{base}-{table}`)
//! whose fields come from its base's schema, and the metadata API's scope is required.

mod common;

use std::sync::Arc;

use integration_core::{AuthorizationCode, AuthorizationRequest, Credentials, Error};
use integration_core::{Integration, ItemQuery, OAuthState, PkceVerifier};
use sandbox_kit::RegisteredClient;
use sandbox_kit::testing::{decide, query_value, serve};

/// Airtable pointed at a fresh sandbox (asking for `scopes` when given), and a grant through
/// its consent page.
async fn connected(scopes: Option<&str>) -> (Arc<dyn Integration>, Credentials) {
    let client = RegisteredClient {
        client_id: "client-1".into(),
        client_secret: common::SECRET.into(),
        redirect_uris: vec![common::REDIRECT.into()],
    };
    let sandbox: Arc<dyn sandbox_kit::ProviderSandbox> =
        Arc::from(airtable_sandbox::sandbox(client));
    let root = serve(sandbox.clone(), "/_sandbox/airtable").await;
    let urls: Vec<(&str, String)> = (sandbox.urls(&root).into_iter())
        .map(|(k, v)| (&*k.leak(), v.to_string()))
        .collect();
    let airtable = match scopes {
        None => common::airtable(&urls),
        Some(scopes) => common::airtable_with(&[("AIRTABLE_SCOPES", scopes)], &urls),
    };
    let (state, verifier) = (OAuthState::generate(), PkceVerifier::generate());
    let challenge = verifier.challenge();
    let request = AuthorizationRequest {
        state: &state,
        redirect_uri: common::REDIRECT,
        pkce_challenge: Some(&challenge),
        extra_scopes: &[],
    };
    let back = decide(&airtable.authorization_url(&request).expect("a URL"), true)
        .await
        .expect("consent");
    let code =
        AuthorizationCode::parse(&query_value(&back, "code").expect("a code")).expect("a code");
    let credentials = (airtable.exchange_code(&code, common::REDIRECT, Some(&verifier)))
        .await
        .expect("exchanged");
    (airtable, credentials)
}

#[tokio::test]
async fn every_table_is_an_object_type_with_its_fields_and_choices() {
    let (airtable, c) = connected(None).await;
    let kinds = airtable.discover_object_types(&c).await.unwrap();
    let declared: Vec<_> = kinds.iter().filter(|k| !k.custom).map(|k| &k.id).collect();
    assert_eq!(declared, ["bases", "tables"]);
    let custom: Vec<_> = kinds.iter().filter(|k| k.custom).collect();
    let expected: usize = (0..12).map(|b| 2 + b % 3).sum();
    assert_eq!(
        custom.len(),
        expected,
        "every table of every base, past one page"
    );
    for kind in &custom {
        let (base, table) = kind.id.split_once('-').unwrap();
        assert!(
            base.starts_with("app") && table.starts_with("tbl"),
            "{kind:?}"
        );
        assert_eq!(kind.scopes, ["schema.bases:read"]);
        assert!(!kind.label.is_empty());
        assert!(airtable.discovered_kind(&kind.id).is_some());
    }

    let fields = airtable.discover_fields(&c, &custom[4].id).await.unwrap();
    let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["Name", "Status", "Tags", "Estimate", "Created"]);
    let status = &fields[1];
    assert_eq!(status.data_type, "singleSelect");
    let choices: Vec<_> = status.options.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(choices, ["Todo", "In progress", "Done"]);
    assert_eq!(fields[2].options.len(), 2);
    assert!(fields[3].options.is_empty() && !fields[3].read_only);
    assert!(fields[4].read_only && fields[4].calculated);
}

#[tokio::test]
async fn unknown_tables_and_bases_are_the_callers_mistake() {
    let (airtable, c) = connected(None).await;
    let kinds = airtable.discover_object_types(&c).await.unwrap();
    let table = &kinds.iter().find(|k| k.custom).unwrap().id;
    let (base, _) = table.split_once('-').unwrap();
    let other_base = format!("appZZZZZZZZZZZZZZ-{}", table.split_once('-').unwrap().1);
    for kind in [
        format!("{base}-tblZZZZZZZZZZZZZZ"),
        other_base,
        base.to_owned(),
    ] {
        let fields = airtable.discover_fields(&c, &kind).await;
        assert!(
            matches!(fields, Err(Error::InvalidInput(_))),
            "{kind}: {fields:?}"
        );
    }
    let declared = airtable.discover_fields(&c, "tables").await;
    assert!(
        matches!(declared, Err(Error::Unsupported(_))),
        "{declared:?}"
    );
    let listed = airtable
        .list_items(&c, &ItemQuery::new().object_type(table))
        .await;
    assert!(matches!(listed, Err(Error::InvalidInput(_))), "{listed:?}");
}

#[tokio::test]
async fn a_grant_without_the_schema_scope_sees_only_the_declared_kinds() {
    let (airtable, c) = connected(Some("data.records:read")).await;
    assert_eq!(c.scopes, ["data.records:read"]);
    let kinds = airtable.discover_object_types(&c).await.unwrap();
    assert!(kinds.iter().all(|k| !k.custom), "{kinds:?}");
    let fields = airtable
        .discover_fields(&c, "appAAAAAAAAAAAAAA-tblAAAAAAAAAAAAAA")
        .await;
    assert!(
        matches!(&fields, Err(Error::InsufficientScope { scope }) if scope == "schema.bases:read"),
        "{fields:?}"
    );
    // Airtable itself refuses such a grant its metadata, as the sandbox does.
    let listed = airtable.list_items(&c, &ItemQuery::new()).await;
    assert!(
        matches!(&listed, Err(Error::Rejected { code, .. }) if code == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"),
        "{listed:?}"
    );
}
