//! A run's database statements: what `Run::db()` saw lands in `db-profile.json`, the run's
//! metrics and its page at finish, in its Prometheus registry while it runs — and never a
//! value from the statements anywhere in the run directory. A run without a database writes
//! no profile.

use std::time::Duration;

const SECRET: &str = "PATIENT-SECRET-4711";

#[test]
fn a_runs_statements_reach_its_profile_metrics_and_page_without_values() {
    let root = tempfile::tempdir().unwrap();
    let run = steadfast::Run::builder("loader")
        .runs_root(root.path())
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let sql = format!("INSERT INTO patient (mrn, age) VALUES ('{SECRET}', 987654321)");
    for _ in 0..3 {
        run.db().observe(&sql, Duration::from_millis(2), 1, None);
    }
    run.db()
        .observe(&sql, Duration::from_millis(2), 0, Some("23"));
    let families: Vec<String> = run
        .prometheus_registry()
        .gather()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    assert!(
        families.iter().any(|f| f.contains("db_statements_total")),
        "{families:?}"
    );
    let report = run.finish().unwrap();

    let profile = steadfast::db::DbProfile::read(&report.run_dir)
        .unwrap()
        .expect("db-profile.json written");
    assert_eq!(profile.statements.len(), 1);
    assert_eq!(profile.statements[0].calls, 4);
    let totals =
        steadfast::metrics::read_run(&steadfast::run::RunDir::open(&report.run_dir).unwrap())
            .unwrap()
            .totals;
    let recorded = steadfast::db::RecordedStatements::read(&totals).expect("recorded");
    assert_eq!(recorded.statements.len(), 1);

    let page = std::fs::read_to_string(report.run_dir.join("report.html")).unwrap();
    assert!(
        page.contains(profile.statements[0].text.as_str()),
        "the page's Database section lists the statement"
    );
    for entry in walk(&report.run_dir) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(SECRET) && !text.contains("987654321"),
            "{} carries a value from the statements",
            entry.display()
        );
    }
}

#[test]
fn a_run_without_a_database_writes_no_profile() {
    let root = tempfile::tempdir().unwrap();
    let run = steadfast::Run::builder("plain")
        .runs_root(root.path())
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let report = run.finish().unwrap();
    assert!(
        steadfast::db::DbProfile::read(&report.run_dir)
            .unwrap()
            .is_none()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
