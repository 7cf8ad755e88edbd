//! How a value's combinators resolve when it ends, and how a failure reaches its sink: a
//! finding (counted, detailed only when wanted) or a branch's result cell.

use super::super::event::{Pos, Str};
use super::super::finding::{Finding, Findings};
use super::eval::{ComboKind, Evaluator, FOUND, REPORT};
use super::fail::Fail;
use super::node::NodeId;

impl Evaluator<'_> {
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
            self.pending.retain(|(cell, _)| *cell < cells);
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
                if self.pending[i].0 == cell {
                    let (_, finding) = self.pending.remove(i);
                    if findings.count(&finding.rule) {
                        findings.detail(finding);
                    }
                } else {
                    i += 1;
                }
            }
            return;
        }
        let target = &mut self.cells[sink];
        target.failed = true;
        let keep = target.buffering;
        for entry in &mut self.pending {
            if entry.0 == cell && keep {
                entry.0 = sink;
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
        fail: Fail<'_>,
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
                let finding = self.finding(fail, node, depth, pos, value);
                findings.detail(finding);
            }
            return;
        }
        let cell = &mut self.cells[sink];
        cell.failed = true;
        if cell.buffering {
            let finding = self.finding(fail, node, depth, pos, value);
            self.pending.push((sink, finding));
        }
    }

    fn finding(
        &self,
        fail: Fail<'_>,
        node: NodeId,
        depth: usize,
        pos: Pos,
        value: Option<&[u8]>,
    ) -> Finding {
        let n = &self.nodes[node as usize];
        Finding {
            rule: fail.rule(n).clone(),
            pointer: self.pointer(depth),
            pos,
            message: fail.message(n),
            value: value
                .filter(|_| self.show_values)
                .map(|v| String::from_utf8_lossy(v).into_owned()),
        }
    }

    /// The JSON Pointer of the value inside the first `depth` open containers.
    pub(super) fn pointer(&self, depth: usize) -> String {
        let mut out = self.prefix.clone();
        for frame in &self.frames[..depth.min(self.frames.len())] {
            out.push('/');
            if frame.object {
                let raw = &self.keys[frame.key_start..frame.key_end];
                let key = Str {
                    raw,
                    escaped: frame.key_escaped,
                }
                .decoded();
                out.push_str(&super::compile::escape(&key));
            } else {
                out.push_str(&frame.index.to_string());
            }
        }
        out
    }
}
