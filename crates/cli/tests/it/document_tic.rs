//! `steadfast validate-data FILE.json --rules tic-in-network` (and the other built-in
//! price-transparency rule sets): the CMS examples pass, seeded faults are counted exactly,
//! the text report is stable, and the usage errors say what to do.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use steadfast_validation::document::tic::generate::{InNetworkSpec, TicFaults, write_in_network};

use crate::{assert_error, assert_ok, steadfast};

/// Before every expiration date of the CMS examples.
const IN_2021: &str = "2021-01-01T00:00:00Z";
/// Before every expiration date of a generated file (they are judged from 2027 on).
const IN_2026: &str = "2026-06-01T00:00:00Z";

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../validation/tests/data/tic-examples")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn the_cms_examples_pass_their_rule_sets() {
    for (file, set) in [
        (
            "in-network-rates-fee-for-service-single-plan-sample.json",
            "tic-in-network",
        ),
        (
            "in-network-rates-multiple-plans-sample.json",
            "tic-in-network",
        ),
        (
            "allowed-amounts-single-plan-sample.json",
            "tic-allowed-amounts",
        ),
        ("table-of-contents-sample.json", "tic-table-of-contents"),
    ] {
        let path = example(file);
        let out = steadfast(&[
            "validate-data",
            &path,
            "--rules",
            set,
            "--checked-at",
            IN_2021,
        ]);
        let stdout = assert_ok(&out);
        assert!(stdout.contains("PASS"), "{file}: {stdout}");
    }
    // Judged today, the in-network example's expiration dates are in the past: a domain
    // fault the report counts under its rule id, not a schema error.
    let path = example("in-network-rates-fee-for-service-single-plan-sample.json");
    let out = steadfast(&[
        "validate-data",
        &path,
        "--rules",
        "tic-in-network",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["tic.expiration_date"]);
}

#[test]
fn seeded_faults_are_counted_exactly_by_rule() {
    let dir = tempfile::tempdir().unwrap();
    let spec = InNetworkSpec {
        target_bytes: 150_000,
        faults: TicFaults {
            missing_required: 2,
            bad_enum: 2,
            wrong_type: 1,
            empty_array: 1,
            bad_date: 2,
            unresolved_group: 3,
            negative_rate: 2,
        },
        ..InNetworkSpec::default()
    };
    let path = dir.path().join("rates.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let made = write_in_network(&mut gz, &spec).unwrap();
    gz.finish().unwrap();
    let out = steadfast(&[
        "validate-data",
        path.to_str().unwrap(),
        "--rules",
        "tic-in-network",
        "--checked-at",
        IN_2026,
        "--threads",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_rule: BTreeMap<String, u64> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let schema: u64 = by_rule
        .iter()
        .filter(|(rule, _)| rule.starts_with('#'))
        .map(|(_, n)| n)
        .sum();
    // One schema violation per schema fault (a negative rate is one too: exclusiveMinimum).
    assert_eq!(schema, 2 + 2 + 1 + 1 + 2 + 2, "{by_rule:?}");
    assert_eq!(
        by_rule.get("tic.provider_group_id"),
        Some(&3),
        "{by_rule:?}"
    );
    assert_eq!(by_rule.get("tic.negotiated_rate"), Some(&2), "{by_rule:?}");
    assert_eq!(
        by_rule.keys().filter(|r| !r.starts_with('#')).count(),
        2,
        "{by_rule:?}"
    );
    let records: BTreeMap<&str, u64> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["records"].as_u64().unwrap()))
        .collect();
    assert_eq!(records["$.in_network"], made.counts.in_network);
    assert_eq!(
        records["$.provider_references"],
        made.counts.provider_references
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for fault in &made.faults {
        assert!(text.contains(&fault.pointer), "{fault:?} not in the report");
    }
}

/// A small in-network file with one unresolved provider group, a negative rate, an
/// expired price and a billing code without its type's shape.
const FAULTY: &str = r#"{"reporting_entity_name": "Example plan", "reporting_entity_type": "health insurance issuer",
 "last_updated_on": "2026-01-01", "version": "2.1.0",
 "provider_references": [{"provider_group_id": 1, "network_name": ["Example network"], "provider_groups": [
   {"npi": [1234567890], "tin": {"type": "npi", "value": "1234567890"}}]}],
 "in_network": [
  {"negotiation_arrangement": "ffs", "name": "Knee replacement", "billing_code_type": "CPT",
   "billing_code_type_version": "2026", "billing_code": "2744", "description": "Knee",
   "negotiated_rates": [{"provider_references": [1, 7], "negotiated_prices": [
     {"negotiated_type": "negotiated", "negotiated_rate": -5.0, "expiration_date": "2025-12-31",
      "billing_class": "professional", "setting": "outpatient", "service_code": ["11"]}]}]}
 ]}
"#;

#[test]
fn the_text_report_of_a_faulty_document_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rates.json", FAULTY);
    // Run inside the directory, so the report names the file the same on every machine.
    let out = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args([
            "validate-data",
            "rates.json",
            "--rules",
            "tic-in-network",
            "--checked-at",
            IN_2026,
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("-5"),
        "a value shown without --show-values"
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn rule_set_usage_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "rates.json", FAULTY);
    let file = file.to_str().unwrap();
    let schema = write(dir.path(), "schema.json", "{}");
    let out = steadfast(&["validate-data", file, "--rules", "tic-in-netwrk"]);
    assert_error(
        &out,
        2,
        "not a built-in rule set (known: tic-in-network, tic-allowed-amounts, tic-table-of-contents)",
    );
    let out = steadfast(&[
        "validate-data",
        file,
        "--rules",
        "tic-in-network",
        "--schema",
        schema.to_str().unwrap(),
    ]);
    assert_error(
        &out,
        2,
        "--schema and --rules tic-in-network both give the schema",
    );
    let out = steadfast(&[
        "validate-data",
        file,
        "--rules",
        "tic-in-network",
        "--records",
        "$.in_network",
    ]);
    assert_error(&out, 2, "sets its own records paths");
    // A plain .json without a rule set is still a Bulk Data manifest, not a document.
    let out = steadfast(&["validate-data", file]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("JSON document"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
