//! How a value's combinators resolve when it ends, and how a failure reaches its sink: a
//! finding (counted, detailed only when wanted) or a branch's result cell.

use super::super::event::{Pos, Str};
use super::super::finding::{Finding, Findings};
use super::super::records::{push_index, push_key};
use super::eval::{ComboKind, Evaluator, FOUND, Part, Pending, REPORT};
use super::fail::Fail;
use super::node::NodeId;

impl<'s> Evaluator<'s> {
    /// Resolves the combinators of a value that ends (innermost first) and frees its cells.
    pub(super) fn resolve(
        &mut self,
        cells: usize,
        combos: usize,
        depth: usize,
        pos: Pos,
        findings: &mut dyn Findings,
    ) {
        while self.combos.len() > combos {
            let Some(c) = self.combos.pop() else { break };
            let failed = |e: &Self, k: usize| e.cells[c.cell + k].failed;
            match c.kind {
                ComboKind::AnyOf => {
                    if (0..c.cells).all(|k| failed(self, k)) {
                        self.fail(Fail::AnyOf, c.node, c.sink, depth, pos, None, findings);
                    }
                }
                ComboKind::OneOf => {
                    let passed = (0..c.cells).filter(|&k| !failed(self, k)).count();
                    if passed != 1 {
                        self.fail(
                            Fail::OneOf(passed),
                            c.node,
                            c.sink,
                            depth,
                            pos,
                            None,
                            findings,
                        );
                    }
                }
                ComboKind::Not => {
                    if !failed(self, 0) {
                        self.fail(Fail::Not, c.node, c.sink, depth, pos, None, findings);
                    }
                }
                ComboKind::If { then, otherwise } => {
                    let chosen = match (failed(self, 0), then, otherwise) {
                        (false, true, _) => Some(c.cell + 1),
                        (true, _, true) => Some(c.cell + 1 + usize::from(then)),
                        _ => None,
                    };
                    if let Some(cell) = chosen {
                        self.forward(cell, c.sink, findings);
                    }
                }
                ComboKind::Dependency { app, bit } => {
                    let word = self.apps[app].bits + (bit / 64) as usize;
                    if self
                        .bits
                        .get(word)
                        .is_some_and(|w| w & (1 << (bit % 64)) != 0)
                    {
                        self.forward(c.cell, c.sink, findings);
                    }
                }
                ComboKind::Contains { app } => {
                    if !failed(self, 0) {
                        self.apps[app].flags |= FOUND;
                    }
                }
            }
        }
        self.cells.truncate(cells);
        if !self.pending.is_empty() {
            self.pending.retain(|held| held.cell < cells);
            if self.pending.is_empty() {
                self.pending_parts.clear();
                self.pending_bytes.clear();
            }
        }
    }

    /// Passes a resolved branch's result on to `sink`.
    fn forward(&mut self, cell: usize, sink: usize, findings: &mut dyn Findings) {
        if !self.cells[cell].failed {
            return;
        }
        if sink == REPORT {
            let mut i = 0;
            while i < self.pending.len() {
                if self.pending[i].cell == cell {
                    let held = self.pending.remove(i);
                    let n = &self.nodes[held.node as usize];
                    if findings.count(held.fail.rule(n)) {
                        let mut pointer = self.prefix.clone();
                        for part in self.pending_parts.get(held.parts).unwrap_or_default() {
                            match part {
                                Part::Key(raw, escaped) => {
                                    let raw =
                                        self.pending_bytes.get(raw.clone()).unwrap_or_default();
                                    let key = Str {
                                        raw,
                                        escaped: *escaped,
                                    };
                                    push_key(&mut pointer, &key.decoded());
                                }
                                Part::Index(i) => push_index(&mut pointer, *i),
                            }
                        }
                        let value = held.value.map(|r| {
                            let raw = self.pending_bytes.get(r).unwrap_or_default();
                            String::from_utf8_lossy(raw).into_owned()
                        });
                        findings.detail(Finding {
                            rule: held.fail.rule(n).clone(),
                            pointer,
                            pos: held.pos,
                            message: held.fail.message(n),
                            value,
                        });
                    }
                } else {
                    i += 1;
                }
            }
            if self.pending.is_empty() {
                self.pending_parts.clear();
                self.pending_bytes.clear();
            }
            return;
        }
        let target = &mut self.cells[sink];
        target.failed = true;
        let keep = target.buffering;
        for entry in &mut self.pending {
            if entry.cell == cell && keep {
                entry.cell = sink;
            }
        }
    }

    /// A keyword of `node` failed on the value at `pos` (pointer: the first `depth` frames).
    #[expect(
        clippy::too_many_arguments,
        reason = "the failure's whole context, passed on the hot path without a struct"
    )]
    pub(super) fn fail(
        &mut self,
        fail: Fail<'s>,
        node: NodeId,
        sink: usize,
        depth: usize,
        pos: Pos,
        value: Option<&[u8]>,
        findings: &mut dyn Findings,
    ) {
        let n = &self.nodes[node as usize];
        if sink == REPORT {
            if findings.count(fail.rule(n)) {
                let finding = Finding {
                    rule: fail.rule(n).clone(),
                    pointer: self.pointer(depth),
                    pos,
                    message: fail.message(n),
                    value: value
                        .filter(|_| self.show_values)
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                };
                findings.detail(finding);
            }
            return;
        }
        let cell = &mut self.cells[sink];
        cell.failed = true;
        if cell.buffering {
            // Held cheaply (its place copied raw): most are dropped when their
            // condition turns out false.
            let first = self.pending_parts.len();
            for frame in &self.frames[..depth.min(self.frames.len())] {
                let part = if frame.object {
                    let start = self.pending_bytes.len();
                    self.pending_bytes
                        .extend_from_slice(&self.keys[frame.key_start..frame.key_end]);
                    Part::Key(start..self.pending_bytes.len(), frame.key_escaped)
                } else {
                    Part::Index(frame.index)
                };
                self.pending_parts.push(part);
            }
            let parts = first..self.pending_parts.len();
            let value = value.filter(|_| self.show_values).map(|v| {
                let start = self.pending_bytes.len();
                self.pending_bytes.extend_from_slice(v);
                start..self.pending_bytes.len()
            });
            self.pending.push(Pending {
                cell: sink,
                fail,
                node,
                pos,
                parts,
                value,
            });
        }
    }

    /// The JSON Pointer of the value inside the first `depth` open containers.
    pub(super) fn pointer(&self, depth: usize) -> String {
        let mut out = String::new();
        self.write_pointer(depth, &mut out);
        out
    }

    /// Appends the JSON Pointer of the value inside the first `depth` open containers.
    fn write_pointer(&self, depth: usize, out: &mut String) {
        out.push_str(&self.prefix);
        for frame in &self.frames[..depth.min(self.frames.len())] {
            if frame.object {
                let raw = &self.keys[frame.key_start..frame.key_end];
                let key = Str {
                    raw,
                    escaped: frame.key_escaped,
                }
                .decoded();
                push_key(out, &key);
            } else {
                push_index(out, frame.index);
            }
        }
    }
}
