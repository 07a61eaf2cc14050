//! Pending authorizations (OAuth `state`): taken once even under races, expiring, bound to the
//! user who started the flow, peeked without being consumed, capped per user.

use super::*;

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
