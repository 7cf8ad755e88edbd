//! Bottlenecks, SLOs with alerts, the health score and trends.

use std::time::Duration;

use steadfast_core::Status;
use steadfast_perf_profiler::{Profiler, SampleRate, Slo, Trend};

fn profiler() -> (Profiler, std::sync::Arc<quanta::Mock>) {
    let (clock, mock) = quanta::Clock::mock();
    (
        Profiler::builder()
            .clock(clock)
            .sample_rate(SampleRate::Always)
            .build(),
        mock,
    )
}

#[test]
fn slo_breaches_alert_and_lower_the_health_score() {
    let (p, _) = profiler();
    for i in 0..100 {
        let d = if i < 90 { 2 } else { 30 };
        p.record("evaluate", Duration::from_millis(d));
    }
    let s = p.snapshot();
    let slos = [Slo::new("evaluate", 0.95, Duration::from_millis(5))];
    let mut alerts = Vec::new();
    let results = s.check_slos(&slos, |r| alerts.push(r.slo.component.clone()));
    assert_eq!(results[0].status, Status::Fail);
    assert_eq!(alerts, ["evaluate"]);
    // Apdex: 90 satisfied (<= 5 ms), 0 tolerating (<= 20 ms), 10 frustrated -> 0.9.
    let health = s.health_score(&slos);
    assert!((health.score - 90.0).abs() < 1e-9, "{health:?}");
    assert_eq!(s.health_score(&[]).score, 100.0);
}

#[test]
fn bottlenecks_name_hot_and_heavy_tailed_components() {
    let (p, _) = profiler();
    for i in 0..200u64 {
        p.record(
            "fetch",
            Duration::from_micros(if i % 50 == 0 { 9_000 } else { 100 }),
        );
        p.record("parse", Duration::from_micros(20));
    }
    let report: Vec<String> = p
        .snapshot()
        .bottlenecks(None)
        .iter()
        .map(|b| {
            format!(
                "{} ({:.0}%): {}",
                b.component,
                b.share * 100.0,
                b.suggestions.join(" | ")
            )
        })
        .collect();
    insta::assert_snapshot!(report.join("\n"));
}

#[test]
fn trend_growth_is_fitted_across_windows() {
    let (p, clock) = profiler();
    let mut trend = Trend::new(6);
    for window in 0..6u64 {
        for _ in 0..50 {
            let _s = p.span("cache.lookup");
            clock.increment(1_000 + window * 200);
        }
        trend.push(&p.snapshot());
    }
    let growth = trend.growth("cache.lookup").unwrap();
    assert!((growth - 1.0).abs() < 0.01, "{growth}"); // 1000 ns -> 2000 ns
    let s = p.snapshot();
    let b = s.bottlenecks(Some(&trend));
    assert!(
        b[0].suggestions
            .iter()
            .any(|x| x.starts_with("growing: mean duration up 100%")),
        "{b:?}"
    );
}

#[test]
fn text_table_is_aligned() {
    let (p, clock) = profiler();
    for _ in 0..3 {
        let _a = p.span("transform");
        clock.increment(2_000_000u64);
        let _b = p.span("transform.flatten");
        clock.increment(500_000u64);
    }
    insta::assert_snapshot!(p.snapshot().to_text());
}

#[test]
fn detailed_level_keeps_call_paths_for_flame_graphs() {
    let (clock, mock) = quanta::Clock::mock();
    let p = Profiler::builder()
        .clock(clock)
        .level(steadfast_perf_profiler::Level::Detailed)
        .sample_rate(SampleRate::Always)
        .build();
    for _ in 0..2 {
        let _t = p.span("transform");
        mock.increment(100u64);
        let _f = p.span("flatten");
        mock.increment(300u64);
    }
    assert_eq!(p.folded_stacks(), "transform 200\ntransform;flatten 600\n");
    let svg = p.flamegraph_svg();
    assert!(
        svg.starts_with("<svg") && svg.contains("<title>flatten (600ns, 75.0%)</title>"),
        "{svg}"
    );
}

#[test]
fn prometheus_exposition_of_components() {
    let (p, _) = profiler();
    for ms in [1, 2, 3, 4] {
        p.record("evaluate", Duration::from_millis(ms));
    }
    let registry = prometheus::Registry::new();
    p.register_prometheus(&registry, &steadfast_core::Prefix::default())
        .unwrap();
    let mut text = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .unwrap();
    insta::assert_snapshot!(text);
}
