//! The HubSpot provider's logs against the HubSpot sandbox: no token, code, verifier or client
//! secret in any event or error.
//!
//! A test binary of its own: tracing caches a callsite's interest process-wide, and with a
//! single (thread-scoped) subscriber it computes it from the default of whichever thread hits
//! the callsite first, so a test running beside this one would switch its events off.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

#[path = "common/peer.rs"]
mod peer;

use std::time::Duration;

use hubspot::HubSpotConfig;
use hubspot_sandbox::{Faults, SandboxConfig};
use integration_core::{ExposeSecret as _, Integration, ItemQuery};
use peer::{CLIENT_ID, CLIENT_SECRET, REDIRECT, peer};

#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_tokens_codes_or_the_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("hubspot=trace,integration_core=trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The sandbox serves on threads of its own: what is captured is the client's logs only.
    let peer = peer(SandboxConfig::default()).await;
    let (code, verifier) = peer.approve().await;
    let creds = peer
        .hubspot
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .unwrap();
    let refreshed = peer.hubspot.refresh(&creds).await.unwrap();
    peer.hubspot
        .list_items(&refreshed, &ItemQuery::new())
        .await
        .unwrap();
    peer.sandbox.set_faults(Faults {
        rate_limit_next: 1,
        fail_next: 1,
        ..Faults::default()
    });
    let mut errors = vec![
        peer.hubspot
            .list_items(&refreshed, &ItemQuery::new())
            .await
            .unwrap_err(),
        peer.hubspot
            .list_items(&refreshed, &ItemQuery::new())
            .await
            .unwrap_err(),
    ];
    peer.hubspot.revoke(&refreshed).await.unwrap();
    errors.push(peer.hubspot.refresh(&refreshed).await.unwrap_err());
    errors.push(
        peer.hubspot
            .list_items(&refreshed, &ItemQuery::new())
            .await
            .unwrap_err(),
    );
    // Nobody listening any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = url::Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let unreachable = hubspot::provider(
        HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into())
            .with_base_url(&gone)
            .unwrap(),
        hubspot::http_client(Duration::from_secs(5)),
    );
    errors.push(
        unreachable
            .list_items(&refreshed, &ItemQuery::new())
            .await
            .unwrap_err(),
    );
    errors.push(unreachable.refresh(&refreshed).await.unwrap_err());
    errors.push(unreachable.revoke(&refreshed).await.unwrap_err());

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("hubspot rate limit"), "{logs}");
    let secrets = [
        code.secret().expose_secret().to_owned(),
        verifier.secret().expose_secret().to_owned(),
        creds.access_token.expose_secret().to_owned(),
        creds
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
        refreshed.access_token.expose_secret().to_owned(),
        CLIENT_SECRET.to_owned(),
    ];
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret in logs:\n{logs}");
        for error in &errors {
            let text = format!("{error} {error:?}");
            assert!(!text.contains(secret.as_str()), "{error:?}");
        }
    }
}
