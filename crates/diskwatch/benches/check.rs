//! `check` (one `stat`, one `statvfs`, a cached mount lookup) against
//! `sysinfo::Disks::new_with_refreshed_list`, and the cost of one monitor tick (its CPU
//! share at a 1 s interval), in the same run (results in docs/benchmarks.md).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use steadfast_diskwatch::Monitor;

fn check(c: &mut Criterion) {
    let dir = std::env::temp_dir();
    let mut g = c.benchmark_group("disk_check");
    g.bench_function("steadfast_check", |b| {
        b.iter(|| steadfast_diskwatch::check(black_box(&dir)))
    });
    g.bench_function("sysinfo_disks_refreshed_list", |b| {
        b.iter(sysinfo::Disks::new_with_refreshed_list)
    });
    g.finish();

    let monitor = Monitor::builder(&dir)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut at = Duration::ZERO;
    c.bench_function("monitor_tick", |b| {
        b.iter(|| {
            at += Duration::from_secs(1);
            monitor.tick(at)
        });
    });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = check }
criterion_main!(benches);
