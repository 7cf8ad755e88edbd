//! A run against a PostgreSQL started for the test with `pg_stat_statements` preloaded: the
//! client's exact call counts per fingerprint, the server's delta matching them, and no
//! literal anywhere in the run directory.

use std::collections::BTreeMap;
use std::path::Path;

use steadfast_db::{DbObserver, DbProfile, PgStatSnapshot, RecordedStatements, fingerprint};
use tokio_postgres::{Client, NoTls};

const SECRET: &str = "PATIENT-SECRET-4711";
const NUMBER: &str = "987654321";

async fn connect(port: u16, user: &str) -> Client {
    let url = format!("host=127.0.0.1 port={port} user={user} dbname=postgres");
    let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn a_run_records_exact_calls_the_server_agrees_and_no_value_is_written() {
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres_with(
        &ca,
        &[("shared_preload_libraries", "pg_stat_statements")],
    ) else {
        return;
    };
    let admin = connect(server.port, "postgres").await;

    // Before the extension exists: a clear note, not a failure.
    let missing = PgStatSnapshot::take(&admin).await;
    let note = missing.delta(&missing);
    assert!(!note.available);
    assert!(
        note.reason.as_deref().unwrap().contains("CREATE EXTENSION"),
        "{note:?}"
    );

    admin
        .batch_execute(
            "CREATE EXTENSION pg_stat_statements;
             CREATE TABLE patient (mrn text UNIQUE, age bigint);",
        )
        .await
        .unwrap();

    let run = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(run.path().join("slow.log")).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(log))
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let observer = DbObserver::builder()
        .slow_threshold(std::time::Duration::ZERO) // every call logged: the log is checked too
        .build();
    let db = observer.wrap(connect(server.port, "postgres").await);
    let start = PgStatSnapshot::take(&admin).await;

    // Values inline (the server folds them to $n) and as parameters (one fingerprint).
    for (i, mrn) in [SECRET, "PATIENT-SECRET-4712", "PATIENT-SECRET-4713"]
        .iter()
        .enumerate()
    {
        let sql = format!(
            "INSERT INTO patient (mrn, age) VALUES ('{mrn}', {})",
            987_654_321 + i
        );
        assert_eq!(db.execute(&sql, &[]).await.unwrap(), 1);
    }
    for (mrn, age) in [
        ("PATIENT-SECRET-4714", 987_654_324_i64),
        ("PATIENT-SECRET-4715", 5),
    ] {
        db.execute(
            "INSERT INTO patient (mrn, age) VALUES ($1, $2)",
            &[&mrn, &age],
        )
        .await
        .unwrap();
    }
    for _ in 0..3 {
        let sql =
            format!("SELECT count(*) FROM patient WHERE mrn = '{SECRET}' AND age > {NUMBER} - 1");
        db.query_one(&sql, &[]).await.unwrap();
    }
    db.query(
        "SELECT mrn FROM patient WHERE age IN (1, 2, 987654321)",
        &[],
    )
    .await
    .unwrap();
    db.query(
        "select mrn from patient where age in ($1, $2)",
        &[&1_i64, &987_654_322_i64],
    )
    .await
    .unwrap();
    let prepared = db
        .prepare("SELECT age FROM patient WHERE mrn = $1")
        .await
        .unwrap();
    for _ in 0..4 {
        db.query_prepared(&prepared, &[&SECRET]).await.unwrap();
    }
    // Failures, by SQLSTATE class: a unique violation (23), an unknown table (42).
    let dup = format!("INSERT INTO patient (mrn, age) VALUES ('{SECRET}', 1)");
    assert!(db.execute(&dup, &[]).await.is_err());
    assert!(
        db.execute("SELECT * FROM no_such_table WHERE x = 987654321", &[])
            .await
            .is_err()
    );

    // `{:?}` of the client (a `tracing::debug!(?db)`) shows counts, never a raw text.
    let shown = format!("{db:?}");
    assert!(
        !shown.contains("SECRET") && !shown.contains(NUMBER),
        "{shown}"
    );

    let finish = PgStatSnapshot::take(&admin).await;
    let statements = observer.statements();
    let calls: BTreeMap<&str, (u64, u64)> = statements
        .iter()
        .map(|s| (s.text.as_str(), (s.calls, s.error_count())))
        .collect();
    let insert = "insert into patient(mrn, age) values (?, ?)";
    let expected = BTreeMap::from([
        (insert, (6, 1)),
        (
            "select count(*) from patient where mrn = ? and age > ? - ?",
            (3, 0),
        ),
        ("select mrn from patient where age in (...)", (2, 0)),
        ("select age from patient where mrn = ?", (4, 0)),
        ("select * from no_such_table where x = ?", (1, 1)),
    ]);
    assert_eq!(calls, expected);
    let by_text = |t: &str| statements.iter().find(|s| s.text == t).unwrap();
    assert_eq!(by_text(insert).errors.get("23"), Some(&1));
    assert_eq!(
        by_text("select * from no_such_table where x = ?")
            .errors
            .get("42"),
        Some(&1)
    );
    assert_eq!(observer.slow_calls(), 16);

    // The server's delta, matched by fingerprint: the same successful calls and rows.
    let pg = start.delta(&finish);
    assert!(pg.available, "{pg:?}");
    let mut server: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in &pg.statements {
        let e = server.entry(s.id.clone()).or_default();
        e.0 += s.calls;
        e.1 += s.rows;
    }
    for s in &statements {
        let ok_calls = s.calls - s.error_count();
        let got = server.get(&s.id).copied().unwrap_or_default();
        if ok_calls > 0 {
            assert_eq!(got, (ok_calls, s.rows), "{}: server {got:?}", s.text);
        } else {
            assert_eq!(got.0, 0, "{}", s.text);
        }
    }
    let insert_id = fingerprint(insert).id_hex();
    let insert_ids = pg.statements.iter().filter(|s| s.id == insert_id).count();
    assert_eq!(
        insert_ids, 2,
        "constants and parameters are two query ids, one fingerprint"
    );
    assert!(
        pg.statements
            .iter()
            .all(|s| s.text != fingerprint("select 1").text())
    );
    assert!(
        pg.statements
            .iter()
            .all(|s| s.calls > 0 && s.mean_ms >= 0.0)
    );

    // The run directory: the profile, the metrics and the log.
    let profile = DbProfile::collect(&observer, Some(pg));
    profile.write(run.path()).unwrap();
    let recorder =
        steadfast_metrics::Recorder::to_file(run.path().join(steadfast_core::files::METRICS))
            .unwrap();
    observer.record(&recorder);
    recorder.close().unwrap();
    drop(_guard);

    let read = DbProfile::read(run.path()).unwrap().unwrap();
    assert_eq!(read, profile);
    assert!(!read.top_by_time(3).is_empty() && !read.top_by_io(3).is_empty());
    let totals = steadfast_metrics::read_file(run.path().join(steadfast_core::files::METRICS))
        .unwrap()
        .totals;
    let recorded = RecordedStatements::read(&totals).unwrap();
    assert_eq!(recorded.statements[&insert_id].calls, 6);
    assert_eq!(recorded.statements[&insert_id].errors.get("23"), Some(&1));

    let log = std::fs::read_to_string(run.path().join("slow.log")).unwrap();
    assert_eq!(log.matches("slow statement").count(), 16, "{log}");
    let all = files(run.path());
    assert_eq!(all.len(), 3, "{all:?}");
    for path in all {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        // In any case: the fingerprint lowercases what it keeps.
        let text = text.to_lowercase();
        for secret in [
            "patient-secret",
            "secret-47",
            NUMBER,
            "987654322",
            "987654324",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} in {}:\n{text}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn a_role_without_pg_read_all_stats_sees_a_note_not_a_failure() {
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres_with(
        &ca,
        &[("shared_preload_libraries", "pg_stat_statements")],
    ) else {
        return;
    };
    let admin = connect(server.port, "postgres").await;
    admin
        .batch_execute("CREATE EXTENSION pg_stat_statements; CREATE ROLE etl LOGIN; SELECT 1;")
        .await
        .unwrap();
    let etl = connect(server.port, "etl").await;
    let start = PgStatSnapshot::take(&etl).await;
    etl.query("SELECT 2", &[]).await.unwrap();
    admin.query("SELECT 3", &[]).await.unwrap();
    let profile = start.delta(&PgStatSnapshot::take(&etl).await);
    assert!(profile.available && profile.hidden_rows, "{profile:?}");
    assert_eq!(
        profile.statements.len(),
        1,
        "only the role's own: {profile:?}"
    );
}
