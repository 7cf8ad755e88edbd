//! Baseline comparison: injected slowdowns are found, pure noise raises no false alarm at
//! the documented rate, and profile.json round-trips with its format version.

use std::time::Duration;

use steadfast_perf_profiler::{CompareOptions, Profiler, Snapshot, Verdict, compare};

use crate::Rng;

fn profile(rng: &mut Rng, components: &[(&str, f64)], factor: f64) -> Snapshot {
    let p = Profiler::new();
    for (name, median) in components {
        for _ in 0..400 {
            p.record(
                name,
                Duration::from_nanos((rng.latency(*median) as f64 * factor) as u64),
            );
        }
    }
    p.snapshot()
}

const COMPONENTS: [(&str, f64); 5] = [
    ("extract", 50_000.0),
    ("parse", 8_000.0),
    ("evaluate", 1_000.0),
    ("write", 20_000.0),
    ("validate", 3_000.0),
];

#[test]
fn a_20_percent_slowdown_is_a_regression() {
    let mut rng = Rng::new(7);
    let base = profile(&mut rng, &COMPONENTS, 1.0);
    let slow = profile(&mut rng, &COMPONENTS, 1.2);
    let cmp = compare(&base, &slow, &CompareOptions::default());
    assert!(
        cmp.components
            .iter()
            .all(|c| c.verdict == Verdict::Regressed),
        "{}",
        cmp.to_text()
    );
    assert_eq!(cmp.exit_code(), 1);
    let fast = compare(&slow, &base, &CompareOptions::default());
    assert!(
        fast.components
            .iter()
            .all(|c| c.verdict == Verdict::Improved)
    );
    assert_eq!(fast.exit_code(), 0);
}

#[test]
fn a_5_percent_slowdown_is_found_with_a_2_percent_noise_threshold() {
    let mut rng = Rng::new(11);
    let base = profile(&mut rng, &COMPONENTS, 1.0);
    let slow = profile(&mut rng, &COMPONENTS, 1.05);
    let options = CompareOptions {
        noise: 0.02,
        ..CompareOptions::default()
    };
    let cmp = compare(&base, &slow, &options);
    let found = cmp
        .components
        .iter()
        .filter(|c| c.verdict == Verdict::Regressed)
        .count();
    assert!(found >= 4, "{}", cmp.to_text());
    // Under the default 5% noise threshold, a 3% change is not called a regression. (A 5%
    // change sits on that threshold: whether each component crosses it is a coin flip.)
    let slightly = profile(&mut rng, &COMPONENTS, 1.03);
    let strict = compare(&base, &slightly, &CompareOptions::default());
    let flagged = strict
        .components
        .iter()
        .filter(|c| c.verdict == Verdict::Regressed)
        .count();
    assert!(flagged <= 1, "{}", strict.to_text());
}

#[test]
fn pure_noise_raises_no_more_false_alarms_than_alpha() {
    // 200 comparisons of 5 components drawn from the same distribution. Holm's correction
    // bounds the family-wise false-alarm rate by alpha (5%), before the noise threshold.
    let mut rng = Rng::new(2025);
    let options = CompareOptions {
        noise: 0.0,
        ..CompareOptions::default()
    };
    let mut alarms = 0;
    for _ in 0..200 {
        let a = profile(&mut rng, &COMPONENTS, 1.0);
        let b = profile(&mut rng, &COMPONENTS, 1.0);
        if compare(&a, &b, &options)
            .components
            .iter()
            .any(|c| c.verdict != Verdict::Unchanged)
        {
            alarms += 1;
        }
    }
    assert!(
        alarms <= 14,
        "{alarms} false alarms in 200 (5% would be 10)"
    );
}

#[test]
fn profile_json_round_trips_and_names_its_version() {
    let mut rng = Rng::new(3);
    let snapshot = profile(&mut rng, &COMPONENTS[..2], 1.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    snapshot.write(&path).unwrap();
    assert_eq!(Snapshot::read(&path).unwrap(), snapshot);

    let old = dir.path().join("old.json");
    steadfast_core::atomic_write(&old, "{\"format_version\": 0}").unwrap();
    let err = Snapshot::read(&old)
        .unwrap_err()
        .to_string()
        .replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!(err, @"<dir>/old.json: profile format_version 0, expected 1; re-record the baseline with this version");
    let bad = dir.path().join("bad.json");
    steadfast_core::atomic_write(&bad, "{\"format_version\": 1,").unwrap();
    assert!(
        Snapshot::read(&bad)
            .unwrap_err()
            .to_string()
            .contains("line 1 column")
    );
}
