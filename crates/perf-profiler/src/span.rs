//! The hot path: [`Component`] handles and [`Span`] guards. An untimed span is a level
//! check, a count, a countdown and a read of the thread's depth; a timed one adds two clock
//! reads, a frame on the thread's fixed stack (with its call path, looked up from its
//! parent's in the handle's own slots) and a record into the handle's own shard.

use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;

use crate::local::{CompState, DEPTH, Frame, MAX_DEPTH, STACK};
use crate::paths::ROOT;
use crate::sampling::SampleRate;
use crate::shard::bump;
use crate::shared::ACTIVE;

/// A component handle for hot loops: its own shard and sampling countdown, so an untimed
/// span is a decrement and two stores, with no lookup and no lock. `Send` but not `Sync`:
/// give each thread its own (clone it); a clone starts its own shard, and a dropped handle
/// folds its figures into the profiler's totals.
#[derive(Debug)]
pub struct Component {
    pub(crate) state: CompState,
}

impl Clone for Component {
    fn clone(&self) -> Self {
        Self {
            state: CompState::new(&self.state.shared, self.state.id),
        }
    }
}

impl Component {
    /// Opens a span of this component; it closes when the guard drops.
    #[inline]
    pub fn span(&self) -> Span<'_> {
        enter(Target::Borrowed(&self.state))
    }

    /// Runs `f` inside a span of this component.
    #[inline]
    pub fn time<R>(&self, f: impl FnOnce() -> R) -> R {
        let _span = self.span();
        f()
    }
}

#[derive(Debug)]
pub(crate) enum Target<'a> {
    Borrowed(&'a CompState),
    Named(Rc<CompState>),
}

impl Target<'_> {
    #[inline]
    fn state(&self) -> &CompState {
        match self {
            Self::Borrowed(s) => s,
            Self::Named(s) => s,
        }
    }
}

/// An open span; timing (if this call is timed) ends when it drops. Not `Send`: a span
/// closes on the thread that opened it.
#[must_use = "a span measures until it is dropped"]
#[derive(Debug)]
pub struct Span<'a> {
    timed: Option<(Target<'a>, u64)>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for Span<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.timed.is_some() {
            self.finish();
        }
    }
}

impl Span<'_> {
    #[inline(never)]
    fn finish(&mut self) {
        if let Some((target, start)) = self.timed.take() {
            exit(target.state(), start);
        }
    }
}

pub(crate) const OFF: Span<'static> = Span {
    timed: None,
    _not_send: PhantomData,
};

/// The hot path, kept small enough to inline: an untimed call is a level check, a count,
/// a countdown and a read of the thread's span depth.
#[inline]
pub(crate) fn enter(target: Target<'_>) -> Span<'_> {
    // While no profiler in the process is on, one load of a static decides: no pointer
    // chase to the profiler's own level.
    if ACTIVE.load(Relaxed) == 0 {
        return OFF;
    }
    let state = target.state();
    if state.shared.level.load(Relaxed) == 0 {
        return OFF;
    }
    bump(&state.shard.calls, 1);
    let left = state.countdown.get().wrapping_sub(1);
    // Inside a timed span everything is timed, so self time is exact.
    if left != 0 && DEPTH.with(std::cell::Cell::get) == 0 {
        state.countdown.set(left);
        return OFF;
    }
    start_timed(target, left)
}

#[inline(never)]
fn start_timed(target: Target<'_>, left: u32) -> Span<'_> {
    let state = target.state();
    if left == 0 {
        state.countdown.set(state.interval.get());
    } else {
        state.countdown.set(left);
    }
    let depth = DEPTH.with(std::cell::Cell::get) as usize;
    if depth >= MAX_DEPTH {
        return OFF;
    }
    let start = STACK.with(|s| {
        // The path first, so the first call under a new parent (a table lookup under a
        // lock) is not counted in the span's time.
        let parent = depth.checked_sub(1).map_or(ROOT, |i| s[i].get().path);
        let path = state.path_under(parent);
        let start = state.shared.clock.raw();
        s[depth].set(Frame {
            comp: state.id,
            path,
            start,
            child_ns: 0,
            alloc: 0,
        });
        start
    });
    DEPTH.with(|d| d.set(u32::try_from(depth + 1).unwrap_or(u32::MAX)));
    Span {
        timed: Some((target, start)),
        _not_send: PhantomData,
    }
}

#[inline]
fn exit(state: &CompState, start: u64) {
    let shared = &state.shared;
    let end = shared.clock.raw();
    let total = shared.clock.delta_as_nanos(start, end);
    let mut own = total;
    let mut alloc = 0;
    let depth = DEPTH.with(std::cell::Cell::get) as usize;
    STACK.with(|s| {
        let open = &s[..depth.min(MAX_DEPTH)];
        let ours = |f: &std::cell::Cell<Frame>| {
            let f = f.get();
            f.comp == state.id && f.start == start
        };
        // Frames close innermost first; a guard dropped out of order closes those above it.
        let pos = match open.last() {
            Some(top) if ours(top) => open.len() - 1,
            _ => match open.iter().rposition(ours) {
                Some(pos) => pos,
                // Its frame is gone (closed out of order): its time still has a path.
                None => {
                    state.add_path_time(state.path_under(ROOT), own);
                    return;
                }
            },
        };
        let frame = s[pos].get();
        own = total.saturating_sub(frame.child_ns);
        alloc = frame.alloc;
        state.add_path_time(frame.path, own);
        if pos > 0 {
            let mut parent = s[pos - 1].get();
            parent.child_ns = parent.child_ns.saturating_add(total);
            s[pos - 1].set(parent);
        }
        DEPTH.with(|d| d.set(u32::try_from(pos).unwrap_or(u32::MAX)));
    });
    state.shard.sample(total, own, state.random());
    if alloc > 0 {
        bump(&state.shard.alloc_bytes, alloc);
    }
    if let SampleRate::Adaptive { budget } = shared.rate {
        tune(state, total, budget, shared.timed_cost_ns);
    }
}

/// What an untimed span costs (a count, a countdown, a depth read), as measured by the
/// `span_cost/span_not_timed` bench here (~2 ns); adaptive sampling leaves room for it.
const UNTIMED_COST_NS: f64 = 2.0;

/// The longest adaptive interval: at least one call in this many is timed, so percentiles
/// stay current even for components too short to time within the budget.
const MAX_INTERVAL: f64 = 4096.0;

/// Adaptive sampling. Per call the profiler costs `UNTIMED_COST_NS + timed_cost / n`; keep
/// that under a quarter of `budget` times the component's mean duration — the quarter is
/// margin for the cost estimate, so the measured cost stays under the budget itself.
#[inline]
fn tune(lc: &CompState, total: u64, budget: f64, cost: f64) {
    #[allow(clippy::cast_precision_loss, reason = "a duration in ns")]
    let sample = total as f64;
    let timed = lc.timed.get().saturating_add(1);
    lc.timed.set(timed);
    let mean = if timed == 1 {
        sample
    } else {
        lc.mean_ns.get() + (sample - lc.mean_ns.get()) / f64::from(timed.min(64))
    };
    lc.mean_ns.set(mean);
    if timed.is_multiple_of(8) {
        let allowed = budget.max(0.0) / 4.0 * mean - UNTIMED_COST_NS;
        let n = if allowed > 0.0 {
            (cost / allowed).ceil().clamp(1.0, MAX_INTERVAL)
        } else {
            MAX_INTERVAL
        };
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to 1..=4096"
        )]
        let n = n as u32;
        lc.interval.set(n);
        lc.countdown.set(lc.countdown.get().min(n));
    }
}
