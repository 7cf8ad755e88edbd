//! The compiled form of a schema: a flat arena of nodes, each one subschema, linked by
//! index; every keyword's schema path (the finding's rule) built once.

use std::sync::Arc;

use regex::bytes::Regex;

use super::format::Format;
use super::number::Decimal;
use crate::bytes::same_bytes;

/// A key slot shared by two keys (or a key past the 254th): look through them all.
const COLLIDED: u8 = u8::MAX;

/// A key's slot in a node's table: its length and its first and last eight bytes, mixed.
#[inline]
fn key_slot(key: &[u8]) -> usize {
    let n = key.len();
    let (head, tail) = if n >= 8 {
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&key[at..at + 8]);
            u64::from_le_bytes(w)
        };
        (word(0), word(n - 8))
    } else {
        let folded = key.iter().fold(0u64, |h, &b| (h << 8) | u64::from(b));
        (folded, 0)
    };
    let h = head.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ tail.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (n as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    // Tables hold at most 1,024 slots: the low 16 bits are enough.
    let [a, b, ..] = (h ^ (h >> 29) ^ (h >> 47)).to_le_bytes();
    usize::from(u16::from_le_bytes([a, b]))
}

/// A node's index in the arena.
pub(super) type NodeId = u32;

/// A keyword's schema path (`#/definitions/x/minLength`), shared by its findings.
pub(super) type Rule = Arc<str>;

/// JSON types as bits of a mask.
pub(super) mod types {
    pub(in super::super) const NULL: u8 = 1;
    pub(in super::super) const BOOLEAN: u8 = 2;
    pub(in super::super) const OBJECT: u8 = 4;
    pub(in super::super) const ARRAY: u8 = 8;
    pub(in super::super) const NUMBER: u8 = 16;
    pub(in super::super) const INTEGER: u8 = 32;
    pub(in super::super) const STRING: u8 = 64;
    /// The names, in bit order.
    pub(in super::super) const NAMES: [&str; 7] = [
        "null", "boolean", "object", "array", "number", "integer", "string",
    ];
}

/// The schemas of an array element validated elsewhere (see `Evaluator::detach_item`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemSchemas {
    pub(super) nodes: Arc<[NodeId]>,
}

/// A keyword with its value and rule.
#[derive(Debug)]
pub(super) struct Kw<T> {
    pub(super) value: T,
    pub(super) rule: Rule,
}

/// A property name with its tracked bit.
pub(super) type Tracked = (u32, Box<str>);

/// `items`.
#[derive(Debug, Default)]
pub(super) enum Items {
    /// No `items`: any element.
    #[default]
    Any,
    /// One schema for every element.
    All(NodeId),
    /// A schema per position; `additionalItems` for the rest.
    Tuple(Vec<NodeId>),
}

/// `additionalProperties` / `additionalItems`.
#[derive(Debug)]
pub(super) enum Additional {
    /// `false`: none allowed (one finding for all).
    Forbidden(Rule),
    /// A schema each extra one must match.
    Schema(NodeId),
}

/// One property name the node looks up: a `properties` child, a tracked bit (required or
/// a `dependencies` key), or both.
#[derive(Debug)]
pub(super) struct KeyEntry {
    pub(super) key: Box<[u8]>,
    /// The key's canonical hash (as a member name).
    pub(super) hash: u128,
    pub(super) child: Option<NodeId>,
    pub(super) bit: Option<u32>,
}

/// One `dependencies` entry.
#[derive(Debug)]
pub(super) struct Dependency {
    /// The tracked bit of the property that triggers it.
    pub(super) bit: u32,
    pub(super) property: Box<str>,
    pub(super) then: DependencyKind,
}

/// What a `dependencies` entry requires.
#[derive(Debug)]
pub(super) enum DependencyKind {
    /// Properties that must be present (their tracked bits), one finding each missing.
    Required(Vec<Tracked>, Rule),
    /// A schema the whole object must match.
    Schema(NodeId),
}

/// `if`/`then`/`else`.
#[derive(Debug)]
pub(super) struct Conditional {
    pub(super) condition: NodeId,
    pub(super) then: Option<NodeId>,
    pub(super) otherwise: Option<NodeId>,
}

/// One compiled subschema. Keywords that do not apply to a value's type are skipped, as in
/// JSON Schema; the `has_*` flags let the evaluator skip a whole group at once.
#[derive(Debug, Default)]
pub(super) struct Node {
    /// The schema path of this subschema (`#/definitions/x`).
    pub(super) path: Rule,
    /// A boolean schema (`false`: nothing matches; `true`: no keyword).
    pub(super) always: Option<bool>,
    /// `$ref`: the node that stands in for this one (siblings ignored, as in draft 7).
    pub(super) reference: Option<NodeId>,
    pub(super) types: Option<Kw<u8>>,
    pub(super) enumeration: Option<Kw<Vec<u128>>>,
    pub(super) constant: Option<Kw<u128>>,
    /// The strings among `enum`'s values, as UTF-8 with their hashes (a string is in the
    /// `enum` when it is one of them: compared without hashing).
    pub(super) enum_strings: Vec<(Box<[u8]>, u128)>,
    /// `const`'s value when it is a string.
    pub(super) const_string: Option<Box<[u8]>>,
    pub(super) min_length: Option<Kw<u64>>,
    pub(super) max_length: Option<Kw<u64>>,
    pub(super) pattern: Option<Kw<Regex>>,
    pub(super) format: Option<Kw<Format>>,
    pub(super) minimum: Option<Kw<Decimal>>,
    pub(super) maximum: Option<Kw<Decimal>>,
    pub(super) exclusive_minimum: Option<Kw<Decimal>>,
    pub(super) exclusive_maximum: Option<Kw<Decimal>>,
    /// The divisor as f64 and whether it was written as an integer.
    pub(super) multiple_of: Option<Kw<(f64, bool)>>,
    pub(super) items: Items,
    pub(super) additional_items: Option<Additional>,
    pub(super) min_items: Option<Kw<u64>>,
    pub(super) max_items: Option<Kw<u64>>,
    pub(super) unique_items: Option<Rule>,
    pub(super) contains: Option<Kw<NodeId>>,
    /// Sorted by key.
    pub(super) keys: Vec<KeyEntry>,
    /// `keys`' index + 1 by [`key_slot`] (0: no key there; `COLLIDED`: look through them all).
    pub(super) key_slots: Vec<u8>,
    /// How many tracked bits (`required` and `dependencies` keys).
    pub(super) tracked: u32,
    pub(super) required: Option<Kw<Vec<Tracked>>>,
    pub(super) pattern_properties: Vec<(Regex, NodeId)>,
    pub(super) additional_properties: Option<Additional>,
    pub(super) property_names: Option<NodeId>,
    pub(super) dependencies: Vec<Dependency>,
    pub(super) min_properties: Option<Kw<u64>>,
    pub(super) max_properties: Option<Kw<u64>>,
    pub(super) all_of: Vec<NodeId>,
    pub(super) any_of: Option<Kw<Vec<NodeId>>>,
    pub(super) one_of: Option<Kw<Vec<NodeId>>>,
    pub(super) not: Option<Kw<NodeId>>,
    pub(super) conditional: Option<Conditional>,
    /// Has `$ref`, a combinator, `if`, schema dependencies or is `false`: expanded when a
    /// value starts.
    pub(super) applies_more: bool,
    /// `type` without `number` but with `integer`: a number's fraction matters.
    pub(super) needs_integer: bool,
    /// Has `enum` or `const`: the value's hash is needed.
    pub(super) needs_hash: bool,
    pub(super) has_string: bool,
    pub(super) has_number: bool,
    pub(super) has_object: bool,
    pub(super) has_array: bool,
    /// No keyword of its own (no `type`, `enum`, `const` or keyword of a kind of value):
    /// only the schemas it applies decide.
    pub(super) applies_only: bool,
}

impl Node {
    /// The `properties`/tracked entry of a key.
    #[inline]
    pub(super) fn key(&self, key: &[u8]) -> Option<&KeyEntry> {
        if self.key_slots.is_empty() {
            return None;
        }
        match self.key_slots[key_slot(key) & (self.key_slots.len() - 1)] {
            0 => None,
            COLLIDED => self.key_scan(key),
            i => {
                let entry = &self.keys[usize::from(i) - 1];
                same_bytes(&entry.key, key).then_some(entry)
            }
        }
    }

    /// [`key`](Self::key) by looking through the keys.
    fn key_scan(&self, key: &[u8]) -> Option<&KeyEntry> {
        // Lengths differ for most keys, and `same_bytes` compares them first.
        if self.keys.len() <= 16 {
            self.keys.iter().find(|e| same_bytes(&e.key, key))
        } else {
            self.keys
                .binary_search_by(|e| (*e.key).cmp(key))
                .ok()
                .map(|i| &self.keys[i])
        }
    }

    /// Sets the group flags from the keywords present, and the key slots.
    pub(super) fn finish(&mut self) {
        self.key_slots.clear();
        if !self.keys.is_empty() {
            let size = (self.keys.len() * 4).next_power_of_two().max(8);
            self.key_slots.resize(size, 0);
            for (i, entry) in self.keys.iter().enumerate() {
                let slot = &mut self.key_slots[key_slot(&entry.key) & (size - 1)];
                *slot = match (*slot, u8::try_from(i + 1)) {
                    (0, Ok(index)) if index != COLLIDED => index,
                    _ => COLLIDED,
                };
            }
        }
        self.applies_more = self.reference.is_some()
            || self.always == Some(false)
            || !self.all_of.is_empty()
            || self.any_of.is_some()
            || self.one_of.is_some()
            || self.not.is_some()
            || self.conditional.is_some()
            || self
                .dependencies
                .iter()
                .any(|d| matches!(d.then, DependencyKind::Schema(_)));
        self.needs_integer = self
            .types
            .as_ref()
            .is_some_and(|t| t.value & types::INTEGER != 0 && t.value & types::NUMBER == 0);
        self.needs_hash = self.enumeration.is_some() || self.constant.is_some();
        self.has_string = self.min_length.is_some()
            || self.max_length.is_some()
            || self.pattern.is_some()
            || self.format.is_some();
        self.has_number = self.minimum.is_some()
            || self.maximum.is_some()
            || self.exclusive_minimum.is_some()
            || self.exclusive_maximum.is_some()
            || self.multiple_of.is_some();
        self.has_object = !self.keys.is_empty()
            || !self.pattern_properties.is_empty()
            || self.additional_properties.is_some()
            || self.property_names.is_some()
            || self.min_properties.is_some()
            || self.max_properties.is_some();
        self.has_array = !matches!(self.items, Items::Any)
            || self.min_items.is_some()
            || self.max_items.is_some()
            || self.unique_items.is_some()
            || self.contains.is_some();
        self.applies_only = self.applies_more
            && self.always.is_none()
            && self.types.is_none()
            && !(self.needs_hash
                || self.has_string
                || self.has_number
                || self.has_object
                || self.has_array);
    }
}
