//! [`DbObserver`]: the shared recording every instrumented client of a process (or a run)
//! writes into — statements by fingerprint, connections in use, the slow-statement
//! threshold. Cheap to clone; a statement's text is fingerprinted once, then found by a
//! hash lookup under a read lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::fingerprint::fingerprint;
use crate::stats::{Entry, StatementStats};

/// Raw statement texts remembered for the fast path; texts past this (statements with
/// values written inline, each one new) are fingerprinted at each call.
const MAX_TEXTS: usize = 4096;

/// The longest raw text remembered (bytes): longer ones are fingerprinted at each call, so
/// the cache holds at most `MAX_TEXTS * MAX_CACHED_TEXT` bytes (16 MiB).
const MAX_CACHED_TEXT: usize = 4096;

/// The error class a call is recorded under when the caller's is not `[0-9A-Za-z_]{1,16}`.
pub const CLASS_OTHER: &str = "other";

/// `class` if it is short and value-free (`[0-9A-Za-z_]{1,16}`), else [`CLASS_OTHER`]: what
/// reaches a label or a file is never the caller's free text.
pub(crate) fn error_class(class: &str) -> &str {
    let ok = (1..=16).contains(&class.len())
        && class
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok { class } else { CLASS_OTHER }
}

/// Whether `name` may be a statement's name: `[0-9A-Za-z_.:-]{1,64}`.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

struct Shared {
    /// Raw text → entry: the per-call lookup.
    by_text: RwLock<HashMap<Box<str>, Arc<Entry>>>,
    /// Fingerprint id → entry: one entry per fingerprint.
    by_id: RwLock<HashMap<u64, Arc<Entry>>>,
    other: Arc<Entry>,
    slow: Duration,
    max_statements: usize,
    in_use: AtomicI64,
    slow_count: AtomicU64,
}

/// Counts only: the raw texts it caches hold values, and `{:?}` of an observer (a
/// `tracing::debug!(?db)`, an `#[instrument]`) must not log them.
impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbObserver")
            .field("statements", &self.by_id.read().map_or(0, |m| m.len()))
            .field("cached_texts", &self.by_text.read().map_or(0, |m| m.len()))
            .field("max_statements", &self.max_statements)
            .field("slow_threshold", &self.slow)
            .field("connections_in_use", &self.in_use.load(Relaxed))
            .field("slow_calls", &self.slow_count.load(Relaxed))
            .finish_non_exhaustive()
    }
}

/// Where instrumented clients record: build one per process or run, wrap every client (or
/// pooled connection) with it, read it with [`statements`](Self::statements).
///
/// ```
/// let observer = steadfast_db::DbObserver::builder()
///     .slow_threshold(std::time::Duration::from_millis(250))
///     .build();
/// observer.name_statement("SELECT * FROM patient WHERE id = $1", "patient_by_id");
/// assert_eq!(observer.statements()[0].name.as_deref(), Some("patient_by_id"));
/// ```
#[derive(Debug, Clone)]
pub struct DbObserver {
    shared: Arc<Shared>,
}

/// [`DbObserver`]'s knobs.
#[derive(Debug, Clone)]
pub struct DbObserverBuilder {
    slow: Duration,
    max_statements: usize,
}

impl Default for DbObserverBuilder {
    fn default() -> Self {
        Self {
            slow: Duration::from_secs(1),
            max_statements: 1000,
        }
    }
}

impl DbObserverBuilder {
    /// Calls at least this long are logged (fingerprint and duration, at `warn`). Default 1 s.
    #[must_use]
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow = threshold;
        self
    }

    /// Distinct fingerprints kept (default 1000); later ones are counted together under
    /// [`OTHER_STATEMENTS`](crate::OTHER_STATEMENTS), so series and files stay bounded.
    #[must_use]
    pub fn max_statements(mut self, n: usize) -> Self {
        self.max_statements = n;
        self
    }

    /// The observer.
    pub fn build(self) -> DbObserver {
        let other = Arc::new(Entry::new(crate::fingerprint::Fingerprint::other()));
        DbObserver {
            shared: Arc::new(Shared {
                by_text: RwLock::new(HashMap::new()),
                by_id: RwLock::new(HashMap::new()),
                other,
                slow: self.slow,
                max_statements: self.max_statements,
                in_use: AtomicI64::new(0),
                slow_count: AtomicU64::new(0),
            }),
        }
    }
}

impl Default for DbObserver {
    fn default() -> Self {
        DbObserverBuilder::default().build()
    }
}

impl DbObserver {
    /// A builder with the defaults.
    pub fn builder() -> DbObserverBuilder {
        DbObserverBuilder::default()
    }

    /// The entry of `sql`: found by its text, else fingerprinted and found or added.
    pub(crate) fn entry(&self, sql: &str) -> Arc<Entry> {
        let s = &self.shared;
        if let Some(e) = s.by_text.read().unwrap_or_else(|p| p.into_inner()).get(sql) {
            return Arc::clone(e);
        }
        let fp = fingerprint(sql);
        let entry = {
            let found = s
                .by_id
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&fp.id())
                .cloned();
            match found {
                Some(e) => e,
                None => {
                    let mut by_id = s.by_id.write().unwrap_or_else(|p| p.into_inner());
                    if by_id.len() >= s.max_statements && !by_id.contains_key(&fp.id()) {
                        Arc::clone(&s.other)
                    } else {
                        Arc::clone(
                            by_id
                                .entry(fp.id())
                                .or_insert_with(|| Arc::new(Entry::new(fp))),
                        )
                    }
                }
            }
        };
        if sql.len() <= MAX_CACHED_TEXT {
            let mut by_text = s.by_text.write().unwrap_or_else(|p| p.into_inner());
            if by_text.len() < MAX_TEXTS {
                by_text.insert(sql.into(), Arc::clone(&entry));
            }
        }
        entry
    }

    /// Gives `sql`'s fingerprint a name of the caller's: the same logical query on
    /// PostgreSQL and DuckDB lines up under it in the profile. A name is an identifier,
    /// `[0-9A-Za-z_.:-]{1,64}`; any other is refused (a `warn` with the fingerprint id,
    /// never the name) and the statement stays unnamed. Returns whether it was taken.
    ///
    /// ```
    /// let observer = steadfast_db::DbObserver::default();
    /// assert!(observer.name_statement("SELECT 1", "ping"));
    /// assert!(!observer.name_statement("SELECT 2", "John Smith, 1970-01-01"));
    /// ```
    pub fn name_statement(&self, sql: &str, name: &str) -> bool {
        let entry = self.entry(sql);
        if !valid_name(name) {
            tracing::warn!(
                statement = %entry.fingerprint.id_hex(),
                "statement name refused: not [0-9A-Za-z_.:-]{{1,64}}"
            );
            return false;
        }
        *entry.name.lock().unwrap_or_else(|p| p.into_inner()) = Some(name.to_owned());
        true
    }

    /// The slow-statement threshold.
    pub fn slow_threshold(&self) -> Duration {
        self.shared.slow
    }

    /// Records one call of `sql` made through any client (another driver, DuckDB through
    /// its own API): its duration, rows, and the SQLSTATE class (or other short,
    /// value-free word, `[0-9A-Za-z_]{1,16}`; any other is recorded as [`CLASS_OTHER`]) of
    /// its failure. [`InstrumentedClient`](crate::InstrumentedClient)
    /// does this for every call.
    ///
    /// ```
    /// use std::time::Duration;
    /// let observer = steadfast_db::DbObserver::default();
    /// observer.observe("SELECT * FROM obs WHERE code = 'x'", Duration::from_millis(3), 12, None);
    /// observer.observe("select * from obs where code = $1", Duration::from_millis(5), 0, Some("57"));
    /// let s = &observer.statements()[0];
    /// assert_eq!((s.calls, s.rows, s.error_count()), (2, 12, 1));
    /// ```
    pub fn observe(&self, sql: &str, took: Duration, rows: u64, error_class: Option<&str>) {
        self.finish(&self.entry(sql), took, rows, error_class);
    }

    /// Records one call of `entry`, logging it when slow (fingerprint and duration only).
    pub(crate) fn finish(
        &self,
        entry: &Entry,
        took: Duration,
        rows: u64,
        error_class: Option<&str>,
    ) {
        let error_class = error_class.map(self::error_class);
        entry.record(took, rows, error_class);
        if took >= self.shared.slow {
            self.shared.slow_count.fetch_add(1, Relaxed);
            tracing::warn!(
                statement = %entry.fingerprint.id_hex(),
                text = %entry.fingerprint.text(),
                duration_ms = took.as_secs_f64() * 1e3,
                failed = error_class.is_some(),
                "slow statement"
            );
        }
    }

    /// Calls that reached the slow threshold so far.
    pub fn slow_calls(&self) -> u64 {
        self.shared.slow_count.load(Relaxed)
    }

    /// Instrumented clients alive now (a pooled connection counts while wrapped).
    pub fn connections_in_use(&self) -> i64 {
        self.shared.in_use.load(Relaxed)
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn connection_opened(&self) {
        self.shared.in_use.fetch_add(1, Relaxed);
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn connection_closed(&self) {
        self.shared.in_use.fetch_sub(1, Relaxed);
    }

    /// Every fingerprint's totals so far (those past `max_statements` as one
    /// [`OTHER_STATEMENTS`](crate::OTHER_STATEMENTS) entry, when any), by id.
    pub fn statements(&self) -> Vec<StatementStats> {
        let s = &self.shared;
        let mut out: Vec<StatementStats> = s
            .by_id
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|e| e.snapshot())
            .collect();
        let other = s.other.snapshot();
        if other.calls > 0 {
            out.push(other);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::OTHER_STATEMENTS;

    #[test]
    fn one_entry_per_fingerprint_and_the_rest_under_other() {
        let o = DbObserver::builder().max_statements(2).build();
        o.entry("select 1")
            .record(Duration::from_micros(5), 1, None);
        o.entry("SELECT 2")
            .record(Duration::from_micros(5), 1, None);
        o.entry("select * from t")
            .record(Duration::from_micros(5), 0, None);
        o.entry("select * from u")
            .record(Duration::from_micros(5), 0, None);
        let s = o.statements();
        assert_eq!(s.len(), 3, "{s:?}");
        let one = s.iter().find(|s| s.text == "select ?").unwrap();
        assert_eq!(one.calls, 2);
        let other = s.iter().find(|s| s.text == OTHER_STATEMENTS).unwrap();
        assert_eq!(other.calls, 1);
    }

    #[test]
    fn debug_shows_counts_never_the_raw_texts() {
        let o = DbObserver::default();
        o.observe("select 'PATIENT-SECRET-4711'", Duration::ZERO, 0, None);
        let shown = format!("{o:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("statements: 1"), "{shown}");
    }

    #[test]
    fn long_texts_are_not_cached() {
        let o = DbObserver::default();
        let long = format!("select '{}'", "x".repeat(MAX_CACHED_TEXT));
        o.observe(&long, Duration::ZERO, 0, None);
        o.observe(&long, Duration::ZERO, 0, None);
        o.observe("select 'short'", Duration::ZERO, 0, None);
        assert_eq!(o.shared.by_text.read().unwrap().len(), 1);
        assert_eq!(o.statements()[0].calls, 3);
    }

    #[test]
    fn caller_classes_and_names_are_checked() {
        let o = DbObserver::default();
        let took = Duration::ZERO;
        o.observe("select 1", took, 0, Some("23"));
        o.observe("select 1", took, 0, Some("mrn=PATIENT-SECRET-4711"));
        o.observe("select 1", took, 0, Some(""));
        o.observe("select 1", took, 0, Some("a_very_long_class_name"));
        let errors = &o.statements()[0].errors;
        assert_eq!(errors.get("23"), Some(&1));
        assert_eq!(errors.get(CLASS_OTHER), Some(&3), "{errors:?}");
        assert!(!o.name_statement("select 1", "John Smith"));
        assert!(!o.name_statement("select 1", &"n".repeat(65)));
        assert_eq!(o.statements()[0].name, None);
        assert!(o.name_statement("select 1", "patients_by_age"));
    }
}
