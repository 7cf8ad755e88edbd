//! JSON configuration files: a strict RFC 8259 parser that records the line and column of
//! every key and value (serde_json keeps no positions once a value is parsed).

use std::sync::Arc;

use super::lines::Lines;
use super::node::{Entry, Kind, Layer, Node, Origin};
use super::problem::Problem;

pub(crate) fn parse(text: &str, source: &Arc<str>, layer: Layer) -> Result<Node, Problem> {
    JsonParser::new(text, source, layer).document()
}

/// A strict JSON (RFC 8259) parser that records where each key and value starts.
struct JsonParser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    lines: Lines<'a>,
    source: &'a Arc<str>,
    layer: Layer,
}

impl<'a> JsonParser<'a> {
    fn new(text: &'a str, source: &'a Arc<str>, layer: Layer) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            lines: Lines::new(text),
            source,
            layer,
        }
    }

    fn origin(&self, offset: usize) -> Origin {
        let (line, column) = self.lines.position(offset);
        Origin::at(self.layer, self.source, line, column)
    }

    fn error(&self, offset: usize, message: impl std::fmt::Display) -> Problem {
        Problem::new(self.origin(offset), format!("invalid JSON: {message}"))
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            Some(c) => format!("found `{c}`"),
            None => "found the end of the file".to_owned(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn document(mut self) -> Result<Node, Problem> {
        // A UTF-8 byte order mark is tolerated, as editors on Windows write one.
        if self.text.starts_with('\u{feff}') {
            self.pos = 3;
        }
        self.skip_ws();
        let node = self.value(0)?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.error(
                self.pos,
                format!("expected the end of the document, {}", self.found()),
            ));
        }
        if !matches!(node.kind, Kind::Map(_)) {
            return Err(self.error(0, "expected an object at the top level"));
        }
        Ok(node)
    }

    fn value(&mut self, depth: usize) -> Result<Node, Problem> {
        if depth > 128 {
            return Err(self.error(self.pos, "nested deeper than 128 levels"));
        }
        let start = self.pos;
        let origin = self.origin(start);
        let kind = match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Kind::Str(self.string()?),
            Some(b't') => self.keyword("true", Kind::Bool(true))?,
            Some(b'f') => self.keyword("false", Kind::Bool(false))?,
            Some(b'n') => self.keyword("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => {
                return Err(self.error(start, format!("expected a value, {}", self.found())));
            }
        };
        Ok(Node::new(kind, origin))
    }

    fn keyword(&mut self, word: &str, kind: Kind) -> Result<Kind, Problem> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error(self.pos, format!("expected a value, {}", self.found())))
        }
    }

    fn number(&mut self) -> Result<Kind, Problem> {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        let text = &self.text[start..self.pos];
        let valid_shape = {
            let digits = text.strip_prefix('-').unwrap_or(text);
            !(digits.len() > 1 && digits.starts_with('0') && digits.as_bytes()[1].is_ascii_digit())
        };
        if valid_shape {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Kind::Int(i));
            }
            if let Ok(x) = text.parse::<f64>()
                && x.is_finite()
            {
                return Ok(Kind::Float(x));
            }
        }
        Err(self.error(start, format!("invalid number `{text}`")))
    }

    fn string(&mut self) -> Result<String, Problem> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(self.error(start, "string is not closed; add the closing `\"`"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                c if u32::from(c) < 0x20 => {
                    return Err(self.error(
                        self.pos - 1,
                        "control character in a string; escape it (`\\n`, `\\t`)",
                    ));
                }
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, Problem> {
        let at = self.pos - 1;
        let c = self.bytes.get(self.pos).copied();
        self.pos += 1;
        Ok(match c {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let high = self.hex4(at)?;
                if (0xD800..0xDC00).contains(&high) && self.text[self.pos..].starts_with("\\u") {
                    self.pos += 2;
                    let low = self.hex4(at)?;
                    let code =
                        0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
                    char::from_u32(code).ok_or_else(|| self.error(at, "invalid surrogate pair"))?
                } else {
                    char::from_u32(high).ok_or_else(|| self.error(at, "invalid \\u escape"))?
                }
            }
            _ => return Err(self.error(at, "invalid escape; use \\\", \\\\, \\n, \\t or \\uXXXX")),
        })
    }

    fn hex4(&mut self, at: usize) -> Result<u32, Problem> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.error(at, "\\u needs four hex digits"))?;
        self.pos += 4;
        Ok(digits)
    }

    fn array(&mut self, depth: usize) -> Result<Kind, Problem> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Kind::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Kind::Seq(items));
                }
                _ => {
                    return Err(self.error(
                        self.pos,
                        format!("expected `,` or `]` in the array, {}", self.found()),
                    ));
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Kind, Problem> {
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut keys = std::collections::HashSet::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Kind::Map(entries));
        }
        loop {
            self.skip_ws();
            let key_at = self.pos;
            if self.bytes.get(key_at) != Some(&b'"') {
                let hint = if self.bytes.get(key_at) == Some(&b'}') {
                    " (a trailing comma is not allowed in JSON)"
                } else {
                    ""
                };
                return Err(self.error(
                    key_at,
                    format!("expected a quoted key, {}{hint}", self.found()),
                ));
            }
            let key = self.string()?;
            if !keys.insert(key.clone()) {
                return Err(self.error(key_at, format!("duplicate key {key:?}")));
            }
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error(
                    self.pos,
                    format!("expected `:` after the key, {}", self.found()),
                ));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push(Entry {
                key,
                key_origin: self.origin(key_at),
                value,
            });
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Kind::Map(entries));
                }
                _ => {
                    return Err(self.error(
                        self.pos,
                        format!("expected `,` or `}}` in the object, {}", self.found()),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Node, Problem> {
        parse(text, &Arc::from("t.json"), Layer::File)
    }

    #[test]
    fn json_positions_point_at_keys_and_values() {
        let node =
            json("{\n  \"a\": {\"b\": 1.5},\n  \"c\": [true, null, \"x\\u00e9\"]\n}").unwrap();
        let b = node.entry("a").unwrap().value.entry("b").unwrap();
        assert_eq!((b.key_origin.line, b.key_origin.column), (2, 9));
        assert_eq!((b.value.origin.line, b.value.origin.column), (2, 14));
        let Kind::Seq(items) = &node.entry("c").unwrap().value.kind else {
            panic!("not a seq")
        };
        assert!(matches!(&items[2].kind, Kind::Str(s) if s == "xé"));
    }

    #[test]
    fn json_errors_name_line_and_column() {
        let err = json("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!(err.origin.line, 3);
        assert!(err.message.contains("trailing comma"), "{}", err.message);
        assert!(
            json("{\"a\": 01}")
                .unwrap_err()
                .message
                .contains("invalid number")
        );
        assert!(
            json("[1]")
                .unwrap_err()
                .message
                .contains("object at the top level")
        );
        assert!(
            json("{\"a\": 1} x")
                .unwrap_err()
                .message
                .contains("end of the document")
        );
    }
}
