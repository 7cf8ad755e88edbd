//! The run page for a fixed synthetic run (deterministic ids and times): an insta snapshot,
//! escaping of every string that came from data or configuration, HTML validity (Debian's
//! `tidy`, when installed), and the comparison page.

use std::process::Command;

use steadfast_core::{RunManifest, RunState, Status, StepRecord, Timestamp, files};
use steadfast_report::{RunView, render, render_compare};
use steadfast_validation::{RuleResult, Severity, ValidationReport};

const T0: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}

fn step(
    name: &str,
    from: u64,
    to: u64,
    records_in: Option<u64>,
    out: u64,
    status: Status,
) -> StepRecord {
    let mut s = StepRecord::new(name, at(from));
    s.finished = Some(at(to));
    s.records_in = records_in;
    s.records_out = Some(out);
    s.status = Some(status);
    s
}

fn view(silver_out: u64, bronze_secs: u64) -> RunView {
    let mut m = RunManifest::new("nightly-20260101T000000Z-abc123", "nightly", at(0));
    m.state = RunState::Finished;
    m.status = Some(Status::Fail);
    m.finished = Some(at(bronze_secs + 40));
    m.host = "worker-<3>".into();
    m.steadfast_version = "0.1.0".into();
    m.steps = vec![
        step("bronze", 0, bronze_secs, None, 1000, Status::Pass),
        step(
            "<script>alert('step')</script>",
            bronze_secs,
            bronze_secs + 30,
            Some(1000),
            silver_out,
            Status::Fail,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let metrics = dir.path().join("metrics.ndjson");
    let line = |s: u64, step: &str, name: &str, v: u64| {
        format!(
            "{{\"ts\":\"{}\",\"step\":\"{step}\",\"name\":\"{name}\",\"kind\":\"counter\",\"value\":{v},\"labels\":{{}}}}\n",
            at(s)
        )
    };
    let gauge = |s: u64, step: &str, name: &str, v: u64| {
        line(s, step, name, v).replace("\"counter\"", "\"gauge\"")
    };
    // A histogram's line: its count, sum and bucket counts since the previous flush.
    let hist = |s: u64, count: u64, sum: f64, buckets: [u64; 3]| {
        format!(
            "{{\"ts\":\"{}\",\"step\":\"bronze\",\"name\":\"fetch_seconds\",\"kind\":\"histogram\",\"count\":{count},\"sum\":{sum},\"min\":0.0002,\"max\":0.009,\"bounds\":[0.001,0.005],\"bucket_counts\":{buckets:?},\"labels\":{{}}}}\n",
            at(s)
        )
    };
    // Flushes at 10 s, 20 s and 40 s: 40, 60 and 15 records/s.
    let text = [
        line(10, "bronze", "records", 400),
        gauge(10, "disk", "available_bytes", 2_000_000_000),
        gauge(10, "memory", "rss_bytes", 40_000_000),
        gauge(10, "bronze", "queue_<depth>", 5),
        hist(10, 4, 0.002, [4, 0, 0]),
        line(20, "bronze", "records", 600),
        line(20, "bronze", "retries", 3),
        gauge(20, "disk", "available_bytes", 1_600_000_000),
        gauge(20, "bronze", "queue_<depth>", 12),
        line(40, "bronze", "records", 300),
        gauge(40, "disk", "available_bytes", 1_200_000_000),
        gauge(40, "memory", "rss_bytes", 52_000_000),
        hist(40, 2, 0.012, [0, 0, 2]),
    ]
    .concat();
    steadfast_core::atomic_write(&metrics, text).unwrap();
    let validation = ValidationReport::new(
        m.id.clone(),
        "nightly",
        at(bronze_secs + 40),
        vec![RuleResult {
            name: "row_count:bronze-><script>".into(),
            check: "row_count".into(),
            severity: Severity::Fail,
            status: Status::Fail,
            value: Some(0.94),
            observed: "0.94".into(),
            expected: ">= 0.95".into(),
            message: "silver kept <b>940</b> of bronze's 1000 records".into(),
            skipped: false,
            violations: None,
            locations: Vec::new(),
        }],
    );
    // One line no version writes (read back as a bad line, shown, never dropped), a
    // crossing, and a deletion by cleanup.
    let events = dir.path().join(files::DISK_EVENTS);
    let lines = [
        serde_json::json!({"ts": at(5).to_string(), "event": "<img src=x onerror=alert(1)>", "available": 1_500_000_000u64}),
        serde_json::json!({"ts": at(6).to_string(), "event": "crossed", "path": "/data", "level": "low", "from": "ok", "available": 1_200_000_000u64}),
        serde_json::json!({"ts": at(7).to_string(), "event": "deleted", "run": "<b>old</b>-20250101T000000Z-abcdef", "bytes": 2048}),
    ]
    .map(|l| l.to_string() + "\n")
    .concat();
    steadfast_core::atomic_write(&events, lines).unwrap();
    // The second validation of the run: the first is listed, its report unreadable.
    m.validation = Some(steadfast_core::ValidationIndex {
        latest: "validation/20260101T000140Z".into(),
        status: Status::Fail,
        count: 2,
    });
    // The run's SLOs, judged at finish: one met, one broken, one never seen.
    let profiler = steadfast_perf_profiler::Profiler::new();
    for ms in [2, 3, 4, 30] {
        profiler.record("silver.<flatten>", std::time::Duration::from_millis(ms));
    }
    profiler.record("gold", std::time::Duration::from_millis(9));
    // A fast component: its percentiles in µs, never "0ms".
    for ns in [29_400, 31_000, 700] {
        profiler.record("parse", std::time::Duration::from_nanos(ns));
    }
    let mut profile = profiler.snapshot();
    profile.memory = Some(steadfast_perf_profiler::MemoryStats {
        rss_bytes: 150 * 1024 * 1024,
        peak_rss_bytes: 3 * 512 * 1024 * 1024,
        samples: 12,
    });
    let slo = |c: &str, p: f64, ms: u64| {
        steadfast_perf_profiler::Slo::new(c, p, std::time::Duration::from_millis(ms))
    };
    profile.judge(&[
        slo("silver.<flatten>", 0.5, 5),
        slo("gold", 0.999, 1),
        slo("load", 0.95, 1),
    ]);
    let mut view = RunView::new(m);
    view.profile = Some(profile);
    view.earlier_validations = vec![
        steadfast_report::EarlierValidation {
            record: "validation".into(),
            outcome: Some((Status::Pass, at(bronze_secs + 40))),
        },
        steadfast_report::EarlierValidation {
            record: "validation/<x>".into(),
            outcome: None,
        },
    ];
    view.metrics = Some(steadfast_metrics::read_file(&metrics).unwrap());
    view.validation = Some(validation);
    view.dead_letters = 2;
    view.disk = steadfast_diskwatch::read_events(&events).unwrap();
    view
}

#[test]
fn the_page_of_a_fixed_run_is_stable_escaped_and_valid() {
    let page = render(&view(940, 60));
    assert!(
        !page.contains("<script") && !page.contains("<img") && !page.contains("<b>"),
        "unescaped markup"
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;step&#39;)&lt;/script&gt;"));
    for id in [
        "steps",
        "metrics",
        "reliability",
        "disk",
        "profile",
        "validation",
        "data-quality",
    ] {
        assert!(
            page.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    // The SLOs and the health score; the earlier validations under the latest.
    assert!(page.contains("<h3>SLOs</h3>"), "no SLOs");
    assert!(
        page.contains("<h3>Earlier validations</h3>"),
        "no earlier validations"
    );
    // Cleanup's deletions are shown in words, not as "no cleanup".
    assert!(page.contains("cleanup deleted</td><td>run <code>&lt;b&gt;old&lt;/b&gt;-20250101T000000Z-abcdef</code> (2.0 KiB)"));
    // A line that is not a disk event is shown with its file:line, never dropped.
    assert!(
        page.contains("<li><code>disk-events.ndjson:1:"),
        "the bad line is missing"
    );
    insta::assert_snapshot!(page);
    tidy(&page);
}

#[test]
fn the_page_tells_the_story_in_rates_and_units() {
    let page = render(&view(940, 60));
    let metrics = section(&page, "metrics");
    // Counters as rates per flush interval with axes: 400 in the first 10 s, 600 in the
    // next 10 s, 300 in the last 20 s.
    assert!(metrics.contains("bronze.records — records/s"), "{metrics}");
    assert!(metrics.contains("aria-label=\"bronze.records — records/s: peak 60 records/s\""));
    assert!(metrics.contains("bronze.retries — retries/s"));
    assert!(metrics.contains("time since the run started"));
    assert!(
        // A y tick at the peak; a 100 s run on an axis in seconds.
        metrics.contains(">60</text>") && metrics.contains(">100s</text>"),
        "{metrics}"
    );
    // Gauges as values, histograms as observations/s and their median in durations.
    assert!(metrics.contains("bronze.queue_&lt;depth&gt; — value"));
    assert!(metrics.contains("bronze.fetch_seconds — observations/s"));
    assert!(metrics.contains("bronze.fetch_seconds — median per interval"));
    assert!(metrics.contains("µs</text>") || metrics.contains("ms</text>"));
    // The disk's free space is drawn once, under Disk, in bytes.
    assert!(!metrics.contains("disk.available_bytes"));
    assert!(!metrics.contains("memory.rss_bytes"));
    assert!(
        page.contains("Resident memory over the run"),
        "no memory curve"
    );
    let disk = section(&page, "disk");
    assert!(disk.contains("Available disk space over the run"), "{disk}");
    assert!(
        disk.contains(" GiB</text>") && disk.contains("lowest 1.1 GiB"),
        "{disk}"
    );
    // Sub-millisecond durations in µs and ns; memory in binary units.
    let profile = section(&page, "profile");
    assert!(
        profile.contains("µs</td>") && !profile.contains(">0ms<"),
        "{profile}"
    );
    assert!(
        profile.contains("150.0 MiB") && profile.contains("1.5 GiB"),
        "{profile}"
    );
    // Every chart is an accessible image.
    assert_eq!(
        page.matches("<svg class=\"plot\"").count(),
        page.matches("<svg class=\"plot\" viewBox=\"0 0 520 200\" width=\"520\" height=\"200\" role=\"img\" aria-label=").count()
    );
    assert!(!page.contains("NaN") && !page.contains("inf<"));
}

/// The text of the section with `id`.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let from = page.find(&format!("<section id=\"{id}\">")).unwrap();
    let to = page[from..].find("</section>").unwrap();
    &page[from..from + to]
}

#[test]
fn comparison_marks_regressions_in_words() {
    let page = render_compare(&view(940, 60), &view(700, 90));
    assert!(
        page.contains("+50.0% ▲ regression"),
        "bronze took 50% longer"
    );
    assert!(
        page.contains("-25.5% ▲ regression"),
        "silver kept fewer records"
    );
    assert!(!page.contains("<script"));
    tidy(&page);
}

/// Runs Debian's `tidy` (HTML5 checker) when installed: errors fail, so do warnings.
fn tidy(page: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.html");
    steadfast_core::atomic_write(&file, page).unwrap();
    let Some(tidy) = steadfast_testkit::require_tool("tidy", "apt-get install tidy") else {
        return;
    };
    let out = Command::new(tidy)
        .args(["-q", "-e"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tidy: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn dead_letters_are_read_typed_and_a_bad_line_is_shown_not_counted() {
    let root = tempfile::tempdir().unwrap();
    let run = steadfast_core::RunDir::create(root.path(), "nightly").unwrap();
    RunManifest::new(run.id(), "nightly", Timestamp::now())
        .write(run.manifest_path())
        .unwrap();
    let letter = steadfast_retry::DeadLetter::new(
        &serde_json::json!({"id": "Patient/1"}),
        &"503",
        3,
        Timestamp::now(),
        "exhausted",
    )
    .unwrap();
    let mut text = serde_json::to_string(&letter).unwrap();
    text.push_str("\n{\"mrn\": \"MRN00412\"\n");
    steadfast_core::atomic_write(run.dead_letter_path(), text).unwrap();

    let view = RunView::load(run.path()).unwrap();
    assert_eq!(view.dead_letters, 1);
    assert_eq!(view.dead_letter_problems.len(), 1);
    let page = render(&view);
    assert!(page.contains("<code>deadletter.ndjson:2:"), "{page}");
    assert!(
        !page.contains("MRN00412"),
        "a bad line's content never reaches the page"
    );
}
