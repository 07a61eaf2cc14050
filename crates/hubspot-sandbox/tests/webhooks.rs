//! Webhooks against a real receiver: an actix-web server on a random port that records every
//! request and answers from a script, checking signatures with its own HMAC, not the
//! sandbox's code.

#![expect(clippy::unwrap_used, reason = "a test: panics are failures")]

use std::collections::{BTreeSet, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use hubspot_sandbox::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ObjectType, Pick, RegisteredClient, Sandbox,
    SandboxConfig, WebhookStats,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A change made through the Rust API.
type ChangeFn = fn(&Sandbox, ObjectType) -> Vec<u64>;

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Received {
    /// Rebuilt from the `Host` header and the request target, as a receiver does.
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn events(&self) -> Vec<Value> {
        serde_json::from_slice::<Value>(&self.body)
            .unwrap()
            .as_array()
            .expect("a JSON array")
            .clone()
    }

    /// Checks both signatures the way HubSpot tells receivers to.
    fn assert_signed_by(&self, secret: &str) {
        let timestamp = self.header("X-HubSpot-Request-Timestamp").unwrap();
        let sent_at: i64 = timestamp.parse().unwrap();
        let age = chrono::Utc::now().timestamp_millis() - sent_at;
        assert!((0..300_000).contains(&age), "timestamp {age} ms old");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("POST{}", self.url).as_bytes());
        mac.update(&self.body);
        mac.update(timestamp.as_bytes());
        let v3 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(self.header("X-HubSpot-Signature-v3"), Some(v3.as_str()));
        let mut hash = Sha256::new();
        hash.update(secret.as_bytes());
        hash.update(&self.body);
        let v1: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(self.header("X-HubSpot-Signature"), Some(v1.as_str()));
        assert_eq!(self.header("X-HubSpot-Signature-Version"), Some("v1"));
        assert_eq!(self.header("Content-Type"), Some("application/json"));
    }
}

#[derive(Clone, Default)]
struct Receiver {
    log: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; 200 once empty.
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    /// Starts a receiver; its URL has a path and a query, as real targets often do.
    fn start(script: &[u16]) -> (Self, url::Url) {
        let receiver = Self {
            log: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = url::Url::parse(&format!(
            "http://{}/hooks/hubspot?portal=a:b&x=1",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        let state = receiver.clone();
        let server = HttpServer::new(move || {
            let state = state.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let state = state.clone();
                async move {
                    let host = req.connection_info().host().to_owned();
                    state.log.lock().unwrap().push(Received {
                        url: format!("http://{host}{}", req.uri()),
                        headers: req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                            .collect(),
                        body: body.to_vec(),
                    });
                    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        (receiver, url)
    }

    fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

/// A sandbox retrying after ~50 ms instead of minutes.
fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new(SandboxConfig::typical());
    sandbox.update(|k| k.webhook_retry_base = Duration::from_millis(50));
    sandbox
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_settled(sandbox: &Sandbox) -> WebhookStats {
    wait_for("no pending events", || {
        sandbox.webhook_stats().pending_events == 0
    })
    .await;
    sandbox.webhook_stats()
}

#[tokio::test]
async fn each_change_is_one_signed_event_in_hubspots_shape() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[]);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    let app_id = sandbox.webhook_subscription().unwrap().app_id;

    let before = chrono::Utc::now().timestamp_millis();
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(3));
    wait_for("3 events", || {
        receiver
            .requests()
            .iter()
            .map(|r| r.events().len())
            .sum::<usize>()
            == 3
    })
    .await;
    let after = chrono::Utc::now().timestamp_millis();
    let mut events = Vec::new();
    for request in receiver.requests() {
        request.assert_signed_by(DEFAULT_CLIENT_SECRET);
        events.extend(request.events());
    }
    let ids: Vec<u64> = events
        .iter()
        .map(|e| e["objectId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, modified);
    let event_ids: BTreeSet<u64> = events
        .iter()
        .map(|e| e["eventId"].as_u64().unwrap())
        .collect();
    assert_eq!(event_ids.len(), 3);
    for event in &events {
        assert_eq!(event["subscriptionType"], "contact.propertyChange");
        assert_eq!(event["propertyName"], "lifecyclestage");
        assert!(!event["propertyValue"].as_str().unwrap().is_empty());
        assert_eq!(event["portalId"], sandbox.hub_id());
        assert_eq!(event["appId"], app_id);
        assert_eq!(event["attemptNumber"], 0);
        assert_eq!(event["changeSource"], "CRM_UI");
        assert!(event["subscriptionId"].is_u64());
        assert!(event.get("changeFlag").is_none());
        let occurred = event["occurredAt"].as_i64().unwrap();
        assert!((before..=after).contains(&occurred));
        assert_eq!(events[0]["occurredAt"], occurred, "one change, one instant");
        assert_eq!(events[0]["subscriptionId"], event["subscriptionId"]);
    }
    // Modifying again moves the property on: the new value is what the event says.
    let again = sandbox.modify_records(ObjectType::Contacts, Pick::Ids(vec![ids[0]]));
    assert_eq!(again, [ids[0]]);
    wait_for("4 events", || {
        receiver
            .requests()
            .iter()
            .map(|r| r.events().len())
            .sum::<usize>()
            == 4
    })
    .await;
    let last = receiver.requests().last().unwrap().events()[0].clone();
    assert_ne!(last["propertyValue"], events[0]["propertyValue"]);
    assert!(last["eventId"].as_u64().unwrap() > *event_ids.last().unwrap());

    // Archive, hard delete, other objects.
    let cases: [(ObjectType, ChangeFn, &str, Option<&str>); 5] = [
        (
            ObjectType::Contacts,
            |s, o| s.archive_records(o, Pick::Count(1)),
            "contact.deletion",
            None,
        ),
        (
            ObjectType::Contacts,
            |s, o| s.delete_records(o, Pick::Count(1)),
            "contact.privacyDeletion",
            None,
        ),
        (
            ObjectType::Companies,
            |s, o| s.delete_records(o, Pick::Count(1)),
            "company.deletion",
            None,
        ),
        (
            ObjectType::Companies,
            |s, o| s.modify_records(o, Pick::Count(1)),
            "company.propertyChange",
            Some("lifecyclestage"),
        ),
        (
            ObjectType::Deals,
            |s, o| s.modify_records(o, Pick::Count(1)),
            "deal.propertyChange",
            Some("dealstage"),
        ),
    ];
    for (object, change, subscription_type, property) in cases {
        let seen = receiver.requests().len();
        let ids = change(&sandbox, object);
        wait_for(subscription_type, || receiver.requests().len() == seen + 1).await;
        let request = receiver.requests().last().unwrap().clone();
        request.assert_signed_by(DEFAULT_CLIENT_SECRET);
        let event = &request.events()[0];
        assert_eq!(event["subscriptionType"], subscription_type);
        assert_eq!(event["objectId"], ids[0]);
        match property {
            Some(name) => assert_eq!(event["propertyName"], name),
            None => {
                assert!(event.get("propertyName").is_none());
                assert_eq!(event["changeFlag"], "DELETED");
            }
        }
    }
    let stats = wait_settled(&sandbox).await;
    assert_eq!(stats.delivered_events, 9);
    assert_eq!(stats.failed_attempts, 0);
}

#[tokio::test]
async fn another_apps_secret_signs_for_that_app() {
    let sandbox = sandbox();
    sandbox.register_client(RegisteredClient {
        client_id: "second-app".into(),
        client_secret: "second-secret".into(),
        redirect_uris: vec![],
    });
    let (receiver, url) = Receiver::start(&[]);
    sandbox.subscribe_webhooks(url, "second-app").unwrap();
    sandbox.modify_records(ObjectType::Deals, Pick::Count(1));
    wait_for("1 request", || receiver.requests().len() == 1).await;
    let request = &receiver.requests()[0];
    request.assert_signed_by("second-secret");
    let app_id = sandbox.webhook_subscription().unwrap().app_id;
    assert_eq!(request.events()[0]["appId"], app_id);
    assert_ne!(app_id, 3_104_001, "not the default client's app");
}

#[tokio::test]
async fn two_hundred_fifty_changes_arrive_in_batches_of_at_most_100() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[]);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    let modified = sandbox.modify_records(ObjectType::Contacts, Pick::Count(250));
    assert_eq!(modified.len(), 250);
    let stats = wait_settled(&sandbox).await;
    let requests = receiver.requests();
    assert!(requests.len() >= 3, "{} requests", requests.len());
    let mut ids = BTreeSet::new();
    for request in &requests {
        request.assert_signed_by(DEFAULT_CLIENT_SECRET);
        let events = request.events();
        assert!(
            !events.is_empty() && events.len() <= 100,
            "{}",
            events.len()
        );
        ids.extend(events.iter().map(|e| e["objectId"].as_u64().unwrap()));
    }
    assert_eq!(ids, modified.into_iter().collect());
    assert_eq!(
        stats,
        WebhookStats {
            batches_sent: requests.len() as u64,
            attempts: requests.len() as u64,
            delivered_batches: requests.len() as u64,
            delivered_events: 250,
            ..WebhookStats::default()
        }
    );
}

#[tokio::test]
async fn a_500_is_retried_with_the_next_attempt_number_and_a_fresh_signature() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[500]);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    sandbox.modify_records(ObjectType::Contacts, Pick::Count(2));
    let stats = wait_settled(&sandbox).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let (first, retry) = (&requests[0], &requests[1]);
    first.assert_signed_by(DEFAULT_CLIENT_SECRET);
    retry.assert_signed_by(DEFAULT_CLIENT_SECRET);
    let stamp = |r: &Received| {
        r.header("X-HubSpot-Request-Timestamp")
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    assert!(
        stamp(retry) > stamp(first),
        "re-signed with a fresh timestamp"
    );
    let strip = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .map(|mut e| {
                e.as_object_mut().unwrap().remove("attemptNumber");
                e
            })
            .collect()
    };
    assert!(first.events().iter().all(|e| e["attemptNumber"] == 0));
    assert!(retry.events().iter().all(|e| e["attemptNumber"] == 1));
    assert_eq!(
        strip(first.events()),
        strip(retry.events()),
        "the same events"
    );
    assert_eq!(
        stats,
        WebhookStats {
            batches_sent: 1,
            attempts: 2,
            delivered_batches: 1,
            delivered_events: 2,
            failed_attempts: 1,
            ..WebhookStats::default()
        }
    );
}

#[tokio::test]
async fn a_429_is_retried() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[429, 503]);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    sandbox.archive_records(ObjectType::Deals, Pick::Count(1));
    let stats = wait_settled(&sandbox).await;
    let attempts: Vec<Value> = receiver
        .requests()
        .iter()
        .map(|r| r.events()[0]["attemptNumber"].clone())
        .collect();
    assert_eq!(attempts, [json!(0), json!(1), json!(2)]);
    assert_eq!((stats.delivered_events, stats.failed_attempts), (1, 2));
}

#[tokio::test]
async fn a_400_is_dropped_not_retried() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[400]);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    sandbox.modify_records(ObjectType::Companies, Pick::Count(3));
    let stats = wait_settled(&sandbox).await;
    // Several retry periods later, still the one request.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(
        stats,
        WebhookStats {
            batches_sent: 1,
            attempts: 1,
            failed_attempts: 1,
            dropped_batches: 1,
            ..WebhookStats::default()
        }
    );
}

#[tokio::test]
async fn nothing_is_sent_unless_subscribed() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[]);
    sandbox.modify_records(ObjectType::Contacts, Pick::Count(2));
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    sandbox.unsubscribe_webhooks();
    assert_eq!(sandbox.webhook_subscription(), None);
    sandbox.modify_records(ObjectType::Contacts, Pick::Count(2));
    sandbox.delete_records(ObjectType::Deals, Pick::Count(2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.requests().is_empty());
    assert_eq!(sandbox.webhook_stats(), WebhookStats::default());
}

#[tokio::test]
async fn unsubscribing_or_dropping_the_sandbox_stops_retries() {
    for drop_it in [false, true] {
        let sandbox = sandbox();
        let (receiver, url) = Receiver::start(&[500; 20]);
        sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
        sandbox.modify_records(ObjectType::Contacts, Pick::Count(1));
        wait_for("a retry", || receiver.requests().len() >= 2).await;
        if drop_it {
            drop(sandbox);
        } else {
            sandbox.unsubscribe_webhooks();
            // The abandoned event is no longer pending once the sender has stopped.
            wait_settled(&sandbox).await;
            assert_eq!(sandbox.webhook_stats().delivered_events, 0);
        }
        // Let an in-flight request land, then nothing more may come.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let seen = receiver.requests().len();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(receiver.requests().len(), seen, "drop: {drop_it}");
    }
}

#[tokio::test]
async fn subscribing_needs_a_registered_app_and_an_http_url() {
    let sandbox = sandbox();
    let url = url::Url::parse("http://127.0.0.1:9/hooks").unwrap();
    let error = sandbox
        .subscribe_webhooks(url.clone(), "nobody")
        .unwrap_err();
    assert!(error.contains("nobody"), "{error}");
    let ftp = url::Url::parse("ftp://127.0.0.1/hooks").unwrap();
    assert!(sandbox.subscribe_webhooks(ftp, DEFAULT_CLIENT_ID).is_err());
    assert_eq!(sandbox.webhook_subscription(), None);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    assert!(!format!("{sandbox:?}").contains(DEFAULT_CLIENT_SECRET));
}

#[test]
fn subscribing_outside_a_runtime_is_an_error_not_a_panic() {
    let sandbox = Sandbox::new(SandboxConfig::typical());
    let url = url::Url::parse("http://127.0.0.1:9/hooks").unwrap();
    let error = sandbox
        .subscribe_webhooks(url, DEFAULT_CLIENT_ID)
        .unwrap_err();
    assert!(error.contains("runtime"), "{error}");
    assert!(!error.contains(DEFAULT_CLIENT_SECRET));
    // Changes with no subscription need no runtime.
    assert_eq!(
        sandbox
            .modify_records(ObjectType::Contacts, Pick::Count(1))
            .len(),
        1
    );
}

#[tokio::test]
async fn admin_routes_round_trip() {
    let sandbox = Sandbox::new(SandboxConfig::typical());
    let (base, _server) = sandbox.spawn().unwrap();
    let admin = |path: &str| base.join(path).unwrap();
    let http = reqwest::Client::new();
    let (receiver, url) = Receiver::start(&[]);

    let none: Value = http
        .get(admin("/_admin/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({"url": null}));

    let knobs: Value = http
        .patch(admin("/_admin/knobs"))
        .json(&json!({"webhook_retry_base_ms": 50}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(knobs["webhook_retry_base_ms"], 50);
    assert_eq!(
        sandbox.knobs().webhook_retry_base,
        Duration::from_millis(50)
    );

    let refused = http
        .put(admin("/_admin/webhooks"))
        .json(&json!({"url": url.as_str(), "client_id": "nobody"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(body["category"], "VALIDATION_ERROR");
    assert!(body["correlationId"].is_string());
    let bad_url = http
        .put(admin("/_admin/webhooks"))
        .json(&json!({"url": "not a url", "client_id": DEFAULT_CLIENT_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_url.status(), 400);

    let put = http
        .put(admin("/_admin/webhooks"))
        .json(&json!({"url": url.as_str(), "client_id": DEFAULT_CLIENT_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    assert_eq!(put["url"], url.as_str());
    assert_eq!(put["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(put["stats"]["delivered_events"], 0);
    assert!(!put.to_string().contains(DEFAULT_CLIENT_SECRET));

    let modified = http
        .post(admin("/_admin/crm/contacts/modify"))
        .json(&json!({"count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(modified.status(), 200);
    wait_settled(&sandbox).await;
    assert_eq!(
        receiver
            .requests()
            .iter()
            .map(|r| r.events().len())
            .sum::<usize>(),
        2
    );
    let get: Value = http
        .get(admin("/_admin/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(get["url"], url.as_str());
    assert_eq!(get["stats"]["delivered_events"], 2);
    assert_eq!(get["stats"]["pending_events"], 0);

    let deleted = http.delete(admin("/_admin/webhooks")).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let none: Value = http
        .get(admin("/_admin/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({"url": null}));
    let wrong = http.post(admin("/_admin/webhooks")).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
}

#[tokio::test]
async fn a_record_edited_by_hand_is_one_signed_property_change_event() {
    let sandbox = sandbox();
    let (receiver, url) = Receiver::start(&[]);
    sandbox.subscribe_webhooks(url, DEFAULT_CLIENT_ID).unwrap();
    let deal = sandbox.modify_records(ObjectType::Deals, Pick::Count(1))[0];
    wait_for("the knob's event", || receiver.requests().len() == 1).await;

    // Through the Rust API: an enumeration property.
    let edited = sandbox
        .edit_record(ObjectType::Deals, deal, "dealstage", "closedlost")
        .unwrap();
    let edited = if edited.changed {
        edited
    } else {
        sandbox
            .edit_record(ObjectType::Deals, deal, "dealstage", "closedwon")
            .unwrap()
    };
    wait_for("one more event", || receiver.requests().len() == 2).await;
    let request = receiver.requests()[1].clone();
    request.assert_signed_by(DEFAULT_CLIENT_SECRET);
    let events = request.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["subscriptionType"], "deal.propertyChange");
    assert_eq!(events[0]["objectId"], deal);
    assert_eq!(events[0]["propertyName"], "dealstage");
    assert_eq!(events[0]["propertyValue"], edited.value.as_str());

    // Refused edits send nothing.
    assert!(
        sandbox
            .edit_record(ObjectType::Deals, deal, "dealstage", "won-ish")
            .is_err()
    );
    assert!(
        sandbox
            .edit_record(ObjectType::Deals, 1, "dealstage", "closedwon")
            .is_err()
    );

    // Through the page: a date is sent as epoch milliseconds, as HubSpot sends dates.
    let (base, _server) = sandbox.spawn().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = http
        .get(base.join("_admin/records/deals").unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"_token\" value=\"";
    let at = html.find(marker).unwrap() + marker.len();
    let token = html[at..].split('"').next().unwrap();
    let response = http
        .post(base.join(&format!("_admin/records/deals/{deal}")).unwrap())
        .form(&[("_token", token), ("closedate", "2025-03-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    wait_for("the page's event", || receiver.requests().len() == 3).await;
    let request = receiver.requests()[2].clone();
    request.assert_signed_by(DEFAULT_CLIENT_SECRET);
    let events = request.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["subscriptionType"], "deal.propertyChange");
    assert_eq!(events[0]["propertyName"], "closedate");
    assert_eq!(events[0]["propertyValue"], "1740787200000");
    let stats = wait_settled(&sandbox).await;
    assert_eq!(stats.delivered_events, 3);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        receiver.requests().len(),
        3,
        "nothing for the refused edits"
    );
}
