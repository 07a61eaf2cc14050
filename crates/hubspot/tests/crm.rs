//! The whole CRM through the connector, against the HubSpot sandbox: how records relate
//! (associations v4, complete and labelled, one call per kind per page plus what each record's
//! own paging needs, paced like every call), kinds beyond the declared three, and the scopes
//! each needs.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

#[path = "common/peer.rs"]
mod peer;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use hubspot_sandbox::SandboxConfig;
use integration_core::{
    Connector, ConnectorOptions, CredentialStore, Error, ExportEvent, Integration as _,
    IntegrationItem, ItemQuery, Limit, SharedBudget,
};
use peer::{Peer, peer, user};
use token_store::MemoryTokenStore;

/// A connector over a sandbox of `config`, connected, with the stats reset.
async fn connected(config: SandboxConfig, budget: Option<u32>) -> (Peer, Arc<Connector>) {
    connected_asking(config, budget, &[]).await
}

/// [`connected`], the consent also asking for `scopes` (as optional ones).
async fn connected_asking(
    config: SandboxConfig,
    budget: Option<u32>,
    scopes: &[&str],
) -> (Peer, Arc<Connector>) {
    let mut peer = peer(config).await;
    (peer.config.optional_scopes).extend(scopes.iter().map(|s| (*s).to_owned()));
    peer.hubspot = peer.provider(|_| {});
    let store = Arc::new(MemoryTokenStore::new());
    let budget = budget
        .map(|slots| SharedBudget::new(store.clone(), Limit::new(slots, Duration::from_secs(10))));
    let connector = Connector::with_options(
        Arc::new(peer.provider(|_| {})),
        store.clone(),
        ConnectorOptions {
            budget,
            request_deadline: Duration::from_secs(2),
            ..ConnectorOptions::default()
        },
    );
    let credentials = peer.connect().await;
    store.save("hubspot", &user(), &credentials).await.unwrap();
    peer.sandbox.reset_stats();
    (peer, Arc::new(connector))
}

fn related<'a>(item: &'a IntegrationItem, kind: &str) -> &'a [integration_core::Association] {
    item.associations
        .get(kind)
        .unwrap_or_else(|| panic!("no {kind} entry on {}", item.id))
}

/// The busy contact's 1,200 deals span three answers of HubSpot's per-record paging: all of them
/// arrive, once each, with their labels, and the page costs one call per kind plus the two
/// continuations, never a call per record.
#[tokio::test]
async fn a_contact_with_1200_deals_gets_every_one_with_labels_in_one_call_per_kind_and_page() {
    let config = SandboxConfig {
        deals: 1_300,
        ..SandboxConfig::default()
    };
    let (peer, connector) = connected(config, None).await;
    let query = ItemQuery::new()
        .limit(100)
        .associations(["deals", "companies"]);

    let page = connector.items(&user(), &query).await.unwrap();

    assert_eq!(page.items.len(), 100);
    for item in &page.items {
        related(item, "deals");
        related(item, "companies");
    }
    let busy = related(&page.items[0], "deals");
    assert_eq!(busy.len(), 1_200);
    let unique: HashSet<&str> = busy.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(unique.len(), 1_200, "each deal once");
    assert!(
        busy.iter()
            .any(|a| a.labels.iter().any(|l| l == "Decision maker")),
        "user-defined labels are kept"
    );
    // Primary companies are labelled, and a contact has at most one.
    for item in &page.items {
        let primary = related(item, "companies")
            .iter()
            .filter(|a| a.labels.iter().any(|l| l == "Primary"))
            .count();
        assert!(primary <= 1, "{}", item.id);
    }
    assert!(page.items.iter().any(|i| {
        related(i, "companies")
            .iter()
            .any(|a| a.labels.iter().any(|l| l == "Primary"))
    }));
    let stats = peer.sandbox.stats();
    // Deals: the page's call and two continuations for the busy contact; companies: one.
    assert_eq!((stats.objects, stats.associations), (1, 4), "{stats:?}");
}

/// The published spec exempts association batch reads from the ten-second limit: with one slot
/// in the window, the list spends it and the association reads still go (paced, they would wait
/// a whole window, past the deadline).
#[tokio::test]
async fn association_reads_do_not_spend_the_ten_second_window() {
    let (peer, connector) = connected(SandboxConfig::default(), Some(1)).await;
    let query = ItemQuery::new()
        .limit(10)
        .associations(["companies", "deals"]);
    let page = connector.items(&user(), &query).await.unwrap();
    assert_eq!(page.items.len(), 10);
    let stats = peer.sandbox.stats();
    assert_eq!((stats.objects, stats.associations), (1, 2), "{stats:?}");
    // The window is spent: the next page waits for it.
    let next = connector.items(&user(), &query).await;
    assert!(matches!(next, Err(Error::RateLimited { .. })), "{next:?}");
}

#[tokio::test]
async fn exported_companies_and_contacts_agree_on_how_they_relate() {
    let (_peer, connector) = connected(SandboxConfig::default(), None).await;
    let export = |kind: &str, to: &str| {
        exported(
            &connector,
            ItemQuery::new().object_type(kind).associations([to]),
        )
    };
    let companies = export("companies", "contacts").await;
    let contacts = export("contacts", "companies").await;
    assert_eq!(companies.len(), 40);
    assert_eq!(contacts.len(), 250);
    let mut from_contacts = HashSet::new();
    for contact in &contacts {
        for company in related(contact, "companies") {
            from_contacts.insert((contact.id.clone(), company.id.clone()));
        }
    }
    let mut from_companies = HashSet::new();
    for company in &companies {
        for contact in related(company, "contacts") {
            from_companies.insert((contact.id.clone(), company.id.clone()));
        }
    }
    assert!(!from_contacts.is_empty());
    assert_eq!(from_contacts, from_companies);
}

/// A kind the grant cannot read is refused with its scope named, before any call; one the
/// provider does not read is refused as bad input.
#[tokio::test]
async fn associations_need_a_kind_the_grant_reads() {
    let (peer, connector) = connected(SandboxConfig::default(), None).await;
    let result = (connector.items(&user(), &ItemQuery::new().associations(["tickets"]))).await;
    assert!(
        matches!(&result, Err(Error::InsufficientScope { scope }) if scope == "tickets"),
        "{result:?}"
    );
    let result = (connector.items(&user(), &ItemQuery::new().associations(["pipedrive"]))).await;
    assert!(matches!(result, Err(Error::InvalidInput(_))), "{result:?}");
    assert_eq!(peer.sandbox.stats().objects, 0);
}

/// Records fetched by id (what webhooks named) and a search page carry what was asked for too.
#[tokio::test]
async fn fetched_and_searched_records_carry_associations() {
    let (peer, connector) = connected(SandboxConfig::default(), None).await;
    let first = connector
        .items(&user(), &ItemQuery::new().limit(3))
        .await
        .unwrap();
    let ids: Vec<String> = first.items.iter().map(|i| i.id.clone()).collect();
    let credentials = peer.connect().await;
    let query = ItemQuery::new().associations(["deals"]);
    let fetched = peer
        .hubspot
        .fetch_items(&credentials, &query, &ids)
        .await
        .unwrap();
    assert_eq!(fetched.len(), 3);
    assert!(fetched.iter().all(|i| i.associations.contains_key("deals")));

    let mut search = ItemQuery::new().limit(5).associations(["companies"]);
    search.search = Some("a".into());
    let found = connector.items(&user(), &search).await.unwrap();
    assert!(
        found
            .items
            .iter()
            .all(|i| i.associations.contains_key("companies"))
    );
}

async fn exported(connector: &Arc<Connector>, query: ItemQuery) -> Vec<IntegrationItem> {
    let events: Vec<_> = connector.export(user(), query).collect().await;
    (events.into_iter())
        .filter_map(|e| match e.unwrap() {
            ExportEvent::Item(item) => Some(item),
            _ => None,
        })
        .collect()
}

/// Every standard object HubSpot has goes through the one generic path: listed to the end, each
/// record titled from its own properties and linked at its object type id; and the portal's
/// custom object, found by discovery, by its `objectTypeId`, with the contacts it relates to.
#[tokio::test]
async fn every_standard_object_and_the_custom_one_export_through_the_generic_path() {
    let scopes = [
        "tickets",
        "e-commerce",
        "crm.objects.quotes.read",
        "crm.objects.custom.read",
    ];
    let (peer, connector) = connected_asking(SandboxConfig::default(), None, &scopes).await;
    for kind in hubspot::STANDARD.iter().skip(3) {
        let items = exported(&connector, ItemQuery::new().object_type(kind.id)).await;
        assert_eq!(items.len(), 30, "{}", kind.id);
        let unique: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(unique.len(), 30, "{}", kind.id);
        for item in &items {
            assert_eq!(item.item_type.as_deref(), Some(kind.singular));
            let link = item.url.as_deref().unwrap();
            assert!(
                link.contains(&format!("/record/{}/", kind.type_id)),
                "{link}"
            );
        }
        let fallback = |i: &&IntegrationItem| i.title == format!("{} {}", kind.noun, i.id);
        let titled = items.len() - items.iter().filter(fallback).count();
        assert!(
            titled * 2 > items.len(),
            "{}: most records have a title of their own",
            kind.id
        );
    }

    let kinds = connector.object_types(&user()).await.unwrap();
    let pets = kinds.iter().find(|k| k.kind.custom).unwrap();
    assert!(pets.granted);
    let id = pets.kind.id.clone();
    assert!(id.starts_with("2-"), "{id}");
    let query = ItemQuery::new()
        .object_type(id.clone())
        .associations(["contacts"]);
    let items = exported(&connector, query).await;
    assert_eq!(items.len(), 45);
    let named = items
        .iter()
        .filter(|i| i.title != format!("Record {}", i.id))
        .count();
    assert!(named * 2 > items.len(), "pets are titled by their names");
    assert!(items.iter().all(|i| {
        i.url
            .as_deref()
            .unwrap()
            .contains(&format!("/record/{id}/"))
    }));
    assert!(items.iter().any(|i| !related(i, "contacts").is_empty()));
    assert!(peer.sandbox.stats().associations > 0);
}

/// A kind whose scope the grant lacks is refused with that scope named, before any call, while
/// the kinds it has keep working.
#[tokio::test]
async fn a_kind_the_grant_lacks_names_its_scope() {
    let (peer, connector) = connected(SandboxConfig::default(), None).await;
    for (kind, scope) in [
        ("tickets", "tickets"),
        ("quotes", "crm.objects.quotes.read"),
    ] {
        let result = connector
            .items(&user(), &ItemQuery::new().object_type(kind))
            .await;
        assert!(
            matches!(&result, Err(Error::InsufficientScope { scope: named }) if named == scope),
            "{kind}: {result:?}"
        );
    }
    assert_eq!(peer.sandbox.stats().objects, 0);
    // Engagements are readable with the contacts scope, as HubSpot documents.
    let notes = connector
        .items(&user(), &ItemQuery::new().object_type("notes"))
        .await;
    assert_eq!(notes.unwrap().items.len(), 30);
}

/// The spec types `toObjectId` as a string and HubSpot sends a number: both read the same.
#[tokio::test]
async fn related_ids_read_alike_as_strings_and_as_numbers() {
    let mut answers = Vec::new();
    for spelling in [hubspot_sandbox::Vary::On, hubspot_sandbox::Vary::Off] {
        let mut config = SandboxConfig::default();
        config.contract.string_target_ids = spelling;
        let (_peer, connector) = connected(config, None).await;
        let query = ItemQuery::new().limit(50).associations(["companies"]);
        let page = connector.items(&user(), &query).await.unwrap();
        let relations: Vec<_> = (page.items.into_iter())
            .map(|i| (i.id, i.associations))
            .collect();
        answers.push(relations);
    }
    assert!(answers[0].iter().any(|(_, a)| !a["companies"].is_empty()));
    assert_eq!(answers[0], answers[1]);
}

/// A record's title does not change with the columns chosen: the title's properties are read
/// too, and taken off again, so the record carries exactly what was asked for.
#[tokio::test]
async fn titles_do_not_change_with_the_properties_chosen() {
    let (_peer, connector) = connected(SandboxConfig::default(), None).await;
    let plain = connector
        .items(&user(), &ItemQuery::new().limit(20))
        .await
        .unwrap();
    let mut chosen = ItemQuery::new().limit(20);
    chosen.properties = Some(vec!["vs_custom_001".into()]);
    let picked = connector.items(&user(), &chosen).await.unwrap();
    for (a, b) in plain.items.iter().zip(&picked.items) {
        assert_eq!((&a.id, &a.title), (&b.id, &b.title));
        for name in ["firstname", "lastname", "email"] {
            assert!(
                !b.properties.contains_key(name),
                "{name} was not asked for: {b:?}"
            );
        }
        assert!(b.properties.contains_key("vs_custom_001"), "{b:?}");
    }
}
