//! Retention in the monitor (issue 19): past `high`, one tick reclaims below `low`, keeping
//! the active run and a run on hold, each deletion in the events file and the root's audit
//! trail; while the disk has room, the monitor deletes nothing.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use steadfast_core::audit::{AuditEvent, AuditRecord};
use steadfast_core::{RunDir, files, read_ndjson};
use steadfast_diskwatch::{
    CleanupPolicy, DeleteReason, DiskEvent, Level, Monitor, SkipReason, Watermarks, dir_size,
};

use crate::retention::{TOTAL, at, disk, held_by_runs, runs};

#[test]
fn past_high_the_monitor_reclaims_below_low_in_one_tick_keeping_active_and_held_runs() {
    let root = tempfile::tempdir().unwrap();
    let all = runs(root.path(), "epic", 10, 5_000);
    let one = dir_size(all[2].path());
    let _active = all[0].lock().unwrap(); // the running run
    steadfast_core::atomic_write(all[1].join(files::HOLD), "legal hold: case 42\n").unwrap();
    // 95% used: past flood stage, so past high.
    let other = TOTAL - 5_000 - held_by_runs(root.path());
    let source = disk(root.path(), Arc::new(AtomicU64::new(other)));
    let events_file = root.path().join("disk-events.ndjson");
    let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = reports.clone();
    let policy = CleanupPolicy {
        keep_newest: 3,
        ..CleanupPolicy::default()
    };
    let monitor = Monitor::builder(root.path())
        .source(source)
        .events_file(&events_file)
        .cleanup(root.path(), policy.for_run_of("epic"))
        .on_cleanup(move |r| seen.lock().unwrap().push(r.clone()))
        .clock(|| at(100))
        .build()
        .unwrap();

    let events = monitor.tick(Duration::ZERO).unwrap();

    // Below 83% used (low 85% less the 2% hysteresis): 17,001 bytes available; 5,000 plus
    // three runs is enough, two are not.
    assert!(5_000 + 2 * one < 17_001 && 5_000 + 3 * one >= 17_001);
    let deleted: Vec<(&str, Option<DeleteReason>)> = events
        .iter()
        .filter_map(|e| match e {
            DiskEvent::Deleted { run, reason, .. } => Some((run.as_str(), *reason)),
            _ => None,
        })
        .collect();
    let pressure = Some(DeleteReason::Pressure);
    assert_eq!(
        deleted,
        [
            (all[2].id(), pressure),
            (all[3].id(), pressure),
            (all[4].id(), pressure)
        ]
    );
    assert!(matches!(
        events[0],
        DiskEvent::Crossed {
            level: Level::Flood,
            ..
        }
    ));
    assert!(matches!(
        events.last(),
        Some(DiskEvent::Recovered {
            level: Level::Ok,
            ..
        })
    ));
    assert_eq!(monitor.last().unwrap().1, Level::Ok);
    assert!(all[0].path().exists() && all[1].path().exists());
    let report = monitor.last_cleanup().unwrap();
    let kept: Vec<(&str, SkipReason)> = report
        .skipped
        .iter()
        .take(2)
        .map(|(d, why)| (d.id.as_str(), *why))
        .collect();
    assert_eq!(
        kept,
        [
            (all[0].id(), SkipReason::Active),
            (all[1].id(), SkipReason::Held)
        ]
    );
    assert_eq!(reports.lock().unwrap().len(), 1);
    // In the events file too, each with its size and reason.
    let lines = read_ndjson::<serde_json::Value>(&events_file)
        .unwrap()
        .records;
    let recorded: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["event"] == "deleted").collect();
    assert_eq!(recorded.len(), 3);
    assert!(
        recorded
            .iter()
            .all(|l| l["reason"] == "pressure" && l["bytes"] == one)
    );

    // And in the root's audit trail, chained.
    let trail = root.path().join(files::AUDIT);
    assert_eq!(steadfast_core::audit::verify(&trail).unwrap().lines, 3);
    let audited: Vec<AuditEvent> = read_ndjson::<AuditRecord>(&trail)
        .unwrap()
        .records
        .into_iter()
        .map(|r| r.event)
        .collect();
    let expected: Vec<AuditEvent> = all[2..5]
        .iter()
        .map(|r| AuditEvent::Deleted {
            run: r.id().to_owned(),
            bytes: one,
            reason: "pressure".into(),
        })
        .collect();
    assert_eq!(audited, expected);

    // The next tick: the disk has room, nothing more goes.
    let events = monitor.tick(Duration::from_secs(60)).unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(RunDir::list(root.path()).unwrap().len(), 7);
}

#[test]
fn the_monitor_does_nothing_while_the_disk_has_room_and_defaults_make_no_pressure() {
    let root = tempfile::tempdir().unwrap();
    runs(root.path(), "epic", 8, 100);
    // 88% used: past low, not high.
    let other = TOTAL - 12_000 - held_by_runs(root.path());
    let monitor = Monitor::builder(root.path())
        .source(disk(root.path(), Arc::new(AtomicU64::new(other))))
        .watermarks(Watermarks::default())
        .cleanup(root.path(), CleanupPolicy::default().for_run_of("epic"))
        .build()
        .unwrap();
    let events = monitor.tick(Duration::ZERO).unwrap();
    assert!(matches!(
        events[..],
        [DiskEvent::Crossed {
            level: Level::Low,
            ..
        }]
    ));
    assert!(monitor.last_cleanup().is_none());
    assert_eq!(RunDir::list(root.path()).unwrap().len(), 8);
}
