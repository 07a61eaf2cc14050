//! Credentials: stored whole, replaced, isolated by user and provider, a rejected grant
//! remembered, and a value that no longer decodes reported as corrupt rather than trusted.

use super::*;

/// `save` then `load` gives back every field, with and without the optional ones; `delete`
/// removes them.
pub async fn credentials_round_trip_preserves_every_field(store: &dyn TokenStore) {
    let alice = user("alice");
    assert!(store.load("hubspot", &alice).await.expect("load").is_none());

    for credentials in [full_credentials("a"), minimal_credentials("a")] {
        store
            .save("hubspot", &alice, &credentials)
            .await
            .expect("save");
        let loaded = store
            .load("hubspot", &alice)
            .await
            .expect("load")
            .expect("saved credentials are found");
        assert_same_credentials(&loaded, &credentials);
    }

    assert!(store.delete("hubspot", &alice).await.expect("delete"));
    assert!(store.load("hubspot", &alice).await.expect("load").is_none());
}

/// A second `save` replaces the first entirely (a refresh without a new refresh token stores
/// none; inheriting is the caller's business).
pub async fn saving_again_replaces_the_credentials(store: &dyn TokenStore) {
    let alice = user("alice");
    store
        .save("hubspot", &alice, &full_credentials("old"))
        .await
        .expect("save");
    let newer = minimal_credentials("new");
    store.save("hubspot", &alice, &newer).await.expect("save");
    let loaded = store
        .load("hubspot", &alice)
        .await
        .expect("load")
        .expect("found");
    assert_same_credentials(&loaded, &newer);
    store.delete("hubspot", &alice).await.expect("delete");
}

/// One user's credentials are invisible to, and not deleted by, another user.
pub async fn users_are_isolated(store: &dyn TokenStore) {
    let (alice, bob) = (user("alice"), user("bob"));
    store
        .save("hubspot", &alice, &full_credentials("alice"))
        .await
        .expect("save");
    assert!(store.load("hubspot", &bob).await.expect("load").is_none());
    assert!(!store.delete("hubspot", &bob).await.expect("delete"));

    store
        .save("hubspot", &bob, &full_credentials("bob"))
        .await
        .expect("save");
    let alices = store.load("hubspot", &alice).await.expect("load");
    assert_same_credentials(&alices.expect("found"), &full_credentials("alice"));
    let bobs = store.load("hubspot", &bob).await.expect("load");
    assert_same_credentials(&bobs.expect("found"), &full_credentials("bob"));

    assert!(store.delete("hubspot", &alice).await.expect("delete"));
    assert!(store.load("hubspot", &bob).await.expect("load").is_some());
    store.delete("hubspot", &bob).await.expect("delete");
}

/// One user's credentials at one provider are invisible at another.
pub async fn providers_are_isolated(store: &dyn TokenStore) {
    let alice = user("alice");
    store
        .save("hubspot", &alice, &full_credentials("hubspot"))
        .await
        .expect("save");
    assert!(store.load("notion", &alice).await.expect("load").is_none());
    store
        .save("notion", &alice, &minimal_credentials("notion"))
        .await
        .expect("save");
    let hubspot = store.load("hubspot", &alice).await.expect("load");
    assert_same_credentials(&hubspot.expect("found"), &full_credentials("hubspot"));
    assert!(store.delete("notion", &alice).await.expect("delete"));
    assert!(store.load("hubspot", &alice).await.expect("load").is_some());
    store.delete("hubspot", &alice).await.expect("delete");
}

/// `delete` is `false` when there was nothing, `true` once, then `false` again.
pub async fn delete_reports_whether_there_was_anything(store: &dyn TokenStore) {
    let alice = user("alice");
    assert!(!store.delete("hubspot", &alice).await.expect("delete"));
    store
        .save("hubspot", &alice, &minimal_credentials("a"))
        .await
        .expect("save");
    assert!(store.delete("hubspot", &alice).await.expect("delete"));
    assert!(!store.delete("hubspot", &alice).await.expect("delete"));
}

/// A grant the provider rejected is gone but remembered ("needs reconnect") until the user
/// reconnects (`save`) or disconnects (`delete`); it is per user and per provider.
pub async fn a_rejected_grant_is_remembered_until_reconnect_or_disconnect(store: &dyn TokenStore) {
    let alice = user("alice");
    let bob = user("bob");
    for who in [&alice, &bob] {
        store
            .save("hubspot", who, &minimal_credentials("a"))
            .await
            .expect("save");
    }
    assert!(
        !store
            .reauth_required("hubspot", &alice)
            .await
            .expect("read")
    );
    store
        .mark_reauth_required("hubspot", &alice)
        .await
        .expect("mark");
    assert!(store.load("hubspot", &alice).await.expect("load").is_none());
    assert!(
        store
            .reauth_required("hubspot", &alice)
            .await
            .expect("read")
    );
    assert!(!store.reauth_required("hubspot", &bob).await.expect("read"));
    assert!(!store.reauth_required("notion", &alice).await.expect("read"));

    store
        .save("hubspot", &alice, &minimal_credentials("b"))
        .await
        .expect("save");
    assert!(
        !store
            .reauth_required("hubspot", &alice)
            .await
            .expect("read")
    );

    store
        .mark_reauth_required("hubspot", &alice)
        .await
        .expect("mark");
    store.delete("hubspot", &alice).await.expect("delete");
    assert!(
        !store
            .reauth_required("hubspot", &alice)
            .await
            .expect("read")
    );
    store.delete("hubspot", &bob).await.expect("delete");
}

/// A stored value that no longer decrypts, or decrypts but is not credentials, loads as
/// `StoreError::Corrupt` (never a panic, never wrong credentials), without a word of it in the
/// message; other users are unaffected, and saving again (reconnecting) repairs it.
pub async fn a_stored_value_that_no_longer_decodes_is_corrupt<S>(store: &S)
where
    S: TokenStore + RawCredentials + ?Sized,
{
    let (alice, bob) = (user("alice"), user("bob"));
    store
        .save("hubspot", &bob, &full_credentials("bob"))
        .await
        .expect("save");
    let mut random = [0_u8; 300];
    random.iter_mut().for_each(|b| *b = rand::random());

    let raw: [&[u8]; 7] = [
        b"",
        b"v1",
        b"not an envelope",
        b"v9\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        b"{\"access_token\":\"access-secret-1\"",
        b"\xff\xfe\x00\x01",
        &random,
    ];
    let plaintexts: [&[u8]; 7] = [
        b"",
        b"not json access-secret-2",
        b"{}",
        b"[\"access-secret-3\"]",
        b"{\"access_token\":5,\"scopes\":[],\"obtained_at\":\"2024-01-01T00:00:00Z\"}",
        b"{\"access_token\":\"access-secret-4\",\"scopes\":[],\"obtained_at\":\"yesterday\"}",
        b"{\"access_token\":\"\xff\xfe\",\"scopes\":[],\"obtained_at\":\"2024-01-01T00:00:00Z\"}",
    ];
    for (how, value) in raw
        .iter()
        .map(|v| ("raw", v))
        .chain(plaintexts.iter().map(|v| ("plaintext", v)))
    {
        if how == "raw" {
            store.put_raw_credentials("hubspot", &alice, value).await;
        } else {
            store
                .put_credentials_plaintext("hubspot", &alice, value)
                .await;
        }
        match store.load("hubspot", &alice).await {
            Err(StoreError::Corrupt(message)) => assert!(
                !message.contains("secret"),
                "the error repeats the stored value: {message}"
            ),
            Err(other) => panic!("{how} {value:?}: expected Corrupt, got {other:?}"),
            Ok(found) => panic!(
                "{how} {value:?}: expected Corrupt, got {:?}",
                found.map(|c| c.scopes)
            ),
        }
    }

    let bobs = store.load("hubspot", &bob).await.expect("load");
    assert_same_credentials(&bobs.expect("found"), &full_credentials("bob"));

    store
        .save("hubspot", &alice, &full_credentials("alice"))
        .await
        .expect("saving over a corrupt value");
    let alices = store.load("hubspot", &alice).await.expect("load");
    assert_same_credentials(&alices.expect("found"), &full_credentials("alice"));

    store
        .put_raw_credentials("hubspot", &alice, b"garbage")
        .await;
    assert!(
        store.delete("hubspot", &alice).await.expect("delete"),
        "a corrupt value can be deleted (disconnect)"
    );
    assert!(store.load("hubspot", &alice).await.expect("load").is_none());
    store.delete("hubspot", &bob).await.expect("delete");
}
