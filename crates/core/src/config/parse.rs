//! Reading configuration files into the value tree, keeping the line and column of every
//! key and value: TOML through `toml`'s spans, JSON through a small positional parser, YAML
//! (feature `yaml`) through `saphyr-parser`'s events.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use super::lines::Lines;
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

/// The largest configuration file read: far above any real one, far below what would take
/// the machine's memory.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Reads a configuration file: a regular file (a FIFO or device is refused at once, never
/// waited on or read forever), links followed, at most [`MAX_CONFIG_BYTES`].
pub(crate) fn read_file(path: &Path) -> crate::Result<String> {
    crate::safe_fs::read_regular_to_string(path, crate::Links::Follow, MAX_CONFIG_BYTES)
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
        Format::Json => super::json::parse(text, source, layer),
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
