//! The demo streams: its peak memory does not grow with the data (issue 27). Measured here
//! at two sizes in the test build; the release figures for 1,000 to 50,000 patients are in
//! docs/benchmarks.md.

use crate::{assert_ok, steadfast_measured};

#[test]
fn the_demo_streams_in_flat_memory() {
    let mut peaks = Vec::new();
    for patients in ["500", "3000"] {
        let root = tempfile::tempdir().unwrap();
        let runs = root.path().join("runs");
        let (out, mib) = steadfast_measured(&[
            "demo",
            "--runs-root",
            runs.to_str().unwrap(),
            "--patients",
            patients,
        ]);
        assert_ok(&out);
        if let Some(mib) = mib {
            assert!(mib < 150, "{patients} patients: peak RSS {mib} MiB");
            peaks.push(mib);
        }
    }
    // Six times the data, nowhere near six times the memory.
    if let [small, large] = peaks[..] {
        assert!(large < small * 2 + 16, "peak RSS {small} MiB → {large} MiB");
    }
}
