//! Durability: a process killed with SIGKILL mid-recording leaves a readable file; a
//! vanished directory or a full disk fails the flush without losing what was recorded.

use std::time::Duration;

use steadfast_core::HumanDuration;
use steadfast_metrics::{Error, MetricsConfig, Recorder, read_file};

const CHILD_ENV: &str = "STEADFAST_METRICS_CRASH_CHILD";

/// Runs in the child process: records as fast as it can with a 5 ms flush interval until
/// it is killed.
#[test]
fn crash_child() {
    #[allow(
        clippy::disallowed_methods,
        reason = "the test harness passes the child its file"
    )]
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let config = MetricsConfig {
        flush_interval: HumanDuration::from_millis(5),
        ..MetricsConfig::default()
    };
    let rec = Recorder::with_config(Some(path.into()), &config).unwrap();
    let pages = rec.counter_handle("bronze", "pages", &[]).unwrap();
    loop {
        for r in ["Patient", "Encounter", "Observation"] {
            rec.counter("bronze", "records")
                .label("resource_type", r)
                .add(1);
        }
        pages.add(1);
        rec.histogram("bronze", "page_seconds").observe(0.01);
    }
}

#[test]
fn kill_9_leaves_a_readable_file_with_consistent_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["durability::crash_child", "--exact", "--nocapture"])
        .env(CHILD_ENV, &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until several flushes have landed, then kill -9 mid-flight.
    let mut lines = 0;
    for _ in 0..2_000 {
        lines = std::fs::read_to_string(&path)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines >= 50 {
            break;
        }
        std::thread::park_timeout(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(lines >= 50, "the child flushed");

    // Strict read: any corrupt line other than a torn tail would fail here.
    let m = read_file(&path).unwrap();
    let patients = m
        .get("bronze", "records", &[("resource_type", "Patient")])
        .unwrap()
        .value;
    let observations = m
        .get("bronze", "records", &[("resource_type", "Observation")])
        .unwrap()
        .value;
    let pages = m.total("bronze", "pages");
    // Every line is a whole, positive increase (nothing half-written or doubled).
    for r in m
        .records
        .iter()
        .filter(|r| r.kind == steadfast_metrics::Kind::Counter)
    {
        let v = r.value.unwrap();
        assert!(v > 0.0 && v.fract() == 0.0, "{r:?}");
    }
    // Each loop records every series once; a flush reads the series one after another
    // while the loop runs on, so they may differ by the loops of one read pass — not more.
    let tolerance = (pages * 0.01).max(100.0);
    assert!(
        (patients - pages).abs() <= tolerance && (observations - pages).abs() <= tolerance,
        "{patients} {observations} {pages}"
    );
    assert!(pages > 0.0);
    // A reopened recorder repairs a torn tail and appends cleanly.
    let rec = Recorder::to_file(&path).unwrap();
    rec.counter("bronze", "pages").add(1);
    rec.close().unwrap();
    let again = read_file(&path).unwrap();
    assert!(again.torn_tail.is_none());
    assert_eq!(again.total("bronze", "pages"), pages + 1.0);
}

#[test]
fn vanished_directory_fails_the_flush_and_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("metrics.ndjson");
    let config = MetricsConfig {
        flush_interval: HumanDuration::from_secs(3600),
        ..MetricsConfig::default()
    };
    let rec = Recorder::with_config(Some(path.clone()), &config).unwrap();
    rec.counter("bronze", "records").add(10);
    rec.flush().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    rec.counter("bronze", "records").add(5);
    let err = rec.flush().unwrap_err();
    assert!(matches!(err, Error::Persist { .. }), "{err}");
    assert!(
        err.to_string().starts_with("cannot persist metrics to "),
        "{err}"
    );
    rec.counter("bronze", "records").add(1); // recording goes on
    assert_eq!(rec.snapshot().total("bronze", "records"), 16.0);
    assert_eq!(rec.stats().flush_errors, 1);
    // The directory comes back: the next flush writes everything since the last success.
    std::fs::create_dir(&dir).unwrap();
    rec.close().unwrap();
    assert_eq!(read_file(&path).unwrap().total("bronze", "records"), 6.0);
}

/// A 64 KiB tmpfs mounted for one test (as root, as CI runs), unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "steadfast-test"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

#[test]
fn a_device_is_never_a_metrics_file() {
    // Writes go to regular files only: /dev/full (or a FIFO, or a link) is refused at once.
    let Err(err) = Recorder::with_config(Some("/dev/full".into()), &MetricsConfig::default())
    else {
        panic!("a device is refused");
    };
    let cause = std::error::Error::source(&err)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        cause.contains("a character device, expected a regular file"),
        "{cause}"
    );
}

#[test]
fn full_disk_fails_the_flush_and_recording_continues() {
    let Some(fs) = Tmpfs::mount() else {
        steadfast_testkit::skip("cannot mount a tmpfs here (needs root; CI runs as root)");
        return;
    };
    // Fill the file system, so the next write fails with ENOSPC as on a full disk.
    let filler = fs.0.path().join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
    drop(f);
    let path = fs.0.path().join("metrics.ndjson");
    let config = MetricsConfig {
        flush_interval: HumanDuration::from_secs(3600),
        ..MetricsConfig::default()
    };
    let rec = Recorder::with_config(Some(path.clone()), &config).unwrap();
    rec.counter("bronze", "records").add(3);
    let err = rec.flush().unwrap_err();
    let cause = std::error::Error::source(&err)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(cause.contains("metrics.ndjson"), "{cause}");
    rec.counter("bronze", "records").add(4);
    assert_eq!(rec.snapshot().total("bronze", "records"), 7.0);
    assert!(
        rec.close().is_err(),
        "close reports that the data could not be written"
    );
}
