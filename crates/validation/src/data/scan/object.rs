//! The scanner's strings, objects and arrays: escapes (an unpaired UTF-16 surrogate is
//! refused), member names matched against the path trie, and repeated member names refused
//! where they matter — at the resource's top level and on a path a rule reads.

use std::borrow::Cow;

use crate::bytes::same_bytes;

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

/// Four hex digits as a number.
fn hex4(digits: Option<&[u8]>) -> Option<u16> {
    let digits = std::str::from_utf8(digits?).ok()?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

/// A member name's text: its bytes between the quotes, decoded when it has escapes.
fn decoded(quoted: &[u8]) -> Cow<'_, [u8]> {
    let raw = &quoted[1..quoted.len() - 1];
    if !raw.contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    let text = std::str::from_utf8(quoted).unwrap_or("");
    Cow::Owned(
        serde_json::from_str::<String>(text)
            .unwrap_or_default()
            .into_bytes(),
    )
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
    /// Skips a string starting at its opening quote; returns whether it had escapes.
    /// Inlined everywhere: a call's register saves cost a fifth of a string's scan.
    #[inline(always)]
    pub(super) fn string(&mut self) -> Result<bool, ScanError> {
        self.i += 1;
        let mut escaped = false;
        loop {
            let Some(at) = self.stops.next(self.i) else {
                self.i = self.s.len();
                return Err(self.err("a string is not closed"));
            };
            self.i = at;
            match self.s[self.i] {
                b'"' => {
                    self.i += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.i += 1;
                        }
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.err("unknown escape in a string")),
                    }
                }
                _ => return Err(self.err("a control character must be escaped in a string")),
            }
        }
    }

    /// `\uXXXX` at `u` (after the backslash): a character, or a high surrogate followed by
    /// `\u` and a low one. An unpaired surrogate is no character, so no string holds it.
    /// Out of line: escapes are rare, and [`string`](Self::string) is the hottest loop.
    #[inline(never)]
    fn unicode_escape(&mut self) -> Result<(), ScanError> {
        let Some(unit) = hex4(self.s.get(self.i + 1..self.i + 5)) else {
            return Err(self.err("expected four hex digits after \\u"));
        };
        let lone =
            "a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair) is not a character";
        match unit {
            0xd800..=0xdbff => {
                let paired = self.s.get(self.i + 5..self.i + 7) == Some(b"\\u".as_slice())
                    && hex4(self.s.get(self.i + 7..self.i + 11))
                        .is_some_and(|low| (0xdc00..=0xdfff).contains(&low));
                if !paired {
                    self.i -= 1;
                    return Err(self.err(lone));
                }
                self.i += 11;
            }
            0xdc00..=0xdfff => {
                self.i -= 1;
                return Err(self.err(lone));
            }
            _ => self.i += 5,
        }
        Ok(())
    }

    /// Refuses a top-level member name (its span, with quotes) seen before in this resource;
    /// `tag` is the name's [`tag`](super::trie::tag) when it has no escapes.
    #[inline]
    fn top_level_key(&mut self, start: usize, tag: Option<u32>) -> Result<(), ScanError> {
        let end = self.i;
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
        let s = self.s;
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

    /// The index in `node`'s member names of the name just scanned (from `start`, its
    /// opening quote, to the current position).
    #[inline(always)]
    fn member(&self, node: &Node, start: usize, escaped: bool) -> Option<usize> {
        if node.keys.is_empty() {
            return None;
        }
        if escaped {
            return self.escaped_member(node, start);
        }
        let key = &self.s[start + 1..self.i - 1];
        node.find(key, trie::tag(key))
    }

    /// [`member`](Self::member) for a name with escapes: decoded first.
    #[cold]
    #[inline(never)]
    fn escaped_member(&self, node: &Node, start: usize) -> Option<usize> {
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        let key = serde_json::from_str::<String>(text).unwrap_or_default();
        node.find(key.as_bytes(), trie::tag(key.as_bytes()))
    }

    /// Scans the resource, the line's top-level object (at its `{`): like
    /// [`container`](Self::container), and every member name is checked against the
    /// earlier ones.
    pub(super) fn resource(&mut self) -> Result<(), ScanError> {
        let paths = self.paths;
        let root = &paths.nodes[0];
        self.depth = 1;
        self.i += 1;
        if self.peek_past_ws() == Some(b'}') {
            self.i += 1;
            self.depth = 0;
            return Ok(());
        }
        loop {
            if self.peek_past_ws() != Some(b'"') {
                return Err(self.err("expected a member name in double quotes"));
            }
            let key_start = self.i;
            let escaped = self.string()?;
            let key = &self.s[key_start + 1..self.i - 1];
            let tag = (!escaped).then(|| trie::tag(key));
            self.top_level_key(key_start, tag)?;
            let at = match tag {
                Some(tag) => root.find(key, tag),
                None => self.escaped_member(root, key_start),
            };
            let child = at.map(|at| root.keys[at].1);
            if self.peek_past_ws() != Some(b':') {
                return Err(self.err("expected ':' after a member name"));
            }
            self.i += 1;
            self.value(child)?;
            match self.peek_past_ws() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth = 0;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
    }

    /// Scans an object or array below the top level; returns whether it was empty. On a
    /// path the rules read, a repeated member name the rules name is refused.
    pub(super) fn container(&mut self, node: Option<u32>, close: u8) -> Result<bool, ScanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested more than 128 levels deep"));
        }
        self.i += 1;
        if self.peek_past_ws() == Some(close) {
            self.i += 1;
            self.depth -= 1;
            return Ok(true);
        }
        let node = node.map(|n| &self.paths.nodes[n as usize]);
        let mut index = 0u32;
        // Which of the node's member names this object has had, by their index in the node.
        let mut seen = 0u64;
        loop {
            if close == b'}' {
                if self.peek_past_ws() != Some(b'"') {
                    return Err(self.err("expected a member name in double quotes"));
                }
                let key_start = self.i;
                let escaped = self.string()?;
                let child = match node.and_then(|n| Some((n, self.member(n, key_start, escaped)?)))
                {
                    Some((n, at)) => {
                        if at < 64 {
                            if seen & (1 << at) != 0 {
                                return Err(self.duplicate(key_start));
                            }
                            seen |= 1 << at;
                        }
                        Some(n.keys[at].1)
                    }
                    None => None,
                };
                if self.peek_past_ws() != Some(b':') {
                    return Err(self.err("expected ':' after a member name"));
                }
                self.i += 1;
                self.value(child)?;
            } else {
                let child = node.and_then(|n| {
                    n.indexes
                        .iter()
                        .find(|&&(at, _)| at == index)
                        .map(|&(_, c)| c)
                });
                self.value(child)?;
                index = index.saturating_add(1);
            }
            match self.peek_past_ws() {
                Some(b',') => self.i += 1,
                Some(b) if b == close => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(false);
                }
                _ if close == b'}' => return Err(self.err("expected ',' or '}' in an object")),
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }
}
