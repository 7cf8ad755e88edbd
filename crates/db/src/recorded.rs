//! Feature `metrics`: the statements in a run's `metrics.ndjson` — [`DbObserver::record`]
//! writes them under [`series::RUN_STEP`](crate::series::RUN_STEP) and the `RUN_*` names,
//! labelled by fingerprint id only; [`RecordedStatements::read`] reads them back.

use std::collections::BTreeMap;

use steadfast_metrics::{MetricTotals, Recorder};

use crate::observer::DbObserver;
use crate::series::{CLASS, RUN_CALLS, RUN_ERRORS, RUN_ROWS, RUN_SECONDS, RUN_STEP, STATEMENT};
use crate::stats::StatementStats;

impl DbObserver {
    /// Adds every statement's totals so far to `recorder` (a run's metrics): call it once,
    /// when the run's statements are done. Returns what was recorded.
    ///
    /// ```
    /// use steadfast_db::{DbObserver, RecordedStatements};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("metrics.ndjson");
    /// let recorder = steadfast_metrics::Recorder::to_file(&path)?;
    /// let observer = DbObserver::default();
    /// observer.name_statement("SELECT 1", "ping"); // known, never called
    /// observer.record(&recorder);
    /// recorder.close()?;
    /// let totals = steadfast_metrics::read_file(&path)?.totals;
    /// assert_eq!(RecordedStatements::read(&totals), None); // nothing ran
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&self, recorder: &Recorder) -> Vec<StatementStats> {
        let statements = self.statements();
        for s in statements.iter().filter(|s| s.calls > 0) {
            let id = s.id.as_str();
            recorder
                .counter(RUN_STEP, RUN_CALLS)
                .label(STATEMENT, id)
                .add(s.calls);
            recorder
                .counter(RUN_STEP, RUN_ROWS)
                .label(STATEMENT, id)
                .add(s.rows);
            let _ = recorder
                .counter(RUN_STEP, RUN_SECONDS)
                .label(STATEMENT, id)
                .try_add_f64(s.total_seconds);
            for (class, n) in &s.errors {
                recorder
                    .counter(RUN_STEP, RUN_ERRORS)
                    .label(STATEMENT, id)
                    .label(CLASS, class)
                    .add(*n);
            }
        }
        statements
    }
}

/// One statement's totals as a run recorded them.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RecordedStatement {
    /// Calls.
    pub calls: u64,
    /// Rows.
    pub rows: u64,
    /// Seconds in calls.
    pub seconds: f64,
    /// Failed calls by SQLSTATE class.
    pub errors: BTreeMap<String, u64>,
}

/// The statements a run recorded ([`DbObserver::record`]), by fingerprint id.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RecordedStatements {
    /// Fingerprint id → totals.
    pub statements: BTreeMap<String, RecordedStatement>,
}

impl RecordedStatements {
    /// The statements in `totals`, or `None` when the run recorded none.
    pub fn read(totals: &MetricTotals) -> Option<Self> {
        let mut out = Self::default();
        for (key, total) in &totals.series {
            if key.step != RUN_STEP {
                continue;
            }
            let label = |name: &str| {
                key.labels
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            let Some(id) = label(STATEMENT) else { continue };
            let s = out.statements.entry(id).or_default();
            match key.name.as_str() {
                RUN_CALLS => s.calls = whole(total.value),
                RUN_ROWS => s.rows = whole(total.value),
                RUN_SECONDS => s.seconds = total.value,
                RUN_ERRORS => {
                    if let Some(class) = label(CLASS) {
                        s.errors.insert(class, whole(total.value));
                    }
                }
                _ => {}
            }
        }
        (!out.statements.is_empty()).then_some(out)
    }
}

/// A recorded count back as a whole number (metrics are stored as `f64`).
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "counts well below 2^53, rounded and clamped at zero"
)]
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}
