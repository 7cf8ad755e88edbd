//! `[profiler]`: level, sampling, memory sampling and SLO targets.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::{Config, Problems};

use crate::{Level, Profiler, SampleRate, Slo};

/// How calls are chosen for timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingKind {
    /// Keep the profiler's cost under `overhead_budget`.
    #[default]
    Adaptive,
    /// Time every call.
    Always,
    /// Time one call in `every_nth`.
    EveryNth,
    /// Time about `ratio` of calls.
    Ratio,
}

/// One SLO target as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    /// The component.
    pub component: String,
    /// The percentile, 0..100 (`95` for p95).
    pub percentile: f64,
    /// The target, like `5ms`.
    pub target: HumanDuration,
}

/// The `[profiler]` section.
///
/// ```
/// let profiler = steadfast_perf_profiler::ProfilerConfig::default().profiler();
/// assert_eq!(profiler.level(), steadfast_perf_profiler::Level::Basic);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfilerConfig {
    /// off | basic | detailed (call paths for flame graphs).
    pub level: Level,
    /// adaptive | always | every_nth | ratio.
    pub sampling: SamplingKind,
    /// Adaptive: the largest share of a component's time the profiler may add (0..1).
    pub overhead_budget: f64,
    /// every_nth: time one call in this many.
    pub every_nth: u32,
    /// ratio: the fraction of calls timed (0..1).
    pub ratio: f64,
    /// How often process memory is sampled (feature `memory`).
    pub memory_interval: HumanDuration,
    /// Latency targets: alerts and the health score.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<SloConfig>,
}

impl Default for ProfilerConfig {
    fn default() -> Self {
        Self {
            level: Level::Basic,
            sampling: SamplingKind::Adaptive,
            overhead_budget: 0.01,
            every_nth: 100,
            ratio: 0.1,
            memory_interval: HumanDuration::from_secs(1),
            slos: Vec::new(),
        }
    }
}

impl ProfilerConfig {
    /// The sample rate this section describes.
    pub fn sample_rate(&self) -> SampleRate {
        match self.sampling {
            SamplingKind::Adaptive => SampleRate::Adaptive {
                budget: self.overhead_budget,
            },
            SamplingKind::Always => SampleRate::Always,
            SamplingKind::EveryNth => SampleRate::EveryNth(self.every_nth),
            SamplingKind::Ratio => SampleRate::Ratio(self.ratio),
        }
    }

    /// A profiler configured by this section.
    pub fn profiler(&self) -> Profiler {
        Profiler::builder()
            .level(self.level)
            .sample_rate(self.sample_rate())
            .build()
    }

    /// The SLO targets.
    pub fn slos(&self) -> Vec<Slo> {
        self.slos
            .iter()
            .map(|s| Slo::new(&s.component, s.percentile / 100.0, s.target.get()))
            .collect()
    }
}

impl Config for ProfilerConfig {
    fn check(&self, problems: &mut Problems) {
        if !(self.overhead_budget > 0.0 && self.overhead_budget < 1.0) {
            problems.error(
                "overhead_budget",
                format!("{} is out of range for overhead_budget: expected a fraction between 0 and 1, like 0.01", self.overhead_budget),
            );
        }
        if self.every_nth == 0 {
            problems.error(
                "every_nth",
                "0 is out of range for every_nth: expected at least 1",
            );
        }
        if !(self.ratio > 0.0 && self.ratio <= 1.0) {
            problems.error(
                "ratio",
                format!(
                    "{} is out of range for ratio: expected more than 0 and at most 1",
                    self.ratio
                ),
            );
        }
        problems.nonzero_duration("memory_interval", self.memory_interval.get());
        for (i, slo) in self.slos.iter().enumerate() {
            problems.nested(&format!("slos[{i}]"), |p| {
                if !(slo.percentile > 0.0 && slo.percentile <= 100.0) {
                    p.error(
                        "percentile",
                        format!(
                            "{} is out of range for percentile: expected 0 < p <= 100, like 95",
                            slo.percentile
                        ),
                    );
                }
                p.nonzero_duration("target", slo.target.get());
            });
        }
    }
}
