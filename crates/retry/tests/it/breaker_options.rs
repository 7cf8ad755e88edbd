//! The breaker's resilience4j options on a `ManualClock`: a time-based window that forgets
//! old failures, slow calls that trip it, and a half-open state that gives up waiting for
//! its probes — and, without them, a breaker that never reads its clock on a call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steadfast_retry::{
    CircuitBreaker, CircuitState, Clock, Decision, ManualClock, OpenReason, RetryError, RetryPolicy,
};

/// A `ManualClock` that counts how often it is read.
#[derive(Clone, Default)]
pub(crate) struct CountingClock {
    pub(crate) clock: ManualClock,
    pub(crate) reads: Arc<AtomicU64>,
}

impl Clock for CountingClock {
    fn now(&self) -> Instant {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.clock.now()
    }
}

fn fail(b: &CircuitBreaker) {
    b.try_acquire().unwrap().record(Decision::Retry);
}

fn succeed(b: &CircuitBreaker) {
    b.try_acquire().unwrap().success();
}

#[test]
fn a_time_window_forgets_failures_older_than_its_span() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .consecutive_failures(0)
        .failure_rate(0.5)
        .time_window(Duration::from_secs(10))
        .minimum_calls(6)
        .clock(clock.clone())
        .build();
    for _ in 0..5 {
        fail(&b); // 5 failures at second 0: not yet 6 calls
    }
    clock.advance(Duration::from_secs(10));
    // Second 10: the failures of second 0 have dropped out; 1 failure of 6 calls is 17%.
    fail(&b);
    for _ in 0..5 {
        succeed(&b);
    }
    assert_eq!(b.state(), CircuitState::Closed);
    // Within the span they all count: 4 more failures make 5 of 10.
    clock.advance(Duration::from_secs(9));
    for _ in 0..3 {
        fail(&b);
        assert_eq!(b.state(), CircuitState::Closed);
    }
    fail(&b);
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::FailureRate));
}

#[test]
fn a_count_window_of_the_same_calls_would_have_tripped() {
    // The control for the test above: the same first six calls in a count window of 10.
    let b = CircuitBreaker::builder()
        .consecutive_failures(0)
        .failure_rate(0.5)
        .window(10)
        .minimum_calls(6)
        .build();
    for _ in 0..6 {
        fail(&b);
    }
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn slow_successes_trip_the_breaker_and_fast_ones_do_not() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .consecutive_failures(0)
        .failure_rate(2.0)
        .window(10)
        .minimum_calls(4)
        .slow_call_duration(Duration::from_millis(500))
        .slow_call_rate(0.5)
        .clock(clock.clone())
        .build();
    let call = |took: Duration| {
        let permit = b.try_acquire().unwrap();
        clock.advance(took);
        permit.success();
    };
    for _ in 0..4 {
        call(Duration::from_millis(499)); // just under: not slow
    }
    call(Duration::from_millis(500)); // exactly the duration: slow
    assert_eq!(b.slow_calls(), 1);
    call(Duration::from_secs(2));
    call(Duration::from_secs(2));
    assert_eq!(b.state(), CircuitState::Closed, "3 slow of 7");
    call(Duration::from_secs(2)); // 4 of 8: 50%
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::SlowCallRate));
    assert_eq!(b.slow_calls(), 4);
}

#[test]
fn slow_transient_failures_count_as_slow_and_permanent_ones_not_at_all() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .consecutive_failures(0)
        .failure_rate(2.0)
        .minimum_calls(3)
        .slow_call_duration(Duration::from_secs(1))
        .clock(clock.clone())
        .build();
    for decision in [Decision::Stop, Decision::Retry, Decision::Retry] {
        let permit = b.try_acquire().unwrap();
        clock.advance(Duration::from_secs(5));
        permit.record(decision);
    }
    assert_eq!(b.slow_calls(), 2, "the 404-like failure is not counted");
    assert_eq!(b.state(), CircuitState::Closed, "2 calls in the window");
    let permit = b.try_acquire().unwrap();
    clock.advance(Duration::from_secs(5));
    permit.success();
    assert_eq!(
        b.state(),
        CircuitState::Open,
        "3 of 3 slow: the default rate is 100%"
    );
}

#[test]
fn a_slow_probe_opens_the_circuit_again() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .slow_call_duration(Duration::from_secs(1))
        .open_duration(Duration::from_secs(10))
        .clock(clock.clone())
        .build();
    b.force_open();
    clock.advance(Duration::from_secs(10));
    let probe = b.try_acquire().unwrap();
    clock.advance(Duration::from_secs(3));
    probe.success();
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::ProbeSlow));
    clock.advance(Duration::from_secs(10));
    succeed(&b); // a quick probe closes it
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn a_half_open_state_whose_probes_hang_goes_back_to_open() {
    let clock = ManualClock::new();
    let changes = Arc::new(Mutex::new(Vec::new()));
    let log = changes.clone();
    let b = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_duration(Duration::from_secs(10))
        .half_open_calls(2)
        .max_wait_in_half_open(Duration::from_secs(30))
        .clock(clock.clone())
        .on_state_change(move |from, to| log.lock().unwrap().push((from, to)))
        .build();
    fail(&b);
    clock.advance(Duration::from_secs(10));
    let first = b.try_acquire().unwrap();
    let second = b.try_acquire().unwrap();
    clock.advance(Duration::from_secs(29));
    assert!(
        b.try_acquire().is_none(),
        "both probe slots taken, still waiting"
    );
    assert_eq!(b.state(), CircuitState::HalfOpen);
    clock.advance(Duration::from_secs(1));
    assert!(b.try_acquire().is_none());
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::HalfOpenTimeout));
    assert_eq!(b.half_open_in(), Some(Duration::from_secs(10)));
    first.success(); // the hung probes come back: too late to close anything
    second.success();
    assert_eq!(b.state(), CircuitState::Open);
    // A new half-open period, whose probes finish in time, closes it.
    clock.advance(Duration::from_secs(10));
    succeed(&b);
    succeed(&b);
    assert_eq!(b.state(), CircuitState::Closed);
    use CircuitState::*;
    assert_eq!(
        *changes.lock().unwrap(),
        [
            (Closed, Open),
            (Open, HalfOpen),
            (HalfOpen, Open),
            (Open, HalfOpen),
            (HalfOpen, Closed)
        ]
    );
}

#[test]
fn a_late_probe_outcome_is_what_ends_an_unasked_half_open_state() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .open_duration(Duration::from_secs(1))
        .max_wait_in_half_open(Duration::from_secs(5))
        .clock(clock.clone())
        .build();
    b.force_open();
    clock.advance(Duration::from_secs(1));
    let probe = b.try_acquire().unwrap();
    clock.advance(Duration::from_secs(6));
    probe.success(); // recorded after the wait ran out: opens instead of closing
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::HalfOpenTimeout));
}

#[test]
fn without_a_max_wait_half_open_waits_for_its_probes() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .open_duration(Duration::from_secs(1))
        .max_wait_in_half_open(Duration::ZERO)
        .clock(clock.clone())
        .build();
    b.force_open();
    clock.advance(Duration::from_secs(1));
    let probe = b.try_acquire().unwrap();
    clock.advance(Duration::from_secs(3600));
    assert!(b.try_acquire().is_none());
    assert_eq!(b.state(), CircuitState::HalfOpen);
    probe.success();
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn without_the_time_rules_a_call_reads_no_clock() {
    let counting = CountingClock::default();
    let b = CircuitBreaker::builder().clock(counting.clone()).build();
    let built = counting.reads.load(Ordering::Relaxed);
    for _ in 0..100 {
        succeed(&b);
    }
    fail(&b);
    assert_eq!(counting.reads.load(Ordering::Relaxed), built);
    // The slow-call rule reads it when a permit is handed out and when it is recorded.
    let timed = CircuitBreaker::builder()
        .slow_call_duration(Duration::from_secs(1))
        .clock(counting.clone())
        .build();
    let before = counting.reads.load(Ordering::Relaxed);
    succeed(&timed);
    assert_eq!(counting.reads.load(Ordering::Relaxed), before + 2);
}

#[test]
fn a_policy_call_that_succeeds_slowly_counts_against_the_breaker() {
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .slow_call_duration(Duration::from_secs(2))
        .minimum_calls(3)
        .clock(clock.clone())
        .build();
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .manual_clock(&clock)
        .circuit_breaker(breaker.clone());
    for _ in 0..3 {
        let got = policy.retry(|_| {
            clock.advance(Duration::from_secs(3)); // a slow but successful search
            Ok::<_, &str>("Bundle")
        });
        assert_eq!(got.unwrap(), "Bundle");
    }
    assert_eq!(breaker.opened_by(), Some(OpenReason::SlowCallRate));
    let refused = policy.retry(|_| Ok::<_, &str>("Bundle"));
    assert!(matches!(refused, Err(RetryError::CircuitOpen { .. })));
}
