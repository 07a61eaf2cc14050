//! The HubSpot provider against the HubSpot sandbox: one test per HubSpot answer it handles.
//! Each test pins only the contract variation it depends on (see the sandbox's "Contract
//! variations"); everything else varies with `HUBSPOT_SANDBOX_SEED`.

#[path = "common/peer.rs"]
mod peer;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use hubspot::{HubSpotConfig, OAuthApi};
use hubspot_sandbox::{Contract, CursorStyle, Faults, SandboxConfig, Vary};
use integration_core::{
    AuthorizationRequest, Credentials, Cursor, Error, ExposeSecret as _, Integration, ItemQuery,
    OAuthState,
};
use peer::{CLIENT_ID, CLIENT_SECRET, Peer, REDIRECT, peer, peer_under};
use serde_json::Value;

const CONTACTS: &str = "/crm/v3/objects/contacts";

/// The default sandbox with `edit` applied to its contract.
fn pinned(edit: impl FnOnce(&mut Contract)) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    edit(&mut config.contract);
    config
}

/// A connected peer of `config`.
async fn connected(config: SandboxConfig) -> (Peer, Credentials) {
    let peer = peer(config).await;
    let credentials = peer.connect().await;
    (peer, credentials)
}

/// The base URL without its trailing slash, as record links start.
fn origin(peer: &Peer) -> String {
    peer.base.as_str().trim_end_matches('/').to_owned()
}

// ---------- list_items ----------

#[tokio::test]
async fn pages_follow_the_after_cursor_from_the_body_not_the_link() {
    // Percent-encoded cursors (the spec's `NTI1Cg%3D%3D` style) next to an absolute link.
    let (peer, credentials) = connected(pinned(|c| {
        c.cursor_style = CursorStyle::PercentEncoded;
        c.omit_optional = Vary::Off;
        c.relative_links = Vary::Off;
    }))
    .await;
    let mut query = ItemQuery::new();
    let mut ids = Vec::new();
    let mut cursors = Vec::new();
    loop {
        let page = peer.hubspot.list_items(&credentials, &query).await.unwrap();
        ids.extend(page.items.into_iter().map(|i| i.id));
        let Some(cursor) = page.next_cursor else {
            break;
        };
        // HubSpot's opaque token travels wrapped, and comes back byte for byte.
        let after = cursor.unwrap_provider().unwrap().to_owned();
        assert!(after.contains('%'), "{after}");
        cursors.push(after);
        query = ItemQuery::new().after(Some(cursor));
    }
    assert_eq!(ids.len(), 250);
    assert_eq!(cursors.len(), 2);
    let lists = peer.requests_to(CONTACTS);
    assert_eq!(lists.len(), 3);
    assert_eq!(peer.sandbox.stats().objects, 3);
    for (request, cursor) in lists[1..].iter().zip(&cursors) {
        assert_eq!(request.param("after"), [cursor.as_str()]);
        // Built by us, not taken from the link: our page size, properties and archived flag.
        assert_eq!(request.param("limit"), ["100"]);
        assert_eq!(request.param("properties"), ["firstname,lastname,email"]);
        assert_eq!(request.param("archived"), ["false"]);
    }
}

#[tokio::test]
async fn records_map_to_items_with_properties_titles_and_links() {
    // Unset and empty values on many records, so every title fallback occurs; no HubSpot `url`,
    // so the links are ours.
    let (peer, credentials) = connected(pinned(|c| {
        c.blank_values = Vary::On;
        c.record_url = Vary::Off;
    }))
    .await;
    let mut items = Vec::new();
    let mut query = ItemQuery::new();
    loop {
        let page = peer.hubspot.list_items(&credentials, &query).await.unwrap();
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query = ItemQuery::new().after(Some(cursor)),
            None => break,
        }
    }
    assert_eq!(items.len(), 250);
    let hub = peer.sandbox.hub_id();
    let mut fallbacks = HashMap::new();
    for item in &items {
        let text = |name: &str| {
            item.properties
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let (first, last, email) = (text("firstname"), text("lastname"), text("email"));
        let (expected, kind) = match (first, last, email) {
            (Some(f), Some(l), _) => (format!("{f} {l}"), "full name"),
            (Some(one), None, _) | (None, Some(one), _) => (one.to_owned(), "one name"),
            (None, None, Some(email)) => (email.to_owned(), "email"),
            (None, None, None) => (format!("Contact {}", item.id), "id"),
        };
        assert_eq!(item.title, expected, "{item:?}");
        *fallbacks.entry(kind).or_insert(0) += 1;

        assert_eq!(item.item_type.as_deref(), Some("contact"));
        let link = format!("{}/contacts/{hub}/record/0-1/{}", origin(&peer), item.id);
        assert_eq!(item.url.as_deref(), Some(link.as_str()));
        assert_eq!(
            item.properties["hs_object_id"],
            Value::from(item.id.as_str())
        );
        let (created, updated) = (item.created_at.unwrap(), item.updated_at.unwrap());
        assert!(created <= updated, "{item:?}");
    }
    assert_eq!(
        fallbacks.len(),
        4,
        "every title rule is exercised: {fallbacks:?}"
    );
    // Nulls are kept, not dropped; empty strings stay empty strings.
    let values: Vec<&Value> = items.iter().flat_map(|i| i.properties.values()).collect();
    assert!(values.contains(&&Value::Null));
    assert!(values.contains(&&Value::from("")));
}

#[tokio::test]
async fn links_are_omitted_without_a_hub_id() {
    let (peer, mut credentials) = connected(pinned(|c| c.record_url = Vary::Off)).await;
    credentials.account_id = None;
    let page = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().limit(20))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 20);
    assert!(page.items.iter().all(|i| i.url.is_none()), "{page:?}");
}

#[tokio::test]
async fn companies_and_deals_use_their_own_paths_properties_and_links() {
    let mut peer = peer(pinned(|c| c.record_url = Vary::Off)).await;
    peer.hubspot = peer.provider(|c| {
        c.scopes.push("crm.objects.companies.read".into());
        c.scopes.push("crm.objects.deals.read".into());
    });
    let credentials = peer.connect().await;
    let hub = peer.sandbox.hub_id();

    let companies = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().object_type("companies"))
        .await
        .unwrap();
    assert_eq!(companies.items.len(), 40);
    for item in &companies.items {
        let name = item.properties.get("name").and_then(Value::as_str);
        let domain = item.properties.get("domain").and_then(Value::as_str);
        let expected = [name, domain]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map_or_else(|| format!("Company {}", item.id), str::to_owned);
        assert_eq!(item.title, expected);
        assert_eq!(item.item_type.as_deref(), Some("company"));
        let link = format!("{}/contacts/{hub}/record/0-2/{}", origin(&peer), item.id);
        assert_eq!(item.url.as_deref(), Some(link.as_str()));
    }

    let deals = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().object_type("deals"))
        .await
        .unwrap();
    assert_eq!(deals.items.len(), 60);
    for item in &deals.items {
        let name = item.properties.get("dealname").and_then(Value::as_str);
        let expected = name
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(|| format!("Deal {}", item.id), str::to_owned);
        assert_eq!(item.title, expected);
        assert_eq!(item.item_type.as_deref(), Some("deal"));
        assert!(
            item.url
                .as_deref()
                .unwrap()
                .ends_with(&format!("/record/0-3/{}", item.id)),
            "{item:?}"
        );
    }

    let companies = peer.requests_to("/crm/v3/objects/companies");
    assert_eq!(companies[0].param("properties"), ["name,domain"]);
    let deals = peer.requests_to("/crm/v3/objects/deals");
    assert_eq!(
        deals[0].param("properties"),
        ["dealname,amount,dealstage,closedate"]
    );

    let unsupported = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().object_type("widgets"))
        .await;
    assert!(matches!(unsupported, Err(Error::InvalidInput(_))));
    assert_eq!(peer.sandbox.stats().objects, 2, "no request for widgets");
}

#[tokio::test]
async fn requested_limits_are_clamped_to_hubspots_maximum() {
    // The sandbox refuses `limit` over 100 with a 400, as the v3 objects API does.
    let (peer, credentials) = connected(SandboxConfig::default()).await;
    for (asked, sent) in [(500, 100), (0, 1), (25, 25)] {
        let page = peer
            .hubspot
            .list_items(&credentials, &ItemQuery::new().limit(asked))
            .await
            .unwrap();
        assert_eq!(page.items.len(), sent, "asked {asked}");
        let last = peer.requests_to(CONTACTS).pop().unwrap();
        assert_eq!(last.param("limit"), [sent.to_string()], "asked {asked}");
    }
}

#[tokio::test]
async fn expired_and_invalid_tokens_are_unauthorized() {
    let (peer, mut credentials) = connected(SandboxConfig::default()).await;
    // INVALID_AUTHENTICATION: a token HubSpot never issued.
    let live = credentials.access_token.clone();
    credentials.access_token = "CO-not-a-token-of-this-portal".to_owned().into();
    let error = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized), "invalid: {error:?}");
    // EXPIRED_AUTHENTICATION.
    credentials.access_token = live;
    peer.sandbox.expire_access_tokens();
    let error = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized), "expired: {error:?}");
    assert_eq!(peer.sandbox.stats().objects, 2);
}

#[tokio::test]
async fn missing_scopes_is_rejected_with_the_category() {
    // The grant has contacts only (no optional scope asked for); the sandbox checks scopes, and
    // names the missing one in whichever context field the seed picks.
    let mut peer = peer(SandboxConfig {
        enforce_scopes: true,
        ..SandboxConfig::default()
    })
    .await;
    peer.config.optional_scopes = Vec::new();
    peer.hubspot = hubspot::provider(
        peer.config.clone(),
        hubspot::http_client(std::time::Duration::from_secs(5)),
    );
    let credentials = peer.connect().await;
    assert!(
        !credentials
            .scopes
            .contains(&"crm.objects.deals.read".to_owned()),
        "{credentials:?}"
    );
    let error = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().object_type("deals"))
        .await
        .unwrap_err();
    match error {
        Error::InsufficientScope { scope } => {
            assert!(scope.contains("crm.objects.deals.read"), "{scope}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(peer.sandbox.stats().objects, 1);
}

#[tokio::test]
async fn server_errors_are_upstream() {
    // With HubSpot's JSON, an HTML page or no body, as the seed decides.
    let (peer, credentials) = connected(SandboxConfig::default()).await;
    for status in [500, 502, 503] {
        peer.sandbox.set_faults(Faults {
            fail_next: 1,
            fail_status: status,
            ..Faults::default()
        });
        let error = peer
            .hubspot
            .list_items(&credentials, &ItemQuery::new())
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::Upstream { status: s } if s == status),
            "{error:?}"
        );
    }
    assert_eq!(peer.sandbox.stats().faults_injected, 3);
}

#[tokio::test]
async fn malformed_pages_are_invalid_responses_without_the_body() {
    let (peer, credentials) = connected(SandboxConfig::default()).await;
    peer.sandbox.set_faults(Faults {
        malformed_next: 1,
        ..Faults::default()
    });
    // The sandbox answers 200 with `{"results": [{"id": "1` (cut short).
    let error = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new())
        .await
        .unwrap_err();
    match error {
        Error::InvalidResponse(reason) => {
            assert!(
                !reason.contains("results") && !reason.contains('{'),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(peer.sandbox.stats().faults_injected, 1);
}

#[tokio::test]
async fn slow_answers_time_out_as_unavailable() {
    let (peer, credentials) = connected(SandboxConfig::default()).await;
    peer.sandbox
        .update(|k| k.latency = Duration::from_millis(1500));
    let provider = peer.provider(|c| c.request_timeout = Duration::from_millis(100));
    let started = std::time::Instant::now();
    let error = provider
        .list_items(&credentials, &ItemQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the setting's timeout, not the client's"
    );
}

#[tokio::test]
async fn base_urls_with_a_path_prefix_keep_it() {
    // Mounted as the server mounts it in sandbox mode.
    let peer = peer_under(pinned(|c| c.record_url = Vary::Off), "/_sandbox/hubspot").await;
    let credentials = peer.connect().await;
    let page = peer
        .hubspot
        .list_items(&credentials, &ItemQuery::new().limit(1))
        .await
        .unwrap();
    let hub = peer.sandbox.hub_id();
    assert!(
        page.items[0]
            .url
            .as_deref()
            .unwrap()
            .contains(&format!("/_sandbox/hubspot/contacts/{hub}/record/0-1/")),
        "{page:?}"
    );
    let refreshed = peer.hubspot.refresh(&credentials).await.unwrap();
    peer.hubspot.revoke(&refreshed).await.unwrap();
    let stats = peer.sandbox.stats();
    assert_eq!(
        (
            stats.approvals,
            stats.token_authorization_code,
            stats.token_refresh
        ),
        (1, 1, 1)
    );
    assert_eq!((stats.objects, stats.revoke), (1, 1));
    let requests = peer.requests();
    assert!(requests.len() >= 6, "{requests:?}");
    for request in &requests {
        assert!(
            request.path.starts_with("/_sandbox/hubspot/"),
            "{request:?}"
        );
    }
}

// ---------- tokens ----------

#[tokio::test]
async fn codes_are_exchanged_with_the_secret_in_the_form_body() {
    // The sandbox takes client credentials in a form body only (415 for anything else, 400
    // `invalid_client` without them): an exchange that succeeds sent them there.
    let peer = peer(SandboxConfig::default()).await;
    let (code, verifier) = peer.approve().await;
    let before = Utc::now();
    let creds = peer
        .hubspot
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .unwrap();

    let tokens = peer.requests_to("/oauth/2026-03/token");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].method, "POST");
    assert!(!tokens[0].authorization);
    assert!(tokens[0].query.is_empty(), "nothing secret in the URL");
    assert_eq!(peer.sandbox.stats().token_authorization_code, 1);

    assert!(!creds.access_token.expose_secret().is_empty());
    assert!(creds.refresh_token.is_some());
    // From the token answer or, when it leaves them out, from introspection.
    let hub = peer.sandbox.hub_id().to_string();
    assert_eq!(creds.account_id.as_deref(), Some(hub.as_str()));
    assert!(
        creds
            .scopes
            .contains(&"crm.objects.contacts.read".to_owned()),
        "{creds:?}"
    );
    let expires = creds.expires_at.unwrap();
    assert!(
        expires >= before + chrono::Duration::seconds(1799),
        "{expires}"
    );
    assert!(
        expires <= Utc::now() + chrono::Duration::seconds(1800),
        "{expires}"
    );
}

#[tokio::test]
async fn refresh_sends_the_refresh_token_and_tolerates_missing_scopes() {
    let (peer, original) = connected(SandboxConfig::default()).await;
    // The refresh answer leaves out the optional `hub_id`, `user_id` and `scopes`.
    peer.sandbox.update(|k| k.contract.omit_optional = Vary::On);
    let creds = peer.hubspot.refresh(&original).await.unwrap();
    assert_eq!(peer.sandbox.stats().token_refresh, 1);
    assert!(peer.requests_to("/oauth/2026-03/token")[1].query.is_empty());
    assert_ne!(
        creds.access_token.expose_secret(),
        original.access_token.expose_secret()
    );
    assert!(creds.scopes.is_empty(), "empty so the connector inherits");
    assert_eq!(creds.account_id, None);
    // What the connector does with it:
    let merged = creds.inherit_from(&original);
    assert_eq!(merged.scopes, original.scopes);
    assert_eq!(merged.account_id, original.account_id);
    let page = peer
        .hubspot
        .list_items(&merged, &ItemQuery::new().limit(1))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn client_misconfiguration_is_a_config_error_without_the_secret() {
    // The refusal names the client (`BAD_CLIENT_…` or `invalid_client`) only when the body
    // carries more than the spec's required fields: pinned to full bodies.
    let (peer, credentials) = connected(pinned(|c| c.minimal_errors = Vary::Off)).await;
    let wrong_secret = "shh-wrong-client-secret";
    let misconfigured = peer.provider(|c| c.client_secret = wrong_secret.to_owned().into());
    let unknown_client = peer.provider(|c| c.client_id = "no-such-client".into());

    let (code, verifier) = peer.approve().await;
    let errors = [
        (
            "BAD_CLIENT_SECRET on exchange",
            misconfigured
                .exchange_code(&code, REDIRECT, Some(&verifier))
                .await,
        ),
        (
            "BAD_CLIENT_SECRET on refresh",
            misconfigured.refresh(&credentials).await,
        ),
        ("BAD_CLIENT_ID", unknown_client.refresh(&credentials).await),
    ];
    for (case, result) in errors {
        let error = result.unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{case}: {error:?}");
        let text = format!("{error} {error:?}");
        for secret in [wrong_secret, CLIENT_SECRET] {
            assert!(!text.contains(secret), "{case}: {text}");
        }
    }
    // None of these consumed the code.
    peer.hubspot
        .exchange_code(&code, REDIRECT, Some(&verifier))
        .await
        .unwrap();
}

/// A wrong client secret refused with only the spec's required error fields cannot be told
/// from a dead grant by its body: introspection of the refresh token, authenticated as the
/// client (RFC 7662), tells them apart, so a bad deploy does not cost users their grants.
#[tokio::test]
async fn a_refresh_refused_for_our_client_is_a_config_error_whatever_the_body() {
    let (peer, credentials) = connected(pinned(|c| c.minimal_errors = Vary::On)).await;
    let misconfigured =
        peer.provider(|c| c.client_secret = "shh-wrong-client-secret".to_owned().into());
    let error = misconfigured.refresh(&credentials).await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("shh-wrong"));
    // The grant itself is fine: the right client refreshes it.
    peer.hubspot.refresh(&credentials).await.unwrap();
    // A dead grant, refused the same minimal way, is confirmed dead.
    peer.sandbox.revoke_all_tokens();
    let error = peer.hubspot.refresh(&credentials).await.unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
}

/// `hub_id` is optional in a token answer. Without it, introspection names the portal; if that
/// fails too, connecting fails rather than keep a rate budget per user instead of per portal.
/// With it, introspection is only for names, and its failure does not stop the connection.
#[tokio::test]
async fn a_connection_needs_a_portal_from_the_token_or_from_introspection() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = url::Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    for (omit, connects) in [(Vary::On, false), (Vary::Off, true)] {
        let peer = peer(pinned(|c| c.omit_optional = omit)).await;
        // Tokens from the sandbox; introspection (under the API base) unreachable.
        let hubspot = peer.provider(|c| c.api_base_url = nowhere.clone());
        let (code, verifier) = peer.approve().await;
        let result = hubspot
            .exchange_code(&code, REDIRECT, Some(&verifier))
            .await;
        match (connects, result) {
            (true, Ok(credentials)) => {
                assert_eq!(
                    credentials.account_id,
                    Some(peer.sandbox.hub_id().to_string())
                );
                assert_eq!(credentials.account_name, None);
            }
            (false, Err(error)) => assert!(matches!(error, Error::Unavailable(_)), "{error:?}"),
            (_, other) => panic!("omit_optional {omit:?}: {other:?}"),
        }
    }
}

/// When HubSpot cannot say whether a refused grant is dead (introspection failing), the grant
/// is kept: the next call tries the refresh again, instead of asking every user to reconnect.
#[tokio::test]
async fn a_refusal_introspection_cannot_confirm_keeps_the_grant() {
    let (peer, credentials) = connected(pinned(|c| c.minimal_errors = Vary::On)).await;
    peer.sandbox.revoke_all_tokens();
    // The refresh is answered (refused); the introspection that would confirm it fails.
    peer.sandbox.set_faults(Faults {
        pass_next: 1,
        fail_next: 1,
        fail_status: 503,
        ..Faults::default()
    });
    let error = peer.hubspot.refresh(&credentials).await.unwrap_err();
    assert!(
        matches!(error, Error::Upstream { status: 503 }),
        "{error:?}"
    );
    // Once it answers, the refusal is confirmed.
    let error = peer.hubspot.refresh(&credentials).await.unwrap_err();
    assert!(matches!(error, Error::ReauthRequired { .. }), "{error:?}");
}

#[tokio::test]
async fn token_endpoint_rate_limits_and_outages_map_like_the_api() {
    let (peer, credentials) = connected(SandboxConfig {
        send_retry_after: true,
        ..SandboxConfig::default()
    })
    .await;
    // Consumed in this order: the 429, the 502, the truncated JSON.
    peer.sandbox.set_faults(Faults {
        rate_limit_next: 1,
        fail_next: 1,
        fail_status: 502,
        malformed_next: 1,
        ..Faults::default()
    });
    let e = peer.hubspot.refresh(&credentials).await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d) } if d <= Duration::from_secs(10)),
        "{e:?}"
    );
    let e = peer.hubspot.refresh(&credentials).await.unwrap_err();
    assert!(matches!(e, Error::Upstream { status: 502 }), "{e:?}");
    let e = peer.hubspot.refresh(&credentials).await.unwrap_err();
    assert!(matches!(e, Error::InvalidResponse(_)), "{e:?}");
    assert_eq!(peer.sandbox.stats().faults_injected, 3);
    // And the grant is intact.
    peer.hubspot.refresh(&credentials).await.unwrap();
}

// ---------- revoke ----------

#[tokio::test]
async fn revoke_posts_the_refresh_token_in_the_body_and_accepts_gone() {
    let (peer, credentials) = connected(SandboxConfig::default()).await;
    peer.hubspot.revoke(&credentials).await.unwrap();
    let revokes = peer.requests_to("/oauth/2026-03/token/revoke");
    assert_eq!((revokes.len(), revokes[0].method.as_str()), (1, "POST"));
    assert!(revokes[0].query.is_empty());
    assert_eq!(peer.sandbox.stats().revoke, 1);
    // It was the grant's refresh token: the grant is gone.
    let refresh = peer.hubspot.refresh(&credentials).await;
    assert!(
        matches!(refresh, Err(Error::ReauthRequired { .. })),
        "{refresh:?}"
    );
    // Already gone: 2026-03 answers 200 again, v1's DELETE answers 404; both are fine.
    peer.hubspot.revoke(&credentials).await.unwrap();
    let v1 = peer.provider(|c| *c = c.clone().with_oauth_api(OAuthApi::V1).unwrap());
    v1.revoke(&credentials).await.unwrap();
    let refresh_token = credentials.refresh_token.as_ref().unwrap();
    let deletes = peer.requests_to(refresh_token.expose_secret());
    assert_eq!(deletes.len(), 1, "v1 names the token in the path");
    assert_eq!(deletes[0].method, "DELETE");
}

#[tokio::test]
async fn revoke_never_puts_the_token_in_the_url_and_maps_failures() {
    let (peer, mut credentials) = connected(SandboxConfig::default()).await;
    credentials.refresh_token = Some("a/b c".to_owned().into());
    // An unknown token: 200, left alone (RFC 7009).
    peer.hubspot.revoke(&credentials).await.unwrap();
    let requests = peer.requests_to("/token/revoke");
    assert_eq!(requests[0].path, "/oauth/2026-03/token/revoke");
    assert!(requests[0].query.is_empty());
    // A revoke HubSpot fails is the upstream's failure.
    peer.sandbox.set_faults(Faults {
        fail_next: 1,
        fail_status: 503,
        ..Faults::default()
    });
    let e = peer.hubspot.revoke(&credentials).await.unwrap_err();
    assert!(matches!(e, Error::Upstream { status: 503 }), "{e:?}");
    // A revoke that cannot finish is unavailable, and says nothing of the token.
    peer.sandbox.update(|k| k.latency = Duration::from_secs(2));
    let slow = peer.provider(|c| c.request_timeout = Duration::from_millis(100));
    let e = slow.revoke(&credentials).await.unwrap_err();
    assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("a/b"), "{e:?}");
}

#[tokio::test]
async fn revoke_refused_is_rejected_not_unauthorized() {
    // The endpoint refuses a client with the wrong secret (400 `invalid_client`): no bearer
    // token is involved, so this is not a 401 for the connector to refresh away.
    let (peer, credentials) = connected(SandboxConfig::default()).await;
    let misconfigured = peer.provider(|c| c.client_secret = "wrong".to_owned().into());
    let e = misconfigured.revoke(&credentials).await.unwrap_err();
    assert!(matches!(e, Error::Rejected { .. }), "{e:?}");
    // The grant still works.
    peer.hubspot.refresh(&credentials).await.unwrap();
}

#[tokio::test]
async fn revoke_without_a_refresh_token_is_a_no_op() {
    let (peer, mut credentials) = connected(SandboxConfig::default()).await;
    let before = peer.requests().len();
    credentials.refresh_token = None;
    peer.hubspot.revoke(&credentials).await.unwrap();
    assert_eq!(peer.requests().len(), before, "no request");
}

// ---------- authorize URL and config ----------

#[test]
fn authorize_url_encodes_scopes_and_state() {
    let mut config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into());
    config.scopes = vec!["crm.objects.contacts.read".into(), "oauth".into()];
    let provider = hubspot::provider(config.clone(), reqwest::Client::new());
    let state = OAuthState::generate();
    let url = provider
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://app.example.com/cb?x=1&y=2",
            pkce_challenge: None,
            extra_scopes: &[],
        })
        .unwrap();
    assert_eq!(
        url.origin().unicode_serialization(),
        "https://app.hubspot.com"
    );
    assert_eq!(url.path(), "/oauth/authorize");
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], "https://app.example.com/cb?x=1&y=2");
    assert_eq!(query["scope"], "crm.objects.contacts.read oauth");
    assert_eq!(query["state"], state.as_str());
    // Companies and deals are asked for too, if the portal has them: every object type offered
    // can be granted in one consent; and the custom objects' schemas, for discovery.
    assert_eq!(
        query["optional_scope"],
        "crm.objects.companies.read crm.objects.deals.read crm.schemas.custom.read"
    );
    assert!(!url.as_str().contains(' '));
    assert!(
        !url.as_str().contains("cb?x"),
        "redirect_uri is percent-encoded"
    );
    assert!(!url.as_str().contains(CLIENT_SECRET));

    config.optional_scopes = vec!["crm.objects.deals.read".into()];
    let provider = hubspot::provider(config.clone(), reqwest::Client::new());
    let url = provider
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://a/cb",
            pkce_challenge: None,
            extra_scopes: &[],
        })
        .unwrap();
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["optional_scope"], "crm.objects.deals.read");
    config.optional_scopes = Vec::new();
    let provider = hubspot::provider(config, reqwest::Client::new());
    let url = provider
        .authorization_url(&AuthorizationRequest {
            state: &state,
            redirect_uri: "https://a/cb",
            pkce_challenge: None,
            extra_scopes: &[],
        })
        .unwrap();
    assert!(!url.query_pairs().any(|(k, _)| k == "optional_scope"));
}

#[test]
fn identity_is_hubspot() {
    let provider = hubspot::provider(
        HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into()),
        reqwest::Client::new(),
    );
    assert_eq!(provider.id(), "hubspot");
    assert_eq!(provider.display_name(), "HubSpot");
}

#[test]
fn debug_output_never_shows_the_secret() {
    let config = HubSpotConfig::new(CLIENT_ID, CLIENT_SECRET.to_owned().into());
    let text = format!("{config:?}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert!(text.contains(CLIENT_ID));
    let provider = hubspot::provider(config, reqwest::Client::new());
    assert!(!format!("{provider:?}").contains(CLIENT_SECRET));
}

#[test]
fn cursors_round_trip_through_the_core_type() {
    assert!(Cursor::parse("NTI1Cg%3D%3D").is_ok());
}

// ---------- discovery ----------

/// Answers with only the fields HubSpot's specs require (no `objectTypeId`, no plural label, no
/// `hidden`, `calculated` or `modificationMetadata`) still discover every kind and property.
#[tokio::test]
async fn discovery_reads_only_what_the_specs_require() {
    let (peer, credentials) = connected(pinned(|c| c.omit_optional = Vary::On)).await;
    let kinds = peer
        .hubspot
        .discover_object_types(&credentials)
        .await
        .unwrap();
    assert!(kinds.iter().any(|k| k.id == "tickets" && !k.custom));
    let custom = kinds.iter().find(|k| k.custom).expect("the custom object");
    assert_eq!(custom.id, peer.sandbox.custom_object().object_type_id);
    assert!(!custom.label.is_empty());

    let fields = peer
        .hubspot
        .discover_fields(&credentials, "contacts")
        .await
        .unwrap();
    assert_eq!(fields.len(), hubspot_sandbox::CONTACT_PROPERTIES);
    assert!(
        fields
            .iter()
            .all(|f| !f.read_only && !f.hidden && !f.calculated)
    );
    let pets = peer
        .hubspot
        .discover_fields(&credentials, &custom.id)
        .await
        .unwrap();
    assert!(!pets.is_empty());
    let unknown = peer.hubspot.discover_fields(&credentials, "nosuch").await;
    assert!(
        matches!(unknown, Err(Error::InvalidInput(_))),
        "{unknown:?}"
    );
}
