//! The `steadfast-db` rules: they read only series a `DbObserver` exports, promtool accepts
//! them, and `promtool test rules` sees each fire on a failing or slow statement and stay
//! quiet on a healthy one.

use std::process::Command;
use std::time::Duration;

use steadfast_core::Prefix;
use steadfast_prometheus::{AlertInputs, alert_rules, watched_series};

#[test]
fn every_series_the_db_rules_read_is_exported_by_an_observer() {
    let prefix = Prefix::new("acme").unwrap();
    let registry = prometheus::Registry::new();
    let observer = steadfast_db::DbObserver::default();
    observer.register_prometheus(&registry, &prefix).unwrap();
    observer.observe("SELECT 1", Duration::from_millis(2), 1, None);
    observer.observe("SELECT 1", Duration::from_millis(2), 0, Some("57"));
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    let thresholds = steadfast_validation::Thresholds::default();
    let watched = watched_series(&AlertInputs::new(&thresholds).prefix(prefix));
    let db: Vec<_> = watched
        .iter()
        .filter(|w| w.group == "steadfast-db")
        .collect();
    assert_eq!(db.len(), 2, "{watched:?}");
    for w in db {
        for family in &w.families {
            assert!(
                family
                    .iter()
                    .any(|f| text.contains(&format!("# TYPE {f} "))),
                "{}: {family:?} not exported:\n{text}",
                w.alert
            );
        }
    }
}

const TESTS: &str = r#"
rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'steadfast_db_statements_total{job="etl",instance="w1",statement="00000000000000aa"}'
        values: '0+60x30'
      - series: 'steadfast_db_statement_errors_total{job="etl",instance="w1",statement="00000000000000aa",class="23"}'
        values: '0+6x30'
      - series: 'steadfast_db_statements_total{job="etl",instance="w1",statement="00000000000000bb"}'
        values: '0+60x30'
      - series: 'steadfast_db_statement_duration_seconds_bucket{job="etl",instance="w1",statement="00000000000000bb",le="0.5"}'
        values: '0+1x30'
      - series: 'steadfast_db_statement_duration_seconds_bucket{job="etl",instance="w1",statement="00000000000000bb",le="1"}'
        values: '0+60x30'
      - series: 'steadfast_db_statement_duration_seconds_bucket{job="etl",instance="w1",statement="00000000000000bb",le="+Inf"}'
        values: '0+60x30'
      - series: 'steadfast_db_statement_duration_seconds_bucket{job="etl",instance="w1",statement="00000000000000aa",le="0.5"}'
        values: '0+60x30'
      - series: 'steadfast_db_statement_duration_seconds_bucket{job="etl",instance="w1",statement="00000000000000aa",le="+Inf"}'
        values: '0+60x30'
    alert_rule_test:
      - eval_time: 25m
        alertname: SteadfastStatementErrorRateHigh
        exp_alerts:
          - exp_labels: { severity: warning, job: etl, instance: w1, statement: "00000000000000aa" }
            exp_annotations: { summary: "a database statement has failed more than 5% of its calls for 10 minutes" }
      - eval_time: 25m
        alertname: SteadfastStatementLatencyHigh
        exp_alerts:
          - exp_labels: { severity: warning, job: etl, instance: w1, statement: "00000000000000bb" }
            exp_annotations: { summary: "a database statement's p95 call time has been above 500ms for 10 minutes" }
"#;

#[test]
fn the_db_rules_pass_promtool_and_fire_on_failing_and_slow_statements() {
    let Some(promtool) = steadfast_testkit::require_tool("promtool", "apt-get install prometheus")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let thresholds = steadfast_validation::Thresholds::default();
    let rules = alert_rules(&AlertInputs::new(&thresholds));
    assert!(rules.contains("- name: steadfast-db"), "{rules}");
    steadfast_core::atomic_write(dir.path().join("rules.yml"), &rules).unwrap();
    steadfast_core::atomic_write(dir.path().join("tests.yml"), TESTS).unwrap();
    for args in [
        ["check", "rules", "rules.yml"],
        ["test", "rules", "tests.yml"],
    ] {
        let out = Command::new(&promtool)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
