//! Differential test against Python `jsonschema` 4.26 (`Draft7Validator` with its format
//! checker): ≥ 500 mutated documents per TiC schema, compared per document on the verdict
//! and on the number of errors `iter_errors` yields.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::JsonSchema;
use crate::document::tic::{ALLOWED_AMOUNTS_SCHEMA, IN_NETWORK_SCHEMA, TABLE_OF_CONTENTS_SCHEMA};

/// Documents per schema.
const DOCUMENTS: usize = 600;

/// A seeded xorshift generator.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn in_network() -> Value {
    json!({
        "reporting_entity_name": "Acme", "reporting_entity_type": "health insurance issuer",
        "plan_name": "Gold", "plan_id_type": "ein", "plan_id": "12-3456789", "plan_market_type": "group",
        "issuer_name": "Acme", "plan_sponsor_name": "Sponsor",
        "last_updated_on": "2024-02-29", "version": "1.0.0",
        "provider_references": [{
            "provider_group_id": 1, "network_name": ["Net"],
            "provider_groups": [
                {"npi": [1234567890, 1987654321], "tin": {"type": "ein", "value": "12-3456789", "business_name": "Clinic"}},
                {"npi": [0], "tin": {"type": "npi", "value": "1234567890"}}
            ]
        }],
        "in_network": [{
            "negotiation_arrangement": "ffs", "name": "Office visit", "billing_code_type": "CPT",
            "billing_code_type_version": "2024", "billing_code": "99213", "description": "Visit",
            "negotiated_rates": [{
                "provider_references": [1, 2],
                "negotiated_prices": [
                    {"negotiated_type": "negotiated", "negotiated_rate": 75.5, "expiration_date": "9999-12-31",
                     "billing_class": "professional", "setting": "outpatient", "service_code": ["11", "22"],
                     "billing_code_modifier": ["25"]},
                    {"negotiated_type": "fee schedule", "negotiated_rate": 100, "expiration_date": "2025-01-01",
                     "billing_class": "institutional", "setting": "inpatient", "additional_information": "none"}
                ]
            }],
            "bundled_codes": [{"billing_code_type": "CPT", "billing_code_type_version": "2024", "billing_code": "1", "description": "x"}]
        }]
    })
}

fn allowed_amounts() -> Value {
    json!({
        "reporting_entity_name": "Acme", "reporting_entity_type": "health insurance issuer",
        "plan_name": "Gold", "plan_id_type": "hios", "plan_id": "1234567890", "plan_market_type": "individual",
        "issuer_name": "Acme", "last_updated_on": "2024-01-31", "version": "1.0.0",
        "out_of_network": [{
            "name": "Visit", "billing_code_type": "CPT", "billing_code_type_version": "2024", "billing_code": "99213",
            "description": "Visit",
            "allowed_amounts": [{
                "tin": {"type": "ein", "value": "12-3456789"}, "service_code": ["11", "02"],
                "billing_class": "professional",
                "payments": [{"allowed_amount": 50, "billing_code_modifier": ["25"],
                              "providers": [{"billed_charge": 80.25, "npi": [1234567890, 1987654321]}]}]
            }]
        }]
    })
}

fn table_of_contents() -> Value {
    json!({
        "reporting_entity_name": "Acme", "reporting_entity_type": "health insurance issuer",
        "last_updated_on": "2024-01-31", "version": "1.0.0",
        "reporting_structure": [{
            "reporting_plans": [{"plan_name": "Gold", "plan_id_type": "ein", "plan_id": "12-3456789",
                                 "plan_market_type": "group", "issuer_name": "Acme", "plan_sponsor_name": "S"}],
            "in_network_files": [{"description": "rates", "location": "https://example.com/in-network.json"}],
            "allowed_amount_file": {"description": "oon", "location": "https://example.com/oon.json"}
        }]
    })
}

/// Every path in `v`, as keys and indexes.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                prefix.push(json!(k));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(json!(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, seg| match seg {
        Value::String(k) => &mut v[k.as_str()],
        _ => &mut v[usize::try_from(seg.as_u64().unwrap_or(0)).unwrap()],
    })
}

/// Applies one random mutation at a random place.
fn mutate(doc: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let donor_path = rng.pick(&all).clone();
    let donor = at(&mut doc.clone(), &donor_path).clone();
    let target = at(doc, &path);
    let strings = [
        "",
        "2024-02-30",
        "2023-02-29",
        "bogus",
        "CSTM-00",
        "npi",
        "ein",
        "99",
        "02",
        "00",
        "2024-13-01",
        "https://x.org/a b",
        "ftp://ok",
        "http://ok.example/x",
        "https://ok.example/x",
        "professional",
        "both",
        "12-3456789",
        "1234567890",
        "hios",
        "group",
        "CPT",
        "CSTM-ALL",
        "2024-1-01",
    ];
    let numbers = [
        json!(-1),
        json!(0),
        json!(1000000000),
        json!(9999999999u64),
        json!(10000000000u64),
        json!(0.0),
        json!(-0.5),
        json!(1.0),
        json!(1e3),
        json!(123),
        json!(1.5),
    ];
    match rng.below(8) {
        0 => {
            if let Some((last, parent)) = path.split_last() {
                match at(doc, parent) {
                    Value::Object(map) => drop(map.remove(last.as_str().unwrap_or_default())),
                    Value::Array(items) => {
                        drop(items.remove(usize::try_from(last.as_u64().unwrap_or(0)).unwrap()))
                    }
                    _ => {}
                }
            }
        }
        1 => {
            *target = rng
                .pick(&[
                    json!(null),
                    json!(true),
                    json!(5),
                    json!(1.5),
                    json!("x"),
                    json!([]),
                    json!({}),
                ])
                .clone()
        }
        2 => match target {
            Value::Array(items) if rng.below(2) == 0 => items.clear(),
            Value::Array(items) if !items.is_empty() => items.push(items[0].clone()),
            _ => *target = json!(rng.pick(&strings)),
        },
        3 => *target = json!(rng.pick(&strings)),
        4 => *target = rng.pick(&numbers).clone(),
        5 => match target {
            Value::Object(map) => {
                let additions = [
                    ("extra", json!(1)),
                    ("plan_sponsor_name", json!("S")),
                    ("service_code", json!(["CSTM-00"])),
                    ("billing_class", json!("professional")),
                    ("plan_id_type", json!("ein")),
                    ("npi", json!([0])),
                    (
                        "allowed_amount_file",
                        json!({"description": "d", "location": "https://e.org/x"}),
                    ),
                ];
                let (k, v) = rng.pick(&additions);
                map.insert((*k).to_owned(), v.clone());
            }
            Value::Array(items) => items.push(json!(rng.pick(&strings))),
            _ => *target = rng.pick(&numbers).clone(),
        },
        _ => *target = donor,
    }
}

/// (name, schema text, documents) for the three TiC schemas; the first document is valid.
pub(super) fn corpus() -> Vec<(&'static str, &'static str, Vec<Value>)> {
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    [
        ("in-network-rates", IN_NETWORK_SCHEMA, in_network()),
        ("allowed-amounts", ALLOWED_AMOUNTS_SCHEMA, allowed_amounts()),
        (
            "table-of-contents",
            TABLE_OF_CONTENTS_SCHEMA,
            table_of_contents(),
        ),
    ]
    .into_iter()
    .map(|(name, schema, base)| {
        let mut docs = vec![base.clone()];
        while docs.len() < DOCUMENTS {
            let mut doc = base.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut doc, &mut rng);
            }
            docs.push(doc);
        }
        (name, schema, docs)
    })
    .collect()
}

const ORACLE: &str = r##"
import json, sys
from jsonschema import Draft7Validator
args = sys.argv[1:]
for schema_path, docs_path, out_path in zip(args[0::3], args[1::3], args[2::3]):
    v = Draft7Validator(json.load(open(schema_path)), format_checker=Draft7Validator.FORMAT_CHECKER)
    with open(docs_path) as docs, open(out_path, "w") as out:
        for line in docs:
            errors = list(v.iter_errors(json.loads(line)))
            paths = sorted("#/" + "/".join(map(str, e.absolute_schema_path)) for e in errors)
            out.write(json.dumps([len(errors), paths]) + "\n")
"##;

/// Runs the oracle; None (after saying why) when Python or its packages are missing.
pub(super) fn python_counts(
    dir: &Path,
    corpus: &[(&str, &str, Vec<Value>)],
) -> Option<Vec<Vec<(usize, Value)>>> {
    let python = steadfast_testkit::require_tool("python3", "apt-get install python3")?;
    let probe = Command::new(&python)
        .args([
            "-c",
            "import jsonschema, rfc3987, rfc3339_validator, jsonpointer",
        ])
        .status()
        .ok()?;
    if !probe.success() {
        // Without a format's package, Python's FORMAT_CHECKER does not check the format.
        steadfast_testkit::skip(
            "python3 packages jsonschema 4.26, rfc3987 1.3.8, rfc3339-validator 0.1.4 and \
             jsonpointer 3.1.1 are not installed",
        );
        return None;
    }
    let mut args = vec!["-c".to_owned(), ORACLE.to_owned()];
    for (name, schema, docs) in corpus {
        let lines: String = docs.iter().map(|d| format!("{d}\n")).collect();
        for (file, text) in [
            (format!("{name}.schema.json"), (*schema).to_owned()),
            (format!("{name}.jsonl"), lines),
        ] {
            steadfast_core::atomic_write(dir.join(&file), text).unwrap();
        }
        for file in [
            format!("{name}.schema.json"),
            format!("{name}.jsonl"),
            format!("{name}.out"),
        ] {
            args.push(dir.join(file).display().to_string());
        }
    }
    let status = Command::new(&python).args(&args).status().unwrap();
    assert!(status.success(), "the Python oracle failed");
    let read = |name: &str| -> Vec<(usize, Value)> {
        let text = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    usize::try_from(v[0].as_u64().unwrap()).unwrap(),
                    v[1].clone(),
                )
            })
            .collect()
    };
    Some(corpus.iter().map(|(name, ..)| read(name)).collect())
}

#[test]
fn tic_schemas_agree_with_python_jsonschema() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus();
    let Some(expected) = python_counts(dir.path(), &corpus) else {
        return;
    };
    let mut mismatches = Vec::new();
    let mut keywords = std::collections::BTreeSet::new();
    for ((name, schema, docs), expected) in corpus.iter().zip(expected) {
        let schema = JsonSchema::from_slice(name, schema.as_bytes()).unwrap();
        assert_eq!(expected.len(), docs.len());
        assert_eq!(expected[0].0, 0, "{name}: the base document must be valid");
        let invalid = expected.iter().filter(|(n, _)| *n > 0).count();
        assert!(
            invalid >= docs.len() / 3 && invalid < docs.len(),
            "{name}: {invalid} invalid documents"
        );
        eprintln!("{name}: {} documents, {invalid} invalid", docs.len());
        for (i, (doc, (count, paths))) in docs.iter().zip(expected).enumerate() {
            for path in paths
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                keywords.insert(
                    path.rsplit('/')
                        .find(|k| k.parse::<u32>().is_err())
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            // The text Python read, parsed again.
            let doc: Value = serde_json::from_str(&doc.to_string()).unwrap();
            let ours = schema.validate_value(&doc, false);
            if ours.len() != count {
                let mut rules: Vec<_> = ours.iter().map(|v| v.rule.as_str()).collect();
                rules.sort_unstable();
                mismatches.push(format!(
                    "{name}[{i}]: python {count} {paths}, ours {} {rules:?}\n  {doc}",
                    ours.len()
                ));
            }
        }
    }
    eprintln!("failing keywords seen: {keywords:?}");
    for keyword in [
        "type",
        "enum",
        "required",
        "minItems",
        "uniqueItems",
        "format",
        "exclusiveMinimum",
        "minimum",
        "minLength",
        "pattern",
        "oneOf",
        "anyOf",
        "dependencies",
    ] {
        assert!(
            keywords.contains(keyword),
            "no document fails `{keyword}`: {keywords:?}"
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(8)].join("\n")
    );
}
