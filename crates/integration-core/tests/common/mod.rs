//! What the connector's stream tests share: a connector with a stored grant for one user.
#![allow(dead_code, reason = "each test file uses its part")]

use std::sync::Arc;

use chrono::Utc;
use integration_core::{Connector, CredentialStore as _, Credentials, Integration, UserId};
use token_store::MemoryTokenStore;

/// A connector for `integration` whose user `ada` holds a grant that never expires.
pub async fn connected(integration: Arc<dyn Integration>) -> (Arc<Connector>, UserId) {
    let store = Arc::new(MemoryTokenStore::new());
    let user = UserId::parse("ada").expect("a user id");
    let credentials = Credentials {
        access_token: "at".to_owned().into(),
        refresh_token: None,
        expires_at: None,
        scopes: Vec::new(),
        account_id: None,
        account_name: None,
        account_user: None,
        obtained_at: Utc::now(),
        api_base: None,
    };
    (store.save(integration.id(), &user, &credentials).await).expect("saved");
    (Arc::new(Connector::new(integration, store as _)), user)
}
