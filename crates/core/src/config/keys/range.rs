//! [`Range`]: the values a key allows, judged against a [`Measure`]d value and put in
//! words — the whole range for the reference, the bound a value broke for a message.

use std::fmt;
use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::time::Duration;

use crate::HumanDuration;

/// The values a number or duration key allows.
///
/// ```
/// use std::time::Duration;
/// use steadfast_core::config::keys::Range;
///
/// assert!(Range::between(1.0, 100.0).contains(100_u32));
/// assert!(!Range::NONZERO_DURATION.contains(Duration::ZERO));
/// assert_eq!(Range::nonzero_duration_at_most(Duration::from_secs(3600)).describe(), "> 0s and ≤ 1h");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Range {
    /// A number between two bounds.
    Number {
        /// The lower bound.
        min: Bound<f64>,
        /// The upper bound.
        max: Bound<f64>,
    },
    /// A duration between two bounds.
    Duration {
        /// The lower bound.
        min: Bound<Duration>,
        /// The upper bound.
        max: Bound<Duration>,
    },
}

impl Range {
    /// A ratio: 0 to 1, both included.
    pub const RATIO: Self = Self::between(0.0, 1.0);
    /// A duration longer than zero.
    pub const NONZERO_DURATION: Self = Self::Duration {
        min: Excluded(Duration::ZERO),
        max: Unbounded,
    };

    /// `min` to `max`, both included.
    pub const fn between(min: f64, max: f64) -> Self {
        Self::Number {
            min: Included(min),
            max: Included(max),
        }
    }

    /// `min` or more.
    pub const fn at_least(min: f64) -> Self {
        Self::Number {
            min: Included(min),
            max: Unbounded,
        }
    }

    /// More than `min`.
    pub const fn greater_than(min: f64) -> Self {
        Self::Number {
            min: Excluded(min),
            max: Unbounded,
        }
    }

    /// Any number between two bounds of any kind.
    pub const fn number(min: Bound<f64>, max: Bound<f64>) -> Self {
        Self::Number { min, max }
    }

    /// A duration of at most `max` (zero allowed).
    pub const fn duration_at_most(max: Duration) -> Self {
        Self::Duration {
            min: Unbounded,
            max: Included(max),
        }
    }

    /// A duration longer than zero and at most `max`.
    pub const fn nonzero_duration_at_most(max: Duration) -> Self {
        Self::Duration {
            min: Excluded(Duration::ZERO),
            max: Included(max),
        }
    }

    /// Whether `value` is allowed (a number must be finite as well). A duration judged by a
    /// number range (or the reverse) is a programming error; it is allowed rather than
    /// reported to the user.
    pub fn contains(&self, value: impl Measure) -> bool {
        self.broken(value.measure()).is_none()
    }

    /// The range in a few symbols, for the reference: `1 to 1024`, `> 0s and ≤ 1h`, `≥ 0`.
    pub fn describe(&self) -> String {
        match *self {
            Self::Number { min, max } => describe(min, max, num),
            Self::Duration { min, max } => describe(min, max, dur),
        }
    }

    /// The bound `value` breaks: below the minimum (`false`) or above the maximum (`true`).
    fn broken(&self, value: Measured) -> Option<bool> {
        fn side<T: PartialOrd>(min: Bound<T>, max: Bound<T>, v: &T) -> Option<bool> {
            let low = match &min {
                Included(m) => v < m,
                Excluded(m) => v <= m,
                Unbounded => false,
            };
            let high = match &max {
                Included(m) => v > m,
                Excluded(m) => v >= m,
                Unbounded => false,
            };
            (low || high).then_some(high)
        }
        match (*self, value) {
            // No key takes an infinite or NaN number; both compare oddly, so refuse them here.
            (Self::Number { min, .. }, Measured::Number(v)) if !v.is_finite() => {
                Some(matches!(min, Unbounded) || v > 0.0)
            }
            (Self::Number { min, max }, Measured::Number(v)) => side(min, max, &v),
            (Self::Duration { min, max }, Measured::Duration(v)) => side(min, max, &v),
            _ => {
                debug_assert!(false, "{value} judged by {self:?}");
                None
            }
        }
    }

    /// What the value should have been, when it breaks the range: the whole range for
    /// numbers (`1 to 100`; `integer` for whole-number keys), the broken bound for
    /// durations (`at most 1h`).
    pub(super) fn violation(&self, value: Measured, integer: bool) -> Option<String> {
        let above = self.broken(value)?;
        Some(match *self {
            Self::Number { min, max } => match (min, max) {
                (Included(a), Included(b)) if a == 0.0 && b == 1.0 && !integer => {
                    "a ratio between 0 and 1 (0.95 means 95%)".to_owned()
                }
                (Included(a), Included(b)) => format!("{} to {}", num(a), num(b)),
                (Included(a), Unbounded) if integer => format!("at least {}", num(a)),
                (Included(a), Unbounded) => format!("a number ≥ {}", num(a)),
                (Excluded(a), Unbounded) => format!("a number greater than {}", num(a)),
                (min, max) => words(min, max, num),
            },
            Self::Duration { min, .. } if !above => match min {
                Excluded(m) if m.is_zero() => "a duration greater than 0, like `30s`".to_owned(),
                Excluded(m) => format!("longer than {}", dur(m)),
                Included(m) => format!("at least {}", dur(m)),
                Unbounded => return None,
            },
            Self::Duration { max, .. } => match max {
                Included(m) => format!("at most {}", dur(m)),
                Excluded(m) => format!("shorter than {}", dur(m)),
                Unbounded => return None,
            },
        })
    }
}

fn num(v: f64) -> String {
    v.to_string()
}

/// A bound as configuration writes it; whole days stay days (`365days`, not humantime's
/// `11months 30days 3h 50m 24s`).
fn dur(d: Duration) -> String {
    const DAY: u64 = 24 * 3600;
    match (d.as_secs() / DAY, d.as_secs() % DAY, d.subsec_nanos()) {
        (1, 0, 0) => "1day".to_owned(),
        (days @ 2.., 0, 0) => format!("{days}days"),
        _ => HumanDuration::from(d).to_string(),
    }
}

/// `1 to 100`, `> 0 and < 1`, `≥ 0`, `≤ 1h`.
fn describe<T: Copy>(min: Bound<T>, max: Bound<T>, show: fn(T) -> String) -> String {
    if let (Included(a), Included(b)) = (min, max) {
        return format!("{} to {}", show(a), show(b));
    }
    let low = match min {
        Included(a) => Some(format!("≥ {}", show(a))),
        Excluded(a) => Some(format!("> {}", show(a))),
        Unbounded => None,
    };
    let high = match max {
        Included(b) => Some(format!("≤ {}", show(b))),
        Excluded(b) => Some(format!("< {}", show(b))),
        Unbounded => None,
    };
    low.into_iter()
        .chain(high)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `more than 0 and less than 1`.
fn words<T: Copy>(min: Bound<T>, max: Bound<T>, show: fn(T) -> String) -> String {
    let low = match min {
        Included(a) => Some(format!("at least {}", show(a))),
        Excluded(a) => Some(format!("more than {}", show(a))),
        Unbounded => None,
    };
    let high = match max {
        Included(b) => Some(format!("at most {}", show(b))),
        Excluded(b) => Some(format!("less than {}", show(b))),
        Unbounded => None,
    };
    low.into_iter()
        .chain(high)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A value a [`Range`] can judge: numbers of every width, and durations.
pub trait Measure {
    /// The value as a number or a duration.
    fn measure(&self) -> Measured;
}

/// A [`Measure`]d value; displays as configuration writes it (`0.5`, `2h`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    /// A number.
    Number(f64),
    /// A duration.
    Duration(Duration),
}

impl fmt::Display for Measured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(v) => write!(f, "{v}"),
            Self::Duration(d) => write!(f, "{}", HumanDuration::from(*d)),
        }
    }
}

impl Measure for f64 {
    fn measure(&self) -> Measured {
        Measured::Number(*self)
    }
}

macro_rules! measure_lossless {
    ($($t:ty),*) => {$(
        impl Measure for $t {
            fn measure(&self) -> Measured {
                Measured::Number(f64::from(*self))
            }
        }
    )*};
}
measure_lossless!(u8, u16, u32, i32, f32);

macro_rules! measure_wide {
    ($($t:ty),*) => {$(
        impl Measure for $t {
            fn measure(&self) -> Measured {
                // Counts and sizes in configuration stay far below 2^53, exact in an f64.
                #[allow(clippy::cast_precision_loss, reason = "configured counts are < 2^53")]
                Measured::Number(*self as f64)
            }
        }
    )*};
}
measure_wide!(u64, usize, i64);

impl Measure for Duration {
    fn measure(&self) -> Measured {
        Measured::Duration(*self)
    }
}

impl Measure for HumanDuration {
    fn measure(&self) -> Measured {
        Measured::Duration(self.get())
    }
}

impl<T: Measure + ?Sized> Measure for &T {
    fn measure(&self) -> Measured {
        (**self).measure()
    }
}

impl Measure for Measured {
    fn measure(&self) -> Measured {
        *self
    }
}
