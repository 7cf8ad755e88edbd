//! The keywords checked on a scalar when it is read, and on a container when it ends.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::super::event::{Pos, Token};
use super::super::finding::Findings;
use super::eval::{App, Evaluator, FOUND, Frame};
use super::fail::Fail;
use super::hash;
use super::node::{DependencyKind, Node, types};
use super::number::{Num, multiple_of};
use crate::bytes::code_points;

impl Evaluator<'_> {
    /// `type` on a value whose type bits are `kind`.
    pub(super) fn check_type(
        &mut self,
        node: &Node,
        app: App,
        kind: u8,
        depth: usize,
        pos: Pos,
        findings: &mut dyn Findings,
    ) {
        if let Some(t) = &node.types
            && t.value & kind == 0
        {
            self.fail(Fail::Type, app.node, app.sink, depth, pos, None, findings);
        }
    }

    /// Checks a scalar against the apps from `start` on; its hash when `hashing` or some
    /// app has `enum`/`const`.
    pub(super) fn scalar(
        &mut self,
        token: &Token<'_>,
        start: usize,
        depth: usize,
        pos: Pos,
        hashing: bool,
        findings: &mut dyn Findings,
    ) -> Option<u128> {
        let nodes = self.nodes;
        let (raw, kind): (&[u8], u8) = match token {
            Token::String(s) => (s.raw, types::STRING),
            Token::Number(n) => (n, types::NUMBER),
            Token::Bool(true) => (b"true", types::BOOLEAN),
            Token::Bool(false) => (b"false", types::BOOLEAN),
            _ => (b"null", types::NULL),
        };
        // Parsed only when some schema needs more than "a number".
        let mut num: Option<Option<Num<'_>>> = None;
        let mut parse = || match token {
            Token::Number(n) => *num.get_or_insert_with(|| Num::parse(n)),
            _ => None,
        };
        let mut text: Option<Cow<'_, [u8]>> = None;
        let mut hash = None;
        let end = self.apps.len();
        for i in start..end {
            let app = self.apps[i];
            let node = &nodes[app.node as usize];
            let kind = if node.needs_integer && parse().is_some_and(|n| n.is_integer()) {
                kind | types::INTEGER
            } else {
                kind
            };
            self.check_type(node, app, kind, depth, pos, findings);
            if node.needs_hash {
                let n = parse();
                let h = *hash.get_or_insert_with(|| self.scalar_hash(token, n.as_ref()));
                self.check_hash(node, app, h, depth, pos, Some(raw), findings);
            }
            if let (Token::String(s), true) = (token, node.has_string) {
                let text = text.get_or_insert_with(|| s.bytes());
                let len = || code_points(text);
                let mut fails = [None; 4];
                if node.min_length.as_ref().is_some_and(|k| len() < k.value) {
                    fails[0] = Some(Fail::MinLength);
                }
                if node.max_length.as_ref().is_some_and(|k| len() > k.value) {
                    fails[1] = Some(Fail::MaxLength);
                }
                if node
                    .pattern
                    .as_ref()
                    .is_some_and(|k| !k.value.is_match(text))
                {
                    fails[2] = Some(Fail::Pattern);
                }
                if node.format.as_ref().is_some_and(|k| !k.value.check(text)) {
                    fails[3] = Some(Fail::Format);
                }
                for f in fails.into_iter().flatten() {
                    self.fail(f, app.node, app.sink, depth, pos, Some(raw), findings);
                }
            }
            if let (true, Some(num)) = (node.has_number, parse()) {
                let num = &num;
                let below = |k: &Option<super::node::Kw<super::number::Decimal>>,
                             bad: &[Ordering]| {
                    k.as_ref()
                        .is_some_and(|k| bad.contains(&num.cmp_decimal(&k.value)))
                };
                let fails = [
                    below(&node.minimum, &[Ordering::Less]).then_some(Fail::Minimum),
                    below(&node.maximum, &[Ordering::Greater]).then_some(Fail::Maximum),
                    below(&node.exclusive_minimum, &[Ordering::Less, Ordering::Equal])
                        .then_some(Fail::ExclusiveMinimum),
                    below(
                        &node.exclusive_maximum,
                        &[Ordering::Greater, Ordering::Equal],
                    )
                    .then_some(Fail::ExclusiveMaximum),
                    node.multiple_of
                        .as_ref()
                        .is_some_and(|k| !multiple_of(num, raw, k.value.0, k.value.1))
                        .then_some(Fail::MultipleOf),
                ];
                for f in fails.into_iter().flatten() {
                    self.fail(f, app.node, app.sink, depth, pos, Some(raw), findings);
                }
            }
        }
        if hashing && hash.is_none() {
            let n = parse();
            hash = Some(self.scalar_hash(token, n.as_ref()));
        }
        hash
    }

    fn scalar_hash(&mut self, token: &Token<'_>, num: Option<&Num<'_>>) -> u128 {
        match token {
            Token::String(s) => hash::string_bytes(&s.bytes()),
            Token::Number(n) => match num {
                Some(num) => hash::number(num, &mut self.scratch),
                None => hash::string(&String::from_utf8_lossy(n)),
            },
            Token::Bool(b) => hash::boolean(*b),
            _ => hash::null(),
        }
    }

    /// `enum` and `const` against a value's hash.
    #[expect(clippy::too_many_arguments, reason = "the failure's whole context")]
    fn check_hash(
        &mut self,
        node: &Node,
        app: App,
        h: u128,
        depth: usize,
        pos: Pos,
        raw: Option<&[u8]>,
        findings: &mut dyn Findings,
    ) {
        if node
            .enumeration
            .as_ref()
            .is_some_and(|k| !k.value.contains(&h))
        {
            self.fail(Fail::Enum, app.node, app.sink, depth, pos, raw, findings);
        }
        if node.constant.as_ref().is_some_and(|k| k.value != h) {
            self.fail(Fail::Const, app.node, app.sink, depth, pos, raw, findings);
        }
    }

    /// The checks of a container that ends, for each of its apps.
    pub(super) fn end_checks(
        &mut self,
        frame: &Frame,
        depth: usize,
        hash: Option<u128>,
        findings: &mut dyn Findings,
    ) {
        let nodes = self.nodes;
        let pos = frame.pos;
        let count = frame.index;
        for i in frame.apps_start..frame.apps_end {
            let app = self.apps[i];
            let node = &nodes[app.node as usize];
            if let (true, Some(h)) = (node.needs_hash, hash) {
                self.check_hash(node, app, h, depth, pos, None, findings);
            }
            let limits = |min: &Option<super::node::Kw<u64>>,
                          max: &Option<super::node::Kw<u64>>| {
                (
                    min.as_ref().is_some_and(|k| count < k.value),
                    max.as_ref().is_some_and(|k| count > k.value),
                )
            };
            if frame.object && node.has_object {
                let has =
                    |bit: u32| self.bits[app.bits + (bit / 64) as usize] & (1 << (bit % 64)) != 0;
                let mut fails = Vec::new();
                if let Some(required) = &node.required {
                    fails.extend(
                        required
                            .value
                            .iter()
                            .filter(|(b, _)| !has(*b))
                            .map(|(_, name)| Fail::Required(name)),
                    );
                }
                for dep in &node.dependencies {
                    if let (DependencyKind::Required(names, rule), true) = (&dep.then, has(dep.bit))
                    {
                        let missing = names.iter().filter(|(b, _)| !has(*b));
                        fails.extend(
                            missing.map(|(_, each)| Fail::Dependency(rule, each, &dep.property)),
                        );
                    }
                }
                if app.extras > 0 {
                    fails.push(Fail::AdditionalProperties);
                }
                let (few, many) = limits(&node.min_properties, &node.max_properties);
                fails.extend(
                    few.then_some(Fail::MinProperties)
                        .into_iter()
                        .chain(many.then_some(Fail::MaxProperties)),
                );
                for f in fails {
                    self.fail(f, app.node, app.sink, depth, pos, None, findings);
                }
            } else if !frame.object && node.has_array {
                let (few, many) = limits(&node.min_items, &node.max_items);
                let fails = [
                    few.then_some(Fail::MinItems),
                    many.then_some(Fail::MaxItems),
                    (node.unique_items.is_some() && frame.dup).then_some(Fail::UniqueItems),
                    (app.extras > 0).then_some(Fail::AdditionalItems),
                    (node.contains.is_some() && app.flags & FOUND == 0).then_some(Fail::Contains),
                ];
                for f in fails.into_iter().flatten() {
                    self.fail(f, app.node, app.sink, depth, pos, None, findings);
                }
            }
        }
    }
}
