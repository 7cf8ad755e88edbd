//! What the data-quality benchmarks share (`data.rs`, `conformance.rs`): loading their rules,
//! one check on 2 threads, and the process's peak memory.

use std::io::Write as _;
use std::path::Path;

use steadfast_core::config::Loader;
use steadfast_validation::data::{DataCheck, DataReport, DataRules};

/// The bench's rules from TOML text.
pub(crate) fn rules(text: &str) -> DataRules {
    DataRules::load(&Loader::new().toml_str("bench.toml", text))
        .expect("bench rules")
        .into_value()
}

/// One check of `path` on 2 threads.
pub(crate) fn check(rules: &DataRules, path: &Path) -> DataReport {
    DataCheck::new(rules)
        .threads(2)
        .run(&[path])
        .expect("check")
}

/// Peak resident memory of this process since the last reset, in MiB.
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets [`peak_rss_mib`] to the current resident memory (Linux: 5 into `clear_refs`).
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/clear_refs")
        .and_then(|mut f| f.write_all(b"5"));
}
