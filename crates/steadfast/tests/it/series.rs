//! The crates agree through types: a real `Run` with prefix `acme` registers every series
//! the generated alert rules of a run (`steadfast-thresholds`, `steadfast-standard`) read,
//! in its one registry — so no rule watches a series no run exports.

use std::time::{Duration, Instant};

use steadfast::prometheus::{AlertInputs, alert_rules, watched_series};
use steadfast::run::Prefix;

const CONFIG: &str = r#"
[metrics]
prometheus_prefix = "acme"

[validation]
row_count_steps = ["bronze", "silver"]

[[validation.rules]]
name = "patients-extracted"
metric = "bronze.records{resource_type=Patient}"
min = 1

[[validation.rules]]
name = "silver-errors"
check = "error_rate"
numerator = "silver.errors"
denominator = "silver.records"
max = 0.01

[[profiler.slos]]
component = "silver.flatten"
percentile = 95
target = "50ms"
"#;

/// The names of the metric families in `registry`.
fn families(registry: &steadfast::prometheus::prometheus::Registry) -> Vec<String> {
    registry
        .gather()
        .iter()
        .map(|f| f.name().to_owned())
        .collect()
}

#[test]
fn every_series_the_run_rules_watch_is_in_the_runs_registry() {
    let root = tempfile::tempdir().unwrap();
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .config_text("steadfast.toml", CONFIG)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    // What the pipeline records: the metrics its thresholds name, one retried call, one
    // profiled component.
    let m = run.metrics();
    {
        let mut bronze = run.step("bronze");
        m.counter("bronze", "records")
            .label("resource_type", "Patient")
            .add(10);
        bronze.records_out(10);
    }
    {
        let mut silver = run.step("silver");
        m.counter("silver", "records").add(10);
        m.counter("silver", "errors").add(0);
        silver.records_in(10).records_out(10);
    }
    let _ = run.retry().retry(|_| Ok::<_, &str>(()));
    run.profiler()
        .record("silver.flatten", Duration::from_millis(3));
    // The disk monitor samples on its own thread: its first tick comes at start.
    let registry = run.prometheus_registry().clone();
    let start = Instant::now();
    while !families(&registry).contains(&"acme_disk_level".to_owned())
        && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::park_timeout(Duration::from_millis(10));
    }

    let settings = run.settings().clone();
    let prefix = Prefix::new("acme").unwrap();
    let inputs = AlertInputs::new(&settings.validation)
        .prefix(prefix)
        .disk_horizon(settings.disk.horizon.get())
        .slos(&settings.profiler.slos);
    let rules = alert_rules(&inputs);
    let present = families(&registry);
    let mut checked = 0;
    for watched in watched_series(&inputs) {
        if watched.group == "steadfast-service" || watched.group == "steadfast-db" {
            // A service's series (health checks, requests, pools), and an instrumented
            // database client's: each tested where it is registered.
            continue;
        }
        for names in &watched.families {
            assert!(
                names.iter().any(|n| present.contains(n)),
                "{} reads {names:?}, which the run does not export; it exports {present:?}",
                watched.alert
            );
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} series checked in\n{rules}");
    assert!(
        present.iter().all(|n| n.starts_with("acme_")),
        "{present:?}"
    );
    let report = run.finish().unwrap();
    assert_eq!(report.exit_code(), 0, "{:?}", report.validation);
}
