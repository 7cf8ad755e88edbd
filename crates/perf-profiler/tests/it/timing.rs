//! Counting, timing, sampling and nesting, with a mock clock so every figure is exact.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use steadfast_perf_profiler::{Histogram, Level, Profiler, SampleRate};

use crate::Rng;

fn mock(rate: SampleRate) -> (Profiler, Arc<quanta::Mock>) {
    let (clock, mock) = quanta::Clock::mock();
    let p = Profiler::builder()
        .clock(clock)
        .sample_rate(rate)
        .timed_cost(Duration::from_nanos(40))
        .build();
    (p, mock)
}

#[test]
fn nested_spans_give_total_and_self_time() {
    let (p, clock) = mock(SampleRate::Always);
    for _ in 0..10 {
        let _outer = p.span("transform");
        clock.increment(100u64);
        {
            let _inner = p.span("parse");
            clock.increment(300u64);
        }
        clock.increment(50u64);
    }
    let s = p.snapshot();
    let outer = s.component("transform").unwrap();
    let inner = s.component("parse").unwrap();
    assert_eq!(
        (outer.calls, outer.total_ns, outer.self_ns),
        (10, 4500, 1500)
    );
    assert_eq!(
        (inner.calls, inner.total_ns, inner.self_ns),
        (10, 3000, 3000)
    );
    assert_eq!(outer.p50_ns, 450);
    assert!((inner.share - 2.0 / 3.0).abs() < 1e-9);
}

#[test]
fn every_nth_counts_exactly_and_estimates_totals() {
    let (p, clock) = mock(SampleRate::EveryNth(10));
    let c = p.component("evaluate");
    for _ in 0..1000 {
        let _s = c.span();
        clock.increment(1000u64);
    }
    let s = p.snapshot();
    let e = s.component("evaluate").unwrap();
    assert_eq!((e.calls, e.sampled), (1000, 100));
    // Untimed calls read no clock; the mock still advanced, and the estimate is exact.
    assert_eq!(e.total_ns, 1_000_000);
}

#[test]
fn sampled_estimates_are_within_stated_error() {
    // Every 10th of 20,000 calls with skewed durations: the estimated total is within 3%.
    let (p, clock) = mock(SampleRate::Ratio(0.1));
    let mut rng = Rng::new(42);
    let mut exact = 0u64;
    let c = p.component("fetch");
    for _ in 0..20_000 {
        let d = rng.latency(10_000.0);
        exact += d;
        let _s = c.span();
        clock.increment(d);
    }
    let e = p.snapshot().component("fetch").unwrap().clone();
    assert_eq!(e.sampled, 2_000);
    let err = (e.total_ns as f64 - exact as f64).abs() / exact as f64;
    assert!(err < 0.03, "estimate off by {:.2}%", err * 100.0);
}

#[test]
fn adaptive_sampling_keeps_cost_under_the_budget() {
    // 1 µs calls, 40 ns per timed call, 4% budget: aim at a quarter (10 ns per call), of
    // which 2 ns go to untimed calls, leaving 8 ns: time one call in 5.
    let (p, clock) = mock(SampleRate::Adaptive { budget: 0.04 });
    let c = p.component("evaluate");
    for _ in 0..100_000 {
        let _s = c.span();
        clock.increment(1_000u64);
    }
    let e = p.snapshot().component("evaluate").unwrap().clone();
    let fraction = e.sampled as f64 / e.calls as f64;
    assert!(
        (0.195..0.21).contains(&fraction),
        "timed fraction {fraction}"
    );
    let cost = (e.sampled as f64 * 40.0 + (e.calls - e.sampled) as f64 * 2.0) / e.total_ns as f64;
    assert!(
        cost <= 0.0101,
        "profiler cost {:.3}% of the component's time",
        cost * 100.0
    );
    assert_eq!(e.total_ns, 100_000_000);

    // A component too short to time within budget is still timed one call in 4096.
    let (p, clock) = mock(SampleRate::adaptive());
    let c = p.component("tiny");
    for _ in 0..100_000 {
        let _s = c.span();
        clock.increment(50u64);
    }
    let e = p.snapshot().component("tiny").unwrap().clone();
    assert!((24..=40).contains(&e.sampled), "{} timed", e.sampled);
    assert_eq!(e.total_ns, 5_000_000);
}

#[test]
fn off_records_nothing_and_levels_switch_at_run_time() {
    let (p, _clock) = mock(SampleRate::Always);
    p.set_level(Level::Off);
    drop(p.span("x"));
    p.record("x", Duration::from_millis(1));
    assert!(p.snapshot().components.is_empty());
    p.set_level(Level::Basic);
    drop(p.span("x"));
    assert_eq!(p.snapshot().component("x").unwrap().calls, 1);
}

#[test]
fn the_process_wide_off_gate_follows_every_profiler() {
    // Profilers born off, switched on and off, dropped while on: spans count exactly when
    // their own profiler is on, whatever the others do.
    let on = Profiler::builder().sample_rate(SampleRate::Always).build();
    let off = Profiler::builder().level(Level::Off).build();
    let (a, b) = (on.component("a"), off.component("b"));
    let temp = Profiler::builder().build();
    drop(temp.span("t"));
    drop(temp); // dropped while on
    drop(a.span());
    drop(b.span());
    off.set_level(Level::Detailed);
    off.set_level(Level::Basic); // on to on: no double count
    drop(b.span());
    on.set_level(Level::Off);
    drop(a.span());
    drop(b.span());
    off.set_level(Level::Off);
    on.set_level(Level::Basic);
    drop(a.span());
    drop(b.span());
    assert_eq!(on.snapshot().component("a").unwrap().calls, 2);
    assert_eq!(off.snapshot().component("b").unwrap().calls, 2);
}

#[test]
fn concurrent_spans_from_many_threads_are_all_counted() {
    let p = Profiler::builder()
        .sample_rate(SampleRate::EveryNth(3))
        .build();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                let c = p.component("work");
                for i in 0..25_000u64 {
                    let _s = c.span();
                    std::hint::black_box(i * t);
                }
                p.record("done", Duration::from_micros(1));
            })
        })
        .collect();
    // Snapshots while the threads run see consistent, growing counts.
    let mut last = 0;
    for _ in 0..5 {
        let calls = p.snapshot().component("work").map_or(0, |c| c.calls);
        assert!(calls >= last);
        last = calls;
    }
    for t in threads {
        t.join().unwrap();
    }
    // The threads have exited: their shards were folded into retired totals.
    let s = p.snapshot();
    let work = s.component("work").unwrap();
    assert_eq!(work.calls, 100_000);
    assert!(work.sampled >= 33_332, "{}", work.sampled);
    assert_eq!(s.component("done").unwrap().calls, 4);
}

proptest! {
    /// Percentiles from the histogram agree with a brute-force sort to within 0.8%.
    #[test]
    fn percentiles_match_brute_force(values in proptest::collection::vec(1u64..50_000_000, 1..400), q in 0.01f64..1.0) {
        let mut h = Histogram::new();
        for v in &values { h.record(*v); }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        let exact = sorted[rank - 1] as f64;
        let got = h.percentile(q) as f64;
        prop_assert!((got - exact).abs() <= exact / 128.0 + 1.0, "q={q}: {got} vs {exact}");
    }
}
