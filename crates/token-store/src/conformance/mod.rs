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

mod credentials;
mod events;
mod locks;
mod states;

pub use credentials::*;
pub use events::*;
pub use locks::*;
pub use states::*;

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
            a_cached_value_reads_back_until_it_expires_or_is_deleted,
            ping_succeeds,
            a_stored_value_that_no_longer_decodes_is_corrupt,
            the_account_index_follows_connect_reconnect_and_disconnect,
            an_event_log_reads_back_in_order_from_any_offset,
            a_redelivered_event_is_stored_once,
            event_logs_are_isolated_by_account_and_provider,
            an_offset_past_the_end_reads_nothing,
            a_reading_position_reads_back_as_last_set,
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
        api_base: None,
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
        api_base: None,
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
