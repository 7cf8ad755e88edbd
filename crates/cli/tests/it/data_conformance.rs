//! `steadfast validate-data` with `conformance = "r4"`: generated records of nine resource
//! types with seeded faults, each found as a `fhir.*` rule with its exact count and every
//! faulted record's file:line.

use std::collections::{BTreeMap, BTreeSet};

use steadfast::validation::data::conformance_gen::{ConformanceSpec, write_records};

use crate::steadfast;

#[test]
fn conformance_r4_reports_each_seeded_fault_class_with_counts_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    let spec = ConformanceSpec {
        seed: 7,
        records: 140,
        faulted_percent: 35,
    };
    let seeded = write_records(&mut bytes, &spec).unwrap();
    let data = dir.path().join("mixed.ndjson");
    steadfast::run::atomic_write(&data, &bytes).unwrap();
    let rules = dir.path().join("rules.toml");
    steadfast::run::atomic_write(&rules, "conformance = \"r4\"\nlocations = 1000\n").unwrap();

    let out = steadfast(&[
        "validate-data",
        data.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
        "--threads",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = json["results"].as_array().unwrap();

    // What the ground truth expects: per rule, the count and the faulted lines.
    let mut want: BTreeMap<&str, (u64, BTreeSet<u64>)> = BTreeMap::new();
    for (n, fault) in seeded.lines.iter().enumerate() {
        if let Some(fault) = fault {
            let entry = want.entry(fault.class().rule()).or_default();
            entry.0 += 1;
            entry.1.insert(n as u64 + 1);
        }
    }
    assert!(want.len() >= 6, "{want:?}");
    let mut got: BTreeMap<&str, (u64, BTreeSet<u64>)> = BTreeMap::new();
    for result in results {
        let name = result["name"].as_str().unwrap();
        if !name.starts_with("fhir.") {
            continue;
        }
        let violations = result["violations"].as_u64().unwrap_or(0);
        if violations == 0 {
            assert_eq!(result["status"], "pass", "{result}");
            continue;
        }
        assert_eq!(result["status"], "fail", "{result}");
        let mut lines = BTreeSet::new();
        for location in result["locations"].as_array().unwrap() {
            assert!(
                location["file"].as_str().unwrap().ends_with("mixed.ndjson"),
                "{location}"
            );
            assert!(
                location.get("value").is_none(),
                "a value leaked: {location}"
            );
            lines.insert(location["line"].as_u64().unwrap());
        }
        got.insert(name, (violations, lines));
    }
    assert_eq!(got, want);
    assert!(!stdout.contains("robot"), "a value leaked: {stdout}");
}
