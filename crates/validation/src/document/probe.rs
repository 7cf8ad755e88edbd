//! `Probe`: whether a worker should try the quick check on the next record of a records
//! path, given how the last ones fared.

/// Records in a row that fail the quick check before it is set aside.
const FAILS_IN_A_ROW: u32 = 8;
/// How many records the quick check is first set aside for; each failed retry doubles it,
/// up to [`MOST_SET_ASIDE`]; a pass resets it.
const FIRST_SET_ASIDE: u32 = 64;
const MOST_SET_ASIDE: u32 = 4096;

/// When records keep failing the quick check (a producer's systematic fault: every record
/// lacks a field), the walk is wasted work before the evaluator reads each record again.
/// After [`FAILS_IN_A_ROW`] failures the check is set aside for a while, then tried on one
/// record: a file of failing records spends a walk on one record in 64 to 4,096, and a
/// file of passing records is not slowed (reports never depend on it: the evaluator's
/// verdict is the same).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    fails: u32,
    aside: u32,
    next_aside: u32,
}

impl Default for Probe {
    fn default() -> Self {
        Self {
            fails: 0,
            aside: 0,
            next_aside: FIRST_SET_ASIDE,
        }
    }
}

impl Probe {
    /// Whether to try the quick check on this record.
    pub(crate) fn wanted(&mut self) -> bool {
        if self.aside == 0 {
            return true;
        }
        self.aside -= 1;
        false
    }

    pub(crate) fn passed(&mut self) {
        *self = Self::default();
    }

    pub(crate) fn failed(&mut self) {
        self.fails += 1;
        if self.fails >= FAILS_IN_A_ROW {
            self.aside = self.next_aside;
            self.next_aside = (self.next_aside * 2).min(MOST_SET_ASIDE);
            // The retry after this spell decides alone.
            self.fails = FAILS_IN_A_ROW - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `n` records through a probe, each passing when `pass(i)`; returns how many
    /// were tried.
    fn tried(n: u32, pass: impl Fn(u32) -> bool) -> u32 {
        let mut p = Probe::default();
        let mut tried = 0;
        for i in 0..n {
            if p.wanted() {
                tried += 1;
                if pass(i) {
                    p.passed();
                } else {
                    p.failed();
                }
            }
        }
        tried
    }

    #[test]
    fn passing_records_are_always_tried() {
        assert_eq!(tried(10_000, |_| true), 10_000);
        // One failure in a few never sets the check aside.
        assert_eq!(tried(10_000, |i| i % 7 != 0), 10_000);
    }

    #[test]
    fn failing_records_are_tried_ever_more_rarely() {
        // 8 in a row, then one retry after 64, 128, ... 4096 records set aside.
        assert_eq!(tried(8, |_| false), 8);
        assert_eq!(tried(8 + 64 + 1, |_| false), 9);
        assert_eq!(tried(8 + 64 + 1 + 128 + 1, |_| false), 10);
        let million = tried(1_000_000, |_| false);
        assert!(million < 8 + 7 + 1_000_000 / 4096 + 1, "{million}");
    }

    #[test]
    fn a_pass_brings_the_check_back() {
        // Records fail until 10,000, then pass: within one spell (≤ 4,096 records) every
        // record is tried again.
        let mut p = Probe::default();
        let mut last_skipped = 0;
        for i in 0..20_000u32 {
            if p.wanted() {
                if i >= 10_000 {
                    p.passed();
                } else {
                    p.failed();
                }
            } else {
                last_skipped = i;
            }
        }
        assert!(
            (10_000..10_000 + 4_096).contains(&last_skipped),
            "{last_skipped}"
        );
    }
}
