//! Which schemas apply to a value: a member's or element's schemas from its container's,
//! `$ref`s followed, combinators expanded into branches with result cells; and how cells
//! resolve and failures reach the report.

use std::borrow::Cow;

use super::super::event::{Pos, Str};
use super::super::finding::Findings;
use super::eval::{App, Cell, Combo, ComboKind, Evaluator, REPORT};
use super::fail::Fail;
use super::hash;
use super::node::{Additional, DependencyKind, Items, NodeId};

impl Evaluator<'_> {
    fn push(&mut self, node: NodeId, sink: usize) {
        self.apps.push(App {
            node,
            sink,
            bits: 0,
            extras: 0,
            flags: 0,
        });
    }

    /// A result cell under `sink`; `forwards` for a cell whose findings may be reported.
    fn cell(&mut self, sink: usize, forwards: bool) -> usize {
        let buffering = forwards && (sink == REPORT || self.cells[sink].buffering);
        let held = self.held.len();
        self.cells.push(Cell {
            failed: false,
            buffering,
            held,
        });
        self.cells.len() - 1
    }

    fn combo(&mut self, kind: ComboKind, node: NodeId, sink: usize, cell: usize) {
        let cells = self.cells.len() - cell;
        self.combos.push(Combo {
            kind,
            node,
            sink,
            cell,
            cells,
        });
    }

    /// Pushes the schemas of the array's next element.
    pub(super) fn element_apps(&mut self) {
        let Some((apps_start, apps_end, index)) = self
            .frames
            .last()
            .map(|f| (f.apps_start, f.apps_end, f.index))
        else {
            return;
        };
        for i in apps_start..apps_end {
            let app = self.apps[i];
            let node = &self.nodes[app.node as usize];
            if !node.has_array {
                continue;
            }
            match &node.items {
                Items::Any => {}
                Items::All(child) => self.push(*child, app.sink),
                Items::Tuple(list) => match usize::try_from(index).ok().and_then(|i| list.get(i)) {
                    Some(child) => self.push(*child, app.sink),
                    None => match node.additional_items {
                        Some(Additional::Schema(child)) => self.push(child, app.sink),
                        Some(Additional::Forbidden(_)) => self.apps[i].extras += 1,
                        None => {}
                    },
                },
            }
            if let Some(contains) = &node.contains {
                let cell = self.cell(app.sink, false);
                self.combo(ComboKind::Contains { app: i }, app.node, app.sink, cell);
                self.push(contains.value, cell);
            }
        }
    }

    /// A member's name: tracked bits set, the member's schemas pushed.
    pub(super) fn key(&mut self, key: &Str<'_>, pos: Pos, findings: &mut dyn Findings) {
        let Some((apps_start, apps_end, key_start)) = self
            .frames
            .last()
            .map(|f| (f.apps_start, f.apps_end, f.key_start))
        else {
            return;
        };
        self.apps.truncate(apps_end);
        self.keys.truncate(key_start);
        self.keys.extend_from_slice(key.raw);
        let name: Cow<'_, [u8]> = if key.escaped {
            Cow::Owned(key.decoded().into_owned().into_bytes())
        } else {
            Cow::Borrowed(key.raw)
        };
        if let Some(f) = self.frames.last_mut() {
            f.key_end = self.keys.len();
            f.key_escaped = key.escaped;
            if f.hashing {
                f.key_hash = hash::string_bytes(&name);
            }
        }
        let nodes = self.nodes;
        for i in apps_start..apps_end {
            let app = self.apps[i];
            let node = &nodes[app.node as usize];
            if !node.has_object {
                continue;
            }
            if let Some(names) = node.property_names {
                // The name is validated as a string at the object's pointer.
                let start = self.apps.len();
                let (cells, combos) = (self.cells.len(), self.combos.len());
                self.push(names, app.sink);
                let depth = self.frames.len() - 1;
                self.expand(start, false, depth, pos, findings);
                let token = super::super::event::Token::String(*key);
                self.scalar(&token, start, depth, pos, false, findings);
                self.resolve(cells, combos, depth, pos, findings);
                self.apps.truncate(start);
            }
            let mut matched = false;
            if let Some(entry) = node.key(&name) {
                if let Some(bit) = entry.bit {
                    self.bits[app.bits + (bit / 64) as usize] |= 1 << (bit % 64);
                }
                if let Some(child) = entry.child {
                    self.push(child, app.sink);
                    matched = true;
                }
            }
            for (re, child) in &node.pattern_properties {
                if re.is_match(&name) {
                    self.push(*child, app.sink);
                    matched = true;
                }
            }
            if !matched {
                match node.additional_properties {
                    Some(Additional::Schema(child)) => self.push(child, app.sink),
                    Some(Additional::Forbidden(_)) => self.apps[i].extras += 1,
                    None => {}
                }
            }
        }
    }

    /// Follows `$ref`s and expands combinators of the apps from `start` on, appending
    /// branches (and allOf members) as further apps of the same value.
    #[inline]
    pub(super) fn expand(
        &mut self,
        start: usize,
        object: bool,
        depth: usize,
        pos: Pos,
        findings: &mut dyn Findings,
    ) {
        // Most values' schemas have no `$ref`, combinator or condition: nothing to do.
        let nodes = self.nodes;
        if let Some(first) = self.apps[start.min(self.apps.len())..]
            .iter()
            .position(|a| nodes[a.node as usize].applies_more)
        {
            self.expand_from(start + first, object, depth, pos, findings);
        }
    }

    /// [`expand`](Self::expand) from the first app that applies more.
    #[inline(never)]
    fn expand_from(
        &mut self,
        start: usize,
        object: bool,
        depth: usize,
        pos: Pos,
        findings: &mut dyn Findings,
    ) {
        let nodes = self.nodes;
        let mut i = start;
        while i < self.apps.len() {
            let App { mut node, sink, .. } = self.apps[i];
            if !nodes[node as usize].applies_more {
                i += 1;
                continue;
            }
            while let Some(target) = nodes[node as usize].reference {
                node = target;
            }
            self.apps[i].node = node;
            let n = &nodes[node as usize];
            if n.always == Some(false) {
                self.fail(Fail::False, node, sink, depth, pos, None, findings);
            }
            for &member in &n.all_of {
                self.push(member, sink);
            }
            for (kw, kind) in [(&n.any_of, ComboKind::AnyOf), (&n.one_of, ComboKind::OneOf)] {
                if let Some(kw) = kw {
                    let first = self.cells.len();
                    for _ in &kw.value {
                        self.cell(sink, false);
                    }
                    self.combo(kind, node, sink, first);
                    for (b, &branch) in kw.value.iter().enumerate() {
                        self.push(branch, first + b);
                    }
                }
            }
            if let Some(not) = &n.not {
                let cell = self.cell(sink, false);
                self.combo(ComboKind::Not, node, sink, cell);
                self.push(not.value, cell);
            }
            if let Some(c) = &n.conditional
                && (c.then.is_some() || c.otherwise.is_some())
            {
                let first = self.cell(sink, false);
                let then = c.then.map(|t| (t, self.cell(sink, true)));
                let otherwise = c.otherwise.map(|e| (e, self.cell(sink, true)));
                let kind = ComboKind::If {
                    then: then.is_some(),
                    otherwise: otherwise.is_some(),
                };
                self.combo(kind, node, sink, first);
                self.push(c.condition, first);
                for (schema, cell) in then.into_iter().chain(otherwise) {
                    self.push(schema, cell);
                }
            }
            if object {
                for dep in &n.dependencies {
                    if let DependencyKind::Schema(schema) = dep.then {
                        let cell = self.cell(sink, true);
                        self.combo(
                            ComboKind::Dependency {
                                app: i,
                                bit: dep.bit,
                            },
                            node,
                            sink,
                            cell,
                        );
                        self.push(schema, cell);
                    }
                }
            }
            i += 1;
        }
    }
}
