//! `steadfast validate-data` on generated FHIR Bulk Data exports.

use steadfast::validation::data::generate::{BulkSpec, Faults, generate_export};

use crate::{assert_error, assert_ok, steadfast};

fn export(faults: Faults) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = BulkSpec {
        patients: 50,
        faults,
        ..BulkSpec::default()
    };
    generate_export(dir.path(), &spec).unwrap();
    dir
}

#[test]
fn a_clean_export_passes_with_the_shipped_rules() {
    let dir = export(Faults::default());
    let out = steadfast(&["validate-data", dir.path().to_str().unwrap()]);
    let stdout = assert_ok(&out);
    assert!(
        stdout.contains("Data quality of 4 file(s), 500 records"),
        "{stdout}"
    );
}

#[test]
fn faults_fail_with_exit_1_and_a_located_report_without_values() {
    let faults = Faults {
        duplicates: 1,
        missing_fields: 2,
        dangling_references: 1,
        invalid_lines: 1,
        torn_last_line: true,
    };
    let dir = export(faults);
    let manifest = dir.path().join("manifest.json");
    let out = steadfast(&[
        "validate-data",
        manifest.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let failing: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .collect();
    insta::assert_snapshot!(failing.join("\n"));
    assert!(stdout.contains("Observation.ndjson:"), "{stdout}");
    assert!(
        !stdout.contains("Patient/"),
        "a reference value leaked: {stdout}"
    );

    let shown = steadfast(&[
        "validate-data",
        manifest.to_str().unwrap(),
        "--show-values",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let dangling = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Observation.references:subject.reference")
        .unwrap();
    assert!(
        dangling["locations"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("Patient/"),
        "{dangling}"
    );
}

#[test]
fn set_overrides_rules_and_bad_rules_are_usage_errors() {
    let dir = export(Faults {
        invalid_lines: 2,
        ..Faults::default()
    });
    let obs = dir.path().join("Observation.ndjson");
    let strict = steadfast(&["validate-data", dir.path().to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
    let tolerant = steadfast(&[
        "validate-data",
        dir.path().to_str().unwrap(),
        "--set",
        "max_invalid_lines=2",
        "--set",
        "manifest_severity=warn",
    ]);
    assert_ok(&tolerant);
    let rules = dir.path().join("rules.toml");
    steadfast::run::atomic_write(&rules, "[resources.Observation]\nrequird = [\"status\"]\n")
        .unwrap();
    let out = steadfast(&[
        "validate-data",
        obs.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_error(&out, 2, "did you mean 'required'?");
    let out = steadfast(&["validate-data", dir.path().join("nope").to_str().unwrap()]);
    assert_error(&out, 2, "nope");
}
