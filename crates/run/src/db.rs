//! Feature `db`: the run's database statements — a [`DbObserver`] made at start (its series
//! in the run's registry with feature `prometheus`), the PostgreSQL server's own delta when
//! the pipeline hands it over, and at [`Run::finish`] both into the run: the statements into
//! `metrics.ndjson`, `db-profile.json` for the page and `profile compare`.

use std::sync::{Mutex, PoisonError};

use steadfast_db::{DbObserver, DbProfile, PgProfile};

use crate::Run;

/// What a run keeps of its database work until it finishes.
#[derive(Debug, Default)]
pub(crate) struct RunDb {
    pub(crate) observer: DbObserver,
    postgres: Mutex<Option<PgProfile>>,
}

impl Run {
    /// The run's statement observer: wrap each database client with it
    /// (`run.db().wrap(client)`, feature `postgres` of steadfast-db) or report calls made
    /// through another driver (`observe`). What it saw is in `db-profile.json`, the run's
    /// metrics and page when the run finishes; with feature `prometheus` its series are in
    /// the run's registry. Cheap to clone.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = steadfast_run::Run::builder("nightly").runs_root(root.path()).start()?;
    /// run.db().observe("SELECT * FROM patient WHERE mrn = 'X1'", std::time::Duration::from_millis(2), 1, None);
    /// let report = run.finish()?;
    /// let profile = steadfast_db::DbProfile::read(&report.run_dir)?.expect("written");
    /// assert_eq!(profile.statements[0].calls, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn db(&self) -> &DbObserver {
        &self.db.observer
    }

    /// The PostgreSQL server's own statistics for this run — `start.delta(&finish)` of two
    /// `steadfast_db::PgStatSnapshot`s taken around the run's database work — written with
    /// the client's statements into `db-profile.json`. A later call replaces an earlier one.
    pub fn db_server_profile(&self, profile: PgProfile) {
        *self
            .db
            .postgres
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(profile);
    }

    /// At finish, before the metrics close: the statements into `metrics.ndjson` and the
    /// profile into `db-profile.json` — only when the run saw a statement or was given a
    /// server profile (a run without a database writes nothing).
    pub(crate) fn finish_db(&self) -> Result<(), steadfast_db::Error> {
        let postgres = self
            .db
            .postgres
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let statements = self.db.observer.record(&self.recorder);
        if statements.is_empty() && postgres.is_none() {
            return Ok(());
        }
        DbProfile::collect(&self.db.observer, postgres).write(self.dir.path())
    }
}
