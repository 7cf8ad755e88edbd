//! `[profiler]`: level, sampling, memory sampling and SLO targets.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{
    Documented, KeySpec, ValueType, entries_without_default, serde_variants,
};
use steadfast_core::config::{Config, Problems};

use crate::config_keys as keys;
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
    /// off | basic | detailed (room for more call paths in flame graphs).
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

    /// Samples `profiler`'s process memory every `memory_interval` (feature `memory`)
    /// until the sampler drops.
    ///
    /// ```
    /// let config = steadfast_perf_profiler::ProfilerConfig::default();
    /// let profiler = config.profiler();
    /// let sampler = config.memory_sampler(&profiler);
    /// sampler.sample_now();
    /// assert!(profiler.snapshot().memory.is_some());
    /// ```
    #[cfg(feature = "memory")]
    pub fn memory_sampler(&self, profiler: &Profiler) -> crate::MemorySampler {
        crate::MemorySampler::start(profiler, self.memory_interval.get())
    }

    /// As [`memory_sampler`](Self::memory_sampler), calling `on_sample` with each
    /// sample's RSS in bytes (feature `memory`).
    #[cfg(feature = "memory")]
    pub fn memory_sampler_with(
        &self,
        profiler: &Profiler,
        on_sample: impl Fn(u64) + Send + Sync + 'static,
    ) -> crate::MemorySampler {
        crate::MemorySampler::start_with(profiler, self.memory_interval.get(), on_sample)
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
        problems.check_range(&keys::OVERHEAD_BUDGET, self.overhead_budget);
        problems.check_range(&keys::EVERY_NTH, self.every_nth);
        problems.check_range(&keys::RATIO, self.ratio);
        problems.check_range(&keys::MEMORY_INTERVAL, self.memory_interval);
        for (i, slo) in self.slos.iter().enumerate() {
            problems.nested(&format!("slos[{i}]"), |p| {
                p.check_range(&keys::slo::PERCENTILE, slo.percentile);
                p.check_range(&keys::slo::TARGET, slo.target);
            });
        }
    }
}

// The documented keys: the ranged ones from `config_keys.rs`, which `check` reads too.
impl Documented for ProfilerConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("level", ValueType::Choice(serde_variants::<Level>)),
        KeySpec::new(
            "sampling",
            ValueType::Choice(serde_variants::<SamplingKind>),
        ),
        keys::OVERHEAD_BUDGET,
        keys::EVERY_NTH,
        keys::RATIO,
        keys::MEMORY_INTERVAL,
        KeySpec::new(
            "slos",
            ValueType::Entries(entries_without_default::<SloConfig>),
        ),
    ];
}

impl Documented for SloConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("component", ValueType::Text),
        keys::slo::PERCENTILE,
        keys::slo::TARGET,
    ];
}

#[cfg(test)]
mod documented_tests {
    use steadfast_core::config::keys::table;

    use super::*;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<ProfilerConfig>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
