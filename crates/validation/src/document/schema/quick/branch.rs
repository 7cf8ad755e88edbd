//! A value against a node that applies more than its own keywords: `$ref`s followed, then
//! `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, each branch on the value's bytes
//! again — or, for an object, on its noted members, reading again only the members a
//! branch's keywords name.

use super::super::super::event::Str;
use super::super::node::{Node, NodeId, types};
use super::kinds::{Members, Quick, Stop, Tracking, Walk, applicable, typed};

impl<'a> Quick<'a> {
    #[inline]
    pub(super) fn ws(&self, i: &mut usize) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(*i) {
            *i += 1;
        }
    }

    /// The value at `*i` (whitespace first) against `node` (None: any value); `*i` ends
    /// after it. Its canonical hash when `hash` (else 0).
    pub(super) fn value(&mut self, i: &mut usize, node: Option<NodeId>, hash: bool) -> Walk<u128> {
        self.ws(i);
        let nodes = self.nodes;
        let Some(mut id) = node else {
            return self.own(i, self.any, hash);
        };
        while let Some(target) = nodes[id as usize].reference {
            id = target;
        }
        let n = &nodes[id as usize];
        if !n.applies_more {
            return self.own(i, n, hash);
        }
        applicable(n)?;
        let start = *i;
        let members = self.bytes.get(start) == Some(&b'{');
        if n.applies_only && !hash && !members {
            // No keyword of its own (`npi: {oneOf: [...]}`): a branch that matches has read
            // the whole value, its syntax included, so it is not walked once more first.
            if let Some(end) = self.applies(start, n, None)? {
                *i = end;
                return Ok(0);
            }
            return self.own(i, n, false);
        }
        // The value with this node's own keywords (which checks its syntax; an object's
        // members are noted), then each schema the node applies besides, from its start.
        let base = self.members.len();
        let h = if members {
            self.object(i, n, hash, true)?
        } else {
            self.own(i, n, hash)?
        };
        self.applies(start, n, members.then_some((base, self.members.len())))?;
        self.members.truncate(base);
        Ok(h)
    }

    /// The schemas `n` applies to the value at `start` besides its own keywords: `allOf`,
    /// `anyOf`, `oneOf`, `not`, `if`/`then`/`else`; `members`, an object's noted members.
    /// Where a branch that matched stopped reading (without `members`: after the whole
    /// value), when one did.
    fn applies(&mut self, start: usize, n: &Node, members: Option<Members>) -> Walk<Option<usize>> {
        let mut end = None;
        for &member in &n.all_of {
            end = Some(self.branch(start, member, members)?);
        }
        if let Some(k) = &n.any_of {
            let mut any = None;
            for &branch in &k.value {
                any = self.matches(start, branch, members)?;
                if any.is_some() {
                    break;
                }
            }
            end = Some(any.ok_or(Stop::Fails)?);
        }
        if let Some(k) = &n.one_of {
            let (mut matched, mut first) = (0, None);
            for &branch in &k.value {
                if let Some(at) = self.matches(start, branch, members)? {
                    first = first.or(Some(at));
                    matched += 1;
                    if matched > 1 {
                        break;
                    }
                }
            }
            if matched != 1 {
                return Err(Stop::Fails);
            }
            end = first;
        }
        if let Some(k) = &n.not
            && self.matches(start, k.value, members)?.is_some()
        {
            return Err(Stop::Fails);
        }
        if let Some(c) = &n.conditional
            && (c.then.is_some() || c.otherwise.is_some())
        {
            let condition = self.matches(start, c.condition, members)?;
            end = end.or(condition);
            if let Some(branch) = if condition.is_some() {
                c.then
            } else {
                c.otherwise
            } {
                end = Some(self.branch(start, branch, members)?);
            }
        }
        Ok(end)
    }

    /// Whether the value at `start` matches `node` (a branch: its failure is an answer):
    /// where the branch stopped reading when it does.
    fn matches(
        &mut self,
        start: usize,
        node: NodeId,
        members: Option<Members>,
    ) -> Walk<Option<usize>> {
        let (depth, noted) = (self.depth, self.members.len());
        let result = self.branch(start, node, members);
        // A walk that stopped early left its levels counted and its members noted.
        self.depth = depth;
        self.members.truncate(noted);
        match result {
            Ok(end) => Ok(Some(end)),
            Err(Stop::Fails) => Ok(None),
            Err(Stop::Unsure) => Err(Stop::Unsure),
        }
    }

    /// The value at `start` against `node`: an object from its noted members when the
    /// node's keywords allow (only the members a keyword names are read again), else by
    /// walking it again. Where it stopped reading: after the value when walked again, else
    /// `start`.
    fn branch(&mut self, start: usize, node: NodeId, members: Option<Members>) -> Walk<usize> {
        let nodes = self.nodes;
        let mut id = node;
        while let Some(target) = nodes[id as usize].reference {
            id = target;
        }
        let n = &nodes[id as usize];
        let Some(range) = members.filter(|_| !n.needs_hash && Self::supported(n)) else {
            let mut end = start;
            self.value(&mut end, Some(node), false)?;
            return Ok(end);
        };
        applicable(n)?;
        typed(n, types::OBJECT)?;
        if n.has_object {
            let mut check = Tracking::default();
            for k in range.0..range.1 {
                let m = self.members[k];
                let key = Str {
                    raw: &self.bytes[m.name.0..m.name.1],
                    escaped: m.escaped,
                };
                let name = key.bytes();
                if let (Some(child), _) = check.member(n, &name) {
                    self.value(&mut { m.value }, Some(child), false)?;
                }
            }
            check.end(n, (range.1 - range.0) as u64)?;
        }
        if n.applies_more {
            self.applies(start, n, members)?;
        }
        Ok(start)
    }

    /// Whether this walk handles `n`'s object keywords.
    pub(super) fn supported(n: &Node) -> bool {
        !n.has_object
            || (n.tracked <= 64 && n.pattern_properties.is_empty() && n.property_names.is_none())
    }
}
