//! The monitor's outputs: the events file with cleanup deletions, Prometheus series, and the
//! tokio task on paused time.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use steadfast_core::{HumanDuration, Timestamp, read_ndjson};
use steadfast_diskwatch::{CleanupPolicy, DiskSpace, Monitor, Statvfs, clean_runs};

fn falling(
    start: u64,
) -> impl Fn(&Path) -> Result<DiskSpace, steadfast_diskwatch::Error> + Send + Sync {
    let avail = Arc::new(AtomicU64::new(start));
    move |p: &Path| {
        Ok(DiskSpace::new(p, 1000, avail.fetch_sub(10, Ordering::SeqCst)).with_inodes(100, 50))
    }
}

#[test]
fn cleanup_deletions_land_in_the_events_file_next_to_crossings() {
    let root = tempfile::tempdir().unwrap();
    for h in 0..3 {
        crate::run_at(
            root.path(),
            "epic",
            Timestamp::from_unix_secs(1_759_140_000 + h * 3600),
        );
    }
    let events = root.path().join("disk-events.ndjson");
    let monitor = Monitor::builder(root.path())
        .source(falling(160))
        .events_file(&events)
        .build()
        .unwrap();
    monitor.tick(Duration::ZERO).unwrap(); // 84%: ok
    monitor.tick(Duration::from_secs(60)).unwrap(); // 85%: low
    let policy = CleanupPolicy {
        keep_newest: 1,
        min_age: HumanDuration::from_secs(0),
        ..crate::pressing()
    };
    let report = clean_runs(root.path(), &policy, &Statvfs, std::time::SystemTime::now()).unwrap();
    monitor.publish(&report.events()).unwrap();
    let lines = read_ndjson::<serde_json::Value>(&events).unwrap().records;
    let kinds: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["crossed", "deleted", "deleted"]);
    assert_eq!(lines[0]["level"], "low");
    assert!(
        lines[1]["run"]
            .as_str()
            .unwrap()
            .starts_with("epic-20250929T100000Z-")
    );
}

#[test]
fn prometheus_series_reflect_the_last_sample_and_cleanups() {
    let monitor = Monitor::builder("/data")
        .source(falling(300))
        .build()
        .unwrap();
    let registry = prometheus::Registry::new();
    monitor
        .register_prometheus(&registry, &steadfast_core::Prefix::default())
        .unwrap();
    let cleanup = steadfast_diskwatch::CleanupMetrics::register(
        &registry,
        &steadfast_core::Prefix::default(),
    )
    .unwrap();
    for s in 0..3 {
        monitor.tick(Duration::from_secs(s * 60)).unwrap();
    }
    let report = steadfast_diskwatch::CleanupReport {
        bytes_freed: 4096,
        ..Default::default()
    };
    cleanup.record(&report);
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    let series: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    insta::assert_snapshot!(series.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn tokio_task_samples_every_interval_and_stops() {
    let ticks = Arc::new(AtomicU64::new(0));
    let t = ticks.clone();
    let monitor = Monitor::builder("/data")
        .source(move |p: &Path| {
            t.fetch_add(1, Ordering::SeqCst);
            Ok(DiskSpace::new(p, 1000, 900))
        })
        .interval(Duration::from_secs(10))
        .build()
        .unwrap();
    let task = monitor.spawn();
    tokio::time::sleep(Duration::from_secs(35)).await; // paused clock: advances instantly
    task.stop().await;
    assert_eq!(ticks.load(Ordering::SeqCst), 4, "at 0, 10, 20 and 30 s");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(ticks.load(Ordering::SeqCst), 4, "no sample after stop");
}
