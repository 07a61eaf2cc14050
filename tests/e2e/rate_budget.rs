//! One rate budget per portal, shared through Redis by two server instances: concurrent item
//! requests of four users of one portal never put more calls in any window at the upstream than
//! the budget allows, and nobody sees a 429.

use std::time::Duration;

use e2e::{AppOptions, HubSpot, fresh_prefix};
use hubspot_sandbox::{RateLimit, SandboxConfig};

const RATE: u32 = 20;
const WINDOW: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_portal_budget_and_no_caller_sees_a_429() {
    two_instances_share_one_budget(Vec::new()).await;
}

/// The scenario above with extra server variables (`REDIS_URL` of a cluster, say).
pub(crate) async fn two_instances_share_one_budget(vars: Vec<(String, String)>) {
    // HubSpot's burst limit as a rolling window of `RATE` calls in any `WINDOW`: a call that
    // would make more is answered 429 (and counted in `rate_limited`).
    let hubspot = HubSpot::start_with(SandboxConfig {
        rate_limit: Some(RateLimit {
            max_requests: RATE,
            window: WINDOW,
        }),
        ..SandboxConfig::default()
    })
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
    let first = hubspot.app(options()).await;
    let second = hubspot.app(options()).await;
    let users = ["ada", "grace", "edsger", "barbara"];
    for user in users {
        // Every user connects to the sandbox's one portal.
        first.connect_via_sandbox(user).await;
    }
    hubspot.sandbox.reset_stats();

    // More calls than one window allows, all at once, through both instances.
    let calls = RATE as usize + 5;
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

    // Every call was admitted by the rolling window, none refused: no window held more than
    // `RATE` of them.
    let stats = hubspot.sandbox.stats();
    assert_eq!(stats.rate_limited, 0, "the upstream answered 429");
    assert_eq!(stats.objects, calls as u64);
}
