//! What the price-transparency checks keep across records: the `provider_group_id`s defined
//! and the uses not yet resolved, and the in-network items seen (for duplicates). Ids and
//! items are kept as 128-bit keys, so memory grows with distinct ids and items only;
//! merging is order-independent.

use crate::document::event::Pos;
pub(crate) use crate::prehash::{HashSet128, KeySet};

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

/// `provider_group_id`s: defined, and used but not defined where the use was seen.
#[derive(Debug, Default)]
pub(crate) struct GroupIds {
    defined: KeySet,
    pending: HashSet128<Pending>,
}

impl GroupIds {
    /// A `provider_references` entry defines `key`.
    pub(crate) fn define(&mut self, key: u128) {
        self.defined.insert(key);
        self.pending.remove(&key);
    }

    /// A negotiated rate uses `key`.
    pub(crate) fn used(&mut self, key: u128, at: UseAt) {
        if self.defined.contains(&key) {
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
        self.defined.extend(other.defined);
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
        self.pending.retain(|k, _| !defined.contains(k));
    }

    /// The ids never defined, with their uses, in document order of their first use.
    pub(crate) fn unresolved(self) -> Vec<(u128, Pending)> {
        let defined = self.defined;
        let mut out: Vec<_> = self
            .pending
            .into_iter()
            .filter(|(k, _)| !defined.contains(k))
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

/// In-network items by key (type, version, code, arrangement, severity), and every
/// duplicate with its key: which item a duplicate repeats is named only once all workers
/// are merged (the document-wide first), so the report does not depend on the threads.
#[derive(Debug, Default)]
pub(crate) struct Items {
    first: HashSet128<ItemAt>,
    /// Every item whose key an item seen so far already had (on any worker).
    duplicates: Vec<(ItemAt, u128)>,
}

impl Items {
    /// Records an item: a duplicate when an item with its key was seen before.
    pub(crate) fn seen(&mut self, key: u128, at: ItemAt) {
        match self.first.get_mut(&key) {
            Some(first) => {
                let dup = if at.index < first.index {
                    std::mem::replace(first, at)
                } else {
                    at
                };
                self.duplicates.push((dup, key));
            }
            None => {
                self.first.insert(key, at);
            }
        }
    }

    /// Takes in another worker's items: of two firsts with one key, the later is a
    /// duplicate of the earlier.
    pub(crate) fn merge(&mut self, other: Self) {
        self.duplicates.extend(other.duplicates);
        for (key, theirs) in other.first {
            self.seen(key, theirs);
        }
    }

    /// Every duplicate with the document-wide first item it repeats, in document order.
    pub(crate) fn duplicates(self) -> Vec<(ItemAt, u64)> {
        let mut d: Vec<(ItemAt, u64)> = self
            .duplicates
            .into_iter()
            .filter_map(|(at, key)| self.first.get(&key).map(|first| (at, first.index)))
            .collect();
        d.sort_by_key(|(at, _)| at.index);
        d
    }
}
