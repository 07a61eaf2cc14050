//! The conformance suite against [`MemoryTokenStore`], plus what only the memory store promises.

use std::sync::Arc;

use integration_core::{CredentialStore, UserId};
use token_store::conformance::{assert_same_credentials, full_credentials};
use token_store::{MemoryTokenStore, TokenStore};

async fn store() -> Arc<MemoryTokenStore> {
    Arc::new(MemoryTokenStore::new())
}

token_store::conformance_tests!(store);

mod rate_budget {
    use super::store;

    token_store::rate_budget_conformance_tests!(store);
}

#[tokio::test]
async fn clones_and_trait_objects_share_one_store() {
    let store = MemoryTokenStore::new();
    let tokens: Arc<dyn TokenStore> = Arc::new(store.clone());
    let credentials = Arc::clone(&tokens) as Arc<dyn CredentialStore>;
    let user = UserId::parse("alice").expect("user id");

    credentials
        .save("hubspot", &user, &full_credentials("a"))
        .await
        .expect("save");
    let through_tokens = tokens.load("hubspot", &user).await.expect("load");
    assert_same_credentials(&through_tokens.expect("found"), &full_credentials("a"));
    assert!(store.load("hubspot", &user).await.expect("load").is_some());
}

/// One portal, HubSpot's limit (110 in any 10 s, background work 109): a user syncing four
/// streams at once and a user syncing one share the portal's calls by user, not by stream, so
/// the second user's sync is not four times slower; and the window is still used whole.
#[tokio::test(start_paused = true)]
async fn users_share_a_portal_equally_whatever_their_number_of_streams() {
    use integration_core::{Admission, Limit, Priority, RateBudget};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    let store = Arc::new(MemoryTokenStore::new());
    let limit = Limit::new(110, Duration::from_secs(10));
    let until = Instant::now() + Duration::from_secs(60);
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let streams = [("ann", 0), ("ann", 0), ("ann", 0), ("ann", 0), ("ben", 1)];
    let runs = streams.map(|(user, slot)| {
        let (store, counts) = (Arc::clone(&store), Arc::clone(&counts));
        tokio::spawn(async move {
            while Instant::now() < until {
                let answer = store
                    .acquire_for("hubspot:1", &limit, Priority::Background, user)
                    .await
                    .unwrap();
                match answer {
                    Admission::Admitted => {
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                        // A page takes a moment to arrive.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Admission::Wait(wait) => tokio::time::sleep(wait).await,
                }
            }
        })
    });
    for run in runs {
        run.await.unwrap();
    }
    let (ann, ben) = (
        counts[0].load(Ordering::Relaxed),
        counts[1].load(Ordering::Relaxed),
    );
    // Six windows: 654 calls at most, all of them used.
    assert!(ann + ben >= 650 && ann + ben <= 654, "{ann} + {ben}");
    let share = ben as f64 / (ann + ben) as f64;
    assert!((0.45..=0.55).contains(&share), "ann {ann}, ben {ben}");
}
