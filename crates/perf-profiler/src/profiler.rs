//! [`Profiler`]: spans, timing closures, recorded durations; levels and sampling.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use crate::local::{CompState, DEPTH, MAX_DEPTH, STACK, named};
use crate::paths::PathTable;
use crate::sampling::{Level, SampleRate};
use crate::shard::bump;
use crate::shared::{ACTIVE, Names, Shared};
use crate::span::{Component, OFF, Span, Target, enter};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A thread-safe, cheaply cloned profiler of named components.
///
/// ```
/// use steadfast_perf_profiler::{Profiler, SampleRate};
///
/// let profiler = Profiler::builder().sample_rate(SampleRate::Always).build();
/// {
///     let _outer = profiler.span("transform");
///     let _inner = profiler.span("transform.parse");
/// }
/// let n = profiler.time("evaluate", || 6 * 7);
/// assert_eq!(n, 42);
/// profiler.record("load", std::time::Duration::from_millis(3));
///
/// let snapshot = profiler.snapshot();
/// assert_eq!(snapshot.component("transform").unwrap().calls, 1);
/// assert_eq!(snapshot.component("load").unwrap().max_ns, 3_000_000);
/// ```
#[derive(Clone)]
pub struct Profiler {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler")
            .field("level", &self.level())
            .field("rate", &self.shared.rate)
            .finish_non_exhaustive()
    }
}

impl Default for Profiler {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds a [`Profiler`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ProfilerBuilder {
    level: Level,
    rate: SampleRate,
    clock: Option<quanta::Clock>,
    timed_cost: Option<Duration>,
}

impl ProfilerBuilder {
    /// The level (default [`Level::Basic`]).
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The sampling (default adaptive, 1% budget).
    pub fn sample_rate(mut self, rate: SampleRate) -> Self {
        self.rate = rate;
        self
    }

    /// The clock; tests pass `quanta::Clock::mock()`'s clock to control time.
    pub fn clock(mut self, clock: quanta::Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The cost of one timed span used by adaptive sampling (default: measured once).
    pub fn timed_cost(mut self, cost: Duration) -> Self {
        self.timed_cost = Some(cost);
        self
    }

    /// The profiler.
    pub fn build(self) -> Profiler {
        let clock = self.clock.unwrap_or_default();
        let timed_cost_ns = self
            .timed_cost
            .map_or_else(calibrate, |d| d.as_secs_f64() * 1e9);
        let started = clock.now();
        if self.level != Level::Off {
            ACTIVE.fetch_add(1, Relaxed);
        }
        Profiler {
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Relaxed),
                level: AtomicU8::new(self.level.to_u8()),
                clock,
                rate: self.rate,
                timed_cost_ns,
                names: RwLock::new(Names::default()),
                initial_interval: self.rate.interval(),
                shards: Mutex::new(Vec::new()),
                retired: Mutex::new(Vec::new()),
                paths: Mutex::new(PathTable::default()),
                started,
                memory: Mutex::new(None),
            }),
        }
    }
}

/// Measures what one timed span costs here: two clock reads and the bookkeeping (~10 ns).
fn calibrate() -> f64 {
    let clock = quanta::Clock::new();
    let rounds = 2000u32;
    let begin = clock.raw();
    let mut sink = 0u64;
    for _ in 0..rounds {
        let a = clock.raw();
        let b = clock.raw();
        sink = sink.wrapping_add(b.wrapping_sub(a));
    }
    let end = clock.raw();
    std::hint::black_box(sink);
    #[allow(clippy::cast_precision_loss, reason = "a duration in ns")]
    let per = clock.delta_as_nanos(begin, end) as f64 / f64::from(rounds);
    per + 10.0
}

impl Profiler {
    /// A profiler at level basic with adaptive sampling (1% budget).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder.
    pub fn builder() -> ProfilerBuilder {
        ProfilerBuilder {
            level: Level::Basic,
            rate: SampleRate::adaptive(),
            clock: None,
            timed_cost: None,
        }
    }

    /// The current level.
    pub fn level(&self) -> Level {
        match self.shared.level.load(Relaxed) {
            0 => Level::Off,
            1 => Level::Basic,
            _ => Level::Detailed,
        }
    }

    /// Changes the level at run time (spans already open finish as they started).
    pub fn set_level(&self, level: Level) {
        let old = self.shared.level.swap(level.to_u8(), Relaxed);
        match (old, level.to_u8()) {
            (0, n) if n != 0 => {
                ACTIVE.fetch_add(1, Relaxed);
            }
            (o, 0) if o != 0 => {
                ACTIVE.fetch_sub(1, Relaxed);
            }
            _ => {}
        }
    }

    /// The component called `name`, registered on first use.
    pub fn component(&self, name: &str) -> Component {
        Component {
            state: CompState::new(&self.shared, self.id_of(name)),
        }
    }

    pub(crate) fn id_of(&self, name: &str) -> u32 {
        if let Some(id) = self
            .shared
            .names
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_name
            .get(name)
        {
            return *id;
        }
        let mut names = self
            .shared
            .names
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = names.by_name.get(name) {
            return *id;
        }
        let id = u32::try_from(names.names.len()).unwrap_or(u32::MAX);
        let name: Arc<str> = Arc::from(name);
        names.names.push(Arc::clone(&name));
        names.by_name.insert(name, id);
        id
    }

    /// Opens a span of component `name`. In hot loops prefer a [`Component`].
    #[inline]
    pub fn span(&self, name: &str) -> Span<'_> {
        if self.shared.level.load(Relaxed) == 0 {
            return OFF;
        }
        match named(&self.shared, self.id_of(name)) {
            Some(state) => enter(Target::Named(state)),
            None => OFF,
        }
    }

    /// Runs `f` inside a span of `name` and returns its result.
    #[inline]
    pub fn time<R>(&self, name: &str, f: impl FnOnce() -> R) -> R {
        let _span = self.span(name);
        f()
    }

    /// Records one call of `name` that took `duration`, measured elsewhere (always kept).
    pub fn record(&self, name: &str, duration: Duration) {
        if self.shared.level.load(Relaxed) == 0 {
            return;
        }
        let ns = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let Some(state) = named(&self.shared, self.id_of(name)) else {
            return;
        };
        bump(&state.shard.calls, 1);
        state.shard.sample(ns, ns, state.random());
        let depth = DEPTH.with(std::cell::Cell::get) as usize;
        let mut parent_path = crate::paths::ROOT;
        if let Some(i) = depth.checked_sub(1).filter(|i| *i < MAX_DEPTH) {
            STACK.with(|s| {
                let mut parent = s[i].get();
                parent.child_ns = parent.child_ns.saturating_add(ns);
                parent_path = parent.path;
                s[i].set(parent);
            });
        }
        // Under the open span, as a timed span's own time would be: the flame graph keeps
        // what `record` (and the tracing layer) measured.
        state.add_path_time(state.path_under(parent_path), ns);
    }

    /// Nanoseconds since the profiler was built, on its clock.
    pub(crate) fn elapsed_ns(&self) -> u64 {
        let now = self.shared.clock.now();
        u64::try_from(
            now.saturating_duration_since(self.shared.started)
                .as_nanos(),
        )
        .unwrap_or(u64::MAX)
    }
}
