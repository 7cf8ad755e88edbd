//! `[retry.breaker]`'s resilience4j keys, from TOML through `breaker_builder()` to a breaker
//! on a `ManualClock` that behaves accordingly; bad values refused naming the key, by
//! `validate` and by the layered loader (what `steadfast config check` runs).

use std::sync::atomic::Ordering;
use std::time::Duration;

use steadfast_core::config::Loader;
use steadfast_retry::{
    CircuitBreaker, CircuitState, Decision, Error, ManualClock, OpenReason, RetryConfig,
};

use crate::breaker_options::CountingClock;

/// The breaker `[breaker]` + `table` describes, on `clock`.
fn breaker(table: &str, clock: &ManualClock) -> CircuitBreaker {
    let cfg: RetryConfig = toml::from_str(&format!("[breaker]\n{table}")).unwrap();
    cfg.validate().unwrap();
    cfg.breaker_builder().unwrap().clock(clock.clone()).build()
}

fn fail(b: &CircuitBreaker) {
    b.try_acquire().unwrap().record(Decision::Retry);
}

fn succeed(b: &CircuitBreaker) {
    b.try_acquire().unwrap().success();
}

/// A call that takes `took` on `clock`, then succeeds.
fn succeed_after(b: &CircuitBreaker, clock: &ManualClock, took: Duration) {
    let permit = b.try_acquire().unwrap();
    clock.advance(took);
    permit.success();
}

#[test]
fn a_time_window_judges_the_failure_rate_over_its_span() {
    let clock = ManualClock::new();
    let b = breaker(
        "consecutive_failures = 0\nfailure_rate = 0.5\ntime_window = \"10s\"\nminimum_calls = 6\n",
        &clock,
    );
    for _ in 0..5 {
        fail(&b); // second 0: 5 failures, not yet 6 calls
    }
    clock.advance(Duration::from_secs(10));
    // Second 10: second 0 is out of the window; 1 failure in 6 calls. The default count
    // window (the last 20 calls) would have tripped on this first failure: 6 of 6.
    fail(&b);
    assert_eq!(b.state(), CircuitState::Closed);
    for _ in 0..5 {
        succeed(&b);
    }
    clock.advance(Duration::from_secs(9));
    for _ in 0..3 {
        fail(&b);
    }
    assert_eq!(b.state(), CircuitState::Closed); // 4 of 9
    fail(&b); // 5 of 10
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::FailureRate));
}

#[test]
fn without_time_window_the_count_window_stays() {
    // The control: the same first six calls with `window` alone trip the breaker.
    let clock = ManualClock::new();
    let b = breaker(
        "consecutive_failures = 0\nfailure_rate = 0.5\nwindow = 10\nminimum_calls = 6\n",
        &clock,
    );
    for _ in 0..5 {
        fail(&b);
    }
    clock.advance(Duration::from_secs(10));
    fail(&b);
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn slow_calls_are_counted_and_trip_at_the_slow_call_rate() {
    let table = "consecutive_failures = 0\nminimum_calls = 4\nslow_call_duration = \"2s\"\nslow_call_rate = 0.5\n";
    let clock = ManualClock::new();
    let b = breaker(table, &clock);
    succeed_after(&b, &clock, Duration::from_secs(2)); // exactly the threshold: slow
    succeed_after(&b, &clock, Duration::from_millis(1999)); // fast
    succeed_after(&b, &clock, Duration::from_millis(10));
    assert_eq!((b.slow_calls(), b.state()), (1, CircuitState::Closed));
    // A transient failure that took long is slow too: 2 slow calls of 4.
    let permit = b.try_acquire().unwrap();
    clock.advance(Duration::from_secs(5));
    permit.record(Decision::Retry);
    assert_eq!(b.slow_calls(), 2);
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::SlowCallRate));

    // The same calls with the rule's default rate (all of them) leave it closed.
    let clock = ManualClock::new();
    let b = breaker(
        "consecutive_failures = 0\nminimum_calls = 4\nslow_call_duration = \"2s\"\n",
        &clock,
    );
    for took in [2000, 1999, 10, 5000] {
        succeed_after(&b, &clock, Duration::from_millis(took));
    }
    assert_eq!((b.slow_calls(), b.state()), (2, CircuitState::Closed));
}

#[test]
fn max_wait_in_half_open_opens_a_stuck_half_open_state_again() {
    let clock = ManualClock::new();
    let b = breaker(
        "open_duration = \"10s\"\nmax_wait_in_half_open = \"5s\"\n",
        &clock,
    );
    b.force_open();
    clock.advance(Duration::from_secs(10));
    let stuck = b.try_acquire().unwrap(); // the probe hangs
    assert_eq!(b.state(), CircuitState::HalfOpen);
    clock.advance(Duration::from_millis(4999));
    assert!(b.try_acquire().is_none()); // the one probe slot is taken
    assert_eq!(b.state(), CircuitState::HalfOpen);
    clock.advance(Duration::from_millis(1));
    assert!(b.try_acquire().is_none());
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(b.opened_by(), Some(OpenReason::HalfOpenTimeout));
    stuck.success(); // too late: it changes nothing
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn the_defaults_leave_the_breaker_as_it_was() {
    let cfg = RetryConfig::default();
    let b = &cfg.breaker;
    assert_eq!(
        (b.time_window, b.slow_call_duration, b.max_wait_in_half_open),
        (None, None, None)
    );
    // No new rule is on: a call reads no clock, and a slow call is not slow.
    let counting = CountingClock::default();
    let breaker = cfg
        .breaker_builder()
        .unwrap()
        .clock(counting.clone())
        .build();
    let built = counting.reads.load(Ordering::Relaxed);
    for _ in 0..20 {
        let permit = breaker.try_acquire().unwrap();
        counting.clock.advance(Duration::from_secs(3600));
        permit.success();
    }
    assert_eq!(counting.reads.load(Ordering::Relaxed), built);
    assert_eq!(breaker.slow_calls(), 0);
    // The default count window of 20 and the 5 failures in a row are still the rules.
    for _ in 0..4 {
        fail(&breaker);
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
    fail(&breaker);
    assert_eq!(breaker.opened_by(), Some(OpenReason::ConsecutiveFailures));
}

#[test]
fn out_of_range_values_are_refused_naming_the_key() {
    let refused = |table: &str| {
        let cfg: RetryConfig = toml::from_str(&format!("[breaker]\n{table}")).unwrap();
        let err = cfg.validate().unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
        err.to_string()
    };
    insta::assert_snapshot!(refused("slow_call_rate = 1.5"), @"invalid [retry] breaker.slow_call_rate = 1.5: a ratio between 0 and 1 (0.95 means 95%)");
    insta::assert_snapshot!(refused("time_window = \"0s\""), @"invalid [retry] breaker.time_window = 0s: at least 1s, like `1m`");
    insta::assert_snapshot!(refused("time_window = \"2h\""), @"invalid [retry] breaker.time_window = 2h: at most 1h, like `1m`");
    insta::assert_snapshot!(refused("slow_call_duration = \"0s\""), @"invalid [retry] breaker.slow_call_duration = 0s: a duration greater than 0, like `30s`");
    insta::assert_snapshot!(refused("max_wait_in_half_open = \"0s\""), @"invalid [retry] breaker.max_wait_in_half_open = 0s: a duration greater than 0, like `30s`");
    insta::assert_snapshot!(refused("window = 0"), @"invalid [retry] breaker.window = 0: at least 1");
    // The bounds themselves are allowed.
    let cfg: RetryConfig = toml::from_str(
        "[breaker]\ntime_window = \"1h\"\nslow_call_rate = 1.0\nslow_call_duration = \"1ms\"\n",
    )
    .unwrap();
    cfg.validate().unwrap();
}

#[test]
fn the_loader_reports_every_bad_key_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steadfast.toml");
    steadfast_core::atomic_write(
        &path,
        "[retry.breaker]\ntime_window = \"0s\"\nslow_call_duration = \"3s\"\nslow_call_rate = 1.5\nmax_wait_in_half_open = \"0s\"\n",
    )
    .unwrap();
    let err = Loader::new()
        .file(&path)
        .env_vars(Vec::<(String, String)>::new())
        .load_section::<RetryConfig>("retry")
        .unwrap_err()
        .to_string()
        .replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!(err, @r"
    <dir>/steadfast.toml:2:15: 0s is out of range for time_window: expected at least 1s, like `1m`
    <dir>/steadfast.toml:4:18: 1.5 is out of range for slow_call_rate: expected a ratio between 0 and 1 (0.95 means 95%)
    <dir>/steadfast.toml:5:25: 0s is out of range for max_wait_in_half_open: expected a duration greater than 0, like `30s`
    ");
}

#[test]
fn the_keys_are_read_from_the_environment_too() {
    let cfg = Loader::new()
        .env_vars([
            ("STEADFAST_RETRY__BREAKER__TIME_WINDOW", "30s"),
            ("STEADFAST_RETRY__BREAKER__SLOW_CALL_DURATION", "1500ms"),
            ("STEADFAST_RETRY__BREAKER__SLOW_CALL_RATE", "0.8"),
            ("STEADFAST_RETRY__BREAKER__MAX_WAIT_IN_HALF_OPEN", "1m"),
        ])
        .load_section::<RetryConfig>("retry")
        .unwrap();
    let b = &cfg.value().breaker;
    let secs = |d: Option<steadfast_core::HumanDuration>| d.map(|d| d.get().as_secs_f64());
    assert_eq!(secs(b.time_window), Some(30.0));
    assert_eq!(secs(b.slow_call_duration), Some(1.5));
    assert_eq!(secs(b.max_wait_in_half_open), Some(60.0));
    assert!((b.slow_call_rate - 0.8).abs() < f64::EPSILON);
}
