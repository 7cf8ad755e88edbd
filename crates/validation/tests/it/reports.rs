//! Every report format, snapshotted, and the files written into the run.

use steadfast_core::Status;
use steadfast_core::config::Loader;
use steadfast_validation::{Format, Thresholds, render, validate_run_at, write_reports};

use crate::fixture::{at, run, step, thresholds};

fn mixed_report() -> (
    tempfile::TempDir,
    steadfast_core::RunDir,
    steadfast_validation::ValidationReport,
) {
    let root = tempfile::tempdir().unwrap();
    let r = run(
        root.path(),
        "epic",
        0,
        &[
            step(
                "bronze",
                Some(125),
                &[("Patient", 1000), ("Observation", 5000)],
            ),
            step(
                "silver",
                Some(30),
                &[("Patient", 1000), ("Observation", 4600)],
            ),
            step("gold", None, &[]),
        ],
    );
    let t = thresholds(
        r#"
row_count_steps = ["bronze", "silver"]
[[rules]]
name = "patients"
metric = "bronze.records{resource_type=Patient}"
min = 1000
[[rules]]
name = "resource-types"
check = "required_labels"
metric = "bronze.records"
values = ["Patient", "Observation", "Encounter"]
severity = "warn"
[[rules]]
name = "volume-stable"
check = "change"
metric = "bronze.records"
max_change_percent = 25
"#,
    );
    let report = validate_run_at(r.path(), &t, at()).unwrap();
    (root, r, report)
}

fn shown(report: &steadfast_validation::ValidationReport, format: Format) -> String {
    render(report, format, false).replace(&report.run_id, "<run>")
}

#[test]
fn text_report() {
    let (_root, _run, report) = mixed_report();
    insta::assert_snapshot!(shown(&report, Format::Text));
}

#[test]
fn text_report_in_colour_marks_status_only() {
    let (_root, _run, report) = mixed_report();
    let coloured = render(&report, Format::Text, true);
    assert!(coloured.contains("\x1b[1;31mFAIL\x1b[0m"));
    assert!(coloured.contains("\x1b[33mWARN\x1b[0m"));
    // Stripped of colour, the table is the plain one.
    let plain = coloured
        .replace("\x1b[1;31m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[2m", "")
        .replace("\x1b[0m", "");
    assert_eq!(plain, render(&report, Format::Text, false));
}

#[test]
fn json_report() {
    let (_root, _run, report) = mixed_report();
    let json = shown(&report, Format::Json);
    insta::assert_snapshot!(json);
    let back: steadfast_validation::ValidationReport =
        serde_json::from_str(&render(&report, Format::Json, false)).unwrap();
    assert_eq!(back, report);
}

#[test]
fn markdown_report() {
    let (_root, _run, report) = mixed_report();
    insta::assert_snapshot!(shown(&report, Format::Markdown));
}

#[test]
fn junit_report() {
    let (_root, _run, report) = mixed_report();
    insta::assert_snapshot!(shown(&report, Format::Junit));
}

#[test]
fn reports_and_effective_thresholds_are_written_into_the_run() {
    let (_root, run, report) = mixed_report();
    let effective = Thresholds::load(
        &Loader::new()
            .toml_str("thresholds.toml", "row_count_threshold = 0.9\n")
            .env_vars([("STEADFAST_VALIDATION__EXTRACT_TIME_THRESHOLD", "5m")])
            .set_value("row_count_threshold", "0.97", "--row-count-threshold"),
    )
    .unwrap();
    let paths = write_reports(&run, &report, Some(&effective)).unwrap();
    let record = run.path().join(&paths.record);
    assert!(paths.record.starts_with("validation/"), "{}", paths.record);
    let mut names: Vec<String> = std::fs::read_dir(&record)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // Nothing but the finished files: no temporaries left behind.
    assert_eq!(
        names,
        [
            "junit.xml",
            "report.json",
            "report.md",
            "thresholds.effective.toml"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&paths.junit).unwrap(),
        render(&report, Format::Junit, false)
    );
    insta::assert_snapshot!(std::fs::read_to_string(paths.thresholds.unwrap()).unwrap());
}

/// Each validation is a record of its own: a second one leaves the first byte for byte,
/// `latest_record` follows run.json's index, and a flat validation/ (a run from before
/// records) is the oldest record.
#[test]
fn validations_are_appended_never_overwritten() {
    let (_root, run, report) = mixed_report();
    let first = write_reports(&run, &report, None).unwrap();
    let first_json = std::fs::read(&first.json).unwrap();
    let mut second_report = report.clone();
    second_report.status = Status::Pass;
    let second = write_reports(&run, &second_report, None).unwrap();
    assert_ne!(first.record, second.record);
    assert_eq!(std::fs::read(&first.json).unwrap(), first_json);

    let mut manifest = run.read_manifest().unwrap();
    let index = first.index(&run, report.status).unwrap();
    assert_eq!(index.count, 2);
    manifest.validation = Some(index);
    run.write_manifest(&manifest).unwrap();
    // run.json names the first: that is the latest, whatever is newer on disk.
    let latest = steadfast_validation::latest_record(&run, &manifest)
        .unwrap()
        .unwrap();
    assert_eq!(latest.name, first.record);
    // A hostile index is not followed; the newest record on disk is used instead.
    manifest.validation.as_mut().unwrap().latest = "validation/../../etc".into();
    let latest = steadfast_validation::latest_record(&run, &manifest)
        .unwrap()
        .unwrap();
    assert_eq!(latest.name, second.record);

    steadfast_core::atomic_write(run.validation_dir().join("report.json"), &first_json).unwrap();
    let names: Vec<String> = steadfast_validation::records(&run)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names,
        ["validation".to_owned(), first.record, second.record]
    );
}
