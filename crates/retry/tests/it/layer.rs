//! `RetryLayer` around a tower `service_fn`: transient errors retried to success, a
//! permanent one not, `Retry-After` waited on the injected clock, and the policy's breaker
//! refusing calls without reaching the service once it is open.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use steadfast_retry::{CircuitBreaker, Decision, ManualClock, RetryError, RetryLayer, RetryPolicy};
use tower::{Layer as _, Service as _, ServiceExt as _, service_fn};

/// A service failing with `errors[n]` on its n-th call, then answering `ok`.
fn flaky(
    errors: &'static [&'static str],
    calls: &Arc<AtomicU32>,
) -> impl tower::Service<
    u32,
    Response = String,
    Error = &'static str,
    Future = impl Future<Output = Result<String, &'static str>> + Send,
> + Clone
+ Send
+ 'static {
    let calls = calls.clone();
    service_fn(move |request: u32| {
        let n = calls.fetch_add(1, Ordering::SeqCst) as usize;
        async move {
            match errors.get(n) {
                Some(e) => Err(*e),
                None => Ok(format!("ok {request}")),
            }
        }
    })
}

fn classify(e: &&'static str) -> Decision {
    match *e {
        "busy" => Decision::Retry,
        "slow down" => Decision::RetryAfter(Duration::from_secs(7)),
        _ => Decision::Stop,
    }
}

#[tokio::test]
async fn transient_errors_are_retried_and_retry_after_is_waited() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::constant(Duration::from_millis(100))
        .max_retries(5)
        .manual_clock(&clock);
    let calls = Arc::new(AtomicU32::new(0));
    let mut service =
        RetryLayer::new(policy, classify).layer(flaky(&["busy", "slow down", "busy"], &calls));
    let answer = service.ready().await.unwrap().call(41).await.unwrap();
    assert_eq!(answer, "ok 41");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    // Two 100 ms backoffs and the 7 s the server asked for, on the manual clock.
    assert_eq!(clock.slept(), Duration::from_millis(7200));
}

#[tokio::test]
async fn a_permanent_error_is_not_retried() {
    let policy = RetryPolicy::exponential()
        .max_retries(5)
        .manual_clock(&ManualClock::new());
    let calls = Arc::new(AtomicU32::new(0));
    let mut service = RetryLayer::new(policy, classify).layer(flaky(&["denied"], &calls));
    let err = service.call(1).await.unwrap_err();
    assert!(
        matches!(err, RetryError::Permanent { attempts: 1, .. }),
        "{err}"
    );
    assert_eq!(err.last_error(), Some(&"denied"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_policy_breaker_refuses_calls_once_open() {
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(3)
        .open_duration(Duration::from_secs(60))
        .clock(clock.clone())
        .build();
    let policy = RetryPolicy::constant(Duration::ZERO)
        .max_retries(1)
        .manual_clock(&clock)
        .circuit_breaker(breaker.clone());
    let calls = Arc::new(AtomicU32::new(0));
    let always_busy: &'static [&'static str] = &["busy"; 64];
    let mut service = RetryLayer::new(policy, classify).layer(flaky(always_busy, &calls));
    // Call 1: two attempts; call 2: the third failure opens the breaker, its retry refused.
    for _ in 0..2 {
        assert!(service.call(1).await.is_err());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let err = service.call(1).await.unwrap_err();
    assert!(matches!(err, RetryError::CircuitOpen { .. }), "{err}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "refused before reaching the service"
    );
    // Call 2's retry after the opening failure was refused too.
    assert_eq!(breaker.rejected(), 2);
}
