//! Validating runs: built-ins, each rule kind, history, and the bad inputs.

use std::io::Write as _;

use steadfast_core::Status;
use steadfast_validation::{Error, validate_run, validate_run_at};

use crate::fixture::{at, run, step, thresholds};

#[test]
fn row_count_and_extract_time_builtins_judge_the_seed_thresholds() {
    let root = tempfile::tempdir().unwrap();
    let r = run(
        root.path(),
        "epic",
        0,
        &[
            step("bronze", Some(700), &[("Patient", 1000)]),
            step("silver", Some(10), &[("Patient", 940)]),
            step("gold", Some(5), &[("Patient", 940)]),
        ],
    );
    let report = validate_run(r.path(), &thresholds("")).unwrap();
    let by_name = |n: &str| report.results.iter().find(|x| x.name == n).unwrap();
    assert_eq!(by_name("row_count:bronze->silver").status, Status::Fail);
    assert_eq!(by_name("row_count:bronze->silver").value, Some(0.94));
    assert_eq!(by_name("row_count:silver->gold").status, Status::Pass);
    assert_eq!(by_name("extract_time:bronze").status, Status::Fail);
    assert_eq!(report.exit_code(), 1);

    // The seed's flags, loosened: 0.9 and 15 minutes pass the same run.
    let loose = thresholds("row_count_threshold = 0.9\nextract_time_threshold = \"15m\"\n");
    assert_eq!(validate_run(r.path(), &loose).unwrap().status, Status::Pass);
    // As warnings, failures do not fail the run.
    let warn = thresholds("builtin_severity = \"warn\"\n");
    let report = validate_run(r.path(), &warn).unwrap();
    assert_eq!((report.status, report.exit_code()), (Status::Warn, 0));
}

/// Steps that say what they do: an aggregate (and an extract after the first) is not
/// compared with the step before it unless named; a `ratio_from` picks the step a ratio is
/// taken against, whatever the kind; the extract step is the first of kind `extract`.
#[test]
fn step_kinds_decide_which_row_counts_are_compared() {
    use steadfast_core::StepKind::{Aggregate, Extract, Load, Transform};
    let root = tempfile::tempdir().unwrap();
    let r = run(
        root.path(),
        "epic",
        0,
        &[
            step("prepare", Some(1), &[]),
            step("bronze", Some(60), &[("Patient", 1000)]),
            step("silver", Some(10), &[("Patient", 990)]),
            step("gold", Some(5), &[("Patient", 10)]),
            step("warehouse", Some(5), &[("Patient", 985)]),
        ],
    );
    let mut m = r.read_manifest().unwrap();
    for (step, kind) in m
        .steps
        .iter_mut()
        .zip([Transform, Extract, Transform, Aggregate, Load])
    {
        step.kind = Some(kind);
    }
    m.steps[4].ratio_from = Some("silver".into());
    r.write_manifest(&m).unwrap();

    let report = validate_run(r.path(), &thresholds("extract_time_threshold = \"90s\"\n")).unwrap();
    let by_name = |n: &str| report.results.iter().find(|x| x.name == n);
    assert_eq!(
        by_name("row_count:bronze->silver").unwrap().status,
        Status::Pass
    );
    let gold = by_name("row_count:silver->gold").unwrap();
    assert!(gold.skipped, "{gold:?}");
    insta::assert_snapshot!(gold.message, @"'gold' is an aggregate step, so its count (10) is not compared with 'silver' (990); name it in row_count_steps to compare it");
    // warehouse loads silver's rows, not gold's: 985 of 990.
    assert_eq!(
        by_name("row_count:silver->warehouse").unwrap().status,
        Status::Pass
    );
    assert!(by_name("row_count:gold->warehouse").is_none());
    // The extract step is bronze (60 s), not the first step.
    assert_eq!(by_name("extract_time:bronze").unwrap().status, Status::Pass);
    assert_eq!(report.status, Status::Pass);

    // Named, the aggregate is compared, and fails.
    let named =
        thresholds("row_count_steps = [\"silver\", \"gold\"]\nextract_time_threshold = \"90s\"\n");
    let report = validate_run(r.path(), &named).unwrap();
    let gold = report
        .results
        .iter()
        .find(|x| x.name == "row_count:silver->gold")
        .unwrap();
    assert_eq!((gold.status, gold.skipped), (Status::Fail, false));

    // A ratio_from naming a step that counted nothing is said, not guessed.
    m.steps[4].ratio_from = Some("nowhere".into());
    r.write_manifest(&m).unwrap();
    let report = validate_run(r.path(), &thresholds("extract_time_threshold = \"90s\"\n")).unwrap();
    let odd = report
        .results
        .iter()
        .find(|x| x.name == "row_count:nowhere->warehouse")
        .unwrap();
    assert!(
        odd.skipped && odd.message.contains("takes its ratio from 'nowhere'"),
        "{odd:?}"
    );
}

#[test]
fn every_rule_kind_is_judged() {
    let root = tempfile::tempdir().unwrap();
    let r = run(
        root.path(),
        "epic",
        0,
        &[
            step("bronze", Some(60), &[("Patient", 100), ("Encounter", 300)]),
            step("silver", Some(10), &[("Patient", 100), ("Encounter", 300)]),
        ],
    );
    let rec = steadfast_metrics::Recorder::to_run_dir(&r).unwrap();
    rec.counter("bronze", "errors").add(4);
    rec.close().unwrap();
    let mut dlq = std::fs::File::create(r.dead_letter_path()).unwrap();
    writeln!(dlq, "{{\"id\":1}}\n{{\"id\":2}}").unwrap();
    let t = thresholds(
        r#"
[[rules]]
name = "patients"
metric = "bronze.records{resource_type=Patient}"
min = 50
max = 200
[[rules]]
name = "encounters-per-patient"
check = "ratio"
numerator = "bronze.records{resource_type=Encounter}"
denominator = "bronze.records{resource_type=Patient}"
max = 2.5
severity = "warn"
[[rules]]
name = "steps"
check = "required_steps"
steps = ["bronze", "silver", "gold"]
[[rules]]
name = "resource-types"
check = "required_labels"
metric = "bronze.records"
values = ["Patient", "Encounter", "Observation"]
[[rules]]
name = "dead-letters"
check = "dead_letters"
max = 5
[[rules]]
name = "errors"
check = "error_rate"
numerator = "bronze.errors"
denominator = "bronze.records"
max = 0.001
"#,
    );
    let report = validate_run_at(r.path(), &t, at()).unwrap();
    let got: Vec<(&str, Status, &str)> = report
        .results
        .iter()
        .skip(3) // run_complete, row_count, extract_time
        .map(|x| (x.name.as_str(), x.status, x.observed.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("patients", Status::Pass, "100"),
            ("encounters-per-patient", Status::Warn, "3"),
            ("steps", Status::Fail, "2 of 3"),
            ("resource-types", Status::Fail, "2 of 3"),
            ("dead-letters", Status::Pass, "2"),
            ("errors", Status::Fail, "0.01"),
        ]
    );
}

#[test]
fn change_against_history_uses_previous_finished_runs_of_the_pipeline() {
    let root = tempfile::tempdir().unwrap();
    for (i, n) in [100u64, 104, 96, 100].iter().enumerate() {
        run(
            root.path(),
            "epic",
            i as u64,
            &[step("bronze", Some(1), &[("Patient", *n)])],
        );
    }
    // Another pipeline's runs are not history.
    run(
        root.path(),
        "other",
        4,
        &[step("bronze", Some(1), &[("Patient", 5000)])],
    );
    let rule = r#"
[[rules]]
name = "patients-stable"
check = "change"
metric = "bronze.records"
history = 4
max_change_percent = 20
max_stddevs = 3
"#;
    let steady = run(
        root.path(),
        "epic",
        5,
        &[step("bronze", Some(1), &[("Patient", 102)])],
    );
    let report = validate_run(steady.path(), &thresholds(rule)).unwrap();
    let result = report.results.last().unwrap();
    assert_eq!(result.status, Status::Pass, "{result:?}");
    assert_eq!(
        result.message,
        "bronze.records = 102 against a mean of 100 over 4 run(s), change 2%, 0.7071σ from the mean"
    );

    let dropped = run(
        root.path(),
        "epic",
        6,
        &[step("bronze", Some(1), &[("Patient", 60)])],
    );
    let report = validate_run(dropped.path(), &thresholds(rule)).unwrap();
    assert_eq!(report.results.last().unwrap().status, Status::Fail);

    // An earlier run whose metrics are damaged is said, not silently left out.
    let damaged = run(
        root.path(),
        "epic",
        7,
        &[step("bronze", Some(1), &[("Patient", 100)])],
    );
    let metrics = damaged.path().join("metrics.ndjson");
    let mut text = std::fs::read_to_string(&metrics).unwrap();
    text.insert_str(0, "garbage\n");
    steadfast_core::atomic_write(&metrics, text).unwrap();
    let later = run(
        root.path(),
        "epic",
        8,
        &[step("bronze", Some(1), &[("Patient", 100)])],
    );
    let report = validate_run(later.path(), &thresholds(rule)).unwrap();
    let message = &report.results.last().unwrap().message;
    assert!(
        message.contains("1 earlier run(s) left out as unreadable: epic-")
            && message.contains("metrics.ndjson:1:1"),
        "{message}"
    );

    // Too little history: judged as skipped, passing.
    let fresh = tempfile::tempdir().unwrap();
    let first = run(
        fresh.path(),
        "epic",
        0,
        &[step("bronze", Some(1), &[("Patient", 1)])],
    );
    let report = validate_run(first.path(), &thresholds(rule)).unwrap();
    let result = report.results.last().unwrap();
    assert!(
        result.skipped && result.status == Status::Pass,
        "{result:?}"
    );
}

#[test]
fn torn_metrics_tail_is_a_warning_not_an_error() {
    let root = tempfile::tempdir().unwrap();
    let r = run(
        root.path(),
        "epic",
        0,
        &[step("bronze", Some(1), &[("Patient", 10)])],
    );
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(r.metrics_path())
        .unwrap();
    f.write_all(b"{\"ts\":\"2025-10-01T00:00:00.000Z\",\"step\":\"bro")
        .unwrap();
    let report = validate_run(r.path(), &thresholds("")).unwrap();
    let first = &report.results[1]; // after run_complete
    assert_eq!(
        (first.name.as_str(), first.status),
        ("metrics_intact", Status::Warn)
    );
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn bad_inputs_have_precise_errors_and_exit_codes() {
    let root = tempfile::tempdir().unwrap();
    let missing = validate_run(root.path().join("epic-nope"), &thresholds("")).unwrap_err();
    assert!(matches!(missing, Error::RunNotFound { .. }));
    assert_eq!(missing.exit_code(), 2);

    let r = run(
        root.path(),
        "epic",
        0,
        &[step("bronze", Some(1), &[("Patient", 10)])],
    );
    let no_metrics = {
        std::fs::remove_file(r.metrics_path()).unwrap();
        validate_run(r.path(), &thresholds("")).unwrap_err()
    };
    assert_eq!(no_metrics.exit_code(), 1);
    assert!(
        no_metrics.to_string().contains("has no metrics.ndjson"),
        "{no_metrics}"
    );

    let r = run(
        root.path(),
        "epic",
        1,
        &[step("bronze", Some(1), &[("Patient", 10)])],
    );
    let typo = thresholds("[[rules]]\nname = \"n\"\nmetric = \"bronze.recods\"\nmin = 1\n");
    let err = validate_run(r.path(), &typo).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    insta::assert_snapshot!(err.to_string(), @"rules[0].metric of rule 'n': metric 'recods' was never recorded in this run; did you mean 'records'?");

    // A metric that was never recorded and resembles nothing is a zero, not a typo.
    let absent =
        thresholds("[[rules]]\nname = \"no-errors\"\nmetric = \"bronze.failures\"\nmax = 0\n");
    assert_eq!(
        validate_run(r.path(), &absent).unwrap().status,
        Status::Pass
    );

    let not_a_run = root.path().join("plain");
    std::fs::create_dir(&not_a_run).unwrap();
    let err = validate_run(&not_a_run, &thresholds("")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}
