use e2e::{HubSpot, TestApp, assert_problem, spawn_app, spawn_sandbox_app};
use hubspot_sandbox::{Faults, Sandbox, Vary};
use reqwest::StatusCode;

/// The app in sandbox mode with `alice` connected, HubSpot's burst limit off (no 429 but the
/// injected ones) and the counters at zero.
async fn connected() -> (TestApp, Sandbox) {
    let app = spawn_sandbox_app().await;
    let sandbox = app.sandbox.clone().expect("sandbox mode");
    sandbox.update(|k| k.rate_limit = None);
    app.connect_via_sandbox("alice").await;
    sandbox.reset_stats();
    (app, sandbox)
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let (app, sandbox) = connected().await;
    // One 429 saying `Retry-After: 1`.
    sandbox.update(|k| k.send_retry_after = true);
    sandbox.set_faults(Faults {
        rate_limit_next: 1,
        ..Faults::default()
    });

    let res = app.items("alice", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    // The 429 was retried once, not surfaced. (That the wait honours Retry-After is asserted on
    // a paused clock in integration-core's retry tests: no wall-clock timing here.)
    let stats = sandbox.stats();
    assert_eq!((stats.objects, stats.rate_limited), (2, 1));
}

#[tokio::test]
async fn persistent_rate_limiting_is_a_429_problem_with_retry_after() {
    let (app, sandbox) = connected().await;
    // 429s that do not say how long to wait (HubSpot does not promise `Retry-After`).
    sandbox.update(|k| {
        k.send_retry_after = false;
        k.contract.retry_after = Vary::Off;
    });
    sandbox.set_faults(Faults {
        rate_limit_next: 100,
        ..Faults::default()
    });
    let res = app.items("alice", "").await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body = assert_problem(res, 429, "rate_limited").await;
    assert_eq!(body["retry_after"], retry_after);
    // Bounded: the first call plus the policy's retries.
    assert_eq!(sandbox.stats().objects, 4);
}

#[tokio::test]
async fn persistent_5xx_is_a_502_problem_after_bounded_retries() {
    let (app, sandbox) = connected().await;
    sandbox.set_faults(Faults {
        fail_next: 100,
        fail_status: 503,
        ..Faults::default()
    });
    assert_problem(app.items("alice", "").await, 502, "upstream_error").await;
    assert_eq!(sandbox.stats().objects, 4);
}

#[tokio::test]
async fn malformed_json_from_hubspot_is_a_502_problem() {
    let (app, sandbox) = connected().await;
    sandbox.set_faults(Faults {
        malformed_next: 100,
        ..Faults::default()
    });
    assert_problem(app.items("alice", "").await, 502, "upstream_error").await;
}

#[tokio::test]
async fn hubspot_unreachable_is_a_502_problem() {
    let hubspot = HubSpot::start().await;
    let app = spawn_app(&hubspot).await;
    app.connect_via_sandbox("alice").await;
    hubspot.stop().await; // nothing listens there any more
    assert_problem(app.items("alice", "").await, 502, "upstream_error").await;
}
