//! The Redis store on a three-master Redis Cluster (started here when `redis-server` is
//! installed, skipped with a message otherwise, failing instead when `CI` is set): the whole store
//! and rate-budget conformance suites, and the keys that must share a slot doing so.

use integration_core::{CredentialStore as _, Credentials, UserId};
use token_store::local_cluster::LocalCluster;
use token_store::{Cipher, Key, KeyId, RedisStoreConfig, RedisTokenStore};

/// The cluster this test binary shares; `None` without `redis-server` or `redis-cli` (a failure
/// under CI, see `test_support::required_program`).
fn cluster() -> Option<&'static LocalCluster> {
    let test = "the Redis Cluster tests";
    test_support::redis_server(test)?;
    test_support::required_program("redis-cli", test)?;
    LocalCluster::shared()
}

async fn store() -> Option<Box<RedisTokenStore>> {
    let cluster = cluster()?;
    let prefix = format!("cluster-{}:", hex::encode(rand::random::<[u8; 6]>()));
    let config = RedisStoreConfig::new(cluster.url()).with_key_prefix(prefix);
    let cipher = Cipher::new((KeyId(1), Key::generate()), Vec::new()).expect("cipher");
    Some(Box::new(
        RedisTokenStore::new(config, cipher).expect("cluster store"),
    ))
}

token_store::conformance_tests!(optional store);

mod rate_budget {
    use super::store;

    token_store::rate_budget_conformance_tests!(optional store);
}

#[tokio::test]
async fn users_spread_over_the_masters_and_each_users_keys_share_a_slot() {
    let Some(store) = store().await else {
        return;
    };
    let credentials = Credentials {
        access_token: "access".to_owned().into(),
        refresh_token: Some("refresh".to_owned().into()),
        expires_at: None,
        scopes: Vec::new(),
        account_id: None,
        account_name: None,
        account_user: None,
        obtained_at: chrono::Utc::now(),
        api_base: None,
    };
    for i in 0..30 {
        let user = UserId::parse(format!("user{i}")).expect("user id");
        store
            .save("hubspot", &user, &credentials)
            .await
            .expect("save");
        // Save and delete are transactions over the credentials and the reconnect mark: a
        // CROSSSLOT error here would mean they no longer share a slot.
        store
            .mark_reauth_required("hubspot", &user)
            .await
            .expect("mark");
        assert!(store.reauth_required("hubspot", &user).await.expect("read"));
        store
            .save("hubspot", &user, &credentials)
            .await
            .expect("save again");
        assert!(
            !store
                .reauth_required("hubspot", &user)
                .await
                .expect("cleared")
        );
    }
    let cluster = LocalCluster::shared().expect("running");
    let keys_per_node: Vec<usize> = cluster
        .ports()
        .iter()
        .map(|port| {
            let out = std::process::Command::new("redis-cli")
                .args(["-p", &port.to_string(), "DBSIZE"])
                .output()
                .expect("redis-cli");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .unwrap_or(0)
        })
        .collect();
    assert!(
        keys_per_node.iter().all(|&n| n > 0),
        "every master holds some keys: {keys_per_node:?}"
    );
}
