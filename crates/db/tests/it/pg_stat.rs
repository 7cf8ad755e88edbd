//! `pg_stat_statements` with `track = all` (PostgreSQL 14+ keeps a row per `toplevel`), a
//! reset during the run, and the error classes of failures without a SQLSTATE — against a
//! PostgreSQL started for the test.

use steadfast_db::{CLASS_CLIENT, CLASS_CONNECTION, DbObserver, PgStatSnapshot, fingerprint};
use tokio_postgres::{Client, NoTls};

async fn connect(port: u16, app: &str) -> Client {
    let url =
        format!("host=127.0.0.1 port={port} user=postgres dbname=postgres application_name={app}");
    let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// Calls of the statement whose fingerprint is `sql`'s, over all its query ids.
fn calls(profile: &steadfast_db::PgProfile, sql: &str) -> u64 {
    let id = fingerprint(sql).id_hex();
    profile
        .statements
        .iter()
        .filter(|s| s.id == id)
        .map(|s| s.calls)
        .sum()
}

#[tokio::test]
async fn toplevel_rows_are_summed_and_a_reset_is_seen() {
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres_with(
        &ca,
        &[
            ("shared_preload_libraries", "pg_stat_statements"),
            ("pg_stat_statements.track", "all"),
        ],
    ) else {
        return;
    };
    let admin = connect(server.port, "admin").await;
    admin
        .batch_execute(
            "CREATE EXTENSION pg_stat_statements;
             CREATE TABLE patient (age bigint);
             CREATE FUNCTION adults() RETURNS bigint LANGUAGE plpgsql AS $$
               DECLARE n bigint;
               BEGIN SELECT count(*) INTO n FROM patient; RETURN n; END $$;",
        )
        .await
        .unwrap();
    let count = "SELECT count(*) FROM patient";

    // One query id run at top level and inside a function: two rows of the view.
    let start = PgStatSnapshot::take(&admin).await;
    for _ in 0..3 {
        admin.query(count, &[]).await.unwrap();
    }
    for _ in 0..2 {
        admin.query("SELECT adults()", &[]).await.unwrap();
    }
    let finish = PgStatSnapshot::take(&admin).await;
    let twice: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT queryid FROM pg_stat_statements \
             GROUP BY queryid, userid HAVING count(*) > 1) d",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(twice > 0, "track = all gave no query id two rows");
    let pg = start.delta(&finish);
    assert!(!pg.reset_during_run, "{pg:?}");
    assert_eq!(calls(&pg, count), 5, "{pg:?}");

    // Reset during the run, then more calls than before it: seen, and counted since then.
    let aged = "SELECT count(*) FROM patient WHERE age > 5";
    admin.query(aged, &[]).await.unwrap();
    let start = PgStatSnapshot::take(&admin).await;
    admin
        .query("SELECT pg_stat_statements_reset()", &[])
        .await
        .unwrap();
    for _ in 0..3 {
        admin.query(aged, &[]).await.unwrap();
    }
    let pg = start.delta(&PgStatSnapshot::take(&admin).await);
    assert!(pg.reset_during_run, "{pg:?}");
    assert_eq!(calls(&pg, aged), 3, "{pg:?}");
}

#[tokio::test]
async fn failures_without_a_sqlstate_are_client_or_connection() {
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres(&ca) else {
        return;
    };
    let admin = connect(server.port, "admin").await;
    let observer = DbObserver::default();
    let db = observer.wrap(connect(server.port, "victim").await);
    // Not exactly one row: the client's error, not the connection's.
    assert!(db.query_one("SELECT 1 WHERE false", &[]).await.is_err());
    admin
        .query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
             WHERE application_name = 'victim'",
            &[],
        )
        .await
        .unwrap();
    // The first call may still read the server's FATAL (57P01); the next finds it closed.
    for _ in 0..2 {
        assert!(db.query("SELECT 2", &[]).await.is_err());
    }
    let errors = |sql: &str| {
        let id = fingerprint(sql).id_hex();
        let s = observer.statements().into_iter().find(|s| s.id == id);
        s.unwrap().errors
    };
    assert_eq!(errors("SELECT 1 WHERE false").get(CLASS_CLIENT), Some(&1));
    let closed = errors("SELECT 2");
    assert!(closed.contains_key(CLASS_CONNECTION), "{closed:?}");
    assert!(
        closed.keys().all(|c| c == CLASS_CONNECTION || c == "57"),
        "{closed:?}"
    );
}
