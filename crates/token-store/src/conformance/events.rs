//! Provider events: who is connected to which account (the routing index), and each account's
//! log: ordered, each event once, readable from any offset, isolated by account and provider.

use integration_core::{EventKind, EventOffset, ProviderEvent};

use super::*;

fn event(id: &str) -> ProviderEvent {
    ProviderEvent {
        kind: EventKind::Upsert,
        object_type: "contacts".into(),
        id: id.into(),
        occurred_at: at(1_850_000_000, 0),
        property: None,
        merged_ids: Vec::new(),
        associated: None,
    }
}

fn batch(ids: &[&str]) -> Vec<(String, ProviderEvent)> {
    ids.iter()
        .map(|id| (format!("identity-{id}"), event(id)))
        .collect()
}

fn with_account(tag: &str, account: &str) -> Credentials {
    Credentials {
        account_id: Some(account.to_owned()),
        ..full_credentials(tag)
    }
}

async fn users_of(store: &dyn TokenStore, account: &str) -> Vec<String> {
    let mut users: Vec<String> = store
        .connected_users("hubspot", account)
        .await
        .expect("connected_users")
        .iter()
        .map(ToString::to_string)
        .collect();
    users.sort();
    users
}

/// Connecting puts a user in their account's index; reconnecting to another account moves them;
/// disconnecting and a rejected grant take them out; other providers' accounts are apart.
pub async fn the_account_index_follows_connect_reconnect_and_disconnect(store: &dyn TokenStore) {
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
    assert!(users_of(store, "62515").await.is_empty());
    store
        .save("hubspot", &alice, &with_account("a", "62515"))
        .await
        .expect("save");
    store
        .save("hubspot", &bob, &with_account("b", "62515"))
        .await
        .expect("save");
    store
        .save("notion", &carol, &with_account("c", "62515"))
        .await
        .expect("save");
    assert_eq!(users_of(store, "62515").await, ["alice", "bob"]);

    // A refresh saves the same account again: no change.
    store
        .save("hubspot", &alice, &with_account("a2", "62515"))
        .await
        .expect("save");
    assert_eq!(users_of(store, "62515").await, ["alice", "bob"]);

    // Reconnecting to another portal moves the user.
    store
        .save("hubspot", &bob, &with_account("b2", "777"))
        .await
        .expect("save");
    assert_eq!(users_of(store, "62515").await, ["alice"]);
    assert_eq!(users_of(store, "777").await, ["bob"]);

    store.delete("hubspot", &bob).await.expect("delete");
    assert!(users_of(store, "777").await.is_empty());
    store
        .mark_reauth_required("hubspot", &alice)
        .await
        .expect("mark");
    assert!(users_of(store, "62515").await.is_empty());

    // Credentials naming no account are in no index.
    store
        .save("hubspot", &alice, &minimal_credentials("m"))
        .await
        .expect("save");
    assert!(users_of(store, "62515").await.is_empty());
    store.delete("hubspot", &alice).await.expect("delete");
    store.delete("notion", &carol).await.expect("delete");
}

/// Events come back in the order appended, from the start or after any offset, in pages of
/// `max`; `latest` is the last one's offset.
pub async fn an_event_log_reads_back_in_order_from_any_offset(store: &dyn TokenStore) {
    assert!(
        store
            .latest("hubspot", "1")
            .await
            .expect("latest")
            .is_none()
    );
    assert!(
        store
            .read("hubspot", "1", None, 10)
            .await
            .expect("read")
            .is_empty()
    );
    let appended = store
        .append("hubspot", "1", &batch(&["a", "b", "c"]))
        .await
        .expect("append");
    assert_eq!((appended.stored, appended.duplicates), (3, 0));
    store
        .append("hubspot", "1", &batch(&["d"]))
        .await
        .expect("append");

    let all = store.read("hubspot", "1", None, 10).await.expect("read");
    let ids: Vec<&str> = all.iter().map(|e| e.event.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert!(
        all.windows(2)
            .all(|w| w[0].offset.parts() < w[1].offset.parts())
    );
    assert_eq!(all[0].event, event("a"), "the event comes back whole");

    let after_b = store
        .read("hubspot", "1", Some(&all[1].offset), 1)
        .await
        .expect("read");
    assert_eq!(after_b.len(), 1);
    assert_eq!(after_b[0].event.id, "c");
    assert_eq!(
        store.latest("hubspot", "1").await.expect("latest"),
        Some(all[3].offset.clone())
    );
    let none_after = store
        .read("hubspot", "1", Some(&all[3].offset), 10)
        .await
        .expect("read");
    assert!(none_after.is_empty());
    assert!(
        store
            .dropped_before("hubspot", "1")
            .await
            .expect("trimmed")
            .is_none(),
        "nothing was dropped"
    );
}

/// An event whose identity was appended before is skipped, within a batch and across batches
/// (a provider's retry), while an event with a new identity is stored even if it says the same.
pub async fn a_redelivered_event_is_stored_once(store: &dyn TokenStore) {
    let first = store
        .append("hubspot", "2", &batch(&["a", "b"]))
        .await
        .expect("append");
    assert_eq!((first.stored, first.duplicates), (2, 0));
    let retry = store
        .append("hubspot", "2", &batch(&["a", "b", "c"]))
        .await
        .expect("append");
    assert_eq!((retry.stored, retry.duplicates), (1, 2));
    let same_twice = vec![
        ("identity-x".to_owned(), event("x")),
        ("identity-x".to_owned(), event("x")),
        ("identity-x2".to_owned(), event("x")),
    ];
    let within = store
        .append("hubspot", "2", &same_twice)
        .await
        .expect("append");
    assert_eq!((within.stored, within.duplicates), (2, 1));
    let ids: Vec<String> = store
        .read("hubspot", "2", None, 10)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.event.id)
        .collect();
    assert_eq!(ids, ["a", "b", "c", "x", "x"]);
}

/// Accounts and providers have separate logs (and separate identities).
pub async fn event_logs_are_isolated_by_account_and_provider(store: &dyn TokenStore) {
    store
        .append("hubspot", "3", &batch(&["a"]))
        .await
        .expect("append");
    let other_account = store
        .append("hubspot", "4", &batch(&["a"]))
        .await
        .expect("append");
    let other_provider = store
        .append("notion", "3", &batch(&["a"]))
        .await
        .expect("append");
    assert_eq!(other_account.stored, 1, "identities are per account");
    assert_eq!(other_provider.stored, 1, "and per provider");
    for (provider, account) in [("hubspot", "3"), ("hubspot", "4"), ("notion", "3")] {
        let read = store.read(provider, account, None, 10).await.expect("read");
        assert_eq!(read.len(), 1, "{provider}/{account}");
    }
}

/// A reader's offset from one log is only a position: reading another log after it gives that
/// log's later events, never an error, and a far-future offset gives nothing.
pub async fn an_offset_past_the_end_reads_nothing(store: &dyn TokenStore) {
    store
        .append("hubspot", "5", &batch(&["a"]))
        .await
        .expect("append");
    let future = EventOffset::parse("99999999999999-0").expect("offset");
    assert!(
        store
            .read("hubspot", "5", Some(&future), 10)
            .await
            .expect("read")
            .is_empty()
    );
}

/// A named reading position is unset until set, then reads back as last set.
pub async fn a_reading_position_reads_back_as_last_set(store: &dyn TokenStore) {
    assert!(
        store
            .position("journal:hubspot")
            .await
            .expect("position")
            .is_none()
    );
    store
        .set_position("journal:hubspot", "a-1")
        .await
        .expect("set");
    store
        .set_position("journal:hubspot", "b-2")
        .await
        .expect("set");
    store
        .set_position("journal:notion", "n")
        .await
        .expect("set");
    assert_eq!(
        store
            .position("journal:hubspot")
            .await
            .expect("position")
            .as_deref(),
        Some("b-2")
    );
}
