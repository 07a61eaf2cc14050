//! The behaviour every [`RateBudget`] must have, as test functions each implementation runs
//! (like [`conformance`](crate::conformance) for credential stores; same `conformance` feature).
//!
//! Each case takes a budget that is empty as far as the case can tell (a fresh memory store, or
//! Redis with a fresh key prefix) and panics on a violation. [`rate_budget_conformance_tests!`]
//! turns them into one `#[tokio::test]` each:
//!
//! ```ignore
//! async fn store() -> std::sync::Arc<token_store::MemoryTokenStore> {
//!     std::sync::Arc::new(token_store::MemoryTokenStore::new())
//! }
//! token_store::rate_budget_conformance_tests!(store);
//! ```
//!
//! The cases run on the real clock (Redis keeps its own) with windows of a minute, so that the
//! few milliseconds between two calls of a case never change an answer; only
//! [`waiting_what_the_budget_says_admits_the_next_call`] sleeps, for about a fifth of a second.
//!
//! [`rate_budget_conformance_tests!`]: crate::rate_budget_conformance_tests

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use integration_core::{Admission, Limit, Priority, RateBudget};

/// Generates one `#[tokio::test]` per rate-budget conformance case. `$make` is an `async fn()`
/// returning something that dereferences to the budget under test. Pass case names after a `;`
/// to run a subset.
#[macro_export]
macro_rules! rate_budget_conformance_tests {
    (optional $make:path) => {
        $crate::rate_budget_conformance_tests!(
            optional $make;
            admits_the_whole_window_then_waits_for_its_oldest_call,
            keys_are_independent,
            background_leaves_the_reserve_to_interactive_callers,
            concurrent_callers_never_exceed_the_window,
            waiting_what_the_budget_says_admits_the_next_call,
            a_hold_stops_every_caller_of_its_key_until_it_ends,
            a_party_ahead_gives_way_to_one_waiting,
            parties_share_a_key_whatever_their_number_of_streams,
        );
    };
    (optional $make:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let Some(store) = $make().await else {
                    return;
                };
                $crate::budget_conformance::$case(&*store).await;
            }
        )+
    };
    ($make:path) => {
        $crate::rate_budget_conformance_tests!(
            $make;
            admits_the_whole_window_then_waits_for_its_oldest_call,
            keys_are_independent,
            background_leaves_the_reserve_to_interactive_callers,
            concurrent_callers_never_exceed_the_window,
            waiting_what_the_budget_says_admits_the_next_call,
            a_hold_stops_every_caller_of_its_key_until_it_ends,
            a_party_ahead_gives_way_to_one_waiting,
            parties_share_a_key_whatever_their_number_of_streams,
        );
    };
    ($make:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $make().await;
                $crate::budget_conformance::$case(&*store).await;
            }
        )+
    };
}

/// 100 calls a minute, a reserve of 1 for interactive callers.
fn per_minute() -> Limit {
    Limit::new(100, Duration::from_secs(60))
}

async fn acquire(budget: &impl RateBudget, key: &str, limit: &Limit, p: Priority) -> Admission {
    budget.acquire(key, limit, p).await.expect("budget answers")
}

/// An idle key admits the whole window's calls at once; the next one is told to wait until the
/// oldest leaves the window: about a window (no more, and not much less: only the case's own
/// milliseconds have passed).
pub async fn admits_the_whole_window_then_waits_for_its_oldest_call(budget: &impl RateBudget) {
    let limit = per_minute();
    for n in 0..limit.rate() {
        assert_eq!(
            acquire(budget, "hubspot:1", &limit, Priority::Interactive).await,
            Admission::Admitted,
            "call {n} of the window"
        );
    }
    let Admission::Wait(wait) = acquire(budget, "hubspot:1", &limit, Priority::Interactive).await
    else {
        panic!("the call after a full window must wait");
    };
    let window = limit.window();
    assert!(
        wait <= window && wait > window - Duration::from_secs(5),
        "waits {wait:?}, window {window:?}"
    );
    // A refused call is not counted: asking again says the same (give or take the time passed).
    let Admission::Wait(again) = acquire(budget, "hubspot:1", &limit, Priority::Interactive).await
    else {
        panic!("still waiting");
    };
    assert!(again <= wait);
}

/// Spending one account's budget leaves another's untouched.
pub async fn keys_are_independent(budget: &impl RateBudget) {
    let limit = Limit::new(3, Duration::from_secs(60));
    for _ in 0..limit.rate() {
        acquire(budget, "hubspot:1", &limit, Priority::Interactive).await;
    }
    assert!(matches!(
        acquire(budget, "hubspot:1", &limit, Priority::Interactive).await,
        Admission::Wait(_)
    ));
    for key in ["hubspot:2", "notion:1", "hubspot:user:alice"] {
        assert_eq!(
            acquire(budget, key, &limit, Priority::Interactive).await,
            Admission::Admitted,
            "{key}"
        );
    }
}

/// Background callers get the window but its reserve; that reserve, interactive callers still
/// get.
pub async fn background_leaves_the_reserve_to_interactive_callers(budget: &impl RateBudget) {
    let limit = Limit::new(10, Duration::from_secs(60)).with_reserve(2);
    for n in 0..8 {
        assert_eq!(
            acquire(budget, "hubspot:1", &limit, Priority::Background).await,
            Admission::Admitted,
            "background call {n}"
        );
    }
    assert!(matches!(
        acquire(budget, "hubspot:1", &limit, Priority::Background).await,
        Admission::Wait(_)
    ));
    for n in 8..10 {
        assert_eq!(
            acquire(budget, "hubspot:1", &limit, Priority::Interactive).await,
            Admission::Admitted,
            "interactive call {n} in the reserve"
        );
    }
    let (Admission::Wait(_), Admission::Wait(_)) = (
        acquire(budget, "hubspot:1", &limit, Priority::Interactive).await,
        acquire(budget, "hubspot:1", &limit, Priority::Background).await,
    ) else {
        panic!("both wait once the window is spent");
    };
}

/// Many callers at the same moment: exactly the window is admitted, every other caller waits.
pub async fn concurrent_callers_never_exceed_the_window(budget: &impl RateBudget) {
    let limit = Limit::new(25, Duration::from_secs(60));
    let answers = join_all(
        (0..60)
            .map(|_| {
                Box::pin(acquire(budget, "hubspot:1", &limit, Priority::Interactive))
                    as Pin<Box<dyn Future<Output = Admission> + Send + '_>>
            })
            .collect(),
    )
    .await;
    let admitted = answers
        .iter()
        .filter(|a| **a == Admission::Admitted)
        .count();
    assert_eq!(admitted, limit.rate() as usize);
}

/// A caller that sleeps what it was told is admitted afterwards.
pub async fn waiting_what_the_budget_says_admits_the_next_call(budget: &impl RateBudget) {
    // One call per 200 ms.
    let limit = Limit::new(1, Duration::from_millis(200));
    assert_eq!(
        acquire(budget, "hubspot:1", &limit, Priority::Interactive).await,
        Admission::Admitted
    );
    let Admission::Wait(wait) = acquire(budget, "hubspot:1", &limit, Priority::Interactive).await
    else {
        panic!("the second call must wait");
    };
    tokio::time::sleep(wait).await;
    assert_eq!(
        acquire(budget, "hubspot:1", &limit, Priority::Interactive).await,
        Admission::Admitted
    );
}

/// Polls every future in turn until all are done, so their requests are in flight together.
async fn join_all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + '_>>>) -> Vec<T> {
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in futures.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *result = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// After `hold(key, 30 s)`, interactive and background callers of `key` wait about 30 s (never
/// less than 29), other keys are untouched, and a shorter hold does not shorten it.
pub async fn a_hold_stops_every_caller_of_its_key_until_it_ends(budget: &impl RateBudget) {
    let limit = per_minute();
    let key = "hubspot:held";
    let other = "hubspot:free";
    budget
        .hold(key, &limit, Duration::from_secs(30))
        .await
        .expect("hold");
    budget
        .hold(key, &limit, Duration::from_secs(1))
        .await
        .expect("shorter hold");
    for priority in [Priority::Interactive, Priority::Background] {
        match acquire(budget, key, &limit, priority).await {
            Admission::Wait(wait) => assert!(
                wait > Duration::from_secs(29) && wait <= Duration::from_secs(31),
                "{priority:?} waits {wait:?}"
            ),
            Admission::Admitted => panic!("{priority:?} admitted during a hold"),
        }
    }
    assert_eq!(
        acquire(budget, other, &limit, Priority::Interactive).await,
        Admission::Admitted
    );
}

async fn turn(budget: &impl RateBudget, limit: &Limit, party: &str) -> Admission {
    (budget.acquire_for("hubspot:turns", limit, Priority::Background, party))
        .await
        .expect("budget answers")
}

/// Background calls of two parties take turns: when a slot frees, a party that has been served
/// more than one waiting gives way (told to ask again in a slot's share of the window) even
/// though the slot is free; the waiting one takes it; then it is the first one's turn again.
/// A newcomer starts level with the parties already served, so it does not jump the queue for
/// their whole history. Interactive calls never queue.
pub async fn a_party_ahead_gives_way_to_one_waiting(budget: &impl RateBudget) {
    let limit = Limit::new(3, Duration::from_millis(300)).with_reserve(0);
    for n in 0..3 {
        assert_eq!(
            turn(budget, &limit, "alice").await,
            Admission::Admitted,
            "alice {n}"
        );
    }
    // The window is full: bob waits (and is known as waiting, level with alice's three).
    let Admission::Wait(wait) = turn(budget, &limit, "bob").await else {
        panic!("bob must wait for the full window");
    };
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    // Level: whoever asks first goes.
    assert_eq!(turn(budget, &limit, "alice").await, Admission::Admitted);
    // Alice is ahead of a waiting bob: she gives way though a slot is free.
    match turn(budget, &limit, "alice").await {
        Admission::Wait(wait) => assert!(wait <= Duration::from_millis(110), "{wait:?}"),
        Admission::Admitted => panic!("alice took bob's turn"),
    }
    // Interactive calls are not queued.
    assert_eq!(
        acquire(budget, "hubspot:turns", &limit, Priority::Interactive).await,
        Admission::Admitted
    );
    assert_eq!(
        turn(budget, &limit, "bob").await,
        Admission::Admitted,
        "bob's turn"
    );
    // The window is full again (three calls since it freed): both wait, and nobody jumps it.
    assert!(matches!(
        turn(budget, &limit, "alice").await,
        Admission::Wait(_)
    ));
}

/// One stream of calls: its party and how many it was admitted.
type Stream<'a> = Pin<Box<dyn Future<Output = (&'static str, u32)> + Send + 'a>>;

/// One party asking from four streams at once and one from a single stream share a key's
/// calls about equally over a few windows (each stream asks again as soon as it is told, and
/// takes a few milliseconds between calls, as a page arriving does), and the windows are used.
pub async fn parties_share_a_key_whatever_their_number_of_streams(budget: &impl RateBudget) {
    let limit = Limit::new(20, Duration::from_millis(500)).with_reserve(0);
    let until = tokio::time::Instant::now() + Duration::from_millis(3_000);
    let stream = |party: &'static str| async move {
        let mut admitted = 0u32;
        while tokio::time::Instant::now() < until {
            match budget
                .acquire_for("hubspot:share", &limit, Priority::Background, party)
                .await
                .expect("budget answers")
            {
                Admission::Admitted => {
                    admitted += 1;
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                Admission::Wait(wait) => tokio::time::sleep(wait).await,
            }
        }
        (party, admitted)
    };
    let streams: Vec<Stream<'_>> = vec![
        Box::pin(stream("ann")),
        Box::pin(stream("ann")),
        Box::pin(stream("ann")),
        Box::pin(stream("ann")),
        Box::pin(stream("ben")),
    ];
    let counts = join_all(streams).await;
    let of = |who: &str| -> u32 {
        counts
            .iter()
            .filter(|(p, _)| *p == who)
            .map(|(_, n)| n)
            .sum()
    };
    let (ann, ben) = (of("ann"), of("ben"));
    // Six windows of 20, give or take the edges.
    assert!((100..=130).contains(&(ann + ben)), "ann {ann}, ben {ben}");
    let share = f64::from(ben) / f64::from(ann + ben);
    assert!((0.4..=0.6).contains(&share), "ann {ann}, ben {ben}");
}
