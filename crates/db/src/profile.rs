//! [`DbProfile`]: a run's `db-profile.json` (core's `files::DB_PROFILE`) — the client's
//! statements by fingerprint, PostgreSQL's `pg_stat_statements` delta over the run, and
//! DuckDB's profiled queries — with its writer (atomic) and typed reader. Every text in it
//! went through [`fingerprint`](crate::fingerprint()): no value reaches the file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use steadfast_core::files;
use steadfast_core::{Links, read_regular};

use crate::duckdb::DuckDbQuery;
use crate::error::Error;
use crate::fingerprint::fingerprint;
use crate::observer::{error_class, valid_name};
use crate::stats::StatementStats;

/// The format this crate writes; a reader refuses a newer one.
pub const FORMAT_VERSION: u32 = 1;

/// The largest profile read back (64 MiB).
const READ_LIMIT: u64 = 64 << 20;

/// A run's database profile.
///
/// ```
/// use steadfast_db::DbProfile;
/// let dir = tempfile::tempdir()?;
/// let mut profile = DbProfile::default();
/// profile.postgres = Some(steadfast_db::PgProfile::unavailable("pg_stat_statements is not installed"));
/// profile.write(dir.path())?;
/// let read = DbProfile::read(dir.path())?.expect("written");
/// assert_eq!(read, profile);
/// assert!(DbProfile::read(tempfile::tempdir()?.path())?.is_none()); // "not recorded"
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DbProfile {
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The instrumented clients' statements.
    #[serde(default)]
    pub statements: Vec<StatementStats>,
    /// PostgreSQL's own view of the run, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PgProfile>,
    /// DuckDB's profiled queries.
    #[serde(default)]
    pub duckdb: Vec<DuckDbQuery>,
}

impl Default for DbProfile {
    fn default() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            statements: Vec::new(),
            postgres: None,
            duckdb: Vec::new(),
        }
    }
}

/// PostgreSQL's `pg_stat_statements` over a run: the delta between a snapshot at the start
/// and one at the finish, per query id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PgProfile {
    /// Whether the snapshots could be taken.
    pub available: bool,
    /// Why not, in words an operator can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Statements of other users were hidden (no `pg_read_all_stats`): they are missing.
    #[serde(default)]
    pub hidden_rows: bool,
    /// Statistics were reset or entries evicted during the run: `pg_stat_statements_info`
    /// (PostgreSQL 14 and later) changed between the snapshots (`stats_reset`: a full
    /// `pg_stat_statements_reset()`, every statement shows its values since then; `dealloc`:
    /// entries evicted past `pg_stat_statements.max`, in any database), or a counter went
    /// down (those statements show their finish values).
    #[serde(default)]
    pub reset_during_run: bool,
    /// The statements run during the run, most total time first.
    #[serde(default)]
    pub statements: Vec<PgStatement>,
}

impl PgProfile {
    /// A profile that could not be taken, and why.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            available: false,
            reason: Some(reason.into()),
            ..Self::default()
        }
    }
}

/// One query id's delta over the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PgStatement {
    /// `pg_stat_statements.queryid`.
    pub queryid: i64,
    /// Our fingerprint's id of the server's text (matches the client's statements).
    pub id: String,
    /// The server's text, fingerprinted.
    pub text: String,
    /// Calls during the run.
    pub calls: u64,
    /// Execution time, milliseconds.
    pub total_ms: f64,
    /// `total_ms / calls`.
    pub mean_ms: f64,
    /// Rows retrieved or affected.
    pub rows: u64,
    /// Shared buffer hits.
    pub shared_blks_hit: u64,
    /// Shared blocks read (from the OS or disk).
    pub shared_blks_read: u64,
    /// Temporary blocks read.
    pub temp_blks_read: u64,
    /// Temporary blocks written.
    pub temp_blks_written: u64,
}

impl PgStatement {
    /// Blocks read from outside shared buffers and temporary blocks: the "by I/O" order.
    pub fn io_blocks(&self) -> u64 {
        self.shared_blks_read
            .saturating_add(self.temp_blks_read)
            .saturating_add(self.temp_blks_written)
    }
}

impl DbProfile {
    /// The profile of a run: `observer`'s statements and, when taken, PostgreSQL's delta
    /// ([`PgStatSnapshot::delta`](crate::PgStatSnapshot)); add DuckDB's queries to
    /// [`duckdb`](Self::duckdb).
    ///
    /// ```
    /// let profile = steadfast_db::DbProfile::collect(&steadfast_db::DbObserver::default(), None);
    /// assert!(profile.statements.is_empty() && profile.postgres.is_none());
    /// ```
    pub fn collect(observer: &crate::DbObserver, postgres: Option<PgProfile>) -> Self {
        Self {
            statements: observer.statements(),
            postgres,
            ..Self::default()
        }
    }

    /// Writes `db-profile.json` into `run_dir`, atomically. The fields are public, so what
    /// is written is checked again: every statement text goes through
    /// [`fingerprint`](crate::fingerprint()) (a fingerprint's text comes out unchanged, a
    /// raw statement loses its values), error classes not `[0-9A-Za-z_]{1,16}` are counted
    /// as [`CLASS_OTHER`](crate::CLASS_OTHER), names not `[0-9A-Za-z_.:-]{1,64}` are dropped.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let mut profile = steadfast_db::DbProfile::default();
    /// profile.statements.push(Default::default());
    /// profile.statements[0].text = "select * from t where mrn = 'A-4711'".into();
    /// profile.write(dir.path())?;
    /// let read = steadfast_db::DbProfile::read(dir.path())?.expect("written");
    /// assert_eq!(read.statements[0].text, "select * from t where mrn = ?");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Core`] when the file cannot be written.
    pub fn write(&self, run_dir: &Path) -> Result<(), Error> {
        let checked = self.checked();
        let mut json =
            serde_json::to_vec_pretty(&checked).map_err(|e| Error::parse(run_dir, &e))?;
        json.push(b'\n');
        steadfast_core::atomic_write(run_dir.join(files::DB_PROFILE), json)?;
        Ok(())
    }

    /// The profile with every text fingerprinted, classes and names checked (see
    /// [`write`](Self::write)).
    fn checked(&self) -> Self {
        let text = |t: &mut String| {
            let fp = fingerprint(t);
            if fp.text() != t {
                *t = fp.text().to_owned();
            }
        };
        let name = |n: &mut Option<String>| {
            if n.as_deref().is_some_and(|n| !valid_name(n)) {
                *n = None;
            }
        };
        let mut p = self.clone();
        for s in &mut p.statements {
            text(&mut s.text);
            name(&mut s.name);
            let mut errors = BTreeMap::new();
            for (class, n) in std::mem::take(&mut s.errors) {
                *errors.entry(error_class(&class).to_owned()).or_insert(0) += n;
            }
            s.errors = errors;
        }
        for s in p.postgres.iter_mut().flat_map(|p| &mut p.statements) {
            text(&mut s.text);
        }
        for q in &mut p.duckdb {
            text(&mut q.text);
            name(&mut q.name);
        }
        p
    }

    /// Reads `db-profile.json` from `run_dir`; `None` when the run has none.
    ///
    /// # Errors
    /// [`Error::Parse`] at line and column for a damaged file, [`Error::Version`] for a
    /// newer format, [`Error::Core`] when it cannot be read (a link, a FIFO, too large).
    pub fn read(run_dir: &Path) -> Result<Option<Self>, Error> {
        let path = run_dir.join(files::DB_PROFILE);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let bytes = read_regular(&path, Links::Refuse, READ_LIMIT)?;
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let v: Version = serde_json::from_slice(&bytes).map_err(|e| Error::parse(&path, &e))?;
        if v.format_version > FORMAT_VERSION {
            return Err(Error::Version {
                path,
                found: v.format_version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::parse(&path, &e))
    }

    /// The PostgreSQL statements, most total time first (at most `n`).
    pub fn top_by_time(&self, n: usize) -> Vec<&PgStatement> {
        let mut v: Vec<&PgStatement> = self.postgres.iter().flat_map(|p| &p.statements).collect();
        v.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms).then(a.id.cmp(&b.id)));
        v.truncate(n);
        v
    }

    /// The PostgreSQL statements with I/O, most blocks read first (at most `n`).
    pub fn top_by_io(&self, n: usize) -> Vec<&PgStatement> {
        let mut v: Vec<&PgStatement> = self
            .postgres
            .iter()
            .flat_map(|p| &p.statements)
            .filter(|s| s.io_blocks() > 0 || s.shared_blks_hit > 0)
            .collect();
        v.sort_by(|a, b| {
            (b.io_blocks(), b.shared_blks_hit)
                .cmp(&(a.io_blocks(), a.shared_blks_hit))
                .then(a.id.cmp(&b.id))
        });
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_format_and_a_damaged_file_are_refused_with_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(files::DB_PROFILE);
        steadfast_core::atomic_write(&path, "{\"format_version\": 99}").unwrap();
        let e = DbProfile::read(dir.path()).unwrap_err();
        assert!(e.to_string().contains("newer"), "{e}");
        steadfast_core::atomic_write(&path, "{\n  \"format_version\": 1,\n  \"statements\": 3\n}")
            .unwrap();
        let e = DbProfile::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains(":3:"), "{e}");
    }

    #[test]
    fn what_is_written_is_fingerprinted_and_checked_again() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "PATIENT-SECRET-4711";
        let mut profile = DbProfile::default();
        let mut s = StatementStats {
            text: format!("select * from t where mrn = '{secret}'"),
            name: Some(format!("{secret} smith")),
            ..StatementStats::default()
        };
        s.errors.insert(format!("mrn {secret}"), 2);
        s.errors.insert("23".into(), 1);
        profile.statements.push(s);
        // A fingerprint's own text, the "other" entry's, comes out unchanged.
        let kept = crate::fingerprint::fingerprint("select a, b from t where c in (1, 2)");
        for t in [kept.text(), crate::OTHER_STATEMENTS] {
            profile.statements.push(StatementStats {
                text: t.to_owned(),
                name: Some("by_c".into()),
                ..StatementStats::default()
            });
        }
        profile.postgres = Some(PgProfile {
            available: true,
            statements: vec![PgStatement {
                text: format!("select '{secret}'"),
                ..PgStatement::default()
            }],
            ..PgProfile::default()
        });
        profile.write(dir.path()).unwrap();
        let written = std::fs::read_to_string(dir.path().join(files::DB_PROFILE)).unwrap();
        assert!(!written.contains("SECRET"), "{written}");
        let read = DbProfile::read(dir.path()).unwrap().unwrap();
        assert_eq!(read.statements[0].text, "select * from t where mrn = ?");
        assert_eq!(read.statements[0].name, None);
        let classes: Vec<_> = read.statements[0].errors.iter().collect();
        assert_eq!(classes, [(&"23".to_owned(), &1), (&"other".to_owned(), &2)]);
        assert_eq!(read.statements[1..], profile.statements[1..]);
        assert_eq!(read.postgres.unwrap().statements[0].text, "select ?");
    }

    #[test]
    fn tops_order_by_time_and_by_io() {
        let s = |id: &str, ms: f64, read: u64| PgStatement {
            id: id.into(),
            total_ms: ms,
            shared_blks_read: read,
            ..PgStatement::default()
        };
        let profile = DbProfile {
            postgres: Some(PgProfile {
                available: true,
                statements: vec![s("a", 1.0, 50), s("b", 9.0, 0), s("c", 5.0, 7)],
                ..PgProfile::default()
            }),
            ..DbProfile::default()
        };
        let ids = |v: Vec<&PgStatement>| v.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(profile.top_by_time(2)), ["b", "c"]);
        assert_eq!(ids(profile.top_by_io(5)), ["a", "c"]);
    }
}
