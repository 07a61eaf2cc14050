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
