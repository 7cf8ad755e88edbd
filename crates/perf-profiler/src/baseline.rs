//! Baselines: compare a profile against a saved one, component by component, with a
//! Mann-Whitney U test over the sampled durations, Holm's correction for testing many
//! components at once, and a noise threshold on the change of the median (as criterion).

use serde::{Deserialize, Serialize};

use crate::snapshot::{Snapshot, fmt_ns};

/// How a component changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Slower, significantly and beyond the noise threshold.
    Regressed,
    /// Faster, significantly and beyond the noise threshold.
    Improved,
    /// Neither.
    Unchanged,
    /// Too few samples on one side to judge.
    Insufficient,
}

/// Knobs of [`compare`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// Family-wise false-positive rate across all components (default 0.05).
    pub alpha: f64,
    /// Relative change of the median below which nothing is called a change (default 0.05).
    pub noise: f64,
    /// Fewest samples on each side to judge a component (default 20).
    pub min_samples: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            noise: 0.05,
            min_samples: 20,
        }
    }
}

/// One component's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentChange {
    /// The component.
    pub component: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Baseline median, ns.
    pub baseline_median_ns: u64,
    /// Current median, ns.
    pub current_median_ns: u64,
    /// `current / baseline − 1` of the medians.
    pub change: f64,
    /// Two-sided p-value of the Mann-Whitney test.
    pub p_value: f64,
    /// The p-value after Holm's correction.
    pub p_adjusted: f64,
}

/// The comparison of two profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Components present in both, in the current profile's order.
    pub components: Vec<ComponentChange>,
    /// Baseline components the current profile does not have (renamed, or no longer run).
    #[serde(default)]
    pub missing: Vec<String>,
}

impl Comparison {
    /// 1 when any component regressed, when a baseline component is missing from the
    /// current profile, or when nothing was compared (an empty profile) — a CI gate must
    /// not pass because the benchmark stopped running; else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(
            self.components.is_empty()
                || !self.missing.is_empty()
                || self
                    .components
                    .iter()
                    .any(|c| c.verdict == Verdict::Regressed),
        )
    }

    /// An aligned text table.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{:<28} {:>12} {:>10} {:>10} {:>8} {:>9}\n",
            "COMPONENT", "VERDICT", "BASELINE", "CURRENT", "CHANGE", "P(ADJ)"
        );
        for c in &self.components {
            let verdict = match c.verdict {
                Verdict::Regressed => "REGRESSED",
                Verdict::Improved => "improved",
                Verdict::Unchanged => "unchanged",
                Verdict::Insufficient => "too few",
            };
            out.push_str(&format!(
                "{:<28} {:>12} {:>10} {:>10} {:>+7.1}% {:>9.4}\n",
                c.component,
                verdict,
                fmt_ns(c.baseline_median_ns),
                fmt_ns(c.current_median_ns),
                c.change * 100.0,
                c.p_adjusted
            ));
        }
        if !self.missing.is_empty() {
            out.push_str(&format!(
                "\nMISSING from the current profile ({} of the baseline's components): {}\n",
                self.missing.len(),
                self.missing.join(", ")
            ));
        }
        if self.components.is_empty() {
            out.push_str(
                "\nnothing compared: no component is in both profiles; check that the current profile recorded the benchmark\n",
            );
        }
        out
    }
}

fn median(sorted: &[u64]) -> u64 {
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => sorted[n / 2 - 1] / 2 + sorted[n / 2] / 2,
    }
}

/// Compares `current` against `baseline`.
///
/// ```
/// use steadfast_perf_profiler::{Profiler, compare, CompareOptions, Verdict};
///
/// let base = Profiler::new();
/// let cur = Profiler::new();
/// for i in 0..200u64 {
///     base.record("parse", std::time::Duration::from_nanos(1_000 + i % 17));
///     cur.record("parse", std::time::Duration::from_nanos(1_300 + i % 17)); // 30% slower
/// }
/// let cmp = compare(&base.snapshot(), &cur.snapshot(), &CompareOptions::default());
/// assert_eq!(cmp.components[0].verdict, Verdict::Regressed);
/// assert_eq!(cmp.exit_code(), 1);
/// // A current profile without the baseline's components fails the gate too.
/// let empty = compare(&base.snapshot(), &Profiler::new().snapshot(), &CompareOptions::default());
/// assert_eq!((empty.missing.as_slice(), empty.exit_code()), (&["parse".to_owned()][..], 1));
/// ```
pub fn compare(baseline: &Snapshot, current: &Snapshot, options: &CompareOptions) -> Comparison {
    let mut rows: Vec<(ComponentChange, bool)> = Vec::new();
    for cur in &current.components {
        let Some(base) = baseline.component(&cur.name) else {
            continue;
        };
        let mut a = base.samples.clone();
        let mut b = cur.samples.clone();
        a.sort_unstable();
        b.sort_unstable();
        let (ma, mb) = (median(&a), median(&b));
        #[allow(clippy::cast_precision_loss, reason = "a ratio")]
        let change = if ma == 0 {
            0.0
        } else {
            mb as f64 / ma as f64 - 1.0
        };
        let enough = a.len() >= options.min_samples && b.len() >= options.min_samples;
        let p = if enough { mann_whitney(&a, &b) } else { 1.0 };
        rows.push((
            ComponentChange {
                component: cur.name.clone(),
                verdict: if enough {
                    Verdict::Unchanged
                } else {
                    Verdict::Insufficient
                },
                baseline_median_ns: ma,
                current_median_ns: mb,
                change,
                p_value: p,
                p_adjusted: p,
            },
            enough,
        ));
    }
    let components = judge_changes(rows, options);
    let missing = baseline
        .components
        .iter()
        .filter(|b| current.component(&b.name).is_none())
        .map(|b| b.name.clone())
        .collect();
    Comparison {
        components,
        missing,
    }
}

/// The verdicts of a comparison's changes: each `(change, enough samples)` with its raw
/// `p_value` gets its Holm–Bonferroni adjusted p-value (the k-th smallest of m is multiplied
/// by m − k, kept monotone), and is `Regressed` or `Improved` when that is below
/// `options.alpha` and the change passes `options.noise` either way; rows without enough
/// samples keep their verdict. What [`compare`] does to components, for other kinds of
/// measurement (database statements) judged the same way.
///
/// ```
/// use steadfast_perf_profiler::{CompareOptions, ComponentChange, Verdict, judge_changes};
///
/// let row = |p: f64, change: f64| ComponentChange {
///     component: "x".into(), verdict: Verdict::Unchanged, baseline_median_ns: 100,
///     current_median_ns: 130, change, p_value: p, p_adjusted: p,
/// };
/// let judged = judge_changes(vec![(row(0.001, 0.3), true), (row(0.04, 0.3), true)], &CompareOptions::default());
/// assert_eq!(judged[0].verdict, Verdict::Regressed);
/// assert_eq!(judged[1].p_adjusted, 0.04); // second smallest of two: × 1
/// ```
#[must_use]
pub fn judge_changes(
    mut rows: Vec<(ComponentChange, bool)>,
    options: &CompareOptions,
) -> Vec<ComponentChange> {
    let mut order: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].1).collect();
    order.sort_by(|x, y| rows[*x].0.p_value.total_cmp(&rows[*y].0.p_value));
    let m = order.len();
    let mut running = 0.0f64;
    for (k, &i) in order.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "a count")]
        let factor = (m - k) as f64;
        running = running.max((rows[i].0.p_value * factor).min(1.0));
        rows[i].0.p_adjusted = running;
    }
    rows.into_iter()
        .map(|(mut c, enough)| {
            if enough && c.p_adjusted < options.alpha {
                if c.change > options.noise {
                    c.verdict = Verdict::Regressed;
                } else if c.change < -options.noise {
                    c.verdict = Verdict::Improved;
                }
            }
            c
        })
        .collect()
}

/// Two-sided p-value of the Mann-Whitney U test of two samples (normal approximation with
/// tie correction; exact enough from about 20 per side).
///
/// ```
/// let a: Vec<u64> = (0..100).collect();
/// let b: Vec<u64> = (50..150).collect();
/// assert!(steadfast_perf_profiler::mann_whitney(&a, &b) < 0.001);
/// assert!(steadfast_perf_profiler::mann_whitney(&a, &a) > 0.9);
/// ```
pub fn mann_whitney(a: &[u64], b: &[u64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let mut all: Vec<(u64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    all.sort_unstable_by_key(|x| x.0);
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss, reason = "ranks")]
        let rank = (i + j) as f64 / 2.0 + 1.0;
        #[allow(clippy::cast_precision_loss, reason = "tie counts")]
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "sample sizes")]
    let (n1, n2) = (n1 as f64, n2 as f64);
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let n = n1 + n2;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' `erfcc`, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-6);
        assert!((erfc(1.0) - 0.157_299_2).abs() < 1e-6);
        assert!((erfc(2.0) - 0.004_677_735).abs() < 1e-6);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[1, 2, 3]), 2);
        assert_eq!(median(&[2, 4]), 3);
    }

    #[test]
    fn a_gate_fails_when_components_go_missing_or_nothing_is_compared() {
        let profile = |names: &[&str]| {
            let p = crate::Profiler::new();
            for name in names {
                for i in 0..50u64 {
                    p.record(name, std::time::Duration::from_nanos(1_000 + i));
                }
            }
            p.snapshot()
        };
        let options = CompareOptions::default();
        let base = profile(&["parse", "write"]);
        assert_eq!(
            compare(&base, &profile(&["parse", "write"]), &options).exit_code(),
            0
        );
        let renamed = compare(&base, &profile(&["parse", "write_v2"]), &options);
        assert_eq!(
            (renamed.missing.clone(), renamed.exit_code()),
            (vec!["write".to_owned()], 1)
        );
        assert!(
            renamed.to_text().contains(
                "MISSING from the current profile (1 of the baseline's components): write"
            )
        );
        let empty = compare(&base, &profile(&[]), &options);
        assert_eq!((empty.missing.len(), empty.exit_code()), (2, 1));
        assert!(
            empty.to_text().contains("nothing compared"),
            "{}",
            empty.to_text()
        );
        // New components in the current profile are not a failure.
        assert_eq!(
            compare(&base, &profile(&["parse", "write", "new"]), &options).exit_code(),
            0
        );
    }
}
