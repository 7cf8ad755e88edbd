//! `--format text|json` of the operator commands, and the JSON document each one prints:
//! one typed struct per command, field names stable (docs/cli-json.md). Exit codes are the
//! same in both formats.

use std::collections::BTreeMap;

use serde::Serialize;
use steadfast::diskwatch::{CleanupReport, DiskSpace, SkipReason};
use steadfast::metrics::{Kind, RunMetrics, SeriesTotal};

/// How a command prints its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// For people: tables and sentences.
    #[default]
    Text,
    /// For scripts: one JSON document on stdout (docs/cli-json.md).
    Json,
}

/// Prints `value` as one pretty JSON document.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A torn last line a reader skipped.
#[derive(Debug, Serialize)]
pub(crate) struct Torn {
    line: usize,
    bytes: usize,
}

/// `metrics show --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct MetricsShow<'a> {
    series: Vec<Series<'a>>,
    torn_tail: Option<Torn>,
}

/// One series' total.
#[derive(Debug, Serialize)]
struct Series<'a> {
    step: &'a str,
    name: &'a str,
    kind: &'static str,
    labels: BTreeMap<&'a str, &'a str>,
    /// Counter: the total; gauge: the last value; histogram: the sum of observations.
    value: f64,
    /// Histogram only: observations, their mean, smallest and largest.
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    /// Histogram only: percentiles estimated from the buckets.
    #[serde(skip_serializing_if = "Option::is_none")]
    p50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p99: Option<f64>,
}

/// The `q` quantile (0..1) of a histogram estimated from its buckets as Prometheus's
/// `histogram_quantile` does — linear within the bucket that holds it — with the bucket's
/// ends narrowed to the observed minimum and maximum. `None` for an empty histogram, or
/// one whose buckets do not add up (a damaged file: no figure rather than a made-up one).
pub(crate) fn quantile(t: &SeriesTotal, q: f64) -> Option<f64> {
    if t.kind != Kind::Histogram
        || t.count == 0
        || t.bucket_counts.len() != t.bounds.len() + 1
        || t.bucket_counts.iter().sum::<u64>() != t.count
    {
        return None;
    }
    #[allow(clippy::cast_precision_loss, reason = "counts as ranks")]
    let rank = q * t.count as f64;
    let mut below = 0u64;
    for (i, &n) in t.bucket_counts.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "counts as ranks")]
        if n > 0 && (below + n) as f64 >= rank {
            let lower = i
                .checked_sub(1)
                .and_then(|j| t.bounds.get(j))
                .map_or(t.min, |b| b.max(t.min));
            let upper = t.bounds.get(i).map_or(t.max, |b| b.min(t.max));
            let into = ((rank - below as f64) / n as f64).clamp(0.0, 1.0);
            return Some(lower + (upper - lower) * into);
        }
        below += n;
    }
    Some(t.max)
}

impl<'a> MetricsShow<'a> {
    pub(crate) fn new(metrics: &'a RunMetrics) -> Self {
        let series = metrics
            .totals
            .series
            .iter()
            .map(|(key, t)| {
                let histogram = t.kind == Kind::Histogram;
                #[allow(clippy::cast_precision_loss, reason = "a mean")]
                let mean = (histogram && t.count > 0).then(|| t.value / t.count as f64);
                Series {
                    step: &key.step,
                    name: &key.name,
                    kind: t.kind.as_str(),
                    labels: key
                        .labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                    value: t.value,
                    count: histogram.then_some(t.count),
                    mean,
                    min: histogram.then_some(t.min),
                    max: histogram.then_some(t.max),
                    p50: quantile(t, 0.5),
                    p95: quantile(t, 0.95),
                    p99: quantile(t, 0.99),
                }
            })
            .collect();
        let torn_tail = metrics.torn_tail.as_ref().map(|t| Torn {
            line: t.line,
            bytes: t.bytes,
        });
        Self { series, torn_tail }
    }
}

/// `disk check --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct DiskCheck {
    path: String,
    total_bytes: u64,
    free_bytes: u64,
    available_bytes: u64,
    used_ratio: f64,
    inodes_total: u64,
    inodes_free: u64,
    inodes_used_ratio: f64,
    /// `--min-free`, when given.
    min_free_bytes: Option<u64>,
    /// `pass`, or `fail` below `--min-free` (exit 1).
    status: &'static str,
}

impl DiskCheck {
    pub(crate) fn new(space: &DiskSpace, min_free: Option<u64>, pass: bool) -> Self {
        Self {
            path: space.path.display().to_string(),
            total_bytes: space.total,
            free_bytes: space.free,
            available_bytes: space.available,
            used_ratio: space.used_ratio(),
            inodes_total: space.inodes_total,
            inodes_free: space.inodes_free,
            inodes_used_ratio: space.inodes_used_ratio(),
            min_free_bytes: min_free,
            status: if pass { "pass" } else { "fail" },
        }
    }
}

/// `disk clean --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct DiskClean<'a> {
    dry_run: bool,
    /// Deleted (or, in a dry run, that would be), oldest first.
    deleted: Vec<Run<'a>>,
    /// Left alone, each with its reason (a snake_case code).
    kept: Vec<Kept<'a>>,
    /// Deletions that failed (exit 1), each with what is left and where.
    failed: Vec<Failed<'a>>,
    bytes_freed: u64,
    available_before: u64,
    available_after: u64,
}

#[derive(Debug, Serialize)]
struct Run<'a> {
    run_id: &'a str,
    bytes: u64,
}

#[derive(Debug, Serialize)]
struct Kept<'a> {
    run_id: &'a str,
    reason: SkipReason,
}

#[derive(Debug, Serialize)]
struct Failed<'a> {
    run_id: &'a str,
    error: &'a str,
}

impl<'a> DiskClean<'a> {
    pub(crate) fn new(report: &'a CleanupReport) -> Self {
        Self {
            dry_run: report.dry_run,
            deleted: report
                .deleted
                .iter()
                .map(|d| Run {
                    run_id: &d.id,
                    bytes: d.bytes,
                })
                .collect(),
            kept: report
                .skipped
                .iter()
                .map(|(d, why)| Kept {
                    run_id: &d.id,
                    reason: *why,
                })
                .collect(),
            failed: report
                .failed
                .iter()
                .map(|(d, e)| Failed {
                    run_id: &d.id,
                    error: e,
                })
                .collect(),
            bytes_freed: report.bytes_freed,
            available_before: report.available_before,
            available_after: report.available_after,
        }
    }
}

/// `config check --format json`.
#[derive(Debug, Serialize)]
pub(crate) struct ConfigCheck {
    file: String,
    /// `ok` (exit 0) or `invalid` (exit 2).
    status: &'static str,
    problems: Vec<ConfigProblem>,
}

/// One configuration problem, where it was written.
#[derive(Debug, Serialize)]
struct ConfigProblem {
    /// The file, environment variable or flag the value came from (empty for a default).
    source: String,
    /// 1-based, in a file; absent otherwise.
    line: Option<u32>,
    column: Option<u32>,
    /// The key path (`validation.rules[2].min`), when the problem is about one key.
    key: Option<String>,
    message: String,
}

impl ConfigCheck {
    pub(crate) fn new(
        file: &std::path::Path,
        error: Option<&steadfast::run::config::ConfigError>,
    ) -> Self {
        let problems: Vec<ConfigProblem> = error
            .map(|e| {
                e.problems()
                    .iter()
                    .map(|p| ConfigProblem {
                        source: p.origin.source.to_string(),
                        line: (p.origin.line > 0).then_some(p.origin.line),
                        column: (p.origin.column > 0).then_some(p.origin.column),
                        key: p.path.clone(),
                        message: p.message.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            file: file.display().to_string(),
            status: if error.is_some() { "invalid" } else { "ok" },
            problems,
        }
    }
}

/// `profile report --format json`: the profile (profile.json's own document) and what to
/// look at.
#[derive(Debug, Serialize)]
pub(crate) struct ProfileReport<'a> {
    profile: &'a steadfast::perf_profiler::Snapshot,
    bottlenecks: Vec<steadfast::perf_profiler::Bottleneck>,
}

impl<'a> ProfileReport<'a> {
    pub(crate) fn new(
        profile: &'a steadfast::perf_profiler::Snapshot,
        bottlenecks: Vec<steadfast::perf_profiler::Bottleneck>,
    ) -> Self {
        Self {
            profile,
            bottlenecks,
        }
    }
}
