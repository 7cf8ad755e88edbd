//! The circuit breaker: tripping rules, half-open probes, callbacks, many threads.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_retry::{CircuitBreaker, CircuitState, Decision, ManualClock};

#[test]
fn failure_rate_over_the_window_trips_after_minimum_calls() {
    let clock = ManualClock::new();
    let b = CircuitBreaker::builder()
        .consecutive_failures(0)
        .failure_rate(0.5)
        .window(10)
        .minimum_calls(6)
        .clock(clock.clone())
        .build();
    // Alternate success/failure: 50%, but judged only from the 6th call.
    for i in 0..5 {
        let p = b.try_acquire().unwrap();
        if i % 2 == 0 {
            p.record(Decision::Retry)
        } else {
            p.success()
        }
        assert_eq!(b.state(), CircuitState::Closed, "call {i}");
    }
    b.try_acquire().unwrap().success(); // 3 of 6 failed: 50%
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn permanent_errors_do_not_count_against_the_dependency() {
    let b = CircuitBreaker::builder()
        .consecutive_failures(2)
        .failure_rate(2.0)
        .build();
    for _ in 0..10 {
        b.try_acquire().unwrap().record(Decision::Stop);
    }
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn half_open_probe_failure_reopens_and_callbacks_see_every_change() {
    let clock = ManualClock::new();
    let changes = Arc::new(Mutex::new(Vec::new()));
    let c = changes.clone();
    let b = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_duration(Duration::from_secs(5))
        .half_open_calls(2)
        .clock(clock.clone())
        .on_state_change(move |from, to| c.lock().unwrap().push((from, to)))
        .build();
    b.try_acquire().unwrap().record(Decision::Retry);
    clock.advance(Duration::from_secs(4));
    assert!(b.try_acquire().is_none());
    assert_eq!(b.rejected(), 1);
    clock.advance(Duration::from_secs(1));
    let p1 = b.try_acquire().unwrap();
    let p2 = b.try_acquire().unwrap();
    assert!(b.try_acquire().is_none(), "only two probes at once");
    p1.success();
    assert_eq!(
        b.state(),
        CircuitState::HalfOpen,
        "one success of two is not enough"
    );
    p2.record(Decision::Retry);
    assert_eq!(b.state(), CircuitState::Open);
    clock.advance(Duration::from_secs(5));
    b.try_acquire().unwrap().success();
    b.try_acquire().unwrap().success();
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
fn many_threads_trip_once_and_recover_once() {
    let clock = ManualClock::new();
    let opened = Arc::new(Mutex::new(0));
    let o = opened.clone();
    let b = CircuitBreaker::builder()
        .consecutive_failures(50)
        .failure_rate(2.0)
        .open_duration(Duration::from_secs(1))
        .clock(clock.clone())
        .on_state_change(move |_, to| {
            if to == CircuitState::Open {
                *o.lock().unwrap() += 1;
            }
        })
        .build();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    if let Some(p) = b.try_acquire() {
                        p.record(Decision::Retry);
                    }
                }
            });
        }
    });
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(*opened.lock().unwrap(), 1);
    clock.advance(Duration::from_secs(1));
    let granted = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    b.try_acquire()
                        .map(steadfast_retry::Permit::success)
                        .is_some()
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap())
            .filter(|granted| *granted)
            .count()
    });
    assert!(granted >= 1);
    assert_eq!(b.state(), CircuitState::Closed);
}
