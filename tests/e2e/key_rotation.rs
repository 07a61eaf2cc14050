//! Rotating `TOKEN_ENCRYPTION_KEY`: a server with a new primary key and the old one in
//! `TOKEN_ENCRYPTION_PREVIOUS_KEYS` still reads what the old server stored, and re-encrypts under
//! the new key id on the next save.

use std::time::Duration;

use e2e::{AppOptions, HubSpotMock, TEST_KEY, fresh_prefix, redis_command, spawn_app_with};
use reqwest::StatusCode;

const NEW_KEY: &str = "2:ERERERERERERERERERERERERERERERERERERERERERE=";

#[tokio::test]
async fn a_rotated_key_still_reads_old_credentials_and_writes_with_the_new_id() {
    let hubspot = HubSpotMock::start().await;
    hubspot.contacts(2, "access-1").await;
    hubspot.contacts(2, "access-2").await;
    hubspot.refresh("access-2", 1, Duration::ZERO).await;
    let prefix = fresh_prefix();
    let old = spawn_app_with(
        hubspot.env(),
        AppOptions {
            key_prefix: prefix.clone(),
            ..AppOptions::default()
        },
    )
    .await;
    // Written under key id 1, expiring soon enough that the next read refreshes.
    old.seed_credentials("alice", "access-1", chrono::Duration::minutes(2))
        .await;
    let key = format!("{prefix}hubspot:alice");
    assert_eq!(
        redis_command(&["GETRANGE", &key, "0", "2"]).await,
        b"v1\x01"
    );

    let rotated = spawn_app_with(
        hubspot.env(),
        AppOptions {
            key_prefix: prefix.clone(),
            vars: vec![
                ("TOKEN_ENCRYPTION_KEY".into(), NEW_KEY.into()),
                (
                    "TOKEN_ENCRYPTION_PREVIOUS_KEYS".into(),
                    format!("1:{TEST_KEY}"),
                ),
            ],
            ..AppOptions::default()
        },
    )
    .await;
    assert_eq!(rotated.items("alice", "").await.status(), StatusCode::OK);
    // The refresh saved the credentials again: now under key id 2.
    assert_eq!(
        redis_command(&["GETRANGE", &key, "0", "2"]).await,
        b"v1\x02"
    );
    assert_eq!(rotated.items("alice", "").await.status(), StatusCode::OK);
}
