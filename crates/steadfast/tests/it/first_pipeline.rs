//! `examples/first_pipeline.rs` as a user runs it, against a flaky FHIR server: the run's
//! metrics and page show the true numbers of retries, HTTP errors by status, breaker
//! openings and dead letters — what the server counted.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "whole counts read back from metrics as f64"
)]

use std::path::PathBuf;

use steadfast::retry::series as rs;
use steadfast::run::RunDir;
use steadfast_testkit::fhir::{Fault, FlakyFhir};

/// The example's binary, built beside this test's (cargo builds examples with the tests).
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join("first_pipeline");
    assert!(
        path.is_file(),
        "{} missing: build it with `cargo test -p steadfast --features full`",
        path.display()
    );
    path
}

/// Runs the example against `base` into `root` under GNU time: its exit status and peak
/// RSS in MiB (`None` locally without GNU time; a failure in CI).
fn run_measured(base: &str, root: &std::path::Path) -> (std::process::ExitStatus, Option<u64>) {
    let time = std::path::Path::new("/usr/bin/time");
    let mut cmd = if time.is_file() {
        let mut c = std::process::Command::new(time);
        c.arg("-f").arg("%M").arg(example());
        c
    } else {
        steadfast_testkit::skip("memory not measured: GNU time is missing (apt-get install time)");
        std::process::Command::new(example())
    };
    let out = cmd
        .arg(base)
        .arg(root)
        .env("STEADFAST_HEALTH__ADDR", "127.0.0.1:0")
        .env("STEADFAST_HEALTH__DRAIN", "0s")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kib = time
        .is_file()
        .then(|| {
            err.lines()
                .last()
                .and_then(|l| l.trim().parse::<u64>().ok())
        })
        .flatten();
    (out.status, kib.map(|k| k / 1024))
}

/// The example streams: its peak memory stays under 150 MiB from 1,000 to 50,000
/// resources of each type.
#[test]
fn the_example_streams_in_flat_memory() {
    for total in [1_000, 50_000] {
        let server = FlakyFhir::start(total, Vec::new(), &[]);
        let root = tempfile::tempdir().unwrap();
        let (status, mib) = run_measured(&server.base(), root.path());
        assert!(status.success(), "{total}: {status}");
        assert_eq!(server.resources(), 2 * total as u64);
        if let Some(mib) = mib {
            eprintln!("{total} of each type: peak RSS {mib} MiB");
            assert!(mib < 150, "{total} of each type: peak RSS {mib} MiB");
        }
    }
}

#[test]
fn the_example_reports_what_the_server_saw() {
    // 250 of each type in pages of 100: pages 0, 1 and 2 (poisoned: 400, a dead letter).
    // Patient: 503, 429, a reset before page 0 — three failures in a row open the breaker
    // (threshold 3); Observation: three 503s open it again. In `wait` mode each call waits
    // for the half-open trial instead of dead-lettering.
    let plan = vec![
        Fault::Unavailable(0),
        Fault::Throttled,
        Fault::Reset,
        Fault::None,
        Fault::None,
        Fault::None,
        Fault::Unavailable(0),
        Fault::Unavailable(0),
        Fault::Unavailable(0),
    ];
    let server = FlakyFhir::start(250, plan, &[2]);
    let root = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(example())
        .arg(server.base())
        .arg(root.path())
        .env("STEADFAST_HEALTH__ADDR", "127.0.0.1:0")
        .env("STEADFAST_HEALTH__DRAIN", "0s")
        .env("STEADFAST_RETRY__INITIAL_INTERVAL", "5ms")
        .env("STEADFAST_RETRY__JITTER", "none")
        .env("STEADFAST_RETRY__BREAKER__CONSECUTIVE_FAILURES", "3")
        .env("STEADFAST_RETRY__BREAKER__OPEN_DURATION", "100ms")
        .env("STEADFAST_RETRY__BREAKER__WHEN_OPEN", "wait")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Two pages of each type were dead-lettered: the run's validation still passes.
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let run = RunDir::open(
        steadfast::run::RunDir::list(root.path()).unwrap()[0]
            .dir
            .path(),
    )
    .unwrap();
    let metrics = steadfast::metrics::read_run(&run).unwrap().totals;
    let counter = |name: &str, labels: &[(&str, &str)]| {
        metrics
            .get(rs::RUN_STEP, name, labels)
            .map_or(0.0, |t| t.value)
    };
    let status = |s: &str| counter(rs::RUN_HTTP_ERRORS, &[(rs::LABEL_STATUS, s)]);
    assert_eq!(status("503") as u64, server.count(503));
    assert_eq!(status("429") as u64, server.count(429));
    assert_eq!(status("400") as u64, server.count(400));
    assert_eq!(status("io") as u64, server.resets());
    let transient = server.count(503) + server.count(429) + server.resets();
    assert_eq!(counter(rs::RUN_RETRIES, &[]) as u64, transient);
    assert_eq!(
        counter(rs::RUN_BREAKER_TRANSITIONS, &[(rs::LABEL_TO, "open")]),
        2.0
    );
    let letters = steadfast::retry::read_dead_letters(run.dead_letter_path()).unwrap();
    assert_eq!(letters.records.len() as u64, server.count(400));
    assert_eq!(
        metrics.total("bronze", "records") as u64,
        server.resources()
    );

    // The page says the same.
    let page = std::fs::read_to_string(run.join(steadfast::run::files::REPORT_PAGE)).unwrap();
    let reliability = &page[page.find("id=\"reliability\"").unwrap()..];
    let reliability = &reliability[..reliability.find("</section>").unwrap()];
    for needle in [
        format!("503 × {}", server.count(503)),
        format!("429 × {}", server.count(429)),
        format!("io × {}", server.resets()),
    ] {
        assert!(
            reliability.contains(&needle),
            "{needle} not in {reliability}"
        );
    }
}
