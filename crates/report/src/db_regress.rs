//! [`compare_statements`]: two runs' statements matched by fingerprint and judged with the
//! profiler's regression test — Mann-Whitney U over the calls' durations (the duration
//! histogram's buckets as ranks, ties corrected), Holm's correction across statements, and
//! the noise threshold on the change of the mean — so `profile compare` and `report
//! --compare` can gate on statements as on components.

use std::collections::BTreeMap;

use steadfast_core::escape_terminal;
use steadfast_db::{DbProfile, StatementStats};
use steadfast_perf_profiler::{CompareOptions, Comparison, ComponentChange, Verdict, mann_whitney};

/// Calls expanded per side at most; more are scaled down (a more cautious p-value).
const MAX_SAMPLES: u64 = 20_000;

/// A statement's calls as samples: each call its bucket's index (the test reads ranks only).
fn samples(s: &StatementStats) -> Vec<u64> {
    let total: u64 = s.buckets.iter().sum();
    let mut out = Vec::new();
    for (i, n) in s.buckets.iter().enumerate() {
        let n = if total > MAX_SAMPLES {
            n.saturating_mul(MAX_SAMPLES) / total
        } else {
            *n
        };
        out.extend(std::iter::repeat_n(
            i as u64,
            usize::try_from(n).unwrap_or(0),
        ));
    }
    out
}

/// The statements of `current` against those of `baseline`, matched by fingerprint id:
/// each a [`ComponentChange`] named by the statement's text, escaped for a terminal
/// ([`escape_terminal`](steadfast_core::escape_terminal): the text is read from a file)
/// (medians as the mean call time in ns); `missing` lists baseline statements the current
/// run did not run. Both runs'
/// client statements are compared (PostgreSQL's delta has no per-call durations).
///
/// ```
/// use std::time::Duration;
/// use steadfast_db::{DbObserver, DbProfile};
/// use steadfast_perf_profiler::{CompareOptions, Verdict};
///
/// let run = |ms: u64| {
///     let o = DbObserver::default();
///     for i in 0..200 {
///         o.observe("SELECT * FROM obs WHERE id = 1", Duration::from_millis(ms + i % 3), 1, None);
///     }
///     DbProfile::collect(&o, None)
/// };
/// let cmp = steadfast_report::compare_statements(&run(3), &run(40), &CompareOptions::default());
/// assert_eq!(cmp.components[0].verdict, Verdict::Regressed);
/// assert_eq!(cmp.exit_code(), 1);
/// ```
pub fn compare_statements(
    baseline: &DbProfile,
    current: &DbProfile,
    options: &CompareOptions,
) -> Comparison {
    let (judged, missing) = judge(baseline, current, options);
    Comparison {
        components: judged.into_iter().map(|(_, c)| c).collect(),
        missing,
    }
}

/// [`compare_statements`]' changes with the fingerprint id of each (texts may be cut and
/// collide: look verdicts up by id), and the missing statements' texts.
pub(crate) fn judge(
    baseline: &DbProfile,
    current: &DbProfile,
    options: &CompareOptions,
) -> (Vec<(String, ComponentChange)>, Vec<String>) {
    let base: BTreeMap<&str, &StatementStats> = baseline
        .statements
        .iter()
        .filter(|s| s.calls > 0)
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut rows: Vec<(ComponentChange, bool)> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for cur in current.statements.iter().filter(|s| s.calls > 0) {
        let Some(b) = base.get(cur.id.as_str()) else {
            continue;
        };
        let (a, c) = (samples(b), samples(cur));
        let enough = a.len() >= options.min_samples && c.len() >= options.min_samples;
        let p = if enough { mann_whitney(&a, &c) } else { 1.0 };
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a mean call time in ns, non-negative and far below 2^64"
        )]
        let ns = |s: &StatementStats| s.mean_seconds().map_or(0, |m| (m * 1e9).round() as u64);
        let (mb, mc) = (ns(b), ns(cur));
        #[allow(clippy::cast_precision_loss, reason = "a ratio")]
        let change = if mb == 0 {
            0.0
        } else {
            mc as f64 / mb as f64 - 1.0
        };
        ids.push(cur.id.clone());
        rows.push((
            ComponentChange {
                component: escape_terminal(&cur.text).into_owned(),
                verdict: if enough {
                    Verdict::Unchanged
                } else {
                    Verdict::Insufficient
                },
                baseline_median_ns: mb,
                current_median_ns: mc,
                change,
                p_value: p,
                p_adjusted: p,
            },
            enough,
        ));
    }
    // Holm–Bonferroni and the verdicts, as the profiler's `compare`.
    let components = steadfast_perf_profiler::judge_changes(rows, options);
    let current_ids: Vec<&str> = current
        .statements
        .iter()
        .filter(|s| s.calls > 0)
        .map(|s| s.id.as_str())
        .collect();
    let missing = base
        .values()
        .filter(|b| !current_ids.contains(&b.id.as_str()))
        .map(|b| escape_terminal(&b.text).into_owned())
        .collect();
    (ids.into_iter().zip(components).collect(), missing)
}
