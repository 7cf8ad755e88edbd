//! `steadfast validate-data FILE.json --schema S --records '$.in_network'` on small
//! documents: verdicts, located findings, gzip, and usage errors.

use std::io::Write as _;

use crate::{assert_error, assert_ok, steadfast};

const SCHEMA: &str = r#"{"type": "object", "required": ["in_network"], "properties": {
  "in_network": {"type": "array", "items": {"type": "object", "required": ["billing_code"],
    "properties": {"negotiated_rate": {"type": "number", "exclusiveMinimum": 0}}}}}}"#;

fn files(doc: &str) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    std::fs::File::create(&schema)
        .unwrap()
        .write_all(SCHEMA.as_bytes())
        .unwrap();
    let file = dir.path().join("rates.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&file).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(doc.as_bytes()).unwrap();
    gz.finish().unwrap();
    let (schema, file) = (
        schema.to_str().unwrap().to_owned(),
        file.to_str().unwrap().to_owned(),
    );
    (dir, schema, file)
}

#[test]
fn a_valid_document_passes_and_counts_its_records() {
    let (_dir, schema, file) =
        files(r#"{"in_network": [{"billing_code": "1"}, {"billing_code": "2"}]}"#);
    let out = steadfast(&[
        "validate-data",
        &file,
        "--schema",
        &schema,
        "--records",
        "$.in_network",
    ]);
    let stdout = assert_ok(&out);
    assert!(
        stdout.contains("2 records") && stdout.contains("PASS"),
        "{stdout}"
    );
}

#[test]
fn violations_fail_with_their_pointer_and_no_values() {
    let doc =
        "{\"in_network\": [\n {\"billing_code\": \"1\", \"negotiated_rate\": -7.25},\n {}\n]}";
    let (_dir, schema, file) = files(doc);
    let out = steadfast(&[
        "validate-data",
        &file,
        "--schema",
        &schema,
        "--records",
        "$.in_network",
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
    let rules = report["rules"].as_array().unwrap();
    let pointers: Vec<&str> = rules
        .iter()
        .map(|r| r["findings"][0]["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/in_network/0/negotiated_rate", "/in_network/1"]);
    assert_eq!(report["records"][0]["records"], 2);
    assert_eq!(rules[1]["findings"][0]["line"], 3);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("-7.25"));
}

#[test]
fn document_mode_needs_a_schema_and_valid_records_paths() {
    let (_dir, schema, file) = files(r#"{"in_network": []}"#);
    let out = steadfast(&["validate-data", &file, "--records", "$.in_network"]);
    assert_error(&out, 2, "needs --schema FILE");
    let out = steadfast(&[
        "validate-data",
        &file,
        "--schema",
        &schema,
        "--records",
        "in_network",
    ]);
    assert_error(&out, 2, "not a records path");
}

/// Options only NDJSON checks use are refused in document mode, never silently ignored (a
/// `--set` that does nothing looks like an override that took effect).
#[test]
fn ndjson_only_options_are_refused_in_document_mode() {
    let (_dir, schema, file) = files(r#"{"in_network": []}"#);
    for extra in [
        &["--set", "max_invalid_lines=10"][..],
        &["--max-line-bytes", "1MiB"],
        &["--allow-outside"],
    ] {
        let mut args = vec!["validate-data", &file, "--schema", &schema];
        args.extend_from_slice(extra);
        let out = steadfast(&args);
        assert_error(&out, 2, &format!("drop {}", extra[0]));
    }
    let out = steadfast(&[
        "validate-data",
        &file,
        "--rules",
        "tic-in-network",
        "--set",
        "x=1",
    ]);
    assert_error(&out, 2, "drop --set");
}
