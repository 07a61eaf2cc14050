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
    // A cursor the old server handed out, before the rotation.
    let page: serde_json::Value = old.items("alice", "?limit=3").await.json().await.unwrap();
    let old_cursor = page["next_cursor"].as_str().unwrap().to_owned();
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

    // Cursors are signed under keys derived from the encryption keys: the old server's cursor
    // still pages on the rotated one; the rotated one's is news to the old server, and to a
    // server with unrelated keys.
    let res = rotated
        .items("alice", &format!("?limit=3&cursor={old_cursor}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: serde_json::Value = res.json().await.unwrap();
    let new_cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let res = old
        .items("alice", &format!("?limit=3&cursor={new_cursor}"))
        .await;
    e2e::assert_problem(res, 400, "invalid_request").await;
    let stranger = hubspot
        .app(AppOptions {
            key_prefix: prefix.clone(),
            vars: vec![("TOKEN_ENCRYPTION_KEY".into(), NEW_KEY.into())],
            ..AppOptions::default()
        })
        .await;
    let res = stranger
        .items("alice", &format!("?limit=3&cursor={old_cursor}"))
        .await;
    e2e::assert_problem(res, 400, "invalid_request").await;
}
