//! What the quick check's walk is made of: its outcome (`Stop`), its state (`QuickState`
//! kept per worker, `Quick` per record), an object's noted members and keyword tracking,
//! and the keyword tests shared by every kind of value.

use super::super::hash;
use super::super::node::{Additional, DependencyKind, Kw, Node, NodeId};

/// Why a walk stopped before the value's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// A keyword failed: inside a branch, the branch does not match; outside, the record
    /// goes to the interpreter.
    Fails,
    /// Not decided here (bytes that are not JSON, a keyword this walk does not handle, a
    /// value nested too deep): the record goes to the interpreter.
    Unsure,
}

pub(super) type Walk<T> = Result<T, Stop>;

/// Deeper than this, the interpreter decides (the walk recurses per level).
pub(super) const MAX_DEPTH: usize = 128;

/// Arrays with at most this many elements find duplicates by comparing hashes pairwise.
pub(super) const SMALL_SET: usize = 16;

/// What a worker's quick checks keep from record to record.
#[derive(Debug, Default)]
pub(crate) struct QuickState {
    /// A node without keywords: the schema of a value no keyword constrains.
    pub(super) any: Node,
    /// One `uniqueItems` set per nesting depth.
    pub(super) seen: Vec<Vec<u128>>,
    pub(super) sets: Vec<hash::HashSet>,
    pub(super) scratch: Vec<u8>,
    /// The noted members of the objects whose branches are pending.
    pub(super) members: Vec<Member>,
}

/// One walk over one record.
pub(super) struct Quick<'a> {
    pub(super) nodes: &'a [Node],
    pub(super) any: &'a Node,
    pub(super) bytes: &'a [u8],
    /// Strings and numbers at least this long are left to the interpreter (its lexer
    /// refuses tokens over its limit).
    pub(super) long_token: usize,
    pub(super) depth: usize,
    pub(super) seen: &'a mut Vec<Vec<u128>>,
    pub(super) sets: &'a mut Vec<hash::HashSet>,
    pub(super) scratch: &'a mut Vec<u8>,
    pub(super) members: &'a mut Vec<Member>,
}

/// A noted member of an object: where its name and its value start.
#[derive(Debug, Clone, Copy)]
pub(super) struct Member {
    pub(super) name: (usize, usize),
    pub(super) escaped: bool,
    pub(super) value: usize,
}

/// A range of noted members (in `QuickState::members`).
pub(super) type Members = (usize, usize);

/// The object keywords' state over an object's members.
#[derive(Default)]
pub(super) struct Tracking {
    bits: u64,
    extras: u64,
}

impl Tracking {
    /// A member's name: its tracked bit set; the schema of its value, if any, and the
    /// name's hash when the schema names it.
    #[inline]
    pub(super) fn member(&mut self, n: &Node, name: &[u8]) -> (Option<NodeId>, Option<u128>) {
        let mut child = None;
        let mut hash = None;
        if let Some(entry) = n.key(name) {
            if let Some(bit) = entry.bit {
                self.bits |= 1 << bit;
            }
            child = entry.child;
            hash = Some(entry.hash);
        }
        if child.is_none() {
            match &n.additional_properties {
                Some(Additional::Schema(c)) => child = Some(*c),
                Some(Additional::Forbidden(_)) => self.extras += 1,
                None => {}
            }
        }
        (child, hash)
    }

    /// `required`, `dependencies`, `additionalProperties: false`, `min`/`maxProperties`
    /// once all `count` members are seen.
    pub(super) fn end(&self, n: &Node, count: u64) -> Walk<()> {
        let has = |bit: u32| self.bits & (1 << bit) != 0;
        if n.required
            .as_ref()
            .is_some_and(|k| k.value.iter().any(|(b, _)| !has(*b)))
        {
            return Err(Stop::Fails);
        }
        for dep in &n.dependencies {
            if let (DependencyKind::Required(names, _), true) = (&dep.then, has(dep.bit))
                && names.iter().any(|(b, _)| !has(*b))
            {
                return Err(Stop::Fails);
            }
        }
        if self.extras > 0 {
            return Err(Stop::Fails);
        }
        within(count, &n.min_properties, &n.max_properties)
    }
}

/// Before a node that applies more than its own keywords is walked: a `false` schema
/// fails; a schema-form `dependencies` entry is left to the evaluator.
pub(super) fn applicable(n: &Node) -> Walk<()> {
    if n.always == Some(false) {
        return Err(Stop::Fails);
    }
    if n.dependencies
        .iter()
        .any(|d| matches!(d.then, DependencyKind::Schema(_)))
    {
        return Err(Stop::Unsure);
    }
    Ok(())
}

/// Fails when `t` does not allow a value of type bits `kind`.
#[inline]
pub(super) fn typed(n: &Node, kind: u8) -> Walk<()> {
    match &n.types {
        Some(t) if t.value & kind == 0 => Err(Stop::Fails),
        _ => Ok(()),
    }
}

/// `enum` and `const` on a value's hash.
pub(super) fn hashed(n: &Node, h: u128) -> Walk<()> {
    let outside = n
        .enumeration
        .as_ref()
        .is_some_and(|k| !k.value.contains(&h))
        || n.constant.as_ref().is_some_and(|k| k.value != h);
    if outside { Err(Stop::Fails) } else { Ok(()) }
}

/// `min*`/`max*` on a count.
pub(super) fn within(count: u64, min: &Option<Kw<u64>>, max: &Option<Kw<u64>>) -> Walk<()> {
    let few = min.as_ref().is_some_and(|k| count < k.value);
    let many = max.as_ref().is_some_and(|k| count > k.value);
    if few || many {
        Err(Stop::Fails)
    } else {
        Ok(())
    }
}
