//! The database section, snapshotted: not recorded, unavailable, and a full profile.

use steadfast_core::{RunManifest, Timestamp};
use steadfast_db::{DbObserver, DbProfile, DuckDbQuery, PgProfile};

use super::db;
use crate::view::RunView;

fn section(profile: Option<DbProfile>) -> String {
    let mut view = RunView::new(RunManifest::new(
        "demo-20260101T000000Z-abc123",
        "demo",
        Timestamp::now(),
    ));
    view.db = profile;
    let mut out = String::new();
    db(&mut out, &view);
    out
}

#[test]
fn a_run_without_a_profile_says_not_recorded() {
    insta::assert_snapshot!(section(None));
}

#[test]
fn an_unavailable_pg_stat_statements_is_a_note() {
    let mut p = DbProfile::default();
    p.postgres = Some(PgProfile::unavailable(
        "pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements",
    ));
    insta::assert_snapshot!(section(Some(p)));
}

#[test]
fn a_full_profile_shows_statements_server_tops_and_operators() {
    use std::time::Duration;
    let observer = DbObserver::default();
    observer.name_statement("SELECT count(*) FROM patient WHERE age > $1", "adults");
    for _ in 0..3 {
        observer.observe(
            "SELECT count(*) FROM patient WHERE age > 17",
            Duration::from_millis(4),
            1,
            None,
        );
    }
    observer.observe(
        "INSERT INTO patient VALUES ('x', 1)",
        Duration::from_micros(800),
        0,
        Some("23"),
    );
    let pg: PgProfile = serde_json::from_str(
        r#"{"available": true, "hidden_rows": true, "statements": [
          {"queryid": 1, "id": "00000000000000aa", "text": "select count(*) from patient where age > ?", "calls": 3,
           "total_ms": 11.5, "mean_ms": 3.83, "rows": 3, "shared_blks_hit": 40, "shared_blks_read": 12,
           "temp_blks_read": 0, "temp_blks_written": 0},
          {"queryid": 2, "id": "00000000000000bb", "text": "insert into patient values (?, ?)", "calls": 1,
           "total_ms": 0.4, "mean_ms": 0.4, "rows": 1, "shared_blks_hit": 5, "shared_blks_read": 0,
           "temp_blks_read": 0, "temp_blks_written": 0}]}"#,
    )
    .unwrap();
    let mut duck = DuckDbQuery::parse(
        r#"{"query": {"sql": "SELECT count(*) FROM patient WHERE age > 17", "total_time": 0.0021},
            "operator": [{"name": "UNGROUPED_AGGREGATE", "timing": 0.0004, "intermediate_rows": 1,
              "children": [{"name": "SEQ_SCAN <script>", "timing": 0.0012, "intermediate_rows": 9000}]}]}"#,
    )
    .unwrap();
    duck.name = Some("adults".into());
    let mut p = DbProfile::collect(&observer, Some(pg));
    p.duckdb.push(duck);
    let s = section(Some(p));
    assert!(!s.contains("<script"), "{s}");
    insta::assert_snapshot!(s);
}
