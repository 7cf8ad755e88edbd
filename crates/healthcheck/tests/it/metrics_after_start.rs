//! Check series exported from a `Health` that is already running: declared and current at
//! once, updated by the runs that finish afterwards, exported once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use steadfast_core::Prefix;
use steadfast_healthcheck::{CheckOutput, Error, HealthRegistry, Registration};

use crate::observability::sample;

fn exposition(prom: &prometheus::Registry) -> String {
    prometheus::TextEncoder::new()
        .encode_to_string(&prom.gather())
        .unwrap()
}

fn status(check: &str, status: &str) -> String {
    format!(r#"steadfast_health_check_status{{check="{check}",status="{status}"}}"#)
}

fn runs(check: &str, outcome: &str) -> String {
    format!(r#"steadfast_health_check_runs_total{{check="{check}",outcome="{outcome}"}}"#)
}

#[tokio::test]
async fn series_attached_after_start_show_current_statuses_then_follow_refreshes() {
    let calls = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&calls);
    // Refused at first, up on every later run; always stale, so a refresh runs it again.
    let db = Registration::new("db:ping", move || {
        let n = counted.fetch_add(1, Relaxed);
        async move {
            if n == 0 {
                CheckOutput::fail("connection refused")
            } else {
                CheckOutput::pass()
            }
        }
    })
    .ttl(Duration::ZERO);
    let cache = Registration::new("cache:ping", || async { CheckOutput::warn("slow") })
        .ttl(Duration::from_secs(3600));
    let health = HealthRegistry::new()
        .register(db)
        .unwrap()
        .register(cache)
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(2)).await;
    assert_eq!(calls.load(Relaxed), 1);

    let prom = prometheus::Registry::new();
    health.metrics(&prom, &Prefix::default()).unwrap();
    // At once, without a run: every check declared, its current status published.
    let text = exposition(&prom);
    assert_eq!(
        sample(&text, &status("db:ping", "fail")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, &status("db:ping", "pass")), Some(0.0));
    assert_eq!(sample(&text, &status("cache:ping", "warn")), Some(1.0));
    assert_eq!(sample(&text, &runs("db:ping", "completed")), Some(0.0));
    assert_eq!(sample(&text, &runs("cache:ping", "timeout")), Some(0.0));
    let last_run = r#"steadfast_health_check_last_run_timestamp_seconds{check="db:ping"}"#;
    assert!(sample(&text, last_run).is_some_and(|t| t > 1.7e9), "{text}");

    // A refresh after the export updates the series as the run finishes.
    health.refresh_stale(None);
    let mut text = exposition(&prom);
    for _ in 0..400 {
        if sample(&text, &runs("db:ping", "completed")) == Some(1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        text = exposition(&prom);
    }
    assert_eq!(calls.load(Relaxed), 2);
    assert_eq!(
        sample(&text, &status("db:ping", "pass")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, &status("db:ping", "fail")), Some(0.0));
    assert_eq!(
        sample(
            &text,
            r#"steadfast_health_check_duration_seconds_count{check="db:ping"}"#
        ),
        Some(1.0)
    );
    assert_eq!(sample(&text, &status("cache:ping", "warn")), Some(1.0));
}

#[tokio::test]
async fn series_are_exported_once_and_a_refused_export_can_be_retried() {
    let check = || Registration::new("db:ping", || async { CheckOutput::pass() });
    // Exported by the registry before start: the started checks refuse a second export.
    let before = HealthRegistry::new()
        .metrics(&prometheus::Registry::new(), &Prefix::default())
        .unwrap()
        .register(check())
        .unwrap()
        .start();
    let again = before.metrics(&prometheus::Registry::new(), &Prefix::default());
    assert!(matches!(again, Err(Error::MetricsExported)), "{again:?}");

    // A prometheus registry that already holds the series refuses them; another one works.
    let health = HealthRegistry::new().register(check()).unwrap().start();
    health.first_round(Duration::from_secs(2)).await;
    let taken = prometheus::Registry::new();
    HealthRegistry::new()
        .metrics(&taken, &Prefix::default())
        .unwrap();
    let refused = health.metrics(&taken, &Prefix::default());
    assert!(matches!(refused, Err(Error::Metrics(_))), "{refused:?}");
    let prom = prometheus::Registry::new();
    health.metrics(&prom, &Prefix::default()).unwrap();
    let text = exposition(&prom);
    assert_eq!(
        sample(&text, &status("db:ping", "pass")),
        Some(1.0),
        "{text}"
    );
    let twice = health.metrics(&prometheus::Registry::new(), &Prefix::default());
    assert!(matches!(twice, Err(Error::MetricsExported)), "{twice:?}");
}
