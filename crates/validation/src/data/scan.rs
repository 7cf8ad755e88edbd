//! A validating JSON scanner that captures only the fields the rules ask for.
//!
//! Each NDJSON line is checked to be one well-formed JSON object (strict RFC 8259: string
//! escapes, number grammar, no trailing commas, nothing after the object), and the values at
//! the paths in a [`Paths`] trie are captured as byte spans into the line. Everything else is
//! skipped without building a value or allocating, which is what makes the checks faster
//! than parsing each line into a tree.

use super::path::{FieldPath, Segment};

/// The JSON type of a captured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Number,
    Bool,
    Null,
    Object,
    Array,
}

/// A captured value: its span in the line and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Captured {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) kind: Kind,
    /// A string with escapes: its raw span must be decoded before comparing.
    pub(crate) escaped: bool,
    /// An empty string, array or object.
    pub(crate) empty: bool,
}

impl Captured {
    /// The string's content (without quotes), decoded when it had escapes.
    pub(crate) fn text<'a>(&self, line: &'a [u8]) -> Option<std::borrow::Cow<'a, str>> {
        if self.kind != Kind::String {
            return None;
        }
        let raw = &line[self.start as usize..self.end as usize];
        if self.escaped {
            let s = std::str::from_utf8(raw).ok()?;
            serde_json::from_str::<String>(s).ok().map(Into::into)
        } else {
            std::str::from_utf8(&raw[1..raw.len() - 1])
                .ok()
                .map(Into::into)
        }
    }

    /// The value as written.
    pub(crate) fn raw<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start as usize..self.end as usize]
    }
}

#[derive(Debug, Default)]
struct Node {
    keys: Vec<(Box<[u8]>, u32)>,
    indexes: Vec<(u32, u32)>,
    slot: Option<u16>,
}

/// The paths to capture, as a trie; each path has a slot in the capture array.
#[derive(Debug)]
pub(crate) struct Paths {
    nodes: Vec<Node>,
    paths: Vec<FieldPath>,
}

impl Paths {
    pub(crate) fn new() -> Self {
        Self {
            nodes: vec![Node::default()],
            paths: Vec::new(),
        }
    }

    /// The slot of `path`, adding it when new.
    pub(crate) fn slot(&mut self, path: &FieldPath) -> u16 {
        if let Some(i) = self.paths.iter().position(|p| p == path) {
            return u16::try_from(i).unwrap_or(u16::MAX);
        }
        let mut node = 0usize;
        for segment in &path.segments {
            let next = match segment {
                Segment::Key(k) => self.nodes[node]
                    .keys
                    .iter()
                    .find(|(name, _)| **name == *k.as_bytes())
                    .map(|&(_, n)| n),
                Segment::Index(i) => self.nodes[node]
                    .indexes
                    .iter()
                    .find(|(at, _)| at == i)
                    .map(|&(_, n)| n),
            };
            node = match next {
                Some(n) => n as usize,
                None => {
                    let n = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                    self.nodes.push(Node::default());
                    match segment {
                        Segment::Key(k) => self.nodes[node].keys.push((k.as_bytes().into(), n)),
                        Segment::Index(i) => self.nodes[node].indexes.push((*i, n)),
                    }
                    n as usize
                }
            };
        }
        let slot = u16::try_from(self.paths.len()).unwrap_or(u16::MAX);
        self.nodes[node].slot = Some(slot);
        self.paths.push(path.clone());
        slot
    }

    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }
}

/// Why a line is not a JSON object: the message and the 0-based byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) at: usize,
    pub(crate) message: &'static str,
}

const MAX_DEPTH: u32 = 128;

struct Scanner<'a, 'p> {
    s: &'a [u8],
    i: usize,
    depth: u32,
    paths: &'p Paths,
    slots: &'p mut [Option<Captured>],
}

/// Scans `line` (without its newline); on success every slot whose path is present holds its
/// value.
pub(crate) fn scan(
    line: &[u8],
    paths: &Paths,
    slots: &mut [Option<Captured>],
) -> Result<(), ScanError> {
    if std::str::from_utf8(line).is_err() {
        let at = std::str::from_utf8(line)
            .err()
            .map_or(0, |e| e.valid_up_to());
        return Err(ScanError {
            at,
            message: "invalid UTF-8",
        });
    }
    slots.iter_mut().for_each(|s| *s = None);
    let mut sc = Scanner {
        s: line,
        i: 0,
        depth: 0,
        paths,
        slots,
    };
    sc.ws();
    if sc.peek() != Some(b'{') {
        return Err(sc.err("expected a JSON object (one FHIR resource per line)"));
    }
    sc.value(Some(0))?;
    sc.ws();
    if sc.i != sc.s.len() {
        return Err(sc.err("unexpected text after the JSON object"));
    }
    Ok(())
}

impl Scanner<'_, '_> {
    fn err(&self, message: &'static str) -> ScanError {
        ScanError {
            at: self.i,
            message,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.i += 1;
        }
    }

    fn value(&mut self, node: Option<u32>) -> Result<(), ScanError> {
        self.ws();
        let start = self.i;
        let (kind, escaped, empty) = match self.peek() {
            Some(b'"') => {
                let escaped = self.string()?;
                (Kind::String, escaped, self.i - start == 2)
            }
            Some(b'{') => {
                let empty = self.container(node, b'}')?;
                (Kind::Object, false, empty)
            }
            Some(b'[') => {
                let empty = self.container(node, b']')?;
                (Kind::Array, false, empty)
            }
            Some(b't') => (self.literal(b"true", Kind::Bool)?, false, false),
            Some(b'f') => (self.literal(b"false", Kind::Bool)?, false, false),
            Some(b'n') => (self.literal(b"null", Kind::Null)?, false, false),
            Some(b'-' | b'0'..=b'9') => (self.number()?, false, false),
            Some(_) => return Err(self.err("expected a JSON value")),
            None => return Err(self.err("the line ends where a value was expected")),
        };
        if let Some(n) = node
            && let Some(slot) = self.paths.nodes[n as usize].slot
        {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "lines are split from files read in blocks; a line over 4 GiB is refused by the reader"
            )]
            let captured = Captured {
                start: start as u32,
                end: self.i as u32,
                kind,
                escaped,
                empty,
            };
            self.slots[usize::from(slot)] = Some(captured);
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<Kind, ScanError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(kind)
        } else {
            Err(self.err("expected true, false or null"))
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Result<Kind, ScanError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected a digit in the exponent"));
            }
        }
        Ok(Kind::Number)
    }

    /// Skips a string starting at its opening quote; returns whether it had escapes.
    #[inline]
    fn string(&mut self) -> Result<bool, ScanError> {
        self.i += 1;
        let mut escaped = false;
        loop {
            let rest = &self.s[self.i..];
            let Some(at) = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            else {
                self.i = self.s.len();
                return Err(self.err("a string is not closed"));
            };
            self.i += at;
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
                        Some(b'u') => {
                            let hex = self.s.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.err("expected four hex digits after \\u"));
                            }
                            self.i += 5;
                        }
                        _ => return Err(self.err("unknown escape in a string")),
                    }
                }
                _ => return Err(self.err("a control character must be escaped in a string")),
            }
        }
    }

    /// Scans an object or array; returns whether it was empty.
    fn container(&mut self, node: Option<u32>, close: u8) -> Result<bool, ScanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested more than 128 levels deep"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            self.depth -= 1;
            return Ok(true);
        }
        let node = node.map(|n| &self.paths.nodes[n as usize]);
        let mut index = 0u32;
        loop {
            if close == b'}' {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.err("expected a member name in double quotes"));
                }
                let key_start = self.i;
                let escaped = self.string()?;
                let child = match node {
                    Some(n) if !n.keys.is_empty() => {
                        let raw = &self.s[key_start + 1..self.i - 1];
                        let decoded;
                        let key: &[u8] = if escaped {
                            let text =
                                std::str::from_utf8(&self.s[key_start..self.i]).unwrap_or("");
                            decoded = serde_json::from_str::<String>(text).unwrap_or_default();
                            decoded.as_bytes()
                        } else {
                            raw
                        };
                        n.keys.iter().find(|(k, _)| **k == *key).map(|&(_, c)| c)
                    }
                    _ => None,
                };
                self.ws();
                if self.peek() != Some(b':') {
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
            self.ws();
            match self.peek() {
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

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
