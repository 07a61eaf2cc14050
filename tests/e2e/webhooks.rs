//! Webhooks end to end: the sandbox's signed batches reach every user connected to the portal
//! through `/events` within seconds; what is not HubSpot's (forged, stale, replayed, oversized,
//! malformed) is refused with nothing stored; a retry is stored once; Redis unavailable is a
//! 503 the sender retries through.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use base64::Engine as _;
use e2e::{AppOptions, TestApp, assert_problem, spawn_app_with, spawn_sandbox_app};
use hmac::{Hmac, Mac as _};
use hubspot_sandbox::{ObjectType, Pick};
use integration_core::CredentialStore as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

/// The secret of the client the server registers with its sandbox (see `startup`).
const SECRET: &str = "sandbox-hubspot-client-secret";

/// HubSpot's v3 signature, computed here from its documentation, not with the server's code.
fn sign(method: &str, uri: &str, body: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{method}{uri}{body}{timestamp}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn post_webhook(
    app: &TestApp,
    body: &str,
    timestamp: i64,
    signature: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/webhooks/hubspot"))
        .header("Content-Type", "application/json")
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", timestamp.to_string())
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn deliver(app: &TestApp, body: &str) -> reqwest::Response {
    let now = chrono::Utc::now().timestamp_millis();
    let signature = sign("POST", &app.url("/api/webhooks/hubspot"), body, now);
    post_webhook(app, body, now, &signature).await
}

fn batch(portal: u64, ids: &[u64], attempt: u32) -> String {
    let events: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"eventId": 7, "subscriptionId": 11, "portalId": portal, "appId": 3,
                   "occurredAt": 1_765_000_000_000_u64 + id, "subscriptionType": "contact.propertyChange",
                   "attemptNumber": attempt, "objectId": id, "propertyName": "email",
                   "propertyValue": format!("{id}@example.com"), "changeSource": "CRM"})
        })
        .collect();
    Value::Array(events).to_string()
}

async fn lines(app: &TestApp, user: &str, query: &str) -> Vec<Value> {
    let res = app
        .get_as(user, &format!("/api/integrations/hubspot/events{query}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "events{query}");
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Where a user's feed is now: the `end` line's offset of an immediate poll.
async fn offset_now(app: &TestApp, user: &str) -> String {
    let now = lines(app, user, "").await;
    let end = now.last().unwrap();
    assert_eq!(end["type"], "end", "{now:?}");
    end["offset"].as_str().unwrap().to_owned()
}

fn event_ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| !matches!(l["type"].as_str(), Some("end" | "gap")))
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Long-polls `user`'s feed from `*at` until `n` events (not end or gap lines) have arrived,
/// within 20 s; moves `*at` past them.
async fn await_events(app: &TestApp, user: &str, at: &mut String, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while seen.len() < n {
        assert!(Instant::now() < deadline, "{user} got only {seen:?} of {n}");
        let got = lines(app, user, &format!("?since={at}&wait=2")).await;
        *at = got.last().unwrap()["offset"].as_str().unwrap().to_owned();
        seen.extend(
            got.into_iter()
                .filter(|l| !matches!(l["type"].as_str(), Some("end" | "gap"))),
        );
    }
    seen
}

fn portal(app: &TestApp) -> u64 {
    app.sandbox.as_ref().unwrap().hub_id()
}

#[tokio::test]
async fn sandbox_changes_reach_every_user_of_the_portal_within_seconds() {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().unwrap();
    app.connect_via_sandbox("ann").await;
    app.connect_via_sandbox("ben").await;
    let (ann_at, ben_at) = (offset_now(&app, "ann").await, offset_now(&app, "ben").await);

    let started = Instant::now();
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(3));
    let archived = sandbox.archive_records(ObjectType::Deals, Pick::Count(1));
    // A long poll answers as soon as the first events are in.
    let mut at = ann_at.clone();
    let seen = await_events(&app, "ann", &mut at, 4).await;
    println!("sandbox change to /events: {:?}", started.elapsed());
    let upserts: HashSet<String> = seen
        .iter()
        .filter(|l| l["type"] == "upsert")
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(upserts, modified.iter().map(u64::to_string).collect());
    let upsert = seen.iter().find(|l| l["type"] == "upsert").unwrap();
    assert_eq!(upsert["object_type"], "contacts");
    assert_eq!(upsert["property"]["name"], "lifecyclestage");
    assert!(upsert["occurred_at"].as_str().unwrap().ends_with('Z'));
    let delete = seen.iter().find(|l| l["type"] == "delete").unwrap();
    assert_eq!(delete["object_type"], "deals");
    assert_eq!(delete["id"], archived[0].to_string());

    // Ben, on the same portal, gets the same events; his offsets are his own.
    let ben = lines(&app, "ben", &format!("?since={ben_at}&wait=5")).await;
    let mut ben_ids = event_ids(&ben);
    let mut ann_ids = event_ids(&seen);
    ben_ids.sort();
    ann_ids.sort();
    assert_eq!(ben_ids, ann_ids);
    let res = app
        .get_as(
            "ben",
            &format!("/api/integrations/hubspot/events?since={at}"),
        )
        .await;
    assert_problem(res, 400, "invalid_request").await;
    // Nothing new: an immediate poll is only the end, at the same offset.
    let idle = lines(&app, "ann", &format!("?since={at}")).await;
    assert_eq!(idle.len(), 1);
    assert_eq!(idle[0], json!({"type": "end", "offset": at}));
}

#[tokio::test]
async fn forged_stale_replayed_oversized_and_malformed_webhooks_store_nothing() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("eve").await;
    let since = offset_now(&app, "eve").await;
    let hub = portal(&app);
    let uri = app.url("/api/webhooks/hubspot");
    let body = batch(hub, &[501], 0);
    let now = chrono::Utc::now().timestamp_millis();

    // Forged: signed with another secret; tampered: the body changed after signing.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"not-the-secret").unwrap();
    mac.update(format!("POST{uri}{body}{now}").as_bytes());
    let forged = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_problem(
        post_webhook(&app, &body, now, &forged).await,
        401,
        "invalid_signature",
    )
    .await;
    let signed = sign("POST", &uri, &body, now);
    let tampered = body.replace("501", "502");
    assert_problem(
        post_webhook(&app, &tampered, now, &signed).await,
        401,
        "invalid_signature",
    )
    .await;
    // Stale: a capture replayed six minutes later.
    let old = now - 6 * 60 * 1000;
    let stale = sign("POST", &uri, &body, old);
    assert_problem(
        post_webhook(&app, &body, old, &stale).await,
        401,
        "invalid_signature",
    )
    .await;
    // Unsigned.
    let res = app
        .client
        .post(&uri)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "invalid_signature").await;

    // The genuine request is stored; the same bytes again are a replay.
    let res = post_webhook(&app, &body, now, &signed).await;
    assert_eq!(res.status(), StatusCode::OK);
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(
        receipt,
        json!({"received": 1, "stored": 1, "duplicates": 0, "unrouted": 0})
    );
    assert_problem(
        post_webhook(&app, &body, now, &signed).await,
        401,
        "invalid_signature",
    )
    .await;

    // Over 1 MiB: refused before anything is read as events.
    let huge = format!("[{}]", " ".repeat(1 << 20));
    let res = deliver(&app, &huge).await;
    assert_problem(res, 413, "payload_too_large").await;
    // Signed but not HubSpot's format.
    for malformed in [
        "{\"not\":\"an array\"}",
        "[1,2]",
        "[{\"subscriptionType\":\"contact.creation\"}]",
    ] {
        assert_problem(deliver(&app, malformed).await, 400, "invalid_webhook").await;
    }

    let got = lines(&app, "eve", &format!("?since={since}")).await;
    assert_eq!(event_ids(&got), ["501"], "only the genuine event: {got:?}");
    assert_eq!(
        got[0]["property"],
        json!({"name": "email", "value": "501@example.com"})
    );
}

#[tokio::test]
async fn a_retried_batch_is_stored_once_and_unconnected_portals_are_dropped() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("rita").await;
    let since = offset_now(&app, "rita").await;
    let hub = portal(&app);

    let first = deliver(&app, &batch(hub, &[1, 2, 3], 0)).await;
    assert_eq!(first.status(), StatusCode::OK);
    // HubSpot's retry: re-signed, attemptNumber 1, plus one event the first try did not have.
    let retry = deliver(&app, &batch(hub, &[1, 2, 3, 4], 1)).await;
    let receipt: Value = retry.json().await.unwrap();
    assert_eq!(
        receipt,
        json!({"received": 4, "stored": 1, "duplicates": 3, "unrouted": 0})
    );
    // A portal nobody here connected: acknowledged (HubSpot must not retry), not kept.
    let elsewhere = deliver(&app, &batch(hub + 1, &[9], 0)).await;
    let receipt: Value = elsewhere.json().await.unwrap();
    assert_eq!(
        receipt,
        json!({"received": 1, "stored": 0, "duplicates": 0, "unrouted": 1})
    );

    let got = lines(&app, "rita", &format!("?since={since}")).await;
    assert_eq!(event_ids(&got), ["1", "2", "3", "4"]);

    // Disconnected: the portal has nobody, so its events are dropped; the feed is gone too.
    let res = app
        .client
        .delete(app.url("/api/integrations/hubspot/connection"))
        .header("X-User-Id", "rita")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let after = deliver(&app, &batch(hub, &[5], 0)).await;
    let receipt: Value = after.json().await.unwrap();
    assert_eq!(receipt["unrouted"], 1);
    let res = app
        .get_as(
            "rita",
            &format!("/api/integrations/hubspot/events?since={since}"),
        )
        .await;
    assert_problem(res, 404, "not_connected").await;
}

#[tokio::test]
async fn server_sent_events_carry_offsets_and_resume_from_last_event_id() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("sam").await;
    let since = offset_now(&app, "sam").await;
    let hub = portal(&app);
    deliver(&app, &batch(hub, &[31, 32], 0)).await;

    let read_frames = |last_event_id: Option<String>| {
        let app = &app;
        let since = since.clone();
        async move {
            let mut request = app
                .client
                .get(app.url(&format!(
                    "/api/integrations/hubspot/events{}",
                    if last_event_id.is_some() {
                        String::new()
                    } else {
                        format!("?since={since}")
                    }
                )))
                .header("X-User-Id", "sam")
                .header("Accept", "text/event-stream");
            if let Some(id) = &last_event_id {
                request = request.header("Last-Event-ID", id);
            }
            let mut res = request.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-type"], "text/event-stream");
            assert_eq!(res.headers()["cache-control"], "no-store");
            let mut text = String::new();
            let deadline = Instant::now() + Duration::from_secs(5);
            // The stream stays open: read until both events are in.
            while text.matches("event: upsert").count() < 1 + usize::from(last_event_id.is_none()) {
                let chunk = tokio::time::timeout_at(deadline.into(), res.chunk())
                    .await
                    .expect("events within 5 s")
                    .unwrap()
                    .expect("stream open");
                text.push_str(std::str::from_utf8(&chunk).unwrap());
            }
            text
        }
    };
    let text = read_frames(None).await;
    assert!(text.starts_with("retry: "), "{text}");
    let frames: Vec<&str> = text
        .split("\n\n")
        .filter(|f| f.contains("event: upsert"))
        .collect();
    assert_eq!(frames.len(), 2, "{text}");
    let first_id = frames[0]
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .to_owned();
    let data: Value = serde_json::from_str(
        frames[0]
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (data["id"].as_str(), data["offset"].as_str()),
        (Some("31"), Some(first_id.as_str()))
    );

    // Reconnecting with the first event's id gives only the second.
    let resumed = read_frames(Some(first_id)).await;
    assert!(
        resumed.contains("\"id\":\"32\"") && !resumed.contains("\"id\":\"31\""),
        "{resumed}"
    );
}

#[tokio::test]
async fn events_are_refused_for_providers_without_them_and_for_bad_offsets() {
    let app = spawn_sandbox_app().await;
    app.connect_via_sandbox("olga").await;
    for bad in ["nonsense", "AAAAAAAAAAAAAAAAAAAAAA.1-0", "%20"] {
        let res = app
            .get_as(
                "olga",
                &format!("/api/integrations/hubspot/events?since={bad}"),
            )
            .await;
        assert_problem(res, 400, "invalid_request").await;
    }
    let res = app
        .get_as("olga", "/api/integrations/hubspot/events?wait=61")
        .await;
    assert_problem(res, 400, "invalid_request").await;
    let res = app
        .get_as("nobody", "/api/integrations/hubspot/events")
        .await;
    assert_problem(res, 404, "not_connected").await;
    app.connect_through_consent_page("notion", "olga").await;
    let res = app.get_as("olga", "/api/integrations/notion/events").await;
    assert_problem(res, 400, "events_unsupported").await;
    let res = deliver(&app, "[]").await;
    assert_eq!(res.status(), StatusCode::OK, "an empty batch is fine");
    let res = app
        .client
        .post(app.url("/api/webhooks/notion"))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "events_unsupported").await;
}

#[tokio::test]
async fn redis_unavailable_is_a_503_and_the_senders_retry_lands() {
    let port = test_support::free_port();
    let Some(redis) = crate::redis_outage::PrivateRedis::start(port) else {
        panic!("this test needs redis-server on PATH (.ci/run installs it)");
    };
    let mut options = AppOptions::default();
    options
        .vars
        .push(("REDIS_URL".into(), format!("redis://127.0.0.1:{port}")));
    let app = spawn_app_with(Vec::new(), options).await;
    app.connect_via_sandbox("uma").await;
    let since = offset_now(&app, "uma").await;
    let hub = portal(&app);
    let body = batch(hub, &[77], 0);

    redis.signal("-STOP");
    let res = deliver(&app, &body).await;
    let problem = assert_problem(res, 503, "store_unavailable").await;
    assert!(problem["retry_after"].as_u64().is_some());

    redis.signal("-CONT");
    // HubSpot retries a 5xx: the retry (re-signed, next attempt) is stored.
    let res = deliver(&app, &batch(hub, &[77], 1)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let got = lines(&app, "uma", &format!("?since={since}")).await;
    assert_eq!(event_ids(&got), ["77"]);
}

/// HubSpot's search index lags a write by an unknown while; a webhook names the record at once.
/// With the index an hour behind, a `changes` run still delivers what changed (fetched by id in
/// one `batch/read` per 100, no search for them), and a GDPR deletion, which no search or
/// archived list ever shows, as a delete.
#[tokio::test]
async fn changes_deliver_what_webhooks_named_even_while_search_lags() {
    let app =
        e2e::spawn_sandbox_app_with(&[("INDEX_LAG_SECS", "0"), ("CHANGES_LOOKBACK_SECS", "0")])
            .await;
    let sandbox = app.sandbox.clone().unwrap();
    app.connect_via_sandbox("lena").await;
    let export = app
        .get_as(
            "lena",
            "/api/integrations/hubspot/export?object_type=contacts",
        )
        .await
        .text()
        .await
        .unwrap();
    let end: Value = serde_json::from_str(export.lines().last().unwrap()).unwrap();
    let checkpoint = end["checkpoint"].as_str().unwrap().to_owned();
    let since = offset_now(&app, "lena").await;

    sandbox.update(|k| {
        k.contract.search_lag = hubspot_sandbox::SearchLag::Fixed(Duration::from_secs(3600));
    });
    tokio::time::sleep(Duration::from_millis(1_005)).await;
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(150));
    let erased = sandbox.delete_records(ObjectType::Contacts, Pick::Count(2));
    // Wait until the webhooks are in.
    let mut at = since;
    await_events(&app, "lena", &mut at, modified.len() + erased.len()).await;
    sandbox.reset_stats();
    let changes = app
        .get_as(
            "lena",
            &format!("/api/integrations/hubspot/changes?since={checkpoint}"),
        )
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = changes
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let upserts: HashSet<String> = lines
        .iter()
        .filter(|l| l["type"] == "upsert")
        .map(|l| l["item"]["id"].as_str().unwrap().to_owned())
        .collect();
    let deletes: HashSet<String> = lines
        .iter()
        .filter(|l| l["type"] == "delete")
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    let erased: HashSet<String> = erased.iter().map(u64::to_string).collect();
    let live: HashSet<String> = modified
        .iter()
        .map(u64::to_string)
        .filter(|id| !erased.contains(id))
        .collect();
    assert_eq!(
        upserts, live,
        "every modified record, though search has not indexed one"
    );
    assert_eq!(deletes, erased, "GDPR deletions, which search never shows");
    let upsert = lines.iter().find(|l| l["type"] == "upsert").unwrap();
    assert!(
        upsert["item"]["properties"]["email"].is_string(),
        "a whole record: {upsert}"
    );
    let stats = sandbox.stats();
    assert_eq!(stats.batch_read, 2, "150 ids in two batch reads");
    assert_eq!(lines.last().unwrap()["type"], "end");
}

/// Pull mode: with `HUBSPOT_WEBHOOKS_MODE=journal` (and nothing pushed), changes arrive through
/// HubSpot's Webhooks Journal read with the app's own token; while no reader runs (the lease
/// held, as by readers that all died) changes pile up in the journal, two days' worth, and all
/// arrive once a reader is back.
#[tokio::test]
async fn in_journal_mode_changes_arrive_through_the_journal_even_after_two_days_without_a_reader() {
    let app = e2e::spawn_sandbox_app_with(&[
        ("HUBSPOT_WEBHOOKS_MODE", "journal"),
        ("JOURNAL_POLL_MS", "100"),
        ("JOURNAL_LEASE_SECS", "30"),
    ])
    .await;
    let sandbox = app.sandbox.clone().unwrap();
    // Nothing pushed: only the journal can deliver.
    sandbox.unsubscribe_webhooks();
    app.connect_via_sandbox("jo").await;
    let mut at = offset_now(&app, "jo").await;

    let first = sandbox.modify_records(ObjectType::Contacts, Pick::Count(3));
    await_events(&app, "jo", &mut at, first.len()).await;
    assert!(sandbox.stats().journal > 0, "read through the journal");
    assert_eq!(sandbox.webhook_stats().attempts, 0, "nothing was pushed");

    // Every reader is gone (the lease is held and never renewed) while changes happen...
    let lease = app
        .store
        .try_lock("journal-reader:hubspot", Duration::from_secs(60))
        .await
        .unwrap();
    let lease = match lease {
        Some(lease) => lease,
        // A pass was running: take the lease when it ends.
        None => loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(lease) = app
                .store
                .try_lock("journal-reader:hubspot", Duration::from_secs(60))
                .await
                .unwrap()
            {
                break lease;
            }
        },
    };
    let during = sandbox.modify_records(ObjectType::Deals, Pick::Count(4));
    // ...for two days (HubSpot keeps three).
    sandbox.age_journal(Duration::from_secs(2 * 24 * 3600));
    let quiet = lines(&app, "jo", &format!("?since={at}&wait=1")).await;
    assert!(
        event_ids(&quiet).is_empty(),
        "nobody read the journal meanwhile: {quiet:?}"
    );
    app.store
        .unlock("journal-reader:hubspot", &lease)
        .await
        .unwrap();

    let after = await_events(&app, "jo", &mut at, during.len()).await;
    let mut after_sorted = event_ids(&after);
    after_sorted.sort();
    let mut expected: Vec<String> = during.iter().map(u64::to_string).collect();
    expected.sort();
    assert_eq!(
        after_sorted, expected,
        "every change made while no reader ran, once"
    );
}
