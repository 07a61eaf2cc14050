//! The behaviour every [`TokenStore`] must have, as test functions each implementation runs
//! (enable the `conformance` feature in `[dev-dependencies]`).
//!
//! Each case takes a store that is empty as far as the case can tell (a fresh memory store, or
//! Redis with a fresh key prefix) and panics on a violation. [`conformance_tests!`] turns them
//! into one `#[tokio::test]` each:
//!
//! ```ignore
//! async fn store() -> std::sync::Arc<token_store::MemoryTokenStore> {
//!     std::sync::Arc::new(token_store::MemoryTokenStore::new())
//! }
//! token_store::conformance_tests!(store);
//! ```
//!
//! Time-based cases sleep for real (a few hundred milliseconds), since Redis keeps its own clock.
//!
//! [`conformance_tests!`]: crate::conformance_tests

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone as _, Utc};
use integration_core::{
    BrowserBinding, Credentials, ExposeSecret as _, LockToken, OAuthState, PkceVerifier,
    StoreError, UserId,
};

use crate::{PendingAuthorization, TokenStore};

/// Short TTL for expiry cases, and how long they wait for it to pass.
const SHORT_TTL: Duration = Duration::from_millis(150);
const PAST_SHORT_TTL: Duration = Duration::from_millis(400);
const LONG_TTL: Duration = Duration::from_secs(60);
/// Pending authorizations per user kept by the cases that are not about the cap.
const CAP: usize = 10;

/// Generates one `#[tokio::test]` per conformance case. `$make` is an `async fn()` returning
/// something that dereferences to the store under test (an `Arc<S>`, or a fixture that cleans up
/// on drop). Pass case names after a `;` to run a subset.
///
/// `conformance_tests!(optional $make)` takes an `$make` returning an `Option` of that instead:
/// `None` skips the case (the function should print why), for backends that need something the
/// machine may lack, such as a TLS-capable `redis-server`.
#[macro_export]
macro_rules! conformance_tests {
    (optional $make:path) => {
        $crate::conformance_tests!(@all optional $make);
    };
    (@all $how:ident $make:path) => {
        $crate::conformance_tests!(
            $how $make;
            credentials_round_trip_preserves_every_field,
            saving_again_replaces_the_credentials,
            users_are_isolated,
            providers_are_isolated,
            delete_reports_whether_there_was_anything,
            a_rejected_grant_is_remembered_until_reconnect_or_disconnect,
            state_can_be_taken_only_once,
            concurrent_takes_of_one_state_succeed_at_most_once,
            state_expires_after_its_ttl,
            state_belongs_to_the_user_who_started_the_flow,
            peeking_at_a_state_does_not_consume_it,
            beyond_the_cap_a_users_oldest_pending_state_is_dropped,
            lock_is_exclusive_until_released,
            unlock_with_a_wrong_token_does_not_release,
            lock_expires_after_its_ttl,
            locks_are_independent_by_name,
            ping_succeeds,
            a_stored_value_that_no_longer_decodes_is_corrupt,
        );
    };
    (optional $make:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let Some(store) = $make().await else {
                    return;
                };
                $crate::conformance::$case(&*store).await;
            }
        )+
    };
    (required $make:path; $($case:ident),+ $(,)?) => {
        $crate::conformance_tests!($make; $($case),+);
    };
    ($make:path) => {
        $crate::conformance_tests!(@all required $make);
    };
    ($make:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $make().await;
                $crate::conformance::$case(&*store).await;
            }
        )+
    };
}

fn user(id: &str) -> UserId {
    UserId::parse(id).expect("valid user id")
}

fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, nanos)
        .single()
        .expect("valid timestamp")
}

/// Credentials with every field set, distinguishable by `tag`.
pub fn full_credentials(tag: &str) -> Credentials {
    Credentials {
        access_token: format!("access-{tag}-CfDJ8AAAAAAAAAAAAAAAAA").into(),
        refresh_token: Some(format!("refresh-{tag}-na1-0000-1111-2222").into()),
        expires_at: Some(at(1_900_000_000, 123_456_789)),
        scopes: vec!["crm.objects.contacts.read".into(), "oauth".into()],
        account_id: Some(format!("hub-{tag}")),
        account_name: Some(format!("{tag}.example.com")),
        account_user: Some(format!("{tag}@example.com")),
        obtained_at: at(1_899_998_200, 987_654_321),
    }
}

/// Credentials with every optional field empty.
pub fn minimal_credentials(tag: &str) -> Credentials {
    Credentials {
        access_token: format!("access-{tag}").into(),
        refresh_token: None,
        expires_at: None,
        scopes: Vec::new(),
        account_id: None,
        account_name: None,
        account_user: None,
        obtained_at: at(1_800_000_000, 0),
    }
}

/// Panics unless `actual` equals `expected` field by field (tokens compared exposed).
pub fn assert_same_credentials(actual: &Credentials, expected: &Credentials) {
    assert_eq!(
        actual.access_token.expose_secret(),
        expected.access_token.expose_secret(),
        "access token"
    );
    assert_eq!(
        actual.refresh_token.as_ref().map(|t| t.expose_secret()),
        expected.refresh_token.as_ref().map(|t| t.expose_secret()),
        "refresh token"
    );
    assert_eq!(actual.expires_at, expected.expires_at, "expires_at");
    assert_eq!(actual.scopes, expected.scopes, "scopes");
    assert_eq!(actual.account_id, expected.account_id, "account_id");
    assert_eq!(actual.obtained_at, expected.obtained_at, "obtained_at");
}

fn pending(user_id: &UserId, redirect_uri: Option<&str>) -> PendingAuthorization {
    PendingAuthorization {
        user_id: user_id.clone(),
        provider: "hubspot".into(),
        redirect_uri: redirect_uri
            .unwrap_or("http://127.0.0.1:8080/api/integrations/hubspot/callback")
            .to_owned(),
        binding_hash: BrowserBinding::generate().hash(),
        pkce_verifier: Some(PkceVerifier::generate()),
        created_at: at(1_850_000_000, 42_000),
    }
}

/// Every field of a pending authorization, the PKCE verifier included, as comparable text.
fn pending_fields(pending: &PendingAuthorization) -> String {
    format!(
        "{} {} {} {} {:?} {}",
        pending.user_id,
        pending.provider,
        pending.redirect_uri,
        pending.binding_hash,
        pending
            .pkce_verifier
            .as_ref()
            .map(|v| v.secret().expose_secret().to_owned()),
        pending.created_at
    )
}

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

/// A state is returned once, with everything stored; then never again.
pub async fn state_can_be_taken_only_once(store: &dyn TokenStore) {
    let state = OAuthState::generate();
    let expected = pending(&user("alice"), Some("https://app.example/callback"));
    assert!(store.take_state(&state).await.expect("take").is_none());
    store
        .put_state(&state, &expected, LONG_TTL, CAP)
        .await
        .expect("put");
    assert_eq!(
        store
            .take_state(&state)
            .await
            .expect("take")
            .as_ref()
            .map(pending_fields),
        Some(pending_fields(&expected))
    );
    assert!(store.take_state(&state).await.expect("take").is_none());
}

/// Of several simultaneous takes of one state, exactly one succeeds.
pub async fn concurrent_takes_of_one_state_succeed_at_most_once(store: &dyn TokenStore) {
    let state = OAuthState::generate();
    store
        .put_state(&state, &pending(&user("alice"), None), LONG_TTL, CAP)
        .await
        .expect("put");
    let takes = (0..8).map(|_| store.take_state(&state));
    let results = join_all(takes).await;
    let winners = results
        .into_iter()
        .map(|r| r.expect("take"))
        .filter(Option::is_some)
        .count();
    assert_eq!(winners, 1);
}

/// A state not taken within its TTL is gone.
pub async fn state_expires_after_its_ttl(store: &dyn TokenStore) {
    let (short, long) = (OAuthState::generate(), OAuthState::generate());
    let alice = user("alice");
    store
        .put_state(&short, &pending(&alice, None), SHORT_TTL, CAP)
        .await
        .expect("put");
    store
        .put_state(&long, &pending(&alice, None), LONG_TTL, CAP)
        .await
        .expect("put");
    tokio::time::sleep(PAST_SHORT_TTL).await;
    assert!(store.take_state(&short).await.expect("take").is_none());
    assert!(store.take_state(&long).await.expect("take").is_some());
}

/// Each state yields the user who started that flow, so a callback cannot connect someone else.
pub async fn state_belongs_to_the_user_who_started_the_flow(store: &dyn TokenStore) {
    let (alice, bob) = (user("alice"), user("bob"));
    let (alices_state, bobs_state) = (OAuthState::generate(), OAuthState::generate());
    store
        .put_state(&alices_state, &pending(&alice, None), LONG_TTL, CAP)
        .await
        .expect("put");
    store
        .put_state(&bobs_state, &pending(&bob, Some("/b")), LONG_TTL, CAP)
        .await
        .expect("put");
    let taken = store.take_state(&bobs_state).await.expect("take");
    assert_eq!(taken.map(|p| p.user_id), Some(bob));
    let taken = store.take_state(&alices_state).await.expect("take");
    assert_eq!(taken.map(|p| p.user_id), Some(alice));
}

/// `peek_state` shows what `take_state` would return, as often as asked, and consumes nothing.
pub async fn peeking_at_a_state_does_not_consume_it(store: &dyn TokenStore) {
    let state = OAuthState::generate();
    assert!(store.peek_state(&state).await.expect("peek").is_none());
    let expected = pending(&user("alice"), Some("https://app.example/callback"));
    store
        .put_state(&state, &expected, LONG_TTL, CAP)
        .await
        .expect("put");
    for _ in 0..2 {
        assert_eq!(
            store
                .peek_state(&state)
                .await
                .expect("peek")
                .as_ref()
                .map(pending_fields),
            Some(pending_fields(&expected))
        );
    }
    assert!(store.take_state(&state).await.expect("take").is_some());
    assert!(store.peek_state(&state).await.expect("peek").is_none());
}

/// A user keeps at most `max_per_user` pending states: the next one drops their oldest (and
/// nobody else's); states already taken do not count.
pub async fn beyond_the_cap_a_users_oldest_pending_state_is_dropped(store: &dyn TokenStore) {
    const MAX: usize = 3;
    let (alice, bob) = (user("alice"), user("bob"));
    let bobs: Vec<OAuthState> = (0..MAX).map(|_| OAuthState::generate()).collect();
    for state in &bobs {
        store
            .put_state(state, &pending(&bob, None), LONG_TTL, MAX)
            .await
            .expect("put");
    }
    let alices: Vec<OAuthState> = (0..=MAX).map(|_| OAuthState::generate()).collect();
    for state in &alices {
        store
            .put_state(state, &pending(&alice, None), LONG_TTL, MAX)
            .await
            .expect("put");
    }
    assert!(
        store.peek_state(&alices[0]).await.expect("peek").is_none(),
        "the oldest of {} is dropped",
        MAX + 1
    );
    for state in alices[1..].iter().chain(&bobs) {
        assert!(store.peek_state(state).await.expect("peek").is_some());
    }

    // A finished flow frees its place: the next one drops nothing.
    assert!(store.take_state(&alices[1]).await.expect("take").is_some());
    let next = OAuthState::generate();
    store
        .put_state(&next, &pending(&alice, None), LONG_TTL, MAX)
        .await
        .expect("put");
    for state in [&alices[2], &alices[3], &next] {
        assert!(store.peek_state(state).await.expect("peek").is_some());
    }
    // And the one after that drops the oldest still pending.
    store
        .put_state(
            &OAuthState::generate(),
            &pending(&alice, None),
            LONG_TTL,
            MAX,
        )
        .await
        .expect("put");
    assert!(store.peek_state(&alices[2]).await.expect("peek").is_none());
    assert!(store.peek_state(&alices[3]).await.expect("peek").is_some());
    for state in &bobs {
        assert!(store.take_state(state).await.expect("take").is_some());
    }
}

/// While a lock is held nobody else gets it; after `unlock` the next caller does.
pub async fn lock_is_exclusive_until_released(store: &dyn TokenStore) {
    let first = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("a free lock is granted");
    assert!(
        store
            .try_lock("refresh:hubspot:alice", LONG_TTL)
            .await
            .expect("lock")
            .is_none()
    );
    store
        .unlock("refresh:hubspot:alice", &first)
        .await
        .expect("unlock");
    let second = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("a released lock is granted again");
    assert_ne!(first, second, "lock tokens are unique");
    assert_eq!(second.0.len(), 32, "128-bit hex token");
    store
        .unlock("refresh:hubspot:alice", &second)
        .await
        .expect("unlock");
}

/// `unlock` with a token that does not hold the lock leaves it held.
pub async fn unlock_with_a_wrong_token_does_not_release(store: &dyn TokenStore) {
    let held = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("granted");
    store
        .unlock(
            "refresh:hubspot:alice",
            &LockToken("00000000000000000000000000000000".into()),
        )
        .await
        .expect("unlock with a wrong token is not an error");
    assert!(
        store
            .try_lock("refresh:hubspot:alice", LONG_TTL)
            .await
            .expect("lock")
            .is_none()
    );
    store
        .unlock("refresh:hubspot:alice", &held)
        .await
        .expect("unlock");
}

/// A lock whose holder never releases it frees itself after its TTL, and the stale holder's
/// late `unlock` does not release the new holder's lock.
pub async fn lock_expires_after_its_ttl(store: &dyn TokenStore) {
    let stale = store
        .try_lock("refresh:hubspot:alice", SHORT_TTL)
        .await
        .expect("lock")
        .expect("granted");
    tokio::time::sleep(PAST_SHORT_TTL).await;
    let fresh = store
        .try_lock("refresh:hubspot:alice", LONG_TTL)
        .await
        .expect("lock")
        .expect("an expired lock is granted again");
    store
        .unlock("refresh:hubspot:alice", &stale)
        .await
        .expect("unlock");
    assert!(
        store
            .try_lock("refresh:hubspot:alice", LONG_TTL)
            .await
            .expect("lock")
            .is_none(),
        "the stale holder released the new holder's lock"
    );
    store
        .unlock("refresh:hubspot:alice", &fresh)
        .await
        .expect("unlock");
}

/// Locks with different names do not exclude each other.
pub async fn locks_are_independent_by_name(store: &dyn TokenStore) {
    let a = store.try_lock("a", LONG_TTL).await.expect("lock");
    let b = store.try_lock("b", LONG_TTL).await.expect("lock");
    let (a, b) = (a.expect("a granted"), b.expect("b granted"));
    store.unlock("a", &a).await.expect("unlock");
    store.unlock("b", &b).await.expect("unlock");
}

/// Write access below a store's encoding, so that the conformance suite can put there what a bit
/// flip, a forgotten key, an older format or a foreign writer would leave. Implemented (with the
/// `conformance` feature) by [`RedisTokenStore`](crate::RedisTokenStore) and
/// [`MemoryTokenStore`](crate::MemoryTokenStore); another store implements it to run the suite.
#[async_trait]
pub trait RawCredentials {
    /// Stores `bytes` as `user`'s credentials at `provider` exactly as given: in place of the
    /// encrypted envelope (Redis) or of the encoded value (memory). Panics if it cannot.
    async fn put_raw_credentials(&self, provider: &str, user: &UserId, bytes: &[u8]);

    /// Stores `plaintext` as if it were encoded credentials, sealed the way the store seals real
    /// ones (encrypted under the current key for this very key, in Redis), so that it opens but
    /// does not decode. Panics if it cannot.
    async fn put_credentials_plaintext(&self, provider: &str, user: &UserId, plaintext: &[u8]);
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

/// A reachable store answers `ping`.
pub async fn ping_succeeds(store: &dyn TokenStore) {
    store.ping().await.expect("ping");
}

/// Polls every future concurrently on the current task (no extra dependency for `join_all`).
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
