//! How a value's combinators resolve when it ends, and how a failure reaches its sink: a
//! finding (counted, detailed only when wanted) or a branch's result cell.

use super::super::event::{Pos, Str};
use super::super::finding::{Finding, Findings};
use super::super::records::{push_index, push_key};
use super::eval::{ComboKind, Evaluator, FOUND, REPORT};
use super::fail::Fail;
use super::held::{Failure, Step};
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
        if let Some(first) = self.cells.get(cells) {
            let from = first.held;
            self.cells.truncate(cells);
            self.held.drop_from(cells, from);
        }
    }

    /// Passes a resolved branch's result on to `sink`.
    fn forward(&mut self, cell: usize, sink: usize, findings: &mut dyn Findings) {
        if !self.cells[cell].failed {
            return;
        }
        let from = self.cells[cell].held;
        if sink == REPORT {
            self.held
                .report((cell, from), &self.prefix, self.nodes, findings);
            return;
        }
        let target = &mut self.cells[sink];
        target.failed = true;
        if target.buffering {
            self.held.forward((cell, from), sink);
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
            // Held cheaply: most are dropped when their condition turns out false.
            let failure = Failure {
                fail,
                node,
                pos,
                value: value.filter(|_| self.show_values),
            };
            let keys = &self.keys;
            let place =
                self.frames[..depth.min(self.frames.len())]
                    .iter()
                    .map(|f| match f.object {
                        true => Step::Key(&keys[f.key_start..f.key_end], f.key_escaped),
                        false => Step::Index(f.index),
                    });
            self.held.hold(sink, failure, place);
        }
    }

    /// The JSON Pointer of the value inside the first `depth` open containers.
    pub(super) fn pointer(&self, depth: usize) -> String {
        let mut out = self.prefix.clone();
        for frame in &self.frames[..depth.min(self.frames.len())] {
            if frame.object {
                let raw = &self.keys[frame.key_start..frame.key_end];
                let key = Str {
                    raw,
                    escaped: frame.key_escaped,
                }
                .decoded();
                push_key(&mut out, &key);
            } else {
                push_index(&mut out, frame.index);
            }
        }
        out
    }
}
