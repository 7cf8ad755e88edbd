//! Feature `postgres`: [`PgStatSnapshot`], `pg_stat_statements` read at a run's start and
//! finish, and [`PgStatSnapshot::delta`], what the run did in between — a [`PgProfile`].
//! Missing extension, library not preloaded, no privilege: the profile says so
//! (`available: false` and the reason), the run goes on.

use std::collections::HashMap;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::fingerprint::fingerprint;
use crate::profile::{PgProfile, PgStatement};

/// The snapshot's own query (PostgreSQL 13 and later); its fingerprint is left out of deltas.
/// PostgreSQL 14 keys the view by `toplevel` too (two rows of one query id and user with
/// `pg_stat_statements.track = all`): the rows are summed per `(queryid, userid)`, which
/// works the same on 13, where there is one.
const SNAPSHOT_SQL: &str = "SELECT queryid, userid::bigint, min(query), sum(calls)::bigint, \
     sum(total_exec_time)::float8, sum(rows)::bigint, sum(shared_blks_hit)::bigint, \
     sum(shared_blks_read)::bigint, sum(temp_blks_read)::bigint, sum(temp_blks_written)::bigint \
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
     GROUP BY queryid, userid";

/// Resets and evictions (PostgreSQL 14 and later; without the view, none are seen but the
/// counters that went down). Left out of deltas too.
const INFO_SQL: &str = "SELECT dealloc, stats_reset::text FROM pg_stat_statements_info";

/// One `(queryid, userid)` row's counters.
#[derive(Debug, Clone, Default)]
struct Counters {
    text: String,
    calls: i64,
    total_ms: f64,
    rows: i64,
    hit: i64,
    read: i64,
    temp_read: i64,
    temp_written: i64,
}

/// `pg_stat_statements` of the current database at one moment, or why it could not be read.
///
/// ```no_run
/// # async fn f(client: &tokio_postgres::Client, run_dir: &std::path::Path) -> Result<(), steadfast_db::Error> {
/// use steadfast_db::{DbProfile, PgStatSnapshot};
/// let start = PgStatSnapshot::take(client).await;
/// // … the run's statements …
/// let finish = PgStatSnapshot::take(client).await;
/// let mut profile = DbProfile::default();
/// profile.postgres = Some(start.delta(&finish));
/// profile.write(run_dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PgStatSnapshot {
    rows: Result<HashMap<(i64, i64), Counters>, String>,
    hidden: bool,
    /// `pg_stat_statements_info`: entries evicted so far, and when all were last reset.
    info: Option<(i64, String)>,
}

/// The words for a failed snapshot: what is missing and how to set it up.
fn reason(e: &tokio_postgres::Error) -> String {
    match e.code() {
        Some(c) if *c == SqlState::UNDEFINED_TABLE => {
            "pg_stat_statements is not installed in this database: CREATE EXTENSION pg_stat_statements".into()
        }
        Some(c) if *c == SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE => {
            "pg_stat_statements is not loaded: add it to shared_preload_libraries and restart PostgreSQL".into()
        }
        Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
            "no privilege to read pg_stat_statements: GRANT pg_read_all_stats to the run's role".into()
        }
        Some(c) if *c == SqlState::UNDEFINED_COLUMN => {
            "pg_stat_statements is older than PostgreSQL 13's (no total_exec_time): upgrade the extension".into()
        }
        Some(c) => format!("pg_stat_statements could not be read (SQLSTATE {})", c.code()),
        None => "pg_stat_statements could not be read: the connection failed".into(),
    }
}

impl PgStatSnapshot {
    /// Reads `pg_stat_statements` through `client`; never fails — a snapshot that could not
    /// be taken carries the reason into the profile.
    pub async fn take(client: &Client) -> Self {
        let rows = match client.query(SNAPSHOT_SQL, &[]).await {
            Ok(rows) => rows,
            Err(e) => {
                return Self {
                    rows: Err(reason(&e)),
                    hidden: false,
                    info: None,
                };
            }
        };
        let mut map = HashMap::new();
        let mut hidden = false;
        for row in rows {
            let queryid: Option<i64> = row.try_get(0).ok().flatten();
            let Some(queryid) = queryid else {
                // NULL queryid: a statement of another role, hidden from us.
                hidden = true;
                continue;
            };
            let get = |i: usize| row.try_get::<_, Option<i64>>(i).ok().flatten().unwrap_or(0);
            let c = Counters {
                text: row
                    .try_get::<_, Option<String>>(2)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                calls: get(3),
                total_ms: row
                    .try_get::<_, Option<f64>>(4)
                    .ok()
                    .flatten()
                    .unwrap_or(0.0),
                rows: get(5),
                hit: get(6),
                read: get(7),
                temp_read: get(8),
                temp_written: get(9),
            };
            map.insert((queryid, get(1)), c);
        }
        let info = match client.query_opt(INFO_SQL, &[]).await {
            Ok(Some(row)) => row.try_get::<_, i64>(0).ok().map(|dealloc| {
                let reset = row.try_get::<_, Option<String>>(1).ok().flatten();
                (dealloc, reset.unwrap_or_default())
            }),
            _ => None,
        };
        Self {
            rows: Ok(map),
            hidden,
            info,
        }
    }

    /// Whether the snapshot was taken.
    pub fn is_available(&self) -> bool {
        self.rows.is_ok()
    }

    /// What happened between `self` (the start) and `finish`, per query id, most time
    /// first; texts fingerprinted, the snapshot's own query left out.
    pub fn delta(&self, finish: &Self) -> PgProfile {
        let (start, end) = match (&self.rows, &finish.rows) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(r), _) | (_, Err(r)) => return PgProfile::unavailable(r.clone()),
        };
        let own = [fingerprint(SNAPSHOT_SQL).id(), fingerprint(INFO_SQL).id()];
        // All statistics reset during the run: every finish value counts from then.
        let (all_reset, evicted) = match (&self.info, &finish.info) {
            (Some((d0, r0)), Some((d1, r1))) => (r0 != r1, d1 > d0),
            _ => (false, false),
        };
        let mut reset = all_reset || evicted;
        let mut by_query: HashMap<i64, PgStatement> = HashMap::new();
        for (key, e) in end {
            let s = if all_reset {
                Counters::default()
            } else {
                start.get(key).cloned().unwrap_or_default()
            };
            let (calls, base) = if e.calls < s.calls {
                reset = true;
                (e.calls, Counters::default())
            } else {
                (e.calls - s.calls, s)
            };
            if calls == 0 {
                continue;
            }
            let fp = fingerprint(&e.text);
            if own.contains(&fp.id()) {
                continue;
            }
            let d = |a: i64, b: i64| u64::try_from(a - b).unwrap_or(0);
            let st = by_query.entry(key.0).or_insert_with(|| PgStatement {
                queryid: key.0,
                id: fp.id_hex(),
                text: fp.text().to_owned(),
                ..PgStatement::default()
            });
            st.calls += d(calls, 0);
            st.total_ms += (e.total_ms - base.total_ms).max(0.0);
            st.rows += d(e.rows, base.rows);
            st.shared_blks_hit += d(e.hit, base.hit);
            st.shared_blks_read += d(e.read, base.read);
            st.temp_blks_read += d(e.temp_read, base.temp_read);
            st.temp_blks_written += d(e.temp_written, base.temp_written);
        }
        let mut statements: Vec<PgStatement> = by_query
            .into_values()
            .map(|mut s| {
                #[allow(clippy::cast_precision_loss, reason = "a mean shown")]
                let mean = s.total_ms / s.calls.max(1) as f64;
                s.mean_ms = mean;
                s
            })
            .collect();
        statements.sort_by(|a, b| {
            b.total_ms
                .total_cmp(&a.total_ms)
                .then(a.queryid.cmp(&b.queryid))
        });
        PgProfile {
            available: true,
            reason: None,
            hidden_rows: self.hidden || finish.hidden,
            reset_during_run: reset,
            statements,
        }
    }
}
