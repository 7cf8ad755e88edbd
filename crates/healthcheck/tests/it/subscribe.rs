//! `Health::subscribe()`: the current status first, then one event per damped change
//! (gRPC health `Watch` semantics), on paused tokio time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use steadfast_core::Status;
use steadfast_healthcheck::{CheckOutput, HealthRegistry, Registration, StatusChange};

fn change(status: Status, previous: Option<Status>) -> StatusChange {
    StatusChange {
        check: "db:ping".into(),
        status,
        previous,
    }
}

#[tokio::test(start_paused = true)]
async fn current_status_first_then_one_event_per_damped_change() {
    let failing = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&failing);
    let health = HealthRegistry::new()
        .register(
            Registration::new("db:ping", move || {
                let fail = flag.load(SeqCst);
                async move {
                    if fail {
                        CheckOutput::fail("connection refused")
                    } else {
                        CheckOutput::pass()
                    }
                }
            })
            .interval(Duration::from_secs(1))
            .damping(3, 2),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(5)).await;
    let mut changes = health.subscribe();
    assert_eq!(changes.next().await, Some(change(Status::Pass, None)));

    // Failing for good: one event, after the third failure in a row, and no more.
    failing.store(true, SeqCst);
    let started = tokio::time::Instant::now();
    assert_eq!(
        changes.next().await,
        Some(change(Status::Fail, Some(Status::Pass)))
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(health.runs("db:ping") >= 4);
    let quiet = tokio::time::timeout(Duration::from_secs(10), changes.next()).await;
    assert!(quiet.is_err(), "ten more failures are no change: {quiet:?}");

    // Recovering: one event after two passes.
    failing.store(false, SeqCst);
    assert_eq!(
        changes.next().await,
        Some(change(Status::Pass, Some(Status::Fail)))
    );

    // A second subscriber hears the current status first; closing ends both.
    let mut late = health.subscribe();
    assert_eq!(late.next().await, Some(change(Status::Pass, None)));
    health.close();
    assert_eq!(late.next().await, None);
    assert_eq!(changes.next().await, None);
}
