//! Reading a snapshot: bottlenecks ranked by self time with plain-language suggestions,
//! trends across time windows, SLO targets with alerts, and a 0–100 health score.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use steadfast_core::Status;

use crate::snapshot::{Snapshot, fmt_ns};

/// A component worth looking at, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// The component.
    pub component: String,
    /// Its share of all measured self time, 0..1.
    pub share: f64,
    /// What to look at, in plain language.
    pub suggestions: Vec<String>,
}

/// Share of self time from which a component is called hot.
const HOT_SHARE: f64 = 0.25;
/// p99 / p50 from which a tail is called heavy.
const HEAVY_TAIL: f64 = 10.0;
/// Growth across the trend windows from which a component is called growing.
const GROWING: f64 = 0.2;

impl Snapshot {
    /// Components ranked by self-time share, each with the reasons it stands out: hot (≥ 25%
    /// of self time), heavy tail (p99 ≥ 10× p50), growing (mean up ≥ 20% across `trend`'s
    /// windows). Components with nothing to say are left out.
    pub fn bottlenecks(&self, trend: Option<&Trend>) -> Vec<Bottleneck> {
        let mut out = Vec::new();
        for c in &self.components {
            let mut suggestions = Vec::new();
            if c.share >= HOT_SHARE {
                suggestions.push(format!(
                    "hot: {:.0}% of measured self time ({} over {} calls); the first place to optimise, cache or parallelise",
                    c.share * 100.0,
                    fmt_ns(c.self_ns),
                    c.calls
                ));
            }
            #[allow(clippy::cast_precision_loss, reason = "a ratio")]
            let tail = if c.p50_ns > 0 {
                c.p99_ns as f64 / c.p50_ns as f64
            } else {
                0.0
            };
            if c.sampled >= 20 && tail >= HEAVY_TAIL {
                suggestions.push(format!(
                    "heavy tail: p99 {} is {tail:.0}x p50 {}; look for lock contention, retries, large inputs, allocation or I/O stalls",
                    fmt_ns(c.p99_ns),
                    fmt_ns(c.p50_ns)
                ));
            }
            if let Some(growth) = trend.and_then(|t| t.growth(&c.name))
                && growth >= GROWING
            {
                suggestions.push(format!(
                        "growing: mean duration up {:.0}% across the last {} windows; look for growing inputs, caches or leaks",
                        growth * 100.0,
                        trend.map_or(0, Trend::windows)
                    ));
            }
            if !suggestions.is_empty() {
                out.push(Bottleneck {
                    component: c.name.clone(),
                    share: c.share,
                    suggestions,
                });
            }
        }
        out
    }

    /// Judges each SLO against this snapshot, calling `on_breach` for each one broken.
    pub fn check_slos(
        &self,
        slos: &[Slo],
        mut on_breach: impl FnMut(&SloResult),
    ) -> Vec<SloResult> {
        slos.iter()
            .map(|slo| {
                let observed = self
                    .component(&slo.component)
                    .map(|c| c.histogram().percentile(slo.percentile));
                let target = u64::try_from(slo.target.as_nanos()).unwrap_or(u64::MAX);
                let status = match observed {
                    Some(v) if v > target => Status::Fail,
                    _ => Status::Pass,
                };
                let result = SloResult {
                    slo: slo.clone(),
                    observed_ns: observed,
                    status,
                };
                if status == Status::Fail {
                    on_breach(&result);
                }
                result
            })
            .collect()
    }

    /// The 0–100 health score: per component with an SLO, Apdex with `T` = its target
    /// (satisfied ≤ T, tolerating ≤ 4T: `(satisfied + tolerating / 2) / timed calls`),
    /// weighted by the component's share of self time, times 100. Components without an
    /// SLO do not count; with none at all the score is 100.
    pub fn health_score(&self, slos: &[Slo]) -> HealthScore {
        let mut parts = Vec::new();
        for slo in slos {
            let Some(c) = self.component(&slo.component) else {
                continue;
            };
            let h = c.histogram();
            let n = h.count();
            if n == 0 {
                continue;
            }
            let t = u64::try_from(slo.target.as_nanos()).unwrap_or(u64::MAX);
            let satisfied = h.count_at_most(t);
            let tolerating = h.count_at_most(t.saturating_mul(4)) - satisfied;
            #[allow(clippy::cast_precision_loss, reason = "counts as ratios")]
            let apdex = (satisfied as f64 + tolerating as f64 / 2.0) / n as f64;
            parts.push((c.name.clone(), apdex, c.share.max(1e-9)));
        }
        let weight: f64 = parts.iter().map(|p| p.2).sum();
        let score = if parts.is_empty() {
            100.0
        } else {
            100.0 * parts.iter().map(|p| p.1 * p.2).sum::<f64>() / weight
        };
        HealthScore {
            score,
            components: parts,
        }
    }
}

/// A latency target: `percentile` (0..1) of `component` at most `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// The component.
    pub component: String,
    /// The percentile as a fraction (0.95 for p95).
    pub percentile: f64,
    /// The longest allowed.
    pub target: Duration,
}

impl Slo {
    /// `percentile` of `component` at most `target`.
    pub fn new(component: impl Into<String>, percentile: f64, target: Duration) -> Self {
        Self {
            component: component.into(),
            percentile,
            target,
        }
    }
}

/// One SLO judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloResult {
    /// The SLO.
    pub slo: Slo,
    /// The observed percentile, when the component was seen.
    pub observed_ns: Option<u64>,
    /// Pass, or fail when broken.
    pub status: Status,
}

/// The health score and its parts `(component, apdex, weight)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthScore {
    /// 0–100.
    pub score: f64,
    /// Each judged component's Apdex (0..1) and weight (its self-time share).
    pub components: Vec<(String, f64, f64)>,
}

/// Mean duration per component over successive time windows, from snapshots pushed at
/// regular intervals.
///
/// ```
/// use steadfast_perf_profiler::{Profiler, Trend};
///
/// let profiler = Profiler::new();
/// let mut trend = Trend::new(12);
/// trend.push(&profiler.snapshot());
/// assert_eq!(trend.growth("evaluate"), None); // not enough windows yet
/// ```
#[derive(Debug, Clone, Default)]
pub struct Trend {
    capacity: usize,
    last: HashMap<String, (u64, u64)>,
    windows: VecDeque<HashMap<String, f64>>,
}

impl Trend {
    /// Keeps the last `capacity` windows.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            ..Self::default()
        }
    }

    /// Closes a window at `snapshot`: each component's mean over the calls since the last.
    pub fn push(&mut self, snapshot: &Snapshot) {
        let mut window = HashMap::new();
        for c in &snapshot.components {
            let (calls0, total0) = self.last.get(&c.name).copied().unwrap_or((0, 0));
            let calls = c.calls.saturating_sub(calls0);
            if calls > 0 {
                #[allow(clippy::cast_precision_loss, reason = "a mean")]
                let mean = c.total_ns.saturating_sub(total0) as f64 / calls as f64;
                window.insert(c.name.clone(), mean);
            }
            self.last.insert(c.name.clone(), (c.calls, c.total_ns));
        }
        if self.windows.len() + 1 > self.capacity {
            self.windows.pop_front();
        }
        self.windows.push_back(window);
    }

    /// Windows kept.
    pub fn windows(&self) -> usize {
        self.windows.len()
    }

    /// Relative change of the component's mean across the windows, by a least-squares line
    /// (`(fitted last − fitted first) / fitted first`); `None` with fewer than 3 windows.
    pub fn growth(&self, component: &str) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .windows
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                #[allow(clippy::cast_precision_loss, reason = "a window index")]
                let x = i as f64;
                w.get(component).map(|m| (x, *m))
            })
            .collect();
        if points.len() < 3 {
            return None;
        }
        #[allow(clippy::cast_precision_loss, reason = "a count")]
        let n = points.len() as f64;
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
        let first_x = points.first().map_or(0.0, |p| p.0);
        let last_x = points.last().map_or(0.0, |p| p.0);
        let first = my + slope * (first_x - mx);
        let last = my + slope * (last_x - mx);
        (first > 0.0).then(|| (last - first) / first)
    }
}
