//! [`Snapshot`]: every component's counts, estimated times and percentiles at one moment,
//! merged from all threads; written as a run's `profile.json` and shown as a text table.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::PoisonError;

use serde::{Deserialize, Serialize};
use steadfast_core::Timestamp;

use crate::Error;
use crate::histogram::Histogram;
use crate::profiler::Profiler;
use crate::shard::Totals;

/// The `profile.json` format this build writes and reads.
pub const PROFILE_FORMAT_VERSION: u32 = 1;

/// One component in a snapshot. Times are nanoseconds; `total_ns` and `self_ns` are
/// estimates (sampled sums scaled by calls / sampled), percentiles are of timed calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentStats {
    /// The component's name.
    pub name: String,
    /// Calls, exact.
    pub calls: u64,
    /// Calls that were timed.
    pub sampled: u64,
    /// Estimated time in the component, children included.
    pub total_ns: u64,
    /// Estimated time in the component itself, timed children excluded.
    pub self_ns: u64,
    /// Mean of timed calls.
    pub mean_ns: u64,
    /// Median of timed calls.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 95th percentile.
    pub p95_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Longest timed call.
    pub max_ns: u64,
    /// Share of all components' self time, 0..1.
    pub share: f64,
    /// Estimated bytes allocated in the component itself (feature `alloc` with
    /// [`CountingAlloc`](crate::CountingAlloc) installed; else 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub alloc_bytes: u64,
    /// Non-empty histogram buckets `(index, count)` of timed calls.
    pub histogram: Vec<(u32, u64)>,
    /// A uniform sample of timed durations, for baseline comparisons.
    pub samples: Vec<u64>,
}

impl ComponentStats {
    /// The histogram of timed calls.
    pub fn histogram(&self) -> Histogram {
        Histogram::from_sparse(&self.histogram)
    }
}

/// Every component at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`PROFILE_FORMAT_VERSION`].
    pub format_version: u32,
    /// When it was taken.
    pub taken_at: Timestamp,
    /// Nanoseconds since the profiler was built.
    pub elapsed_ns: u64,
    /// Components, largest self time first.
    pub components: Vec<ComponentStats>,
    /// Process memory, when a sampler ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<crate::MemoryStats>,
    /// Call paths of timed calls with their estimated self time, folded (`outer;inner ns`,
    /// sorted): each path's sampled self time scaled as its innermost component's
    /// `self_ns` is, so a component's paths add up to its `self_ns`. Kept at levels basic
    /// (up to 1,024 distinct paths) and detailed (up to 65,536); paths past the bound fold
    /// into one `[other]` line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folded: Vec<String>,
    /// Distinct call paths folded into the `[other]` line at the bound (0 when none were).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub paths_folded: u64,
    /// The SLOs judged on this snapshot ([`judge`](Self::judge); a `Run` judges its
    /// `[[profiler.slos]]` at finish).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<crate::SloResult>,
    /// The health score of those SLOs' components, once judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::HealthScore>,
}

impl Snapshot {
    /// Judges `slos` on this snapshot and keeps the results and the health score in it
    /// (so `profile.json` carries them, for the run's page and later reports).
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_perf_profiler::{Profiler, Slo};
    ///
    /// let profiler = Profiler::new();
    /// profiler.record("parse", Duration::from_millis(2));
    /// let mut snap = profiler.snapshot();
    /// snap.judge(&[Slo::new("parse", 0.95, Duration::from_millis(5))]);
    /// assert_eq!(snap.slos[0].status, steadfast_core::Status::Pass);
    /// assert_eq!(snap.health.as_ref().map(|h| h.score.round()), Some(100.0));
    /// ```
    pub fn judge(&mut self, slos: &[crate::Slo]) {
        self.slos = self.check_slos(slos, |_| {});
        self.health = Some(self.health_score(slos));
    }

    /// The component called `name`.
    pub fn component(&self, name: &str) -> Option<&ComponentStats> {
        self.components.iter().find(|c| c.name == name)
    }

    /// Writes the snapshot as JSON, atomically (a run's `profile.json`).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Json {
            path: path.as_ref().to_path_buf(),
            message: e.to_string(),
        })?;
        steadfast_core::atomic_write(path, json).map_err(Error::Io)
    }

    /// Reads a snapshot written by [`write`](Self::write).
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Json`] with line and column, or [`Error::FormatVersion`] for
    /// a file from another format version.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        // A regular file only (a FIFO would block forever), at most 1 GiB.
        let bytes = steadfast_core::read_regular(path, steadfast_core::Links::Follow, 1 << 30)
            .map_err(Error::Io)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let invalid = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
            Error::Io(steadfast_core::Error::io("read", path, invalid))
        })?;
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<u32>,
        }
        let version: Version = serde_json::from_str(&text).map_err(|e| Error::Json {
            path: path.to_path_buf(),
            message: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        if version.format_version != Some(PROFILE_FORMAT_VERSION) {
            return Err(Error::FormatVersion {
                path: path.to_path_buf(),
                found: version
                    .format_version
                    .map_or_else(|| "none".to_owned(), |v| v.to_string()),
            });
        }
        serde_json::from_str(&text).map_err(|e| Error::Json {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// An aligned text table: calls, sampled, estimated total and self, share, mean, p50,
    /// p95, p99, max.
    pub fn to_text(&self) -> String {
        let headers = [
            "COMPONENT",
            "CALLS",
            "TIMED",
            "TOTAL",
            "SELF",
            "SHARE",
            "MEAN",
            "P50",
            "P95",
            "P99",
            "MAX",
        ];
        let rows: Vec<Vec<String>> = self
            .components
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.calls.to_string(),
                    c.sampled.to_string(),
                    fmt_ns(c.total_ns),
                    fmt_ns(c.self_ns),
                    format!("{:.1}%", c.share * 100.0),
                    fmt_ns(c.mean_ns),
                    fmt_ns(c.p50_ns),
                    fmt_ns(c.p95_ns),
                    fmt_ns(c.p99_ns),
                    fmt_ns(c.max_ns),
                ]
            })
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[&str]| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                if i == 0 {
                    let _ = write!(s, "{cell:<w$}");
                } else {
                    let _ = write!(s, "  {cell:>w$}");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&mut out, &headers);
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            line(&mut out, &cells);
        }
        out
    }
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Shows nanoseconds with a unit: `850ns`, `12.4µs`, `3.20ms`, `1.50s`.
pub fn fmt_ns(ns: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let x = ns as f64;
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.1}µs", x / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2}ms", x / 1e6)
    } else {
        format!("{:.2}s", x / 1e9)
    }
}

/// Scales a sampled sum to all calls.
fn estimate(sum: u64, calls: u64, sampled: u64) -> u64 {
    if sampled == 0 {
        return 0;
    }
    let v = u128::from(sum) * u128::from(calls) / u128::from(sampled);
    u64::try_from(v).unwrap_or(u64::MAX)
}

impl Profiler {
    /// Every component's statistics now, merged from all threads.
    pub fn snapshot(&self) -> Snapshot {
        let names = self.component_names();
        let totals = self.totals(names.len());
        let mut components: Vec<ComponentStats> = names
            .iter()
            .zip(&totals)
            .filter(|(_, t)| t.calls > 0)
            .map(|(name, t)| stats(name, t))
            .collect();
        let all_self: u64 = components.iter().map(|c| c.self_ns).sum();
        for c in &mut components {
            #[allow(clippy::cast_precision_loss, reason = "a ratio")]
            let share = if all_self == 0 {
                0.0
            } else {
                c.self_ns as f64 / all_self as f64
            };
            c.share = share;
        }
        components.sort_by(|a, b| b.self_ns.cmp(&a.self_ns).then_with(|| a.name.cmp(&b.name)));
        let (folded, paths_folded) = self.folded_from(&names, &totals);
        Snapshot {
            format_version: PROFILE_FORMAT_VERSION,
            taken_at: Timestamp::now(),
            elapsed_ns: self.elapsed_ns(),
            components,
            memory: crate::memory::latest(self),
            folded,
            paths_folded,
            slos: Vec::new(),
            health: None,
        }
    }
}

impl Profiler {
    /// Every component's totals, live and retired, indexed by id.
    fn totals(&self, components: usize) -> Vec<Totals> {
        // Shards, then retired totals, in the order a thread's exit takes them (its shard
        // leaves the list and joins the retired totals under both locks): a snapshot sees
        // a shard either live or retired, never neither.
        let shards_guard = self
            .shared
            .shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut totals: Vec<Totals> = self
            .shared
            .retired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let shards = shards_guard.clone();
        drop(shards_guard);
        totals.resize_with(components.max(totals.len()), Totals::default);
        for (comp, shard) in shards {
            if let Some(t) = totals.get_mut(comp as usize) {
                shard.read_into(t);
            }
        }
        totals
    }

    /// Component names, indexed by id.
    fn component_names(&self) -> Vec<std::sync::Arc<str>> {
        self.shared
            .names
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .names
            .clone()
    }

    /// Call paths as folded lines, sorted.
    #[cfg(feature = "flamegraph")]
    pub(crate) fn folded(&self) -> Vec<String> {
        let names = self.component_names();
        self.folded_from(&names, &self.totals(names.len())).0
    }

    /// Folded lines from `totals`, each path's sampled self time scaled to all calls of
    /// its innermost component (a call timed 1 in N stands for N), and the count of paths
    /// folded into `[other]`.
    fn folded_from(&self, names: &[std::sync::Arc<str>], totals: &[Totals]) -> (Vec<String>, u64) {
        let mut times: HashMap<u32, u64> = HashMap::new();
        for t in totals {
            for (path, own) in &t.paths {
                let ns = times.entry(*path).or_insert(0);
                *ns = ns.saturating_add(estimate(*own, t.calls, t.sampled));
            }
        }
        let table = self
            .shared
            .paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (table.lines(&times, names), table.folded())
    }
}

fn stats(name: &str, t: &Totals) -> ComponentStats {
    let h = &t.hist;
    let mut samples = t.samples.clone();
    samples.sort_unstable();
    ComponentStats {
        name: name.to_owned(),
        calls: t.calls,
        sampled: t.sampled,
        total_ns: estimate(t.total_ns, t.calls, t.sampled),
        self_ns: estimate(t.self_ns, t.calls, t.sampled),
        mean_ns: t.total_ns.checked_div(t.sampled).unwrap_or(0),
        // A bucket's midpoint can lie past the largest value seen; never report beyond it.
        p50_ns: h.percentile(0.50).min(t.max_ns),
        p90_ns: h.percentile(0.90).min(t.max_ns),
        p95_ns: h.percentile(0.95).min(t.max_ns),
        p99_ns: h.percentile(0.99).min(t.max_ns),
        max_ns: t.max_ns,
        share: 0.0,
        alloc_bytes: estimate(t.alloc_bytes, t.calls, t.sampled),
        histogram: h.sparse(),
        samples,
    }
}
