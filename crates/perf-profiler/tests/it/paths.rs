//! Call paths at the default level: sampled, scaled to all calls, bounded, merged across
//! threads, saved in profile.json and drawn as a flame graph. A mock clock makes every
//! figure exact.

use std::sync::Arc;
use std::time::Duration;

use steadfast_perf_profiler::{Level, Profiler, SampleRate, Snapshot};

fn mock(level: Level, rate: SampleRate) -> (Profiler, Arc<quanta::Mock>) {
    let (clock, mock) = quanta::Clock::mock();
    let p = Profiler::builder()
        .clock(clock)
        .level(level)
        .sample_rate(rate)
        .timed_cost(Duration::from_nanos(40))
        .build();
    (p, mock)
}

/// One iteration of a small pipeline: transform 100 ns { parse 300 ns } { flatten 50 ns
/// { write 150 ns } } 50 ns.
fn pipeline(p: &Profiler, clock: &quanta::Mock) {
    let _t = p.span("transform");
    clock.increment(100u64);
    {
        let _p = p.span("parse");
        clock.increment(300u64);
    }
    {
        let _f = p.span("flatten");
        clock.increment(50u64);
        let _w = p.span("write");
        clock.increment(150u64);
    }
    clock.increment(50u64);
}

#[test]
fn the_default_level_keeps_sampled_call_paths_scaled_to_all_calls() {
    let (p, clock) = mock(Level::Basic, SampleRate::EveryNth(10));
    assert_eq!(p.level(), Profiler::new().level(), "basic is the default");
    for _ in 0..1000 {
        pipeline(&p, &clock);
    }
    let s = p.snapshot();
    let t = s.component("transform").unwrap();
    assert_eq!((t.calls, t.sampled), (1000, 100), "one call in 10 timed");
    // Each line is the path's real self time over all 1000 calls, not the timed tenth.
    assert_eq!(
        s.folded,
        [
            "transform 150000",
            "transform;flatten 50000",
            "transform;flatten;write 150000",
            "transform;parse 300000",
        ]
    );
    assert_eq!(s.paths_folded, 0);
}

#[test]
fn paths_sampled_at_different_rates_keep_their_real_proportions() {
    // Adaptive sampling times a 2 µs component about one call in 14 and a 1 ms one every
    // call; both spend 20 ms in all, so both paths weigh 20 ms.
    let (p, clock) = mock(Level::Basic, SampleRate::adaptive());
    let (short, long) = (p.component("short"), p.component("long"));
    for i in 0..10_000 {
        let _s = short.span();
        clock.increment(2_000u64);
        if i % 500 == 0 {
            let _l = long.span();
            clock.increment(1_000_000u64);
        }
    }
    let s = p.snapshot();
    let short_stats = s.component("short").unwrap();
    assert!(
        short_stats.sampled * 5 < short_stats.calls,
        "{} of {} timed",
        short_stats.sampled,
        short_stats.calls
    );
    // `long` always runs inside `short`; when that call of `short` was not timed its caller
    // is unknown and `long` shows at the root. Either way its paths add up to its time.
    let weight = |path: &str| -> u64 {
        s.folded
            .iter()
            .filter_map(|l| l.rsplit_once(' '))
            .filter(|(p, _)| p.split(';').next_back() == Some(path))
            .map(|(_, ns)| ns.parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(weight("short"), 20_000_000);
    assert_eq!(weight("long"), 20_000_000);
    assert_eq!(weight("long"), s.component("long").unwrap().self_ns);
}

#[test]
fn the_path_bound_folds_the_excess_into_other_and_counts_it() {
    let (p, clock) = mock(Level::Basic, SampleRate::Always);
    for round in 0..2 {
        for i in 0..1100 {
            let _c = p.span(&format!("c{i}"));
            clock.increment(10u64);
            if i == 1099 {
                // A callee of a folded path folds with it.
                let _inner = p.span("inner");
                clock.increment(5u64);
            }
        }
        let s = p.snapshot();
        assert_eq!(
            s.folded.len(),
            1025,
            "1024 paths and [other] (round {round})"
        );
        assert!(s.folded.contains(&format!("c1023 {}", 10 * (round + 1))));
        // c1024..c1099 (76 paths) and c1099;inner: 76 × 10 + 5 ns per round.
        assert_eq!(s.folded[0], format!("[other] {}", 765 * (round + 1)));
        assert_eq!(
            s.paths_folded, 76,
            "counted once each, however often they run"
        );
        assert!(!s.folded.iter().any(|l| l.starts_with("c1024")));
    }
    // Level detailed has room for these.
    let (p, clock) = mock(Level::Detailed, SampleRate::Always);
    for i in 0..1100 {
        let _c = p.span(&format!("c{i}"));
        clock.increment(10u64);
    }
    let s = p.snapshot();
    assert_eq!((s.folded.len(), s.paths_folded), (1100, 0));
}

#[test]
fn a_handle_called_from_many_places_keeps_every_path() {
    // More callers than a handle keeps in its own slots: the rest go to its overflow map.
    let (p, clock) = mock(Level::Basic, SampleRate::Always);
    let leaf = p.component("leaf");
    for round in 0..3u64 {
        for caller in 0..12u64 {
            let _c = p.span(&format!("caller{caller:02}"));
            let _l = leaf.span();
            clock.increment(caller + 1);
        }
        let s = p.snapshot();
        let lines: Vec<String> = (0..12u64)
            .map(|c| format!("caller{c:02};leaf {}", (c + 1) * (round + 1)))
            .collect();
        assert_eq!(s.folded, lines);
    }
}

#[test]
fn paths_of_live_and_finished_threads_add_up() {
    // One thread at a time drives the mock clock; each is snapshotted live, then gone.
    let (p, clock) = mock(Level::Basic, SampleRate::EveryNth(4));
    for t in 1..=3u64 {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (p2, clock2) = (p.clone(), Arc::clone(&clock));
        let thread = std::thread::spawn(move || {
            let load = p2.component("load");
            for _ in 0..100 {
                let _b = p2.span("batch");
                clock2.increment(10u64);
                let _l = load.span();
                clock2.increment(20u64);
            }
            done_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        done_rx.recv().unwrap();
        let live = p.snapshot().folded;
        assert_eq!(
            live,
            [
                format!("batch {}", t * 1000),
                format!("batch;load {}", t * 2000)
            ]
        );
        go_tx.send(()).unwrap();
        thread.join().unwrap();
        // The thread is gone: its paths were kept with its retired totals.
        assert_eq!(p.snapshot().folded, live);
    }
}

#[test]
fn a_span_of_another_profiler_is_not_a_parent() {
    let (clock, mock) = quanta::Clock::mock();
    let build = || {
        Profiler::builder()
            .clock(clock.clone())
            .sample_rate(SampleRate::Always)
            .timed_cost(Duration::from_nanos(40))
            .build()
    };
    let (a, b) = (build(), build());
    {
        let _outer = a.span("outer");
        let _inner = b.span("inner");
        mock.increment(7u64);
        drop(_inner);
        mock.increment(3u64);
    }
    assert_eq!(a.snapshot().folded, ["outer 3"]);
    assert_eq!(b.snapshot().folded, ["inner 7"]);
}

#[test]
fn profile_json_keeps_the_paths_and_reads_files_without_the_count() {
    let (p, clock) = mock(Level::Basic, SampleRate::EveryNth(3));
    for _ in 0..30 {
        pipeline(&p, &clock);
    }
    let snapshot = p.snapshot();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    snapshot.write(&path).unwrap();
    let back = Snapshot::read(&path).unwrap();
    assert_eq!(back, snapshot);
    assert_eq!(back.folded.len(), 4);

    // No path folded: the count is left out, so the file is as an older build wrote it;
    // a count is read back when there is one.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("paths_folded"));
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["paths_folded"] = 3.into();
    steadfast_core::atomic_write(&path, json.to_string()).unwrap();
    assert_eq!(Snapshot::read(&path).unwrap().paths_folded, 3);
}

#[cfg(feature = "flamegraph")]
#[test]
fn the_flame_graph_has_content_at_the_default_level() {
    let (p, clock) = mock(Level::Basic, SampleRate::EveryNth(10));
    for _ in 0..100 {
        pipeline(&p, &clock);
    }
    for svg in [p.flamegraph_svg(), p.snapshot().flamegraph_svg()] {
        assert!(svg.starts_with("<svg"), "{svg}");
        // transform's frame spans everything: 650 ns × 100 calls.
        assert!(
            svg.contains("<title>transform (65.0µs, 100.0%)</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>parse (30.0µs, 46.2%)</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>write (15.0µs, 23.1%)</title>"),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 4, "{svg}");
    }
}

#[test]
fn durations_recorded_from_elsewhere_keep_their_path_under_the_open_span() {
    // `record` (what the tracing layer calls) is counted as the component's own time and
    // taken from its parent's: the flame graph must show it where it happened.
    let (p, clock) = mock(Level::Basic, SampleRate::Always);
    {
        let _e = p.span("extract");
        clock.increment(100u64);
        p.record("load_bundle", Duration::from_nanos(400));
        clock.increment(400u64);
    }
    p.record("standalone", Duration::from_nanos(70));
    let s = p.snapshot();
    assert_eq!(
        s.folded,
        ["extract 100", "extract;load_bundle 400", "standalone 70"]
    );
}
