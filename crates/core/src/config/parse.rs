//! Reading configuration files into the value tree, keeping the line and column of every
//! key and value: TOML through `toml`'s spans, JSON through a small positional parser, YAML
//! (feature `yaml`) through `saphyr-parser`'s events.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use super::node::{Entry, Kind, Layer, Node, Origin};
use super::problem::Problem;

/// A file format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Toml,
    Json,
    Yaml,
}

impl Format {
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// Maps byte offsets to 1-based line and column (in characters).
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

/// Parses `text` of `format`, read from `source`, as `layer`.
pub(crate) fn parse(
    text: &str,
    format: Format,
    source: &Arc<str>,
    layer: Layer,
) -> Result<Node, Problem> {
    match format {
        Format::Toml => parse_toml(text, source, layer),
        Format::Json => JsonParser::new(text, source, layer).document(),
        Format::Yaml => yaml(text, source, layer),
    }
}

#[cfg(feature = "yaml")]
fn yaml(text: &str, source: &Arc<str>, layer: Layer) -> Result<Node, Problem> {
    super::yaml::parse(text, source, layer)
}

#[cfg(not(feature = "yaml"))]
fn yaml(_: &str, source: &Arc<str>, layer: Layer) -> Result<Node, Problem> {
    Err(Problem::new(
        Origin::named(layer, Arc::clone(source)),
        "YAML configuration needs the `yaml` feature of steadfast-core; enable it or use TOML or JSON",
    ))
}

// ---------------------------------------------------------------------------------------
// TOML

/// A TOML value with spans on every value and key, read through `toml`'s `Spanned`.
enum RawToml {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Self>>),
    Map(Vec<(Spanned<String>, Spanned<Self>)>),
}

impl<'de> Deserialize<'de> for RawToml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

/// The key under which `toml` hands a datetime to `deserialize_any`.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawToml;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawToml, E> {
        Ok(RawToml::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawToml, E> {
        Ok(RawToml::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawToml, E> {
        i64::try_from(v)
            .map(RawToml::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawToml, E> {
        Ok(RawToml::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawToml, E> {
        Ok(RawToml::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawToml, E> {
        Ok(RawToml::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawToml, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawToml::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawToml, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            if key.get_ref() == TOML_DATETIME_KEY {
                let text: String = map.next_value()?;
                return Ok(RawToml::Str(text));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(RawToml::Map(entries))
    }
}

fn parse_toml(text: &str, source: &Arc<str>, layer: Layer) -> Result<Node, Problem> {
    let lines = Lines::new(text);
    let at = |offset: usize| {
        let (line, column) = lines.position(offset);
        Origin::at(layer, source, line, column)
    };
    let table: BTreeMap<Spanned<String>, Spanned<RawToml>> = toml::from_str(text).map_err(|e| {
        let origin = e.span().map_or_else(
            || Origin::named(layer, Arc::clone(source)),
            |span| at(span.start),
        );
        let message = e.message().trim_end().replace('\n', " ");
        Problem::new(origin, format!("invalid TOML: {message}"))
    })?;
    // BTreeMap orders keys by name; restore the file's order from the spans.
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let kind = Kind::Map(
        entries
            .into_iter()
            .map(|(k, v)| toml_entry(k, v, &at))
            .collect(),
    );
    Ok(Node::new(kind, Origin::at(layer, source, 1, 1)))
}

fn toml_entry(
    key: Spanned<String>,
    value: Spanned<RawToml>,
    at: &impl Fn(usize) -> Origin,
) -> Entry {
    let key_origin = at(key.span().start);
    Entry {
        key: key.into_inner(),
        key_origin,
        value: toml_node(value, at),
    }
}

fn toml_node(value: Spanned<RawToml>, at: &impl Fn(usize) -> Origin) -> Node {
    let origin = at(value.span().start);
    let kind = match value.into_inner() {
        RawToml::Bool(b) => Kind::Bool(b),
        RawToml::Int(i) => Kind::Int(i),
        RawToml::Float(x) => Kind::Float(x),
        RawToml::Str(s) => Kind::Str(s),
        RawToml::Seq(items) => Kind::Seq(items.into_iter().map(|v| toml_node(v, at)).collect()),
        RawToml::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(k, v)| toml_entry(k, v, at))
                .collect(),
        ),
    };
    Node::new(kind, origin)
}

// ---------------------------------------------------------------------------------------
// JSON

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
            if entries.iter().any(|e| e.key == key) {
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

/// Parses one scalar given in an environment variable or `--set`: a TOML value when it is
/// one (`0.9`, `true`, `["a", "b"]`, `"quoted"`), else the text itself as a string (`30s`).
pub(crate) fn scalar(text: &str, origin: &Origin) -> Node {
    let trimmed = text.trim();
    let parsed = format!("v = {trimmed}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"));
    match parsed {
        Some(value) => Node::from_toml(value, origin),
        None => Node::new(Kind::Str(text.to_owned()), origin.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Node, Problem> {
        parse(text, Format::Json, &Arc::from("t.json"), Layer::File)
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

    #[test]
    fn toml_keeps_file_order_and_positions() {
        let node = parse(
            "z = 1\n[a]\nb = \"x\"\n",
            Format::Toml,
            &Arc::from("t.toml"),
            Layer::File,
        )
        .unwrap();
        let Kind::Map(entries) = &node.kind else {
            panic!()
        };
        assert_eq!(entries[0].key, "z");
        let b = node.entry("a").unwrap().value.entry("b").unwrap();
        assert_eq!((b.key_origin.line, b.key_origin.column), (3, 1));
        assert_eq!((b.value.origin.line, b.value.origin.column), (3, 5));
    }

    #[test]
    fn scalars_are_typed_when_they_can_be() {
        let o = Origin::default_value();
        assert!(matches!(scalar("0.9", &o).kind, Kind::Float(x) if x == 0.9));
        assert!(matches!(scalar("30s", &o).kind, Kind::Str(ref s) if s == "30s"));
        assert!(matches!(scalar("[\"a\"]", &o).kind, Kind::Seq(_)));
    }
}
