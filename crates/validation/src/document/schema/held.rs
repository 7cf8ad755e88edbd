//! Failures held in buffering cells (a `then`/`else`/`dependencies` branch in a reporting
//! position) until the branch is known to apply. Most are dropped, so each keeps its place
//! as raw member names and indexes in shared buffers — no allocation per failure — and is
//! made a [`Finding`] (JSON Pointer, message) only when it is reported.
//!
//! Every failure held in a cell (or passed on to it from a younger one) was held after the
//! cell was made, and nothing before that point is removed while the cell lives; so each
//! cell keeps where the entries stood when it was made ([`Held::len`]), and resolving it
//! looks only at the entries from there — never at all of them, which made a long array
//! under a pending `if` quadratic in its held failures.

use std::ops::Range;

use super::super::event::{Pos, Str};
use super::super::finding::{Finding, Findings};
use super::super::records::{push_index, push_key};
use super::fail::Fail;
use super::node::{Node, NodeId};

/// One held failure.
#[derive(Debug, Clone)]
struct Entry<'s> {
    cell: usize,
    fail: Fail<'s>,
    node: NodeId,
    pos: Pos,
    /// Its place: these entries of `Held::parts`, below the evaluator's prefix.
    parts: Range<usize>,
    /// The value's bytes in `Held::bytes`, when values are shown.
    value: Option<Range<usize>>,
}

/// One step of a held failure's place, copied raw.
#[derive(Debug, Clone)]
enum Part {
    /// A member: its raw name's bytes in `Held::bytes`, and whether it has escapes.
    Key(Range<usize>, bool),
    Index(u64),
}

/// The held failures of one evaluation.
#[derive(Debug, Default)]
pub(super) struct Held<'s> {
    entries: Vec<Entry<'s>>,
    parts: Vec<Part>,
    /// Member names' (and values') bytes, back to back.
    bytes: Vec<u8>,
}

/// One step of a place as given: a member's raw name (and whether it has escapes), or an
/// element's index.
pub(super) enum Step<'a> {
    Key(&'a [u8], bool),
    Index(u64),
}

/// What a held failure is, as given when it is held.
pub(super) struct Failure<'s, 'v> {
    pub(super) fail: Fail<'s>,
    pub(super) node: NodeId,
    pub(super) pos: Pos,
    /// The value, when values are shown.
    pub(super) value: Option<&'v [u8]>,
}

impl<'s> Held<'s> {
    /// Holds a failure in `cell`, at the place these steps lead to (below the prefix).
    pub(super) fn hold<'a>(
        &mut self,
        cell: usize,
        failure: Failure<'s, '_>,
        place: impl IntoIterator<Item = Step<'a>>,
    ) {
        let first = self.parts.len();
        for step in place {
            let part = match step {
                Step::Key(raw, escaped) => {
                    let start = self.bytes.len();
                    self.bytes.extend_from_slice(raw);
                    Part::Key(start..self.bytes.len(), escaped)
                }
                Step::Index(i) => Part::Index(i),
            };
            self.parts.push(part);
        }
        let value = failure.value.map(|v| {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(v);
            start..self.bytes.len()
        });
        self.entries.push(Entry {
            cell,
            fail: failure.fail,
            node: failure.node,
            pos: failure.pos,
            parts: first..self.parts.len(),
            value,
        });
    }

    /// How many failures are held: a new cell's mark.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Reports the failures held in `cell` (its branch applies; `from`, its mark): each
    /// counted, and made a finding at `prefix` + its place when its details are wanted.
    pub(super) fn report(
        &mut self,
        (cell, from): (usize, usize),
        prefix: &str,
        nodes: &[Node],
        findings: &mut dyn Findings,
    ) {
        let mut entries = std::mem::take(&mut self.entries);
        retain_from(&mut entries, from, |entry| {
            if entry.cell != cell {
                return true;
            }
            if findings.count(entry.fail.rule(&nodes[entry.node as usize])) {
                findings.detail(self.finding(entry, prefix, nodes));
            }
            false
        });
        self.entries = entries;
        self.clear_if_empty();
    }

    fn finding(&self, entry: &Entry<'s>, prefix: &str, nodes: &[Node]) -> Finding {
        let mut pointer = prefix.to_owned();
        for part in self.parts.get(entry.parts.clone()).unwrap_or_default() {
            match part {
                Part::Key(raw, escaped) => {
                    let key = Str {
                        raw: self.bytes.get(raw.clone()).unwrap_or_default(),
                        escaped: *escaped,
                    };
                    push_key(&mut pointer, &key.decoded());
                }
                Part::Index(i) => push_index(&mut pointer, *i),
            }
        }
        let value = entry
            .value
            .clone()
            .map(|r| String::from_utf8_lossy(self.bytes.get(r).unwrap_or_default()).into_owned());
        let n = &nodes[entry.node as usize];
        Finding {
            rule: entry.fail.rule(n).clone(),
            pointer,
            pos: entry.pos,
            message: entry.fail.message(n),
            value,
        }
    }

    /// Moves the failures of `cell` (`from`, its mark) to `sink` (a failed branch passed on
    /// to its parent's).
    pub(super) fn forward(&mut self, (cell, from): (usize, usize), sink: usize) {
        for entry in self.entries.iter_mut().skip(from) {
            if entry.cell == cell {
                entry.cell = sink;
            }
        }
    }

    /// Drops the failures of cells from `cells` on (their values have ended; `from`, the
    /// mark of cell `cells`).
    pub(super) fn drop_from(&mut self, cells: usize, from: usize) {
        if from < self.entries.len() {
            retain_from(&mut self.entries, from, |e| e.cell < cells);
            self.clear_if_empty();
        }
    }

    /// Drops everything (a new record).
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.parts.clear();
        self.bytes.clear();
    }

    fn clear_if_empty(&mut self) {
        if self.entries.is_empty() {
            self.parts.clear();
            self.bytes.clear();
        }
    }
}

/// `Vec::retain` over `v[from..]` only, in order; `keep` sees each entry once.
fn retain_from<T>(v: &mut Vec<T>, from: usize, mut keep: impl FnMut(&T) -> bool) {
    let mut kept = from;
    for i in from..v.len() {
        if keep(&v[i]) {
            v.swap(kept, i);
            kept += 1;
        }
    }
    v.truncate(kept);
}
