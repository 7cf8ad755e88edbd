//! Watermarks in the style of Elasticsearch — low, high and flood-stage, each a used
//! percentage (`85%`) or an absolute free size (`10GiB`) — with hysteresis, for bytes and
//! for inodes. Levels speak `Status`: low and high warn, flood-stage fails.

use serde::{Deserialize, Serialize};
use steadfast_core::{SizeOrPercent, Status};

use crate::space::DiskSpace;

/// How full a filesystem is, by the watermarks it has crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below every watermark.
    Ok,
    /// Past the low watermark: plan cleanup.
    Low,
    /// Past the high watermark: clean up now.
    High,
    /// Past flood stage: big writes will fail; stop starting work.
    Flood,
}

impl Level {
    /// Pass below low, warn for low and high, fail at flood stage.
    pub fn status(self) -> Status {
        match self {
            Self::Ok => Status::Pass,
            Self::Low | Self::High => Status::Warn,
            Self::Flood => Status::Fail,
        }
    }
}

/// Three watermarks for bytes and three for inodes, with hysteresis.
///
/// A percentage is *used* share (`85%` = crossed when 85% is used); a size is *free* space
/// (`10GiB` = crossed when less than 10 GiB is available) — as Elasticsearch reads them.
///
/// ```
/// use steadfast_diskwatch::{DiskSpace, Level, Watermarks};
///
/// let mut w = Watermarks::default(); // 85% / 90% / 95%, inodes the same, 2% hysteresis
/// assert_eq!(w.evaluate(&DiskSpace::new("/data", 100, 12)), Level::Low); // 88% used
/// assert_eq!(w.evaluate(&DiskSpace::new("/data", 100, 16)), Level::Low); // 84%: within hysteresis
/// assert_eq!(w.evaluate(&DiskSpace::new("/data", 100, 18)), Level::Ok); // 82%: recovered
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Watermarks {
    /// Low watermark. Default `85%`.
    pub low: SizeOrPercent,
    /// High watermark. Default `90%`.
    pub high: SizeOrPercent,
    /// Flood stage. Default `95%`.
    pub flood: SizeOrPercent,
    /// Inode watermarks (percentages of inodes used). Defaults `85%`, `90%`, `95%`.
    pub inodes_low: SizeOrPercent,
    /// See `inodes_low`.
    pub inodes_high: SizeOrPercent,
    /// See `inodes_low`.
    pub inodes_flood: SizeOrPercent,
    /// How far back past a watermark a level must go to count as recovered: percentage
    /// points for percentages, and the same share of the total for sizes. Default `2`.
    pub hysteresis_percent: f64,
    #[serde(skip)]
    level: Option<Level>,
}

impl Default for Watermarks {
    fn default() -> Self {
        Self {
            low: SizeOrPercent::Percent(85.0),
            high: SizeOrPercent::Percent(90.0),
            flood: SizeOrPercent::Percent(95.0),
            inodes_low: SizeOrPercent::Percent(85.0),
            inodes_high: SizeOrPercent::Percent(90.0),
            inodes_flood: SizeOrPercent::Percent(95.0),
            hysteresis_percent: 2.0,
            level: None,
        }
    }
}

/// Whether `mark` is crossed by `used` (a share) with `available` of `total` free, made
/// `slack` harder to satisfy (positive slack = the level must recover past it).
fn crossed(mark: SizeOrPercent, used: f64, available: u64, total: u64, slack: f64) -> bool {
    match mark {
        SizeOrPercent::Percent(p) => used * 100.0 >= p - slack,
        SizeOrPercent::Size(free) => {
            (available as f64) < free.bytes() as f64 + slack / 100.0 * total as f64
        }
    }
}

impl Watermarks {
    /// The level `space` is at, without hysteresis (no memory of earlier samples).
    pub fn level_of(&self, space: &DiskSpace) -> Level {
        self.level_with(space, None)
    }

    fn level_with(&self, space: &DiskSpace, current: Option<Level>) -> Level {
        let used = space.used_ratio();
        let iused = space.inodes_used_ratio();
        let inode_avail = space.inodes_free;
        let h = self.hysteresis_percent.max(0.0);
        let marks = [
            (Level::Flood, self.flood, self.inodes_flood),
            (Level::High, self.high, self.inodes_high),
            (Level::Low, self.low, self.inodes_low),
        ];
        for (level, bytes, inodes) in marks {
            // A level already reached stays until usage falls `h` below its watermark.
            let slack = if current.is_some_and(|c| c >= level) {
                h
            } else {
                0.0
            };
            let by_bytes = crossed(bytes, used, space.available, space.total, slack);
            let by_inodes = space.inodes_total > 0
                && crossed(inodes, iused, inode_avail, space.inodes_total, slack);
            if by_bytes || by_inodes {
                return level;
            }
        }
        Level::Ok
    }

    /// The level of `space`, remembering the previous one for hysteresis.
    pub fn evaluate(&mut self, space: &DiskSpace) -> Level {
        let level = self.level_with(space, self.level);
        self.level = Some(level);
        level
    }

    /// The level of the last `evaluate`.
    pub fn current(&self) -> Option<Level> {
        self.level
    }

    /// The same watermarks without the memory of earlier samples.
    pub(crate) fn fresh(&self) -> Self {
        Self {
            level: None,
            ..self.clone()
        }
    }

    /// Where cleanup under pressure stops: the available bytes and free inodes at which
    /// `space`'s filesystem is below the low watermark by the hysteresis too (so a monitor
    /// sees the level recover). Deleting moves bytes from used to available, so the
    /// filesystem's user-visible size (`used + available`) stays what it is now. Free
    /// inodes are `0` (no goal) when the filesystem has no fixed inode count.
    pub(crate) fn below_low(&self, space: &DiskSpace) -> (u64, u64) {
        let h = self.hysteresis_percent.max(0.0);
        let visible = space
            .total
            .saturating_sub(space.free)
            .saturating_add(space.available);
        let bytes = goal(self.low, visible, space.total, h);
        let inodes = if space.inodes_total == 0 {
            0
        } else {
            goal(self.inodes_low, space.inodes_total, space.inodes_total, h)
        };
        (bytes, inodes)
    }
}

/// The least amount free (of `visible`, on a filesystem of `total`) at which `mark` is not
/// crossed even with `h` percentage points of hysteresis: the inverse of [`crossed`].
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "non-negative and whole; a float cast saturates at u64::MAX"
)]
fn goal(mark: SizeOrPercent, visible: u64, total: u64, h: f64) -> u64 {
    match mark {
        SizeOrPercent::Percent(p) => {
            // used / visible < (p − h) / 100  ⟺  free > visible · (1 − (p − h) / 100)
            let share = ((p - h) / 100.0).clamp(0.0, 1.0);
            let over = (visible as f64 * (1.0 - share)).floor() as u64;
            over.saturating_add(1).min(visible)
        }
        SizeOrPercent::Size(free) => free
            .bytes()
            .saturating_add((h / 100.0 * total as f64).ceil() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steadfast_core::ByteSize;

    fn at(avail: u64) -> DiskSpace {
        DiskSpace::new("/d", 1000, avail)
    }

    #[test]
    fn percent_levels_and_hysteresis_both_ways() {
        let mut w = Watermarks::default();
        let seq = [
            (200, Level::Ok),
            (140, Level::Low),
            (95, Level::High),
            (40, Level::Flood),
            (55, Level::Flood),
            (75, Level::High),
            (110, Level::High),
            (125, Level::Low),
            (160, Level::Low),
            (190, Level::Ok),
        ];
        for (avail, want) in seq {
            assert_eq!(w.evaluate(&at(avail)), want, "avail {avail}");
        }
    }

    #[test]
    fn absolute_sizes_are_free_space_and_inodes_count_too() {
        let mut w = Watermarks {
            low: SizeOrPercent::Size(ByteSize::new(300)),
            high: SizeOrPercent::Size(ByteSize::new(200)),
            flood: SizeOrPercent::Size(ByteSize::new(100)),
            ..Watermarks::default()
        };
        assert_eq!(w.level_of(&at(250)), Level::Low);
        assert_eq!(w.level_of(&at(99)), Level::Flood);
        assert_eq!(w.evaluate(&at(350)), Level::Ok);
        // Plenty of bytes, but 96% of inodes used.
        assert_eq!(w.evaluate(&at(900).with_inodes(100, 4)), Level::Flood);
        assert_eq!(Level::Flood.status(), Status::Fail);
        assert_eq!(Level::Low.status(), Status::Warn);
    }

    #[test]
    fn below_low_is_the_first_amount_free_that_recovers_past_the_hysteresis() {
        let w = Watermarks::default(); // low 85%, 2% hysteresis: used must fall below 83%
        let (bytes, inodes) = w.below_low(&at(50));
        assert_eq!((bytes, inodes), (171, 0));
        let mut after = w.fresh();
        after.evaluate(&at(50));
        assert_eq!(after.evaluate(&at(bytes)), Level::Ok);
        let mut short = w.fresh();
        short.evaluate(&at(50));
        assert_eq!(short.evaluate(&at(bytes - 1)), Level::Low);
        let sized = Watermarks {
            low: SizeOrPercent::Size(ByteSize::new(300)),
            ..Watermarks::default()
        };
        assert_eq!(sized.below_low(&at(10).with_inodes(100, 1)), (320, 18));
    }
}
