//! Price-transparency rule sets on real files: the CMS examples (schema 2.1.0) pass, the
//! generator's faults are found with their pointers and exact counts, its output is
//! deterministic, and the schema verdicts agree with Python's `jsonschema`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use steadfast_core::Timestamp;
use steadfast_validation::document::RuleSet;
use steadfast_validation::document::tic::generate::{
    InNetworkSpec, TicFault, TicFaults, write_allowed_amounts, write_in_network,
    write_table_of_contents,
};

/// 2026-12-03: before every date the generator writes (2027 on).
const TODAY: u64 = 1_796_256_000;
/// 2021-01-01: before every expiration date of the CMS examples.
const BEFORE_EXAMPLES: u64 = 1_609_459_200;

pub(crate) fn examples() -> Vec<(PathBuf, RuleSet)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tic-examples");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let set = if name.starts_with("in-network") {
                "tic-in-network"
            } else if name.starts_with("allowed-amounts") {
                "tic-allowed-amounts"
            } else {
                "tic-table-of-contents"
            };
            (p, RuleSet::named(set).unwrap())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn cms_examples_pass_their_rule_sets() {
    let examples = examples();
    assert_eq!(examples.len(), 9);
    for (path, rules) in examples {
        let schema = rules.compile().unwrap();
        let check = rules.document_check(&schema).threads(2);
        let run = rules
            .run(
                &check,
                &path,
                Timestamp::from_unix_secs(BEFORE_EXAMPLES),
                false,
            )
            .unwrap();
        assert!(
            run.report.rules.is_empty(),
            "{}: {:?}",
            path.display(),
            run.report.rules
        );
        assert_eq!(run.report.exit_code(), 0, "{}", path.display());
        // Judged today, their 2022 and 2024 expiration dates are in the past.
        let later = rules
            .run(&check, &path, Timestamp::from_unix_secs(TODAY), false)
            .unwrap();
        let expired = later.report.violations("tic.expiration_date");
        assert_eq!(
            expired > 0,
            rules.name() == "tic-in-network",
            "{}",
            path.display()
        );
    }
}

pub(crate) fn generate(
    dir: &Path,
    name: &str,
    spec: &InNetworkSpec,
) -> (
    PathBuf,
    steadfast_validation::document::tic::generate::GeneratedDocument,
) {
    let path = dir.join(name);
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let made = write_in_network(file, spec).unwrap();
    (path, made)
}

fn all_faults() -> TicFaults {
    TicFaults {
        missing_required: 2,
        bad_enum: 2,
        wrong_type: 2,
        empty_array: 2,
        bad_date: 2,
        unresolved_group: 2,
        negative_rate: 2,
    }
}

#[test]
fn seeded_faults_are_found_with_pointer_and_exact_count() {
    let dir = tempfile::tempdir().unwrap();
    for pretty in [false, true] {
        let spec = InNetworkSpec {
            target_bytes: 200_000,
            pretty,
            faults: all_faults(),
            ..InNetworkSpec::default()
        };
        let (path, made) = generate(dir.path(), "rates.json", &spec);
        assert_eq!(made.faults.len(), 14);
        let rules = RuleSet::named("tic-in-network").unwrap();
        let schema = rules.compile().unwrap();
        let check = rules.document_check(&schema).threads(2).max_findings(100);
        let run = rules
            .run(&check, &path, Timestamp::from_unix_secs(TODAY), false)
            .unwrap();
        let report = &run.report;
        let by_rule: BTreeMap<&str, u64> = report
            .rules
            .iter()
            .map(|r| (r.rule.as_str(), r.count))
            .collect();
        let schema_total: u64 = by_rule
            .iter()
            .filter(|(r, _)| r.starts_with('#'))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            schema_total, 12,
            "one schema violation per schema fault: {by_rule:?}"
        );
        assert_eq!(report.violations("tic.provider_group_id"), 2);
        assert_eq!(report.violations("tic.negotiated_rate"), 2);
        for quiet in [
            "tic.expiration_date",
            "tic.billing_code",
            "tic.duplicate_item",
        ] {
            assert_eq!(report.violations(quiet), 0, "{quiet}");
        }
        let pointers: Vec<&str> = report
            .rules
            .iter()
            .flat_map(|r| r.findings.iter().map(|f| f.pointer.as_str()))
            .collect();
        for fault in &made.faults {
            assert!(
                pointers.contains(&fault.pointer.as_str()),
                "{fault:?} not in {pointers:?}"
            );
        }
        assert_eq!(run.counts, made.counts);
        assert_eq!(
            report.total_records(),
            made.counts.in_network + made.counts.provider_references
        );
    }
}

#[test]
fn generator_is_deterministic_and_its_counts_exact() {
    let spec = InNetworkSpec {
        target_bytes: 100_000,
        faults: all_faults(),
        ..InNetworkSpec::default()
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let made = write_in_network(&mut a, &spec).unwrap();
    write_in_network(&mut b, &spec).unwrap();
    assert_eq!(a, b);
    let mut c = Vec::new();
    write_in_network(
        &mut c,
        &InNetworkSpec {
            seed: 7,
            ..spec.clone()
        },
    )
    .unwrap();
    assert_ne!(a, c);
    // Pretty holds fewer items in the same bytes; without faults (whose places depend on
    // the size estimate), the same items.
    let plain = InNetworkSpec {
        faults: TicFaults::default(),
        ..spec.clone()
    };
    let (mut compact, mut pretty) = (Vec::new(), Vec::new());
    write_in_network(&mut compact, &plain).unwrap();
    write_in_network(
        &mut pretty,
        &InNetworkSpec {
            pretty: true,
            ..plain
        },
    )
    .unwrap();
    let c: serde_json::Value = serde_json::from_slice(&compact).unwrap();
    let p: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
    assert!(p["provider_references"] == c["provider_references"]);
    let (ours, theirs) = (
        c["in_network"].as_array().unwrap(),
        p["in_network"].as_array().unwrap(),
    );
    assert!(theirs.len() < ours.len() && ours[..theirs.len()] == theirs[..]);
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(made.bytes, a.len() as u64);

    // Count what serde_json sees.
    let items = v["in_network"].as_array().unwrap();
    let refs = v["provider_references"].as_array().unwrap();
    assert_eq!(items.len() as u64, made.counts.in_network);
    assert_eq!(refs.len() as u64, made.counts.provider_references);
    let prices: Vec<&serde_json::Value> = items
        .iter()
        .flat_map(|i| i["negotiated_rates"].as_array().unwrap())
        .flat_map(|r| r["negotiated_prices"].as_array().unwrap())
        .collect();
    assert_eq!(prices.len() as u64, made.counts.negotiated_prices);
    let count =
        |f: &dyn Fn(&serde_json::Value) -> bool| prices.iter().filter(|p| f(p)).count() as u64;
    assert_eq!(
        count(&|p| p["setting"] == "home"),
        made.count(TicFault::BadEnum)
    );
    assert_eq!(
        count(&|p| p["negotiated_rate"].is_string()),
        made.count(TicFault::WrongType)
    );
    assert_eq!(
        count(&|p| p["negotiated_rate"].as_f64().is_some_and(|r| r < 0.0)),
        made.count(TicFault::NegativeRate)
    );
    assert_eq!(
        count(&|p| p["billing_code_modifier"] == serde_json::json!([])),
        made.count(TicFault::EmptyArray)
    );
    assert_eq!(
        count(&|p| p["expiration_date"]
            .as_str()
            .is_some_and(|d| d.contains('/'))),
        made.count(TicFault::BadDate)
    );
    let missing = items
        .iter()
        .filter(|i| i.get("description").is_none())
        .count() as u64;
    assert_eq!(missing, made.count(TicFault::MissingRequired));
    let defined = refs.len() as u64;
    let unresolved = items
        .iter()
        .flat_map(|i| i["negotiated_rates"].as_array().unwrap())
        .flat_map(|r| r["provider_references"].as_array().unwrap())
        .filter(|id| id.as_u64().is_none_or(|id| id == 0 || id > defined))
        .count() as u64;
    assert_eq!(unresolved, made.count(TicFault::UnresolvedGroup));
    for f in &made.faults {
        assert!(v.pointer(&f.pointer).is_some(), "{f:?}");
    }
}

#[test]
fn small_documents_pass_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    for (name, pretty) in [
        ("tic-allowed-amounts", false),
        ("tic-table-of-contents", true),
    ] {
        let rules = RuleSet::named(name).unwrap();
        let path = dir.path().join(format!("{name}.json"));
        let file = std::fs::File::create(&path).unwrap();
        let made = if name == "tic-allowed-amounts" {
            write_allowed_amounts(file, 3, 25, pretty).unwrap()
        } else {
            write_table_of_contents(file, 4, pretty).unwrap()
        };
        let schema = rules.compile().unwrap();
        let run = rules
            .run(
                &rules.document_check(&schema),
                &path,
                Timestamp::from_unix_secs(TODAY),
                false,
            )
            .unwrap();
        assert!(
            run.report.rules.is_empty(),
            "{name}: {:?}",
            run.report.rules
        );
        assert_eq!(run.counts, made.counts, "{name}");
    }
}

#[test]
fn counts_are_recorded_as_run_metrics() {
    use steadfast_validation::series::{DOCUMENT_ARRAY_LABEL, DOCUMENT_RECORDS};
    let mut out = Vec::new();
    let spec = InNetworkSpec {
        target_bytes: 20_000,
        ..InNetworkSpec::default()
    };
    let made = write_in_network(&mut out, &spec).unwrap();
    let root = tempfile::tempdir().unwrap();
    let run = steadfast_core::RunDir::create(root.path(), "mrf").unwrap();
    let rec = steadfast_metrics::Recorder::to_run_dir(&run).unwrap();
    made.counts.record(&rec, "ingest");
    rec.close().unwrap();
    let totals = steadfast_metrics::read_run(&run).unwrap().totals;
    let npis = totals
        .get("ingest", DOCUMENT_RECORDS, &[(DOCUMENT_ARRAY_LABEL, "npi")])
        .unwrap();
    assert_eq!(npis.value, made.counts.npis as f64);
    let total: u64 = made.counts.entries().iter().map(|(_, n)| n).sum();
    assert_eq!(totals.total("ingest", DOCUMENT_RECORDS), total as f64);
    assert!(
        totals
            .get(
                "ingest",
                DOCUMENT_RECORDS,
                &[(DOCUMENT_ARRAY_LABEL, "payments")]
            )
            .is_none(),
        "zero counts are not recorded"
    );
}
