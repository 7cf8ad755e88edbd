//! What the price-transparency checks keep across records: the `provider_group_id`s defined
//! and the uses not yet resolved, and the in-network items seen (for duplicates, in one
//! table all workers share). Ids and items are kept as 128-bit keys, so memory grows with
//! distinct ids and items only; merging is order-independent.

use std::collections::BinaryHeap;
use std::sync::{Arc, MutexGuard};

use crate::document::event::Pos;
pub(crate) use crate::prehash::HashSet128;
use crate::prehash::Sharded;

/// The key of a `provider_group_id` as written: an integer is itself (so `7`, `7.0` and
/// `7e0` are one id), anything else a hash with the top bit set.
pub(crate) fn id_key(raw: &[u8]) -> u128 {
    // Plain digits (nearly every id): no UTF-8 check, no float parse.
    if !raw.is_empty() && raw.len() <= 19 && raw.iter().all(u8::is_ascii_digit) {
        return u128::from(raw.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')));
    }
    let text = std::str::from_utf8(raw).ok();
    if let Some(n) = text.and_then(|s| s.parse::<u64>().ok()) {
        return u128::from(n);
    }
    if let Some(x) = text.and_then(|s| s.parse::<f64>().ok())
        && x.fract() == 0.0
        && (0.0..1.8e19).contains(&x)
    {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "an integral value in u64's range"
        )]
        return u128::from(x as u64);
    }
    xxhash_rust::xxh3::xxh3_128(raw) | (1 << 127)
}

/// Where a use of a `provider_group_id` stands:
/// `/in_network/{item}/negotiated_rates/{rate}/provider_references/{reference}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UseAt {
    pub(crate) item: u64,
    pub(crate) rate: u64,
    pub(crate) reference: u64,
    pub(crate) pos: Pos,
}

/// The uses of one id not (yet) defined.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub(crate) uses: u64,
    /// The earliest use in the document.
    pub(crate) first: UseAt,
}

/// `provider_group_id`s: defined (in a table the run's workers share, see
/// [`share`](Self::share)), and used but not defined where the use was seen.
#[derive(Debug, Default)]
pub(crate) struct GroupIds {
    defined: Arc<Sharded<()>>,
    pending: HashSet128<Pending>,
}

impl GroupIds {
    /// Records definitions in `defined`, the run's one table shared by all its workers
    /// (else each worker keeps its own and merging holds them all at once).
    pub(crate) fn share(&mut self, defined: Arc<Sharded<()>>) {
        self.defined = defined;
    }

    fn is_defined(&self, key: u128) -> bool {
        self.defined.shard(key).contains_key(&key)
    }

    /// A `provider_references` entry defines `key`.
    pub(crate) fn define(&mut self, key: u128) {
        self.defined.shard(key).insert(key, ());
        self.pending.remove(&key);
    }

    /// A negotiated rate uses `key`.
    pub(crate) fn used(&mut self, key: u128, at: UseAt) {
        if self.is_defined(key) {
            return;
        }
        self.pending
            .entry(key)
            .and_modify(|p| {
                p.uses += 1;
                if at.pos.offset < p.first.pos.offset {
                    p.first = at;
                }
            })
            .or_insert(Pending { uses: 1, first: at });
    }

    /// Takes in another worker's ids.
    pub(crate) fn merge(&mut self, other: Self) {
        if !Arc::ptr_eq(&self.defined, &other.defined) {
            for (key, ()) in other.defined.drain() {
                self.defined.shard(key).insert(key, ());
            }
        }
        for (key, p) in other.pending {
            self.pending
                .entry(key)
                .and_modify(|q| {
                    q.uses += p.uses;
                    if p.first.pos.offset < q.first.pos.offset {
                        q.first = p.first;
                    }
                })
                .or_insert(p);
        }
        let defined = &self.defined;
        self.pending
            .retain(|&k, _| !defined.shard(k).contains_key(&k));
    }

    /// The ids never defined, with their uses, in document order of their first use.
    pub(crate) fn unresolved(self) -> Vec<(u128, Pending)> {
        let defined = self.defined;
        let mut out: Vec<_> = self
            .pending
            .into_iter()
            .filter(|&(k, _)| !defined.shard(k).contains_key(&k))
            .collect();
        out.sort_by_key(|(_, p)| p.first.pos.offset);
        out
    }
}

/// An in-network item's place: its index in its records array and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ItemAt {
    pub(crate) index: u64,
    pub(crate) pos: Pos,
}

/// The first in-network item of each key (type, version, code, arrangement, severity), one
/// table for all the workers of a run: sharded by key so two workers rarely wait on each
/// other, and never copied or merged — with a table per worker, merging them held both
/// tables and the merged one at once (255 MiB peak on a 2 GB file of 1.7 M items).
#[derive(Debug)]
pub(crate) struct ItemTable {
    table: Sharded<ItemAt>,
    /// How many duplicates each worker keeps the place of (the report lists no more):
    /// the rest are only counted, so a file of millions of repeats holds no more memory.
    keep: usize,
}

impl Default for ItemTable {
    /// Keeps the places of 10 duplicates, as a check's findings do by default.
    fn default() -> Self {
        Self::keeping(10)
    }
}

impl ItemTable {
    /// A table whose workers keep the places of the first `keep` duplicates.
    pub(crate) fn keeping(keep: usize) -> Self {
        Self {
            table: Sharded::default(),
            keep,
        }
    }

    fn shard(&self, key: u128) -> MutexGuard<'_, HashSet128<ItemAt>> {
        self.table.shard(key)
    }
}

/// In-network items as each worker sees them: the run's shared [`ItemTable`] of first copies
/// and this worker's duplicates — counted, and the places of those earliest in the document
/// kept (bounded: the table's `keep`). Which item a duplicate repeats is named only in
/// [`duplicates`](Self::duplicates), once every worker is done (the document-wide first),
/// so the report does not depend on the threads.
#[derive(Debug, Default)]
pub(crate) struct Items {
    table: Arc<ItemTable>,
    /// The duplicates with the smallest indexes seen so far (on any worker), with their keys.
    kept: BinaryHeap<Kept>,
    /// Every duplicate seen so far.
    count: u64,
}

/// A duplicate's place and key, ordered by its index (a max-heap's top is the latest).
#[derive(Debug, PartialEq, Eq)]
struct Kept(ItemAt, u128);

impl Ord for Kept {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.index, self.1).cmp(&(other.0.index, other.1))
    }
}

impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Items {
    /// Items recorded in `table`, shared with the run's other workers.
    pub(crate) fn shared(table: Arc<ItemTable>) -> Self {
        Self {
            table,
            kept: BinaryHeap::new(),
            count: 0,
        }
    }

    /// Records an item: a duplicate when an item with its key was seen before. Of two
    /// copies, the later in the document is the duplicate, whichever worker came first.
    pub(crate) fn seen(&mut self, key: u128, at: ItemAt) {
        let mut shard = self.table.shard(key);
        match shard.get_mut(&key) {
            Some(first) => {
                let dup = if at.index < first.index {
                    std::mem::replace(first, at)
                } else {
                    at
                };
                drop(shard);
                self.count += 1;
                self.keep(Kept(dup, key));
            }
            None => {
                shard.insert(key, at);
            }
        }
    }

    /// Keeps `dup`'s place if it is among the earliest `keep` duplicates so far.
    fn keep(&mut self, dup: Kept) {
        if self.kept.len() < self.table.keep {
            self.kept.push(dup);
        } else if self.kept.peek().is_some_and(|latest| dup < *latest) {
            self.kept.pop();
            self.kept.push(dup);
        }
    }

    /// Takes in another worker's items: its duplicates, and its first copies unless it
    /// shares this table (of two firsts with one key, the later is a duplicate).
    pub(crate) fn merge(&mut self, other: Self) {
        self.count += other.count;
        for dup in other.kept {
            self.keep(dup);
        }
        if Arc::ptr_eq(&self.table, &other.table) {
            return;
        }
        for (key, at) in other.table.table.drain() {
            self.seen(key, at);
        }
    }

    /// How many duplicates there are, and the earliest (at most the table's `keep`), each
    /// with the document-wide first item it repeats, in document order.
    pub(crate) fn duplicates(self) -> (u64, Vec<(ItemAt, u64)>) {
        let table = &self.table;
        let mut d: Vec<(ItemAt, u64)> = self
            .kept
            .into_iter()
            .filter_map(|Kept(at, key)| table.shard(key).get(&key).map(|first| (at, first.index)))
            .collect();
        d.sort_by_key(|(at, _)| at.index);
        (self.count, d)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{ItemAt, ItemTable, Items};
    use crate::document::event::Pos;

    #[test]
    fn a_shared_item_table_names_the_first_copy_whatever_the_order() {
        let at = |index: u64| ItemAt {
            index,
            pos: Pos {
                offset: 100 * index,
                line: index + 1,
                column: 1,
            },
        };
        let table = Arc::new(ItemTable::default());
        let (mut a, mut b) = (
            Items::shared(Arc::clone(&table)),
            Items::shared(Arc::clone(&table)),
        );
        // Worker a sees the later copies first; b the document's first copy last; key 9 once.
        a.seen(7, at(3));
        b.seen(7, at(1));
        a.seen(9, at(5));
        a.seen(7, at(2));
        b.seen(7, at(0));
        a.merge(b);
        let (count, dups) = a.duplicates();
        assert_eq!(count, 3);
        assert_eq!(
            dups.iter()
                .map(|(d, first)| (d.index, *first))
                .collect::<Vec<_>>(),
            [(1, 0), (2, 0), (3, 0)]
        );
        assert_eq!(
            dups[0].0.pos,
            at(1).pos,
            "a displaced first keeps its place"
        );
        // Separate tables (checks made outside a run) merge to the same answer.
        let (mut c, mut d) = (Items::default(), Items::default());
        c.seen(7, at(3));
        d.seen(7, at(1));
        c.seen(7, at(2));
        d.seen(7, at(0));
        c.merge(d);
        assert_eq!(
            c.duplicates()
                .1
                .iter()
                .map(|(d, first)| (d.index, *first))
                .collect::<Vec<_>>(),
            [(1, 0), (2, 0), (3, 0)]
        );
    }

    #[test]
    fn millions_of_repeats_keep_only_the_earliest_places_and_an_exact_count() {
        let at = |index: u64| ItemAt {
            index,
            pos: Pos {
                offset: index,
                line: 1,
                column: 1,
            },
        };
        let table = Arc::new(ItemTable::keeping(3));
        let (mut a, mut b) = (
            Items::shared(Arc::clone(&table)),
            Items::shared(Arc::clone(&table)),
        );
        // 10,000 copies of one item, dealt to two workers latest-first; the first copy last.
        for index in (1..10_000u64).rev() {
            let worker = if index % 3 == 0 { &mut a } else { &mut b };
            worker.seen(42, at(index));
            assert!(worker.kept.len() <= 3, "bounded while it runs");
        }
        a.seen(42, at(0));
        a.merge(b);
        let (count, earliest) = a.duplicates();
        assert_eq!(count, 9_999);
        assert_eq!(
            earliest
                .iter()
                .map(|(d, first)| (d.index, *first))
                .collect::<Vec<_>>(),
            [(1, 0), (2, 0), (3, 0)]
        );
    }
}
