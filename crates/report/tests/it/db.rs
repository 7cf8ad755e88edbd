//! A run directory with a `db-profile.json` (written by steadfast-db) gets a Database
//! section on its page, read through `RunView::load`; two such runs compared match their
//! statements by fingerprint. No value of a statement reaches either page.

use std::time::Duration;

use steadfast_core::{RunDir, RunManifest, Timestamp};
use steadfast_db::{DbObserver, DbProfile, DuckDbQuery, PgProfile};
use steadfast_report::{RunView, render_compare, write_page};

/// A run under `root` whose statements took `ms` each.
fn run(root: &std::path::Path, ms: u64) -> RunDir {
    let run = RunDir::create(root, "nightly").unwrap();
    RunManifest::new(run.id(), "nightly", Timestamp::now())
        .write(run.manifest_path())
        .unwrap();
    let observer = DbObserver::default();
    observer.name_statement("SELECT * FROM patient WHERE mrn = $1", "patient_by_mrn");
    for i in 0..40 {
        let sql = format!("SELECT * FROM patient WHERE mrn = 'PATIENT-SECRET-{i}'");
        observer.observe(&sql, Duration::from_millis(ms), 1, None);
    }
    let mut duck = DuckDbQuery::parse(
        r#"{"query": {"sql": "SELECT * FROM patient WHERE mrn = 'PATIENT-SECRET-1'", "total_time": 0.001},
            "operator": [{"name": "TABLE_SCAN", "timing": 0.0009, "intermediate_rows": 1,
              "extra_info": {"Filters": "mrn='PATIENT-SECRET-1'"}}]}"#,
    )
    .unwrap();
    duck.name = Some("patient_by_mrn".into());
    let mut profile = DbProfile::collect(
        &observer,
        Some(PgProfile::unavailable(
            "pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements",
        )),
    );
    profile.duckdb.push(duck);
    profile.write(run.path()).unwrap();
    run
}

#[test]
fn a_run_with_a_db_profile_shows_it_and_compares_by_fingerprint() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (run(root.path(), 2), run(root.path(), 30));
    let page = std::fs::read_to_string(write_page(b.path()).unwrap()).unwrap();
    for want in [
        "<h2>Database</h2>",
        "select * from patient where mrn = ?",
        "Not available: pg_stat_statements is not installed",
        "TABLE_SCAN",
        "<td>patient_by_mrn</td>",
    ] {
        assert!(page.contains(want), "{want} missing:\n{page}");
    }
    let compare = render_compare(
        &RunView::load(a.path()).unwrap(),
        &RunView::load(b.path()).unwrap(),
    );
    assert!(
        compare.contains("<span class=\"regression\">regressed</span>"),
        "{compare}"
    );
    for text in [&page, &compare] {
        assert!(
            !text.to_lowercase().contains("secret"),
            "a value on a page:\n{text}"
        );
    }
}
