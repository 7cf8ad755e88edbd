//! `BreakerRegistry`: keys' breakers are independent, the least recently used key goes at
//! the bound, and concurrent first uses of a key share one breaker.

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use steadfast_retry::{
    AlwaysRetry, BreakerRegistry, CircuitBreaker, CircuitState, ManualClock, RetryError,
    RetryPolicy,
};

type Key = (String, &'static str);

fn key(resource: &str, interaction: &'static str) -> Key {
    (resource.to_owned(), interaction)
}

#[test]
fn a_failing_key_opens_only_its_own_breaker() {
    let clock = ManualClock::new();
    let breakers = BreakerRegistry::new(
        CircuitBreaker::builder()
            .consecutive_failures(3)
            .clock(clock.clone()),
        64,
    );
    let policy = RetryPolicy::constant(Duration::from_millis(10))
        .max_retries(0)
        .manual_clock(&clock);
    let (obs, pat) = (key("Observation", "search"), key("Patient", "search"));
    let mut obs_calls = 0;
    let mut refused = 0;
    for _ in 0..10 {
        let failed = policy.retry_if_keyed(&breakers, &obs, AlwaysRetry, |_| {
            obs_calls += 1;
            Err::<(), _>("503")
        });
        if matches!(failed, Err(RetryError::CircuitOpen { .. })) {
            refused += 1;
        }
        let ok = policy.retry_if_keyed(&breakers, &pat, AlwaysRetry, |_| Ok::<_, &str>(1));
        assert_eq!(ok.unwrap(), 1);
    }
    assert_eq!(obs_calls, 3, "the breaker opened at its threshold");
    assert_eq!(refused, 7);
    assert_eq!(breakers.get(&obs).state(), CircuitState::Open);
    let patient = breakers.get(&pat);
    assert_eq!(patient.state(), CircuitState::Closed);
    assert_eq!(patient.rejected(), 0);
    // The policy's own (unkeyed) path is untouched by the registry.
    assert_eq!(policy.retry(|_| Ok::<_, &str>(2)).unwrap(), 2);
}

#[test]
fn the_least_recently_used_key_is_evicted_at_the_bound() {
    let breakers = BreakerRegistry::new(CircuitBreaker::builder(), 3);
    for k in ["a", "b", "c"] {
        breakers.get(&k).force_open();
    }
    breakers.get(&"a"); // a is used again: b is now the oldest
    breakers.get(&"d");
    assert_eq!(breakers.len(), 3);
    assert_eq!(breakers.evicted(), 1);
    assert!(breakers.peek(&"b").is_none());
    assert!(breakers.peek(&"a").is_some_and(|b| b.is_open()));
    assert!(breakers.peek(&"c").is_some_and(|b| b.is_open()));
    // An evicted key's state is lost: it comes back closed.
    assert!(!breakers.get(&"b").is_open());
    assert_eq!(breakers.evicted(), 2);
    assert_eq!(breakers.len(), 3);
}

#[test]
fn an_eviction_by_another_thread_reaches_this_threads_lookups() {
    let breakers = Arc::new(BreakerRegistry::new(CircuitBreaker::builder(), 1));
    breakers.get(&"a").force_open(); // this thread now knows `a`
    let other = breakers.clone();
    std::thread::spawn(move || other.get(&"b")).join().unwrap(); // evicts `a`
    assert!(breakers.peek(&"a").is_none());
    let a = breakers.get(&"a");
    assert!(
        !a.is_open(),
        "not the evicted breaker from this thread's cache"
    );
    assert!(breakers.peek(&"a").is_some_and(|b| !b.is_open()));
    assert_eq!(breakers.evicted(), 2);
}

#[test]
fn the_bound_holds_under_many_keys() {
    let breakers = BreakerRegistry::new(CircuitBreaker::builder(), 16);
    for n in 0..10_000_u32 {
        breakers.get(&n);
    }
    assert_eq!(breakers.len(), 16);
    assert_eq!(breakers.evicted(), 10_000 - 16);
}

#[test]
fn concurrent_first_uses_of_a_key_share_one_breaker() {
    let opened = Arc::new(Mutex::new(Vec::new()));
    let log = opened.clone();
    let breakers = Arc::new(
        BreakerRegistry::new(CircuitBreaker::builder(), 64).on_state_change(
            move |k: &u32, _, to| {
                if to == CircuitState::Open {
                    log.lock().unwrap().push(*k);
                }
            },
        ),
    );
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (breakers, barrier) = (breakers.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..16_u32).map(|k| breakers.get(&k)).collect::<Vec<_>>()
            })
        })
        .collect();
    let got: Vec<Vec<CircuitBreaker>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(breakers.len(), 16);
    for k in 0..16 {
        got[0][k].force_open();
        for (t, per_thread) in got.iter().enumerate() {
            assert!(
                per_thread[k].is_open(),
                "thread {t} got another breaker for {k}"
            );
        }
    }
    let mut opened = opened.lock().unwrap().clone();
    opened.sort_unstable();
    assert_eq!(
        opened,
        (0..16).collect::<Vec<_>>(),
        "told once per key, with the key"
    );
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_async_loop_asks_the_key_breaker() {
    let breakers = BreakerRegistry::new(CircuitBreaker::builder().consecutive_failures(1), 8);
    let policy = RetryPolicy::constant(Duration::from_millis(1)).max_retries(0);
    let k = key("Observation", "read");
    let first = policy
        .retry_async_if_keyed(&breakers, &k, AlwaysRetry, |_| async {
            Err::<(), _>("503")
        })
        .await;
    assert!(
        matches!(first, Err(RetryError::Exhausted { .. })),
        "{first:?}"
    );
    let second = policy
        .retry_async_if_keyed(&breakers, &k, AlwaysRetry, |_| async { Ok::<_, &str>(()) })
        .await;
    assert!(
        matches!(second, Err(RetryError::CircuitOpen { .. })),
        "{second:?}"
    );
}
