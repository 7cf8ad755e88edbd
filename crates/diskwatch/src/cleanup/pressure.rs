//! Disk pressure: whether a cleanup must free space, and how much is enough — below
//! `target_free`, or past the `high` watermark; done at `target_free` or below `low` (past
//! its hysteresis), plus `min_reclaim`.

use super::policy::CleanupPolicy;
use crate::space::DiskSpace;
use crate::watermark::Level;

/// The goal of a cleanup under pressure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pressure {
    /// Stop once this many bytes are available…
    pub(crate) available: u64,
    /// …and this many inodes are free (`0`: no inode goal).
    pub(crate) inodes_free: u64,
}

impl Pressure {
    /// The pressure `space` is under by `policy`, if any.
    pub(crate) fn of(policy: &CleanupPolicy, space: &DiskSpace) -> Option<Self> {
        let mut goal: Option<Self> = None;
        if let Some(target) = policy.target_free
            && space.available < target.bytes()
        {
            goal = Some(Self {
                available: target.bytes(),
                inodes_free: 0,
            });
        }
        if let Some(w) = &policy.watermarks
            && w.level_of(space) >= Level::High
        {
            let (available, inodes_free) = w.below_low(space);
            let prior = goal.map_or(0, |g| g.available);
            goal = Some(Self {
                available: available.max(prior),
                inodes_free,
            });
        }
        goal.map(|g| Self {
            available: g.available.saturating_add(policy.min_reclaim.bytes()),
            ..g
        })
    }

    /// Whether `available` bytes and `inodes_free` inodes meet the goal (`inodes_total` 0:
    /// the filesystem has no inode count to meet).
    pub(crate) fn met(self, available: u64, inodes_free: u64, inodes_total: u64) -> bool {
        available >= self.available && (inodes_total == 0 || inodes_free >= self.inodes_free)
    }
}

#[cfg(test)]
mod tests {
    use steadfast_core::ByteSize;

    use super::*;
    use crate::watermark::Watermarks;

    #[test]
    fn pressure_comes_from_target_free_or_the_high_watermark_only() {
        let roomy = DiskSpace::new("/d", 1000, 500);
        let full = DiskSpace::new("/d", 1000, 95); // 90.5% used: past high
        let low_only = DiskSpace::new("/d", 1000, 130); // 87%: past low, not high
        let defaults = CleanupPolicy::default();
        assert_eq!(
            Pressure::of(&defaults, &full),
            None,
            "no watermarks, no target"
        );
        let marked = CleanupPolicy::default().with_watermarks(&Watermarks::default());
        assert_eq!(Pressure::of(&marked, &roomy), None);
        assert_eq!(Pressure::of(&marked, &low_only), None);
        let goal = Pressure::of(&marked, &full).unwrap();
        assert_eq!(goal.available, 171); // below 83% used
        let both = CleanupPolicy {
            target_free: Some(ByteSize::new(600)),
            min_reclaim: ByteSize::new(50),
            ..marked
        };
        assert_eq!(Pressure::of(&both, &roomy).unwrap().available, 650);
        assert_eq!(Pressure::of(&both, &full).unwrap().available, 650);
        assert!(!goal.met(170, 0, 0) && goal.met(171, 0, 0));
    }
}
