//! A breaker's sliding window: the outcomes of the last N calls (count-based) or of the last
//! N seconds aggregated in per-second buckets (time-based), with their failures and slow
//! calls — what the failure-rate and slow-call-rate rules judge.

use std::time::Instant;

/// The most seconds a time-based window spans (one bucket per second, kept per breaker).
pub(crate) const MAX_WINDOW_SECS: u32 = 3600;

/// How a window is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowKind {
    /// The last `n` calls (at least 1).
    Count(usize),
    /// The calls of the last `n` seconds (1 to [`MAX_WINDOW_SECS`]).
    Time(u32),
}

/// Calls, failures and slow calls counted together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) calls: usize,
    pub(crate) failures: usize,
    pub(crate) slow: usize,
}

impl Tally {
    fn add(&mut self, other: Self) {
        self.calls += other.calls;
        self.failures += other.failures;
        self.slow += other.slow;
    }

    fn sub(&mut self, other: Self) {
        self.calls -= other.calls;
        self.failures -= other.failures;
        self.slow -= other.slow;
    }

    fn one(failed: bool, slow: bool) -> Self {
        Self {
            calls: 1,
            failures: usize::from(failed),
            slow: usize::from(slow),
        }
    }
}

/// One call's outcome in a count-based window: bit 0 failed, bit 1 slow.
const FAILED: u8 = 1;
const SLOW: u8 = 2;

enum Ring {
    /// One outcome per call; `next` is where the next one goes.
    Count {
        outcomes: Vec<u8>,
        next: usize,
        filled: usize,
    },
    /// One tally per second since `origin`; `head` is the latest second recorded, and the
    /// bucket of second `s` is `buckets[s % len]`.
    Time {
        buckets: Vec<Tally>,
        head: u64,
        origin: Instant,
    },
}

/// The window and its running totals.
pub(crate) struct Window {
    ring: Ring,
    total: Tally,
}

impl Window {
    /// An empty window of `kind`; a time-based one counts seconds from `origin`.
    pub(crate) fn new(kind: WindowKind, origin: Instant) -> Self {
        let ring = match kind {
            WindowKind::Count(n) => Ring::Count {
                outcomes: vec![0; n.max(1)],
                next: 0,
                filled: 0,
            },
            WindowKind::Time(secs) => Ring::Time {
                buckets: vec![Tally::default(); secs.clamp(1, MAX_WINDOW_SECS) as usize],
                head: 0,
                origin,
            },
        };
        Self {
            ring,
            total: Tally::default(),
        }
    }

    /// Records one call at `now` (read only by a time-based window) and returns the
    /// window's totals after it: for a time-based window, the buckets older than its span
    /// have dropped out first.
    pub(crate) fn record(&mut self, failed: bool, slow: bool, now: Option<Instant>) -> Tally {
        let call = Tally::one(failed, slow);
        match &mut self.ring {
            Ring::Count {
                outcomes,
                next,
                filled,
            } => {
                let i = *next;
                if *filled == outcomes.len() {
                    let old = outcomes[i];
                    self.total
                        .sub(Tally::one(old & FAILED != 0, old & SLOW != 0));
                } else {
                    *filled += 1;
                }
                outcomes[i] = (u8::from(failed) * FAILED) | (u8::from(slow) * SLOW);
                *next = (i + 1) % outcomes.len();
            }
            Ring::Time {
                buckets,
                head,
                origin,
            } => {
                let len = buckets.len() as u64;
                let sec = now.map_or(*head, |now| {
                    now.saturating_duration_since(*origin).as_secs()
                });
                if sec > *head {
                    // Every second after `head` up to `sec` starts empty; its bucket last
                    // held a second that is now out of the window.
                    let first = sec - (sec - *head).min(len) + 1;
                    for s in first..=sec {
                        let bucket = &mut buckets[index(s, len)];
                        self.total.sub(*bucket);
                        *bucket = Tally::default();
                    }
                    *head = sec;
                }
                // A call timed just before a newer one recorded first lands in the newest
                // second: close enough, and the totals stay consistent.
                buckets[index(*head, len)].add(call);
            }
        }
        self.total.add(call);
        self.total
    }

    /// Forgets every call.
    pub(crate) fn clear(&mut self) {
        match &mut self.ring {
            Ring::Count {
                outcomes,
                next,
                filled,
            } => {
                outcomes.iter_mut().for_each(|o| *o = 0);
                *next = 0;
                *filled = 0;
            }
            Ring::Time { buckets, .. } => {
                buckets.iter_mut().for_each(|b| *b = Tally::default());
            }
        }
        self.total = Tally::default();
    }
}

/// The bucket of second `sec` in a ring of `len` buckets.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the remainder is below len, a usize"
)]
fn index(sec: u64, len: u64) -> usize {
    (sec % len) as usize
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_count_window_keeps_the_last_n_calls() {
        let mut w = Window::new(WindowKind::Count(3), Instant::now());
        w.record(true, true, None);
        w.record(true, false, None);
        w.record(false, false, None);
        let t = w.record(false, true, None); // the first call drops out
        assert_eq!(
            t,
            Tally {
                calls: 3,
                failures: 1,
                slow: 1
            }
        );
        w.clear();
        assert_eq!(w.record(false, false, None).calls, 1);
    }

    #[test]
    fn a_time_window_forgets_seconds_past_its_span() {
        let origin = Instant::now();
        let at = |s: u64| Some(origin + Duration::from_millis(s * 1000 + 500));
        let mut w = Window::new(WindowKind::Time(10), origin);
        for s in 0..5 {
            w.record(true, false, at(s));
        }
        assert_eq!(w.record(false, false, at(9)).failures, 5);
        // At second 12, seconds 0–2 are out of the window (it holds 3–12).
        let t = w.record(false, false, at(12));
        assert_eq!((t.calls, t.failures), (4, 2));
        // A long silence empties it whole.
        let t = w.record(false, true, at(1000));
        assert_eq!((t.calls, t.failures, t.slow), (1, 0, 1));
    }
}
