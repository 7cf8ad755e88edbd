//! The streaming evaluator: fed one token at a time, it keeps, for each open container, the
//! schemas that apply to it and their state, and reports each violation as it is known.
//! Every schema that applies to a value (allOf members, anyOf/oneOf branches, if/then/else)
//! is evaluated on the same tokens at once; a branch's failures go to its result cell,
//! resolved when the value ends.

use std::sync::Arc;

use super::super::event::{Pos, Token};
use super::super::finding::Findings;
use super::JsonSchema;
use super::hash::{self, HashSet};
use super::held::Held;
use super::node::{ItemSchemas, Node, NodeId};

/// The sink of the schemas in a reporting position: their failures are findings.
pub(super) const REPORT: usize = usize::MAX;

/// A `contains` branch matched an element of the array.
pub(super) const FOUND: u8 = 1;

/// One schema applying to the current value, and where its failures go.
#[derive(Debug, Clone, Copy)]
pub(super) struct App {
    pub(super) node: NodeId,
    /// [`REPORT`] or a result cell.
    pub(super) sink: usize,
    /// First word of this object's tracked bits in `Evaluator::bits`.
    pub(super) bits: usize,
    /// Members or elements an `additional*: false` forbids.
    pub(super) extras: u64,
    pub(super) flags: u8,
}

/// A branch's result: failed or not, and (for `then`/`else`/dependencies in a reporting
/// position) its findings held until the condition is known.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cell {
    pub(super) failed: bool,
    pub(super) buffering: bool,
    /// How many failures were held when it was made (see `held.rs`).
    pub(super) held: usize,
}

/// How a combinator's cells resolve.
#[derive(Debug, Clone, Copy)]
pub(super) enum ComboKind {
    AnyOf,
    OneOf,
    Not,
    /// Cells: `if`, then `then` and `else` when present.
    If {
        then: bool,
        otherwise: bool,
    },
    /// A schema `dependencies` entry of the app at this index: applies when the bit is set.
    Dependency {
        app: usize,
        bit: u32,
    },
    /// `contains` of the app at this index (one element's cell).
    Contains {
        app: usize,
    },
}

/// A combinator of the current value with its cells.
#[derive(Debug, Clone, Copy)]
pub(super) struct Combo {
    pub(super) kind: ComboKind,
    pub(super) node: NodeId,
    pub(super) sink: usize,
    pub(super) cell: usize,
    pub(super) cells: usize,
}

/// An open object or array.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    pub(super) object: bool,
    pub(super) apps_start: usize,
    pub(super) apps_end: usize,
    pub(super) cells: usize,
    pub(super) combos: usize,
    pub(super) bits: usize,
    pub(super) pos: Pos,
    /// Members or elements seen.
    pub(super) index: u64,
    pub(super) key_start: usize,
    pub(super) key_end: usize,
    pub(super) key_escaped: bool,
    pub(super) hashing: bool,
    pub(super) acc: u128,
    pub(super) key_hash: u128,
    /// The `uniqueItems` set in use (index in `Evaluator::sets`).
    pub(super) set: Option<usize>,
    pub(super) dup: bool,
}

/// Where a value's apps, cells and combinators start on their stacks.
#[derive(Debug, Clone, Copy)]
struct Marks {
    start: usize,
    cells: usize,
    combos: usize,
}

/// Validates one JSON value, fed as tokens, against a [`JsonSchema`].
pub(crate) struct Evaluator<'s> {
    pub(super) nodes: &'s [Node],
    pub(super) show_values: bool,
    pub(super) roots: Arc<[NodeId]>,
    pub(super) prefix: String,
    pub(super) complete: bool,
    pub(super) frames: Vec<Frame>,
    pub(super) apps: Vec<App>,
    pub(super) cells: Vec<Cell>,
    pub(super) combos: Vec<Combo>,
    pub(super) bits: Vec<u64>,
    /// Failures held in buffering cells until their condition is known.
    pub(super) held: Held<'s>,
    pub(super) keys: Vec<u8>,
    pub(super) sets: Vec<HashSet>,
    pub(super) sets_used: usize,
    pub(super) scratch: Vec<u8>,
    pub(super) last_detached: Option<ItemSchemas>,
}

impl<'s> Evaluator<'s> {
    /// Validates a whole document (its root value, pointer "").
    pub(crate) fn new(schema: &'s JsonSchema, show_values: bool) -> Self {
        Self::with_roots(schema, Arc::from([schema.root]), String::new(), show_values)
    }

    pub(super) fn with_roots(
        schema: &'s JsonSchema,
        roots: Arc<[NodeId]>,
        prefix: String,
        show_values: bool,
    ) -> Self {
        Self {
            nodes: &schema.nodes,
            show_values,
            roots,
            prefix,
            complete: false,
            frames: Vec::new(),
            apps: Vec::new(),
            cells: Vec::new(),
            combos: Vec::new(),
            bits: Vec::new(),
            held: Held::default(),
            keys: Vec::new(),
            sets: Vec::new(),
            sets_used: 0,
            scratch: Vec::new(),
            last_detached: None,
        }
    }

    /// True once the root value has ended.
    #[allow(
        dead_code,
        reason = "for drivers that feed a value alone; the tests use it"
    )]
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }

    /// Takes the next token of the document, which starts at `pos`.
    #[inline]
    pub(crate) fn token(&mut self, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings) {
        match token {
            Token::Key(key) => self.key(key, pos, findings),
            Token::EndObject | Token::EndArray => self.end_container(findings),
            _ => self.value(token, pos, findings),
        }
    }

    /// A value starts (a scalar, or `{`/`[`).
    fn value(&mut self, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings) {
        let start = self.frames.last().map_or(0, |f| f.apps_end);
        let cells = self.cells.len();
        let combos = self.combos.len();
        match self.frames.last() {
            None => {
                self.apps.clear();
                for i in 0..self.roots.len() {
                    let node = self.roots[i];
                    self.apps.push(App {
                        node,
                        sink: REPORT,
                        bits: 0,
                        extras: 0,
                        flags: 0,
                    });
                }
            }
            Some(frame) if !frame.object => self.element_apps(),
            Some(_) => {}
        }
        let object = matches!(token, Token::BeginObject);
        let depth = self.frames.len();
        self.expand(start, object, depth, pos, findings);
        let parent_hashes = self
            .frames
            .last()
            .is_some_and(|f| f.hashing || f.set.is_some());
        let hashing = parent_hashes
            || self.apps[start..]
                .iter()
                .any(|a| self.nodes[a.node as usize].needs_hash);
        match token {
            Token::BeginObject | Token::BeginArray => {
                let marks = Marks {
                    start,
                    cells,
                    combos,
                };
                self.begin_container(object, marks, pos, hashing, findings);
            }
            _ => {
                let hash = self.scalar(token, start, depth, pos, hashing, findings);
                self.resolve(cells, combos, depth, pos, findings);
                self.apps.truncate(start);
                self.value_ended(hash);
            }
        }
    }

    fn begin_container(
        &mut self,
        object: bool,
        Marks {
            start,
            cells,
            combos,
        }: Marks,
        pos: Pos,
        hashing: bool,
        findings: &mut dyn Findings,
    ) {
        let depth = self.frames.len();
        let bits = self.bits.len();
        let mut set = None;
        for i in start..self.apps.len() {
            let app = self.apps[i];
            let node = &self.nodes[app.node as usize];
            self.check_type(
                node,
                app,
                if object {
                    super::node::types::OBJECT
                } else {
                    super::node::types::ARRAY
                },
                depth,
                pos,
                findings,
            );
            if object && node.tracked > 0 {
                self.apps[i].bits = self.bits.len();
                let words = node.tracked.div_ceil(64) as usize;
                self.bits.resize(self.bits.len() + words, 0);
            }
            if !object && node.unique_items.is_some() && set.is_none() {
                set = Some(self.take_set());
            }
        }
        let key_start = self.frames.last().map_or(0, |f| f.key_end);
        self.frames.push(Frame {
            object,
            apps_start: start,
            apps_end: self.apps.len(),
            cells,
            combos,
            bits,
            pos,
            index: 0,
            key_start,
            key_end: key_start,
            key_escaped: false,
            hashing,
            acc: 0,
            key_hash: 0,
            set,
            dup: false,
        });
    }

    fn take_set(&mut self) -> usize {
        let i = self.sets_used;
        if self.sets.len() <= i {
            self.sets.push(HashSet::default());
        }
        self.sets_used += 1;
        i
    }

    /// A container ends: its end checks, its combinators, then its hash to the parent.
    fn end_container(&mut self, findings: &mut dyn Findings) {
        let Some(frame) = self.frames.last().copied() else {
            return;
        };
        let depth = self.frames.len() - 1;
        self.apps.truncate(frame.apps_end);
        let hash = frame
            .hashing
            .then(|| hash::container(frame.object, frame.acc, frame.index));
        self.end_checks(&frame, depth, hash, findings);
        self.resolve(frame.cells, frame.combos, depth, frame.pos, findings);
        self.bits.truncate(frame.bits);
        if let Some(set) = frame.set {
            self.sets[set].clear();
            self.sets_used -= 1;
        }
        self.frames.pop();
        self.keys.truncate(frame.key_start);
        self.apps.truncate(frame.apps_start);
        self.value_ended(hash);
    }

    /// A value of the current container (or the root) has ended with this hash.
    fn value_ended(&mut self, hash: Option<u128>) {
        let Some(parent) = self.frames.last_mut() else {
            self.complete = true;
            return;
        };
        parent.index += 1;
        if let Some(h) = hash {
            if parent.object {
                parent.acc = hash::member(parent.acc, parent.key_hash, h);
            } else {
                if let Some(set) = parent.set {
                    parent.dup |= !self.sets[set].insert(h);
                }
                parent.acc = hash::element(parent.acc, h);
            }
        }
    }
}
