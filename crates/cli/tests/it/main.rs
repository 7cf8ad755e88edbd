//! End-to-end tests of the `steadfast` binary, run as a real process.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

use std::process::Command;

mod alerting;
mod audit;
mod cache;
mod data;
mod data_conformance;
mod data_shard;
mod deadletter_replay;
mod demo_bulk;
mod document;
mod document_tic;
mod fetch;
mod fetch_redirect;
mod fhir_export;
mod health_config;
mod health_tls;
mod hostile;
mod json;
mod logs;
mod profile_db;
mod prometheus;
mod report;
mod retention;
mod streaming;
mod validate;

/// Asserts the process ended with `code` and said `needle` on stderr.
pub(crate) fn assert_error(out: &std::process::Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

/// Asserts the process succeeded and returns its stdout.
pub(crate) fn assert_ok(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs the demo for `patients` into `runs`, with `extra` arguments.
pub(crate) fn demo(runs: &std::path::Path, patients: u32, extra: &[&str]) -> std::process::Output {
    let patients = patients.to_string();
    let mut args = vec![
        "demo",
        "--runs-root",
        runs.to_str().unwrap(),
        "--patients",
        &patients,
    ];
    args.extend_from_slice(extra);
    steadfast(&args)
}

/// The run directories under `runs`, oldest first.
pub(crate) fn runs_in(runs: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

pub(crate) fn steadfast(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Runs `steadfast` with `args` under GNU time (`/usr/bin/time`, Debian `time`) and returns
/// its output and peak resident set size in MiB. Without GNU time it panics when `CI` is set
/// and returns `None` locally, saying so.
pub(crate) fn steadfast_measured(args: &[&str]) -> (std::process::Output, Option<u64>) {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.is_file() {
        steadfast_testkit::skip("memory not measured: GNU time is missing (apt-get install time)");
        return (steadfast(args), None);
    }
    let report = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_steadfast"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(report.path()).unwrap();
    // GNU time writes "Command exited with non-zero status N" before the figure.
    let kib: u64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no %M figure from GNU time: {text:?}"));
    (out, Some(kib / 1024))
}

/// Memory every hostile input must stay under (issue 26).
pub(crate) const HOSTILE_RSS_MIB: u64 = 256;

/// Asserts the process ended with one of the documented exit codes (0, 1, 2) — no panic, no
/// abort, no signal — and, when measured, under [`HOSTILE_RSS_MIB`].
pub(crate) fn assert_contained(out: &std::process::Output, rss_mib: Option<u64>) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "exit {:?}: {err}",
        out.status
    );
    assert!(!err.contains("panicked"), "{err}");
    if let Some(mib) = rss_mib {
        assert!(mib < HOSTILE_RSS_MIB, "peak RSS {mib} MiB: {err}");
    }
}

#[test]
fn help_is_stable() {
    let out = steadfast(&["--help"]);
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn version_names_the_package_version() {
    let out = steadfast(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("steadfast {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    assert_error(
        &steadfast(&["frobnicate"]),
        2,
        "unrecognized subcommand 'frobnicate'",
    );
}

#[test]
fn demo_runs_a_pipeline_end_to_end() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    let stdout = assert_ok(&demo(&runs, 400, &[]));
    // The step summary is deterministic: the fault schedule follows the request order.
    let steps: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            l.starts_with("  bronze") || l.starts_with("  silver") || l.starts_with("  gold")
        })
        .collect();
    insta::assert_snapshot!(steps.join("\n"));
    assert!(stdout.contains("): PASS"), "{stdout}");
    let run = runs_in(&runs).remove(0);
    for file in [
        "run.json",
        "metrics.ndjson",
        "profile.json",
        "data/bronze/Patient.ndjson",
        "data/silver/Observation.ndjson",
        "data/gold/summary.json",
    ] {
        assert!(run.join(file).is_file(), "{file} missing");
    }
    let manifest = std::fs::read_to_string(run.join("run.json")).unwrap();
    assert!(manifest.contains("\"state\": \"finished\""), "{manifest}");
    // The steps say what they do; the validation is a record run.json names.
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let kinds: Vec<&str> = ["bronze", "silver", "gold"]
        .iter()
        .map(|_| "")
        .zip(manifest["steps"].as_array().unwrap())
        .map(|(_, s)| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["extract", "transform", "aggregate"]);
    assert_eq!(manifest["validation"]["count"], 1);
    let latest = run.join(manifest["validation"]["latest"].as_str().unwrap());
    for file in ["report.json", "junit.xml", "thresholds.effective.toml"] {
        assert!(latest.join(file).is_file(), "{file} missing in {latest:?}");
    }
}

#[test]
fn demo_refuses_an_unwritable_runs_root_before_any_work() {
    let out = steadfast(&[
        "demo",
        "--runs-root",
        "/proc/steadfast-demo",
        "--patients",
        "5",
    ]);
    assert_error(&out, 2, "runs root /proc/steadfast-demo is not writable");
}

#[test]
fn operator_commands_work_on_real_runs() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    let runs_s = runs.to_str().unwrap();
    for _ in 0..2 {
        assert_ok(&demo(&runs, 100, &[]));
    }
    let dirs = runs_in(&runs);
    let (first, second) = (dirs[0].to_str().unwrap(), dirs[1].to_str().unwrap());

    assert!(assert_ok(&steadfast(&["profile", "report", first])).contains("bronze.fetch_page"));
    // Sampled call paths at the default level: a flame graph without `detailed`.
    let svg = root.path().join("flame.svg");
    let svg_s = svg.to_str().unwrap();
    assert_ok(&steadfast(&[
        "profile",
        "report",
        first,
        "--flamegraph",
        svg_s,
    ]));
    let basic_svg = std::fs::read_to_string(&svg).unwrap();
    assert!(
        basic_svg.contains("<svg") && basic_svg.contains("bronze."),
        "{basic_svg}"
    );
    let detailed = root.path().join("detailed");
    assert_ok(&demo(&detailed, 50, &["--set", "profiler.level=detailed"]));
    let run = runs_in(&detailed).remove(0);
    let out = steadfast(&[
        "profile",
        "report",
        run.to_str().unwrap(),
        "--flamegraph",
        svg_s,
    ]);
    assert!(assert_ok(&out).contains("bronze.fetch_page"));
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("bronze.fetch_page")
    );
    assert_ok(&steadfast(&[
        "profile", "compare", first, second, "--noise", "10",
    ]));

    let shown = assert_ok(&steadfast(&["metrics", "show", first]));
    assert!(
        shown.contains("resource_type=Patient") && shown.contains("100"),
        "{shown}"
    );

    let out = steadfast(&[
        "disk",
        "clean",
        runs_s,
        "--keep",
        "1",
        "--older-than",
        "0s",
        "--dry-run",
    ]);
    assert!(assert_ok(&out).contains("would delete 1 run(s)"));
    assert_eq!(runs_in(&runs).len(), 2, "a dry run deletes nothing");

    assert_ok(&steadfast(&["disk", "check", runs_s, "--min-free", "1B"]));
    let out = steadfast(&["disk", "check", runs_s, "--min-free", "1000PiB"]);
    assert_eq!(out.status.code(), Some(1));

    let missing = root.path().join("nope.json");
    assert_error(
        &steadfast(&["profile", "report", missing.to_str().unwrap()]),
        2,
        "nope.json",
    );
}

#[test]
fn demo_serves_health_and_metrics_during_the_run() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    // The server lives as long as the run; the summary names its address.
    let stdout = assert_ok(&demo(&runs, 50, &["--serve", "127.0.0.1:0"]));
    assert!(stdout.starts_with("health: http://127.0.0.1:"), "{stdout}");
    let out = steadfast(&["demo", "--keep-serving"]);
    assert_eq!(out.status.code(), Some(2), "--keep-serving needs --serve");
}

#[test]
fn health_serve_answers_probes_and_drains_on_sigterm() {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args([
            "health",
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--runs-root",
            root.path().to_str().unwrap(),
            "--drain",
            "2s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Whatever happens, the server does not outlive the test.
    struct KillOnDrop(u32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
    let _guard = KillOnDrop(child.id());
    let get = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    };
    // It prints its address once it listens and every check has a first result.
    // (Its stdout stays open until the end: a closed pipe would end it early.)
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with("serving health at"), "{first}");
    let live = get("/health/live");
    let live = live.expect("the server came up");
    assert!(live.starts_with("HTTP/1.1 200"), "{live}");
    assert!(live.contains("\"process:alive\""), "{live}");
    let metrics = get("/metrics").unwrap();
    assert!(
        metrics
            .contains("steadfast_health_check_status{check=\"process:alive\",status=\"pass\"} 1"),
        "{metrics}"
    );
    let ready = get("/health/ready").unwrap();
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    // Kubernetes stops a pod with SIGTERM: readiness turns 503 for the drain, liveness
    // stays 200, then the process exits cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut ready = String::new();
    for _ in 0..100 {
        ready = get("/health/ready").unwrap_or_default();
        if ready.starts_with("HTTP/1.1 503") {
            break;
        }
        let _ = std::net::TcpStream::connect_timeout(
            &"127.0.0.1:9".parse().unwrap(),
            std::time::Duration::from_millis(10),
        );
    }
    assert!(
        ready.starts_with("HTTP/1.1 503") && ready.contains("shutting down"),
        "{ready}"
    );
    assert!(get("/health/live").unwrap().starts_with("HTTP/1.1 200"));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
