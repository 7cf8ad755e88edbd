//! [`Level`] and [`SampleRate`]: how much a profiler does, and which calls it times.

/// How much the profiler does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing: a span costs one relaxed load.
    Off,
    /// Counts every call; times calls as the [`SampleRate`] says, and keeps the call paths
    /// of timed calls for folded stacks and flame graphs (up to 1,024 distinct paths; more
    /// fold into one `[other]` path).
    #[default]
    Basic,
    /// As basic, with room for 65,536 distinct call paths.
    Detailed,
}

impl Level {
    pub(crate) fn to_u8(self) -> u8 {
        match self {
            Self::Off => 0,
            Self::Basic => 1,
            Self::Detailed => 2,
        }
    }
}

/// Which calls are timed. Counts are always exact; durations of untimed calls are
/// estimated from the timed ones.
///
/// The decision is a per-thread, per-component countdown: no random draw, no lock and no
/// clock read on a call that is not timed. A span opened inside a timed span is always
/// timed, so self time is exact within what was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleRate {
    /// Time every call.
    Always,
    /// Time one call in `n`.
    EveryNth(u32),
    /// Time about this fraction of calls (as one in `round(1 / ratio)`).
    Ratio(f64),
    /// Tune each component's interval so the profiler's own cost stays under `budget`
    /// (a fraction of the component's time; default 0.01).
    Adaptive {
        /// Largest share of a component's time the profiler may add.
        budget: f64,
    },
}

impl SampleRate {
    /// Adaptive sampling with a 1% budget, the default.
    pub fn adaptive() -> Self {
        Self::Adaptive { budget: 0.01 }
    }

    pub(crate) fn interval(self) -> u32 {
        match self {
            Self::Always | Self::Adaptive { .. } => 1,
            Self::EveryNth(n) => n.max(1),
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 1..=2^20"
            )]
            Self::Ratio(r) => (1.0 / r.clamp(1e-6, 1.0)).round().clamp(1.0, 1_048_576.0) as u32,
        }
    }
}

impl Default for SampleRate {
    fn default() -> Self {
        Self::adaptive()
    }
}
