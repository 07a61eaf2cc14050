//! One rate budget per portal, shared through Redis by two server instances: concurrent item
//! requests of four users of one portal never put more calls in any window at the upstream than
//! the budget allows, and nobody sees a 429.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e::{AppOptions, HubSpotMock, fresh_prefix, spawn_app_with};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const RATE: usize = 20;
const WINDOW: Duration = Duration::from_secs(10);

/// HubSpot's contacts endpoint with a sliding-window limit: records when each call arrived and
/// answers 429 to a call that would make more than `RATE` in the last `WINDOW`.
#[derive(Clone, Default)]
struct LimitedContacts {
    admitted: Arc<Mutex<Vec<Instant>>>,
    refused: Arc<Mutex<usize>>,
}

impl Respond for LimitedContacts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let mut admitted = self.admitted.lock().unwrap();
        if admitted.iter().filter(|t| now - **t < WINDOW).count() >= RATE {
            *self.refused.lock().unwrap() += 1;
            return ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"status": "error", "policyName": "TEN_SECONDLY_ROLLING"}));
        }
        admitted.push(now);
        ResponseTemplate::new(200).set_body_json(json!({
            "results": [{
                "id": "1001",
                "properties": {"firstname": "Ada", "lastname": "Lovelace", "hs_object_id": "1001"},
                "createdAt": "2024-01-02T03:04:05.000Z",
                "updatedAt": "2024-02-03T04:05:06.000Z",
                "archived": false
            }]
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_portal_budget_and_no_caller_sees_a_429() {
    two_instances_share_one_budget(Vec::new()).await;
}

/// The scenario above with extra server variables (`REDIS_URL` of a cluster, say).
pub(crate) async fn two_instances_share_one_budget(vars: Vec<(String, String)>) {
    let hubspot = HubSpotMock::start().await;
    let upstream = LimitedContacts::default();
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/contacts"))
        .respond_with(upstream.clone())
        .mount(&hubspot.server)
        .await;
    let prefix = fresh_prefix();
    let options = || AppOptions {
        key_prefix: prefix.clone(),
        vars: vec![
            ("RATE_BUDGET_ENABLED".into(), "true".into()),
            ("RATE_BUDGET_PER_10S".into(), RATE.to_string()),
        ]
        .into_iter()
        .chain(vars.iter().cloned())
        .collect(),
        ..AppOptions::default()
    };
    let first = spawn_app_with(hubspot.env(), options()).await;
    let second = spawn_app_with(hubspot.env(), options()).await;
    let users = ["ada", "grace", "edsger", "barbara"];
    for user in users {
        // Every seeded user is a user of portal 62515.
        first
            .seed_credentials(user, "at-1", chrono::Duration::minutes(30))
            .await;
    }

    // More calls than one window allows, all at once, through both instances.
    let calls = RATE + 5;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..calls {
        let app = if i % 2 == 0 { &first } else { &second };
        let request = app
            .client
            .get(app.url("/api/integrations/hubspot/items"))
            .header("X-User-Id", users[i % users.len()]);
        tasks.spawn(async move { request.send().await.expect("request").status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.expect("task"));
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    assert_eq!(
        *upstream.refused.lock().unwrap(),
        0,
        "the upstream answered 429"
    );
    let mut arrivals = upstream.admitted.lock().unwrap().clone();
    arrivals.sort();
    assert_eq!(arrivals.len(), calls);
    for (i, start) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .take_while(|t| **t - *start < WINDOW)
            .count();
        assert!(in_window <= RATE, "{in_window} calls within one window");
    }
}
