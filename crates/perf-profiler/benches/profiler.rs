//! The profiler's cost, measured in one run against its peers (results in
//! docs/benchmarks.md): a FHIRPath-like workload (~1 µs per operation) with and without
//! the profiler; and single spans — off, untimed, timed — against two raw clock reads, an
//! `Instant` pair with a prometheus histogram observe, and a `tracing` span with no
//! subscriber.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use steadfast_perf_profiler::{Component, Level, Profiler, SampleRate};

#[path = "common/fhirpath.rs"]
#[allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    reason = "shared with the example"
)]
mod fhirpath;

use fhirpath::operation;

fn workload(c: &mut Criterion) {
    let resources: Vec<_> = (0..64).map(fhirpath::patient).collect();
    let mut g = c.benchmark_group("fhirpath_workload");
    let mut i = 0usize;
    g.bench_function("no_profiler", |b| {
        b.iter(|| {
            i += 1;
            black_box(operation(i, &resources))
        });
    });
    let run = |name: &str, rate: SampleRate, g: &mut criterion::BenchmarkGroup<'_, _>| {
        let profiler = Profiler::builder().sample_rate(rate).build();
        let evaluate: Component = profiler.component("evaluate");
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                let _span = evaluate.span();
                black_box(operation(i, &resources))
            });
        });
    };
    run("profiler_default_adaptive", SampleRate::adaptive(), &mut g);
    run("profiler_every_call_timed", SampleRate::Always, &mut g);
    // The same plain workload again: the spread between the two runs is this machine's noise.
    let mut i = 0usize;
    g.bench_function("no_profiler_again", |b| {
        b.iter(|| {
            i += 1;
            black_box(operation(i, &resources))
        });
    });
    g.finish();
}

fn spans(c: &mut Criterion) {
    let mut g = c.benchmark_group("span_cost");
    // The harness itself: a guard-sized value through black_box and dropped. Span costs are
    // read net of this floor.
    g.bench_function("harness_floor", |b| {
        b.iter(|| black_box(Option::<(usize, usize, u64)>::None));
    });
    let off = Profiler::builder().level(Level::Off).build();
    let off_c = off.component("x");
    g.bench_function("profiler_off", |b| b.iter(|| drop(black_box(off_c.span()))));
    let never = Profiler::builder()
        .sample_rate(SampleRate::EveryNth(u32::MAX))
        .build();
    let never_c = never.component("x");
    drop(never_c.span()); // the first call of a thread is timed; the rest are not
    // An off profiler while another profiler in the process is on: the slower path.
    g.bench_function("profiler_off_another_on", |b| {
        b.iter(|| drop(black_box(off_c.span())))
    });
    g.bench_function("span_not_timed", |b| {
        b.iter(|| drop(black_box(never_c.span())))
    });
    let always = Profiler::builder().sample_rate(SampleRate::Always).build();
    let always_c = always.component("x");
    g.bench_function("span_timed", |b| {
        b.iter(|| drop(black_box(always_c.span())))
    });
    let clock = quanta::Clock::new();
    g.bench_function("two_quanta_raw_reads", |b| {
        b.iter(|| {
            let a = clock.raw();
            let z = clock.raw();
            black_box(clock.delta_as_nanos(a, z))
        });
    });
    let hist = prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("x", "x"))
        .unwrap_or_else(|_| unreachable!());
    g.bench_function("instant_pair_prometheus_observe", |b| {
        b.iter(|| {
            let start = Instant::now();
            hist.observe(start.elapsed().as_secs_f64());
        });
    });
    g.bench_function("tracing_span_no_subscriber", |b| {
        b.iter(|| {
            drop(black_box(
                tracing::span!(tracing::Level::INFO, "x").entered(),
            ))
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = workload, spans
}
criterion_main!(benches);
