//! Deadlines that cannot overflow: every `Instant + Duration` in this crate goes through
//! here, so no configured duration (however long) can panic a probe or the server.

use std::time::Duration;

use tokio::time::Instant;

/// About 30 years: what "never" means for a deadline.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// `now + d`, or a far deadline when that would overflow the clock.
pub(crate) fn deadline(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
}

/// `d` in nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_duration_gives_a_far_deadline_not_a_panic() {
        let now = Instant::now();
        assert!(deadline(now, Duration::MAX) > now);
        assert_eq!(
            deadline(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert_eq!(nanos(Duration::MAX), u64::MAX);
    }
}
