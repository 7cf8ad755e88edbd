//! Built-in checks against real endpoints; the registry's caching, single flight, panic
//! isolation and damping under a paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use steadfast_core::Status;
use steadfast_healthcheck::{
    Check, CheckOutput, FhirCheck, Group, HealthRegistry, HttpCheck, Registration, StalenessCheck,
    TcpCheck,
};

use crate::{black_hole, closed_port, fhir_stub};

#[tokio::test]
async fn a_closed_port_fails_fast_as_connection_refused() {
    let out = TcpCheck::new(closed_port().await).check().await;
    assert_eq!(
        (out.status, out.output),
        (Status::Fail, Some("connection refused"))
    );
}

#[tokio::test]
async fn a_fhir_server_reports_its_version() {
    let addr = fhir_stub(r#"{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1"}"#).await;
    let out = FhirCheck::new(&format!("http://{addr}"))
        .unwrap()
        .check()
        .await;
    assert_eq!(out.status, Status::Pass);
    assert_eq!(out.observed_value, Some(4.01));
    let wrong = fhir_stub(r#"{"resourceType":"Patient"}"#).await;
    assert_eq!(
        FhirCheck::new(&format!("http://{wrong}/"))
            .unwrap()
            .check()
            .await
            .output,
        Some("not a CapabilityStatement")
    );
}

#[tokio::test]
async fn a_hung_dependency_times_out_and_probes_do_not_wait_for_it() {
    let addr = black_hole().await;
    let health = HealthRegistry::new()
        .register(
            Registration::new(
                "ehr:metadata",
                HttpCheck::new(&format!("http://{addr}/metadata")).unwrap(),
            )
            .timeout(Duration::from_millis(200)),
        )
        .unwrap()
        .start();
    // While the check hangs, a report answers at once from what is known (had it waited
    // for the check, it would say "timed out").
    let report = health.report(Some(&Group::Ready));
    assert_eq!(
        report.checks["ehr:metadata"][0].result.output,
        Some("not checked yet")
    );
    health.first_round(Duration::from_secs(2)).await;
    let report = health.report(Some(&Group::Ready));
    assert_eq!(
        report.checks["ehr:metadata"][0].result.output,
        Some("timed out")
    );
    assert_eq!(report.status, Status::Fail);
}

#[tokio::test(start_paused = true)]
async fn a_ttl_check_runs_at_most_once_per_ttl_under_a_probe_storm() {
    let runs = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&runs);
    let check = move || {
        let c = Arc::clone(&counted);
        async move {
            c.fetch_add(1, Relaxed);
            CheckOutput::pass()
        }
    };
    let health = HealthRegistry::new()
        .register(Registration::new("db:ping", check).ttl(Duration::from_secs(5)))
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    for _ in 0..1000 {
        let _ = health.report(None);
        tokio::time::advance(Duration::from_millis(1)).await;
    }
    // One second of probes: no run beyond the first.
    assert_eq!(runs.load(Relaxed), 1);
    tokio::time::advance(Duration::from_secs(5)).await;
    for _ in 0..100 {
        let _ = health.report(None);
        tokio::task::yield_now().await;
    }
    assert_eq!(
        runs.load(Relaxed),
        2,
        "one refresh after the TTL, however many probes"
    );
}

#[tokio::test]
async fn a_panicking_check_is_a_failure_not_a_crash() {
    let health = HealthRegistry::new()
        .register(Registration::new("bug:panics", || async {
            if true {
                panic!("a bug in a check");
            }
            CheckOutput::pass()
        }))
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    let report = health.report(None);
    assert_eq!(
        report.checks["bug:panics"][0].result.output,
        Some("check panicked")
    );
}

#[tokio::test(start_paused = true)]
async fn damping_needs_consecutive_failures_and_passes() {
    let script = Arc::new(AtomicU32::new(0));
    let s = Arc::clone(&script);
    // pass, fail, fail, pass, pass, pass …
    let check = move || {
        let n = s.fetch_add(1, Relaxed);
        async move {
            if n == 1 || n == 2 {
                CheckOutput::fail("flapping")
            } else {
                CheckOutput::pass()
            }
        }
    };
    let health = HealthRegistry::new()
        .register(
            Registration::new("api:flappy", check)
                .ttl(Duration::ZERO)
                .damping(2, 2),
        )
        .unwrap()
        .start();
    let mut seen = Vec::new();
    for _ in 0..6 {
        health.first_round(Duration::from_secs(1)).await;
        tokio::time::advance(Duration::from_millis(10)).await;
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        seen.push(health.report(None).checks["api:flappy"][0].result.status);
    }
    // A single failure is absorbed; two in a row fail; one pass does not recover.
    assert_eq!(seen[0], Status::Pass);
    assert!(seen.contains(&Status::Fail), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), Status::Pass, "{seen:?}");
}

#[tokio::test]
async fn staleness_fails_without_a_recent_finished_run() {
    let root = tempfile::tempdir().unwrap();
    let check = StalenessCheck::new(root.path(), "epic", Duration::from_secs(3600));
    assert_eq!(check.check().await.output, Some("no finished run"));
    let run = steadfast_core::RunDir::create(root.path(), "epic").unwrap();
    let mut m =
        steadfast_core::RunManifest::new(run.id(), "epic", steadfast_core::Timestamp::now());
    m.state = steadfast_core::RunState::Finished;
    m.finished = Some(steadfast_core::Timestamp::now());
    run.write_manifest(&m).unwrap();
    assert_eq!(check.check().await.status, Status::Pass);
    let strict = StalenessCheck::new(root.path(), "epic", Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(strict.check().await.output, Some("last run too old"));
}
