//! A profiling file written by the `duckdb` Python package (a test-only dependency; `.ci/run`
//! installs it) lands in the run's profile with its operators, and no literal of the query
//! reaches the written profile.

use std::process::Command;

use steadfast_db::{DbProfile, DuckDbQuery};

/// Whether `python3 -c 'import duckdb'` works; skips (fails in CI) when not.
fn duckdb_python() -> Option<std::path::PathBuf> {
    let python = steadfast_testkit::require_tool("python3", "apt-get install python3")?;
    let ok = Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        steadfast_testkit::skip("the duckdb Python package is not installed (pip install duckdb)");
        return None;
    }
    Some(python)
}

const SCRIPT: &str = r#"
import sys, duckdb
c = duckdb.connect()
c.execute("CREATE TABLE patient AS SELECT range AS age, 'PATIENT-SECRET-4711' AS mrn FROM range(100000)")
c.execute("PRAGMA enable_profiling = 'json'")
c.execute("PRAGMA profiling_output = '" + sys.argv[1] + "'")
c.execute("SELECT mrn, count(*) FROM patient WHERE age > 98765 AND mrn <> 'PATIENT-SECRET-4712' GROUP BY mrn").fetchall()
print(duckdb.__version__)
"#;

#[test]
fn a_duckdb_profile_lands_in_the_run_with_its_operators() {
    let Some(python) = duckdb_python() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("duckdb-profile.json");
    let run = Command::new(python)
        .args(["-c", SCRIPT])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let version = String::from_utf8_lossy(&run.stdout).trim().to_owned();

    let query = DuckDbQuery::read(&out, Some("patients_by_mrn")).unwrap();
    assert_eq!(
        query.text, "select mrn, count(*) from patient where age > ? and mrn <> ? group by mrn",
        "duckdb {version}"
    );
    assert!(
        query.total_seconds.is_some_and(|t| t > 0.0),
        "duckdb {version}: {query:?}"
    );
    let mut names = Vec::new();
    let mut stack: Vec<_> = query.operators.iter().collect();
    let mut scanned = 0;
    while let Some(op) = stack.pop() {
        names.push(op.name.clone());
        if op.name.contains("SCAN") {
            scanned = scanned.max(op.cardinality);
        }
        stack.extend(&op.children);
    }
    assert!(
        names.iter().any(|n| n == "HASH_GROUP_BY"),
        "duckdb {version}: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("SCAN")),
        "duckdb {version}: {names:?}"
    );
    assert_eq!(
        scanned,
        100_000 - 98_766,
        "rows out of the filtered scan, duckdb {version}"
    );

    let run_dir = tempfile::tempdir().unwrap();
    let mut profile = DbProfile::default();
    profile.duckdb.push(query);
    profile.write(run_dir.path()).unwrap();
    let written =
        std::fs::read_to_string(run_dir.path().join(steadfast_core::files::DB_PROFILE)).unwrap();
    for secret in ["patient-secret", "98765"] {
        assert!(
            !written.to_lowercase().contains(secret),
            "{secret} in {written}"
        );
    }
    assert_eq!(DbProfile::read(run_dir.path()).unwrap().unwrap(), profile);
}
