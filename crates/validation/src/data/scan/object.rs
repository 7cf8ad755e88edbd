//! The scanner's objects and arrays: member names matched against the path trie, repeated
//! member names refused where they matter — at the resource's top level and on a path a
//! rule reads — and each value handed to the path scanner or the skip loop. The loops work
//! on a local copy of the cursor, handed back only around a call that needs it.

use std::borrow::Cow;

use crate::bytes::same_bytes;

use super::cursor::Cursor;
use super::skip::skip;
use super::{DUPLICATE_KEY, MAX_DEPTH, Node, ScanError, Scanner, trie};

impl ScanError {
    /// The message, naming the key of a duplicate-key error (found again in `line`, so the
    /// error stays two words wide on the hot path).
    pub(crate) fn describe(&self, line: &[u8]) -> Cow<'static, str> {
        if self.message != DUPLICATE_KEY {
            return self.message.into();
        }
        let name = key_at(line, self.at);
        format!("{DUPLICATE_KEY} \"{}\"", String::from_utf8_lossy(&name)).into()
    }
}

/// A member name's text: its bytes between the quotes, decoded when it has escapes.
fn decoded(quoted: &[u8]) -> Cow<'_, [u8]> {
    let raw = &quoted[1..quoted.len() - 1];
    if !raw.contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(crate::escape::unescape(raw).into_bytes())
}

/// The member name whose opening quote is at `at` in `line`, decoded (for messages).
fn key_at(line: &[u8], at: usize) -> Cow<'_, [u8]> {
    let rest = line.get(at..).unwrap_or_default();
    let mut i = 1;
    while i < rest.len() && rest[i] != b'"' {
        i += if rest[i] == b'\\' { 2 } else { 1 };
    }
    match rest.get(..=i) {
        Some(quoted) if quoted.len() >= 2 => decoded(quoted),
        _ => Cow::Borrowed(rest),
    }
}

impl Scanner<'_, '_> {
    /// Refuses a top-level member name (its span `start..end`, with quotes) seen before in
    /// this resource; `tag` is the name's [`tag`](super::trie::tag) when it has no escapes.
    #[inline]
    fn top_level_key(
        &mut self,
        start: usize,
        end: usize,
        tag: Option<u32>,
    ) -> Result<(), ScanError> {
        let escaped = tag.is_none();
        // One bit per name, by its tag's bucket: two names with different bits differ. An
        // escaped name's tag would be of the decoded name: it is compared with every name,
        // and every later name with it.
        let bit = tag.map_or(u64::MAX, |t| 1 << trie::bucket(t));
        if self.bloom & bit != 0 {
            self.repeated_top_level_key(start, end, escaped)?;
        }
        self.bloom |= bit;
        #[allow(
            clippy::cast_possible_truncation,
            reason = "lines are at most max_line_bytes, itself at most 1 GiB"
        )]
        self.keys.push((start as u32, end as u32));
        Ok(())
    }

    /// The slow path of [`top_level_key`](Self::top_level_key): compare with each name.
    #[cold]
    #[inline(never)]
    fn repeated_top_level_key(
        &self,
        start: usize,
        end: usize,
        escaped: bool,
    ) -> Result<(), ScanError> {
        let s = self.c.s;
        let this = &s[start..end];
        let repeated = if escaped || self.bloom == u64::MAX {
            let name = decoded(this);
            self.keys
                .iter()
                .any(|&(a, b)| decoded(&s[a as usize..b as usize]) == name)
        } else {
            self.keys
                .iter()
                .any(|&(a, b)| same_bytes(&s[a as usize..b as usize], this))
        };
        if repeated {
            return Err(self.duplicate(start));
        }
        Ok(())
    }

    fn duplicate(&self, at: usize) -> ScanError {
        ScanError {
            at,
            message: super::DUPLICATE_KEY,
        }
    }

    /// The value after a member name or in an array, from the caller's copy of the cursor:
    /// off the rules' paths by the skip loop on that copy (the position stays in a register),
    /// on a path by [`on_path`](Self::on_path), the cursor handed over and taken back.
    #[inline(always)]
    fn value_at(&mut self, c: &mut Cursor<'_>, child: Option<u32>) -> Result<(), ScanError> {
        match child {
            // A string no rule reads is skipped here, anything else by the skip loop.
            None if c.peek_past_ws() == Some(b'"') => {
                c.string()?;
            }
            None => c.i = skip(*c, self.depth)?,
            Some(n) => self.on_path(c, n)?,
        }
        Ok(())
    }

    /// Scans the resource, the line's top-level object (at its `{`): like
    /// [`container`](Self::container), and every member name is checked against the
    /// earlier ones.
    pub(super) fn resource(&mut self) -> Result<(), ScanError> {
        let root = &self.paths.nodes[0];
        let mut c = self.c;
        self.depth = 1;
        c.i += 1;
        if c.peek_past_ws() == Some(b'}') {
            self.c.i = c.i + 1;
            self.depth = 0;
            return Ok(());
        }
        loop {
            if c.peek_past_ws() != Some(b'"') {
                return Err(c.err("expected a member name in double quotes"));
            }
            let key_start = c.i;
            let escaped = c.string()?;
            let key = &c.s[key_start + 1..c.i - 1];
            let tag = (!escaped).then(|| trie::tag(key));
            self.top_level_key(key_start, c.i, tag)?;
            let at = match tag {
                Some(tag) => root.find(key, tag),
                None => escaped_member(root, &c.s[key_start..c.i]),
            };
            let child = at.map(|at| root.keys[at].1);
            if c.peek_past_ws() != Some(b':') {
                return Err(c.err("expected ':' after a member name"));
            }
            c.i += 1;
            self.value_at(&mut c, child)?;
            match c.peek_past_ws() {
                Some(b',') => c.i += 1,
                Some(b'}') => {
                    self.c.i = c.i + 1;
                    self.depth = 0;
                    return Ok(());
                }
                _ => return Err(c.err("expected ',' or '}' in an object")),
            }
        }
    }

    /// Scans an object or array below the top level; returns whether it was empty. On a
    /// path the rules read, a repeated member name the rules name is refused.
    pub(super) fn container(&mut self, node: u32, close: u8) -> Result<bool, ScanError> {
        let mut c = self.c;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(c.err("nested more than 128 levels deep"));
        }
        c.i += 1;
        if c.peek_past_ws() == Some(close) {
            self.c.i = c.i + 1;
            self.depth -= 1;
            return Ok(true);
        }
        let node = &self.paths.nodes[node as usize];
        let mut index = 0u32;
        // Which of the node's member names this object has had, by their index in the node.
        let mut seen = 0u64;
        loop {
            if close == b'}' {
                if c.peek_past_ws() != Some(b'"') {
                    return Err(c.err("expected a member name in double quotes"));
                }
                let key_start = c.i;
                let escaped = c.string()?;
                let child = match member(node, &c.s[key_start..c.i], escaped) {
                    Some(at) => {
                        if at < 64 {
                            if seen & (1 << at) != 0 {
                                return Err(self.duplicate(key_start));
                            }
                            seen |= 1 << at;
                        }
                        Some(node.keys[at].1)
                    }
                    None => None,
                };
                if c.peek_past_ws() != Some(b':') {
                    return Err(c.err("expected ':' after a member name"));
                }
                c.i += 1;
                self.value_at(&mut c, child)?;
            } else {
                let child = node
                    .indexes
                    .iter()
                    .find(|&&(at, _)| at == index)
                    .map(|&(_, c)| c);
                self.value_at(&mut c, child)?;
                index = index.saturating_add(1);
            }
            match c.peek_past_ws() {
                Some(b',') => c.i += 1,
                Some(b) if b == close => {
                    self.c.i = c.i + 1;
                    self.depth -= 1;
                    return Ok(false);
                }
                _ if close == b'}' => return Err(c.err("expected ',' or '}' in an object")),
                _ => return Err(c.err("expected ',' or ']' in an array")),
            }
        }
    }
}

/// The index in `node`'s member names of the name `quoted` (with its quotes).
#[inline(always)]
fn member(node: &Node, quoted: &[u8], escaped: bool) -> Option<usize> {
    if node.keys.is_empty() {
        return None;
    }
    if escaped {
        return escaped_member(node, quoted);
    }
    let key = &quoted[1..quoted.len() - 1];
    node.find(key, trie::tag(key))
}

/// [`member`] for a name with escapes: decoded first.
#[cold]
#[inline(never)]
fn escaped_member(node: &Node, quoted: &[u8]) -> Option<usize> {
    let key = crate::escape::unquote(quoted);
    node.find(key.as_bytes(), trie::tag(key.as_bytes()))
}
