//! The schema verdicts of the `tic-in-network` rule set agree with Python's `jsonschema`
//! (`Draft7Validator`, `FORMAT_CHECKER`, through `tests/tic_oracle.py`) on generated
//! documents with one fault each, and Python finds the CMS examples valid too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use steadfast_validation::document::RuleSet;
use steadfast_validation::document::tic::generate::{InNetworkSpec, TicFault, TicFaults};

use super::tic::{examples, generate};

/// Runs the oracle over `docs`; `None` when Python's jsonschema is missing (outside CI).
fn oracle(schema: &Path, docs: &[PathBuf]) -> Option<Vec<serde_json::Value>> {
    let python = steadfast_testkit::require_tool("python3", "apt-get install python3")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tic_oracle.py");
    let out = Command::new(python)
        .arg(script)
        .arg(schema)
        .args(docs)
        .output()
        .unwrap();
    if out.status.code() == Some(3) {
        steadfast_testkit::skip(
            "Python jsonschema is not installed (pip install jsonschema rfc3987)",
        );
        return None;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

#[test]
fn schema_verdicts_agree_with_python_jsonschema() {
    let dir = tempfile::tempdir().unwrap();
    let rules = RuleSet::named("tic-in-network").unwrap();
    let schema_file = dir.path().join("in-network-rates.json");
    steadfast_core::atomic_write(&schema_file, rules.schema()).unwrap();
    let schema = rules.compile().unwrap();
    let one = |k: TicFault| {
        let mut f = TicFaults::default();
        match k {
            TicFault::MissingRequired => f.missing_required = 1,
            TicFault::BadEnum => f.bad_enum = 1,
            TicFault::WrongType => f.wrong_type = 1,
            TicFault::EmptyArray => f.empty_array = 1,
            TicFault::BadDate => f.bad_date = 1,
            TicFault::UnresolvedGroup => f.unresolved_group = 1,
            _ => f.negative_rate = 1,
        }
        f
    };
    let kinds = [
        TicFault::MissingRequired,
        TicFault::BadEnum,
        TicFault::WrongType,
        TicFault::EmptyArray,
        TicFault::BadDate,
        TicFault::UnresolvedGroup,
        TicFault::NegativeRate,
    ];
    let mut docs = Vec::new();
    let mut ours = Vec::new();
    for seed in 0..70u64 {
        let kind = kinds[(seed % 7) as usize];
        let spec = InNetworkSpec {
            seed,
            target_bytes: 4_000 + seed * 300,
            pretty: seed % 2 == 0,
            provider_references: 3 + seed % 5,
            npis_per_group: 1 + seed % 4,
            faults: one(kind),
            ..InNetworkSpec::default()
        };
        let (path, _) = generate(dir.path(), &format!("doc-{seed}.json"), &spec);
        let report = schema_only(&schema, &path);
        ours.push((kind, report));
        docs.push(path);
    }
    let Some(theirs) = oracle(&schema_file, &docs) else {
        return;
    };
    for ((kind, ours), theirs) in ours.iter().zip(&theirs) {
        let expected = u64::from(*kind != TicFault::UnresolvedGroup);
        assert_eq!(theirs["errors"], expected, "{kind:?}: {theirs}");
        assert_eq!(*ours, expected, "{kind:?}: {theirs}");
    }
    // The fixtures themselves: every example valid for Python too (one run per schema).
    let mut by_set: BTreeMap<&str, Vec<PathBuf>> = BTreeMap::new();
    for (path, rules) in examples() {
        by_set.entry(rules.name()).or_default().push(path);
    }
    for (name, paths) in by_set {
        let rules = RuleSet::named(name).unwrap();
        let file = dir.path().join(format!("{name}.json"));
        steadfast_core::atomic_write(&file, rules.schema()).unwrap();
        let Some(verdicts) = oracle(&file, &paths) else {
            return;
        };
        for v in verdicts {
            assert_eq!(v["valid"], true, "{v}");
        }
    }
}

/// Schema violations of one file (records paths of the in-network rule set, no checks).
fn schema_only(schema: &steadfast_validation::document::JsonSchema, path: &Path) -> u64 {
    let rules = RuleSet::named("tic-in-network").unwrap();
    let report = rules.document_check(schema).threads(1).run(path).unwrap();
    report.rules.iter().map(|r| r.count).sum()
}
