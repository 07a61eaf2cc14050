//! Rotating `TOKEN_ENCRYPTION_KEY`: a server with a new primary key and the old one in
//! `TOKEN_ENCRYPTION_PREVIOUS_KEYS` still reads what the old server stored, and re-encrypts under
//! the new key id on the next save.

use e2e::{AppOptions, HubSpot, TEST_KEY, fresh_prefix, redis_command};
use reqwest::StatusCode;

const NEW_KEY: &str = "2:ERERERERERERERERERERERERERERERERERERERERERE=";

#[tokio::test]
async fn a_rotated_key_still_reads_old_credentials_and_writes_with_the_new_id() {
    let hubspot = HubSpot::start().await;
    let prefix = fresh_prefix();
    let old = hubspot
        .app(AppOptions {
            key_prefix: prefix.clone(),
            ..AppOptions::default()
        })
        .await;
    old.connect_via_sandbox("alice").await;
    // Written under key id 1, expiring soon enough that the next read refreshes.
    old.expire_in("alice", chrono::Duration::minutes(2)).await;
    let key = format!("{prefix}hubspot:alice");
    assert_eq!(
        redis_command(&["GETRANGE", &key, "0", "2"]).await,
        b"v1\x01"
    );

    let rotated = hubspot
        .app(AppOptions {
            key_prefix: prefix.clone(),
            vars: vec![
                ("TOKEN_ENCRYPTION_KEY".into(), NEW_KEY.into()),
                (
                    "TOKEN_ENCRYPTION_PREVIOUS_KEYS".into(),
                    format!("1:{TEST_KEY}"),
                ),
            ],
            ..AppOptions::default()
        })
        .await;
    hubspot.sandbox.reset_stats();
    assert_eq!(rotated.items("alice", "").await.status(), StatusCode::OK);
    assert_eq!(hubspot.sandbox.stats().token_refresh, 1);
    // The refresh saved the credentials again: now under key id 2.
    assert_eq!(
        redis_command(&["GETRANGE", &key, "0", "2"]).await,
        b"v1\x02"
    );
    assert_eq!(rotated.items("alice", "").await.status(), StatusCode::OK);
}
