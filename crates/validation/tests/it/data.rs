//! Data-quality checks on generated FHIR Bulk Data exports: every injected fault is found
//! with its exact count, through plain and gzip files, manifests, several threads and the
//! streaming checker alike.

use std::path::{Path, PathBuf};

use steadfast_core::config::Loader;
use steadfast_core::{Status, Timestamp};
use steadfast_validation::Format;
use steadfast_validation::data::generate::{BulkSpec, Faults, generate_export, generate_mixed};
use steadfast_validation::data::{DataCheck, DataReport, DataRules, RecordChecker, render_data};

pub(crate) fn shipped_rules() -> DataRules {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/rules/fhir-bulk.toml");
    DataRules::load(&Loader::new().file(path))
        .unwrap()
        .into_value()
}

pub(crate) fn rules(text: &str) -> DataRules {
    DataRules::load(&Loader::new().toml_str("rules.toml", text))
        .unwrap()
        .into_value()
}

pub(crate) fn check(rules: &DataRules, inputs: &[PathBuf], threads: usize) -> DataReport {
    DataCheck::new(rules)
        .threads(threads)
        .checked_at(Timestamp::from_unix_secs(0))
        .run(inputs)
        .unwrap()
}

pub(crate) const FAULTS: Faults = Faults {
    duplicates: 3,
    missing_fields: 4,
    dangling_references: 5,
    invalid_lines: 6,
    torn_last_line: true,
};

pub(crate) fn faulty(
    gzip: bool,
) -> (
    tempfile::TempDir,
    steadfast_validation::data::generate::Generated,
) {
    let dir = tempfile::tempdir().unwrap();
    let spec = BulkSpec {
        patients: 200,
        gzip,
        faults: FAULTS,
        ..BulkSpec::default()
    };
    let generated = generate_export(dir.path(), &spec).unwrap();
    (dir, generated)
}

fn assert_every_fault_found(
    report: &DataReport,
    generated: &steadfast_validation::data::generate::Generated,
) {
    assert_eq!(report.violations("Observation.unique:id"), 3);
    assert_eq!(
        report.violations("Observation.required:subject.reference"),
        4
    );
    assert_eq!(
        report.violations("Observation.references:subject.reference"),
        5
    );
    // Six invalid lines and the torn last line.
    assert_eq!(report.violations("invalid_lines"), 7);
    let torn = &report.rule("invalid_lines").unwrap().locations;
    assert!(
        torn.iter().any(|l| l.message.starts_with("torn last line")),
        "{torn:?}"
    );
    // The manifest counts lines; seven of them are not resources.
    assert_eq!(
        report.violations(
            "manifest:Observation.ndjson"
                .replace(
                    ".ndjson",
                    if report.files[0].gzip {
                        ".ndjson.gz"
                    } else {
                        ".ndjson"
                    }
                )
                .as_str()
        ),
        7
    );
    for rule in [
        "Patient.unique:id",
        "Patient.allowed:gender",
        "Patient.pattern:birthDate",
        "Encounter.references:subject.reference",
        "Condition.references:encounter.reference",
        "Observation.range:valueQuantity.value",
        "Observation.pattern:effectiveDateTime",
    ] {
        assert_eq!(report.violations(rule), 0, "{rule}");
    }
    assert_eq!(report.resource_types, generated.records);
    assert_eq!(report.status, Status::Fail);
}

#[test]
fn every_injected_fault_is_found_with_its_exact_count() {
    let (dir, generated) = faulty(false);
    for threads in [1, 2, 3] {
        let report = check(
            &shipped_rules(),
            &[dir.path().join("manifest.json")],
            threads,
        );
        assert_every_fault_found(&report, &generated);
    }
}

#[test]
fn gzip_exports_give_the_same_report() {
    let (plain, _) = faulty(false);
    let (gz, generated) = faulty(true);
    let a = check(&shipped_rules(), &[plain.path().to_path_buf()], 2);
    let b = check(&shipped_rules(), &[gz.path().to_path_buf()], 2);
    assert!(b.files.iter().all(|f| f.gzip));
    assert_every_fault_found(&b, &generated);
    let strip = |r: &DataReport| -> Vec<(String, u64)> {
        r.results
            .iter()
            .map(|x| (x.name.replace(".gz", ""), x.violations.unwrap_or(0)))
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn chunking_does_not_change_the_report() {
    // Large enough that a file splits into several chunks per thread.
    let dir = tempfile::tempdir().unwrap();
    let spec = BulkSpec {
        patients: 6000,
        observations_per_encounter: 4,
        faults: FAULTS,
        ..BulkSpec::default()
    };
    generate_export(dir.path(), &spec).unwrap();
    let one = check(&shipped_rules(), &[dir.path().to_path_buf()], 1);
    let four = check(&shipped_rules(), &[dir.path().to_path_buf()], 4);
    assert_eq!(one, four);
    assert!(
        dir.path()
            .join("Observation.ndjson")
            .metadata()
            .unwrap()
            .len()
            > 8 << 20
    );
}

#[test]
fn locations_name_file_and_line_and_values_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Patient.ndjson");
    steadfast_core::atomic_write(
        &file,
        concat!(
            r#"{"resourceType":"Patient","id":"a","gender":"female","birthDate":"1980-01-02"}"#,
            "\n",
            "\n",
            r#"{"resourceType":"Patient","id":"b","gender":"F","birthDate":"1980-13-02"}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"a","gender":"male"}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"c","gender":"male","birthDate":"1990"#,
            "\n",
        ),
    )
    .unwrap();
    let report = check(&shipped_rules(), std::slice::from_ref(&file), 1);
    let loc = |rule: &str| {
        report
            .rule(rule)
            .unwrap()
            .locations
            .iter()
            .map(steadfast_validation_location)
            .collect::<Vec<_>>()
    };
    let name = file.display().to_string();
    assert_eq!(
        loc("Patient.allowed:gender"),
        [format!("{name}:3 gender: not an allowed value")]
    );
    assert_eq!(
        loc("Patient.pattern:birthDate"),
        [format!("{name}:3 birthDate: does not match the pattern")]
    );
    assert_eq!(
        loc("Patient.unique:id"),
        [format!("{name}:4 id: duplicate of {name}:1")]
    );
    assert_eq!(
        loc("Patient.required:birthDate"),
        [format!("{name}:4 birthDate: missing")]
    );
    assert_eq!(
        loc("invalid_lines"),
        [format!("{name}:5:69 a string is not closed")]
    );
    assert_eq!(report.files[0].blank, 1);
    let text = render_data(&report, Format::Text, false);
    assert!(
        !text.contains("\"F\"") && !text.contains("1980-13-02"),
        "{text}"
    );

    let shown = DataCheck::new(&shipped_rules())
        .show_values(true)
        .run(&[&file])
        .unwrap();
    let values: Vec<_> = shown
        .rule("Patient.allowed:gender")
        .unwrap()
        .locations
        .iter()
        .map(|l| l.value.clone())
        .collect();
    assert_eq!(values, [Some("\"F\"".to_owned())]);
    assert_eq!(
        shown.rule("Patient.unique:id").unwrap().locations[0]
            .value
            .as_deref(),
        Some("a")
    );
}

fn steadfast_validation_location(l: &steadfast_validation::data::Location) -> String {
    let mut s = format!("{}:{}", l.file, l.line);
    if let Some(c) = l.column {
        s.push_str(&format!(":{c}"));
    }
    if let Some(f) = &l.field {
        s.push_str(&format!(" {f}:"));
    }
    format!("{s} {}", l.message)
}

#[test]
fn the_streaming_checker_agrees_with_the_file_check() {
    let (dir, generated) = faulty(false);
    let rules = shipped_rules();
    let mut checker = RecordChecker::new(&rules, "stream").unwrap();
    for file in &generated.files {
        let text = std::fs::read(file).unwrap();
        for line in text.split(|&b| b == b'\n') {
            if !line.is_empty() {
                checker.check_line(line);
            }
        }
    }
    let streamed = checker.finish();
    let files = check(&rules, &[dir.path().to_path_buf()], 2);
    for name in [
        "Observation.unique:id",
        "Observation.required:subject.reference",
        "Observation.references:subject.reference",
        "invalid_lines",
    ] {
        assert_eq!(streamed.violations(name), files.violations(name), "{name}");
    }
    assert_eq!(streamed.resource_types, files.resource_types);
}

#[test]
fn the_mixed_generator_is_deterministic_and_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
    let ga = generate_mixed(&a, 7, 200_000).unwrap();
    generate_mixed(&b, 7, 200_000).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let report = check(&shipped_rules(), &[a], 2);
    assert_eq!(
        report.status,
        Status::Pass,
        "{}",
        render_data(&report, Format::Text, false)
    );
    assert_eq!(report.resource_types, ga.records);
}

#[test]
fn stripped_rules_still_count_and_find_malformed_lines() {
    let r = rules("");
    let (dir, generated) = faulty(false);
    let report = check(&r, &[dir.path().join("Observation.ndjson")], 2);
    assert_eq!(report.violations("invalid_lines"), 7);
    assert_eq!(
        report.resource_types["Observation"],
        generated.records["Observation"]
    );
}
