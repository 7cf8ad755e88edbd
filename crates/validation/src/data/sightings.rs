//! First sightings of unique values, shared by the workers: a worker queues its sightings
//! per shard ([`Batched`]) and [`Tally::settle`] puts the rest in when it is done; a value
//! seen twice is a duplicate at the later location, whatever the order of the sightings,
//! so tallies merge in any order.

use std::sync::Arc;

use super::plan::Plan;
use super::tally::{Finding, Loc, Tally};
use crate::prehash::Batched;

/// A value seen again at `at` when `seen` holds its earlier sighting: the earlier of the
/// two stays, the later is the duplicate (hash, later, earlier), whatever the order of the
/// sightings.
fn repeat(seen: &mut Loc, h: u128, at: Loc) -> (u128, Loc, Loc) {
    let (first, dup) = ((*seen).min(at), (*seen).max(at));
    *seen = first;
    (h, dup, first)
}

impl Tally {
    pub(crate) fn duplicate(
        &mut self,
        plan: &Plan,
        rule: usize,
        (set, h): (usize, u128),
        dup: Loc,
        first: Loc,
        value: Option<String>,
    ) {
        self.rules[rule].add(plan.locations, || Finding {
            loc: dup,
            column: None,
            message: "duplicate".to_owned(),
            value,
            first: Some(first),
            dup: u32::try_from(set).ok().map(|set| (set, h)),
        });
    }

    /// Inserts `h` seen at `at` into set `set`; a second sighting is a duplicate, reported
    /// at the later location so the outcome does not depend on the order of sightings.
    ///
    /// Without values to show, the sighting waits in this worker's batch for its shard
    /// (see [`Batched`]): the set is complete, and every duplicate counted, after
    /// [`settle`](Self::settle).
    pub(crate) fn sighting(
        &mut self,
        plan: &Plan,
        set: usize,
        h: u128,
        at: Loc,
        text: Option<&str>,
    ) {
        if !plan.show_values {
            let Self {
                sets,
                pending,
                repeats,
                ..
            } = self;
            pending[set].push(&sets[set], h, at, |seen, h, at| {
                repeats.push(repeat(seen, h, at));
            });
            if !self.repeats.is_empty() {
                self.report_repeats(plan, set);
            }
            return;
        }
        // Values to show: the first sighting keeps its text, a duplicate carries its own.
        let mut shard = self.sets[set].shard(h);
        let Some(seen) = shard.get_mut(&h) else {
            shard.insert(h, at);
            drop(shard);
            if let Some(text) = text {
                self.texts[set].insert(h, text.into());
            }
            return;
        };
        let (_, dup, first) = repeat(seen, h, at);
        drop(shard);
        if let Some(rule) = plan.set_rules[set] {
            let value = Some(text.unwrap_or_default().to_owned());
            self.duplicate(plan, rule, (set, h), dup, first, value);
        }
    }

    /// Puts every sighting still waiting in this worker's batches into the sets, counting
    /// the duplicates among them. Called when a worker is done, before its sets are read.
    pub(crate) fn settle(&mut self, plan: &Plan) {
        for set in 0..self.sets.len() {
            let Self {
                sets,
                pending,
                repeats,
                ..
            } = self;
            pending[set].flush(&sets[set], |seen, h, at| repeats.push(repeat(seen, h, at)));
            if !self.repeats.is_empty() {
                self.report_repeats(plan, set);
            }
        }
    }

    /// Whether every sighting is in the sets ([`settle`](Self::settle)).
    pub(crate) fn is_settled(&self) -> bool {
        self.pending.iter().all(Batched::is_empty)
    }

    /// Reports the duplicates a batch of set `set` found.
    #[cold]
    fn report_repeats(&mut self, plan: &Plan, set: usize) {
        let repeats = std::mem::take(&mut self.repeats);
        if let Some(rule) = plan.set_rules[set] {
            for &(h, dup, first) in &repeats {
                self.duplicate(plan, rule, (set, h), dup, first, None);
            }
        }
        self.repeats = repeats;
        self.repeats.clear();
    }

    /// Adds `other`'s counts to these.
    pub(crate) fn merge(&mut self, plan: &Plan, mut other: Self) {
        self.settle(plan);
        other.settle(plan);
        // Sets shared with `other` hold its sightings already; another tally's sets are
        // read into these (the smaller into the larger: sightings are order-independent).
        let mut foreign = Vec::new();
        for set in 0..self.sets.len() {
            if Arc::ptr_eq(&self.sets[set], &other.sets[set]) {
                for (h, text) in std::mem::take(&mut other.texts[set]) {
                    self.texts[set].entry(h).or_insert(text);
                }
                continue;
            }
            if other.sets[set].len() > self.sets[set].len() {
                std::mem::swap(&mut self.sets[set], &mut other.sets[set]);
                std::mem::swap(&mut self.texts[set], &mut other.texts[set]);
            }
            foreign.push(set);
        }
        for (mine, theirs) in self.rules.iter_mut().zip(other.rules) {
            mine.violations += theirs.violations;
            mine.findings.extend(theirs.findings);
            if mine.findings.len() > plan.locations {
                mine.prune(plan.locations);
            }
        }
        for set in foreign {
            let texts = &other.texts[set];
            for (h, at) in other.sets[set].drain() {
                let text = texts.get(&h).map(|t| t.to_string());
                self.sighting(plan, set, h, at, text.as_deref());
            }
        }
        self.settle(plan);
        for (mine, theirs) in self.refs.iter_mut().zip(other.refs) {
            for (h, seen) in theirs {
                mine.entry(h)
                    .and_modify(|r| {
                        r.count += seen.count;
                        if seen.first < r.first {
                            r.first = seen.first;
                            r.text.clone_from(&seen.text);
                        }
                    })
                    .or_insert(seen);
            }
        }
        for (mine, theirs) in self.types.iter_mut().zip(other.types) {
            *mine += theirs;
        }
        for (name, n) in other.other_types {
            *self.other_types.entry(name).or_default() += n;
        }
    }
}
