//! Recording from many threads, kinds, labels, the cardinality guard, bad input, raw mode.

use std::path::Path;

use steadfast_core::HumanDuration;
use steadfast_metrics::{Error, MetricsConfig, OnFull, Recorder, read_file};

fn quiet_config() -> MetricsConfig {
    // The background flusher effectively off: tests flush when they mean to.
    MetricsConfig {
        flush_interval: HumanDuration::from_secs(3600),
        ..MetricsConfig::default()
    }
}

fn recorder(path: &Path, config: &MetricsConfig) -> Recorder {
    Recorder::with_config(Some(path.to_path_buf()), config).unwrap()
}

#[test]
fn totals_are_exact_across_threads_handles_and_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let rec = recorder(&path, &quiet_config());
    let handle = rec.counter_handle("bronze", "bytes", &[]).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (rec, handle) = (&rec, &handle);
            s.spawn(move || {
                let kind = if t % 2 == 0 { "Patient" } else { "Observation" };
                for i in 0..10_000 {
                    rec.counter("bronze", "records")
                        .label("resource_type", kind)
                        .add(1);
                    handle.add(10);
                    if i == 5_000 {
                        rec.flush().unwrap(); // flushes interleave with recording
                    }
                }
            });
        }
    });
    rec.close().unwrap();
    let m = read_file(&path).unwrap();
    assert_eq!(m.total("bronze", "records"), 40_000.0);
    assert_eq!(
        m.get("bronze", "records", &[("resource_type", "Patient")])
            .unwrap()
            .value,
        20_000.0
    );
    assert_eq!(m.total("bronze", "bytes"), 400_000.0);
    assert!(m.records.len() >= 3, "several flushes wrote deltas");
    assert_eq!(rec.stats().rejected, 0);
}

#[test]
fn gauges_are_written_when_they_change_and_histograms_keep_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let rec = recorder(&path, &quiet_config());
    let depth = rec.gauge_handle("silver", "queue_depth", &[]).unwrap();
    depth.set(5.0);
    rec.flush().unwrap();
    rec.flush().unwrap(); // unchanged: no new gauge line
    depth.add(-2.0);
    for v in [0.001, 0.2, 0.2, 7.0, 42.0] {
        rec.histogram("silver", "page_seconds").observe(v);
    }
    rec.close().unwrap();
    let m = read_file(&path).unwrap();
    let gauge_lines = m.records.iter().filter(|r| r.name == "queue_depth").count();
    assert_eq!(gauge_lines, 2);
    assert_eq!(m.total("silver", "queue_depth"), 3.0);
    let h = m.get("silver", "page_seconds", &[]).unwrap();
    assert_eq!((h.count, h.min, h.max), (5, 0.001, 42.0));
    assert!((h.value - 49.401).abs() < 1e-9);
    // Default buckets: 0.005 … 10, then +Inf.
    assert_eq!(h.bucket_counts.len(), 12);
    assert_eq!(
        (
            h.bucket_counts[0],
            h.bucket_counts[5],
            h.bucket_counts[10],
            h.bucket_counts[11]
        ),
        (1, 2, 1, 1)
    );
}

#[test]
fn cardinality_guard_folds_identifiers_into_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let config = MetricsConfig {
        max_series_per_metric: 10,
        ..quiet_config()
    };
    let rec = recorder(&path, &config);
    for i in 0..500 {
        // A patient id that slipped into a label.
        rec.counter("bronze", "records")
            .label("patient", &format!("pat-{i}"))
            .add(1);
    }
    rec.close().unwrap();
    let m = read_file(&path).unwrap();
    assert_eq!(m.total("bronze", "records"), 500.0, "nothing lost");
    assert_eq!(m.series.len(), 11);
    assert_eq!(
        m.get("bronze", "records", &[("overflow", "true")])
            .unwrap()
            .value,
        490.0
    );
    assert_eq!(rec.stats().overflowed, 490);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("pat-499"),
        "overflowed identifiers never reach the file"
    );
}

#[test]
fn bad_input_gets_typed_errors_and_is_counted() {
    let rec = Recorder::in_memory();
    let errors = [
        rec.counter("bronze", "").try_add_f64(1.0).unwrap_err(),
        rec.counter("", "records").try_add_f64(1.0).unwrap_err(),
        rec.counter("bronze", "records")
            .try_add_f64(f64::NAN)
            .unwrap_err(),
        rec.counter("bronze", "records")
            .try_add_f64(f64::INFINITY)
            .unwrap_err(),
        rec.counter("bronze", "records")
            .try_add_f64(-1.0)
            .unwrap_err(),
        rec.counter("bronze", "records")
            .label("--", "x")
            .try_add_f64(1.0)
            .unwrap_err(),
    ];
    rec.counter("bronze", "depth").add(1);
    let mismatch = rec.gauge("bronze", "depth").try_record(1.0).unwrap_err();
    let text: Vec<String> = errors
        .iter()
        .chain([&mismatch])
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!(text.join("\n"));
    rec.counter("bronze", "").add(1); // infallible form: counted, not panicking
    assert_eq!(rec.stats().rejected, 1);
    assert!(matches!(
        rec.counter_handle("bronze", "records", &[])
            .unwrap()
            .add_f64(f64::NAN),
        Err(Error::InvalidValue { .. })
    ));
}

#[test]
fn raw_mode_writes_every_event_and_backpressure_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let config = MetricsConfig {
        raw: true,
        raw_queue_capacity: 16,
        ..quiet_config()
    };
    let rec = recorder(&path, &config);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| (0..500).for_each(|_| rec.counter("gold", "rows").add(2)));
        }
    });
    rec.close().unwrap();
    let m = read_file(&path).unwrap();
    assert_eq!(m.records.len(), 1000, "one line per event");
    assert_eq!(m.total("gold", "rows"), 2000.0);
    assert_eq!(rec.stats().dropped, 0);
}

#[test]
fn raw_mode_drop_policy_counts_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let config = MetricsConfig {
        raw: true,
        raw_queue_capacity: 10,
        on_full: OnFull::Drop,
        ..quiet_config()
    };
    let rec = recorder(&path, &config);
    for _ in 0..100 {
        rec.counter("gold", "rows").add(1);
    }
    rec.close().unwrap();
    let written = read_file(&path).unwrap().records.len() as u64;
    assert_eq!(
        written + rec.stats().dropped,
        100,
        "every event is written or counted"
    );
    assert_eq!(
        rec.snapshot().total("gold", "rows"),
        100.0,
        "aggregates stay exact"
    );
}

#[test]
fn ended_threads_keep_their_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let rec = recorder(&path, &quiet_config());
    for round in 0..3 {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let rec = rec.clone();
                std::thread::spawn(move || {
                    (0..100).for_each(|_| rec.counter("bronze", "pages").add(1))
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        rec.flush().unwrap();
        rec.flush().unwrap(); // the ended threads' slots have passed on; nothing is lost
        assert_eq!(
            rec.snapshot().total("bronze", "pages"),
            400.0 * f64::from(round + 1)
        );
    }
    rec.close().unwrap();
    assert_eq!(read_file(&path).unwrap().total("bronze", "pages"), 1200.0);
}

#[cfg(feature = "prometheus")]
#[test]
fn prometheus_exposition() {
    let rec = Recorder::in_memory();
    let registry = prometheus::Registry::new();
    rec.register_prometheus(&registry, &steadfast_core::Prefix::default())
        .unwrap();
    rec.counter("bronze", "records")
        .label("resource_type", "Patient")
        .add(1200);
    rec.counter("silver", "rows.written").add(7);
    rec.gauge("bronze", "queue_depth").set(3.0);
    rec.histogram("gold", "duration_seconds").observe(0.3);
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    insta::assert_snapshot!(text);
}
