//! Retention that keeps evidence, end to end through the demo.

use crate::{assert_ok, demo, runs_in, steadfast};

/// Retention keeps evidence: on a disk with room, twelve demos in a row leave twelve runs
/// (the demo keeps 10 newest as a floor, not a cap), and each run's audit trail verifies.
#[test]
fn twelve_demos_on_a_roomy_disk_leave_twelve_runs() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    for _ in 0..12 {
        assert_ok(&demo(&runs, 3, &[]));
    }
    let all = runs_in(&runs);
    assert_eq!(all.len(), 12);
    for run in &all {
        let out = steadfast(&["audit", "verify", run.to_str().unwrap()]);
        assert_ok(&out);
    }
}
