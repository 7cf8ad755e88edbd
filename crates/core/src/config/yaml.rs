//! YAML configuration files, read event by event with `saphyr-parser` so every key and
//! value keeps its line and column. Plain scalars resolve by the YAML 1.2 core schema.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::node::{Entry, Kind, Layer, Node, Origin};
use super::problem::Problem;

/// The most values a document may hold once its aliases are expanded. A configuration has
/// hundreds, a large rules file tens of thousands; a "billion laughs" document (anchors of aliases of anchors) has billions, and
/// copying them would exhaust memory — Kubernetes' YAML reader limits aliases the same way.
const MAX_VALUES: usize = 250_000;

/// The deepest nesting of mappings and sequences (every reader of the tree recurses).
const MAX_DEPTH: usize = 128;

enum Open {
    /// A sequence, its anchor, and how many values it holds so far (itself included).
    Seq(Node, usize, usize),
    /// A map, its anchor, the key waiting for its value, its keys so far, and its size.
    Map(
        Node,
        usize,
        Option<(String, Origin)>,
        HashSet<String>,
        usize,
    ),
}

impl Open {
    fn add(&mut self, values: usize) {
        match self {
            Self::Seq(_, _, size) | Self::Map(_, _, _, _, size) => *size += values,
        }
    }
}

pub(crate) fn parse(text: &str, source: &Arc<str>, layer: Layer) -> Result<Node, Problem> {
    let at = |span: &Span| Origin::at(layer, source, span.start.line(), span.start.col() + 1);
    let mut stack: Vec<Open> = Vec::new();
    // Each anchored node with the number of values it holds, so an alias is charged for
    // what it expands to before it is copied.
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut values = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            let info = e.info();
            let hint = if info.contains("not allowed in this context")
                || info.contains("did not find expected")
                || info.contains("indent")
            {
                "; check this line's indentation: keys of one mapping line up, with spaces, not tabs"
            } else {
                ""
            };
            Problem::new(
                Origin::at(layer, source, m.line(), m.col() + 1),
                format!("invalid YAML: {info}{hint}"),
            )
        })?;
        let origin = at(&span);
        if matches!(event, Event::MappingStart(..) | Event::SequenceStart(..))
            && stack.len() >= MAX_DEPTH
        {
            return Err(Problem::new(
                origin,
                format!(
                    "invalid YAML: nested more than {MAX_DEPTH} levels deep; flatten the configuration"
                ),
            ));
        }
        if matches!(
            event,
            Event::MappingStart(..) | Event::SequenceStart(..) | Event::Scalar(..)
        ) {
            values += 1;
            if values > MAX_VALUES {
                return Err(too_many_values(origin));
            }
        }
        let done = match event {
            Event::MappingStart(anchor, _) => {
                stack.push(Open::Map(
                    Node::empty_map(origin),
                    anchor,
                    None,
                    HashSet::new(),
                    1,
                ));
                None
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Open::Seq(
                    Node::new(Kind::Seq(Vec::new()), origin),
                    anchor,
                    1,
                ));
                None
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Open::Map(node, anchor, _, _, size) | Open::Seq(node, anchor, size)) => {
                    if anchor > 0 {
                        anchors.insert(anchor, (node.clone(), size));
                    }
                    Some((node, size))
                }
                None => None,
            },
            Event::Scalar(value, style, anchor, _) => {
                let node = Node::new(resolve(&value, style), origin);
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), 1));
                }
                Some((node, 1))
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some((node, size)) => {
                    // Charged before the copy: the budget bounds the memory, not the damage.
                    values = values.saturating_add(*size);
                    if values > MAX_VALUES {
                        return Err(too_many_values(origin));
                    }
                    Some((node.clone(), *size))
                }
                None => {
                    return Err(Problem::new(
                        origin,
                        "invalid YAML: alias to an unknown anchor",
                    ));
                }
            },
            _ => None,
        };
        let Some((node, size)) = done else { continue };
        if let Some(parent) = stack.last_mut() {
            parent.add(size);
        }
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err(Problem::new(
                        node.origin,
                        "invalid YAML: more than one document; keep one document per file",
                    ));
                }
                root = Some(node);
            }
            Some(Open::Seq(seq, _, _)) => {
                if let Kind::Seq(items) = &mut seq.kind {
                    items.push(node);
                }
            }
            Some(Open::Map(map, _, pending, keys, _)) => match pending.take() {
                None => {
                    let Kind::Str(key) = scalar_text(&node) else {
                        return Err(Problem::new(
                            node.origin,
                            "invalid YAML: a key must be a plain value, not a list or mapping",
                        ));
                    };
                    if !keys.insert(key.clone()) {
                        return Err(Problem::new(
                            node.origin,
                            format!("invalid YAML: duplicate key {key:?}"),
                        ));
                    }
                    *pending = Some((key, node.origin));
                }
                Some((key, key_origin)) => {
                    if let Kind::Map(entries) = &mut map.kind {
                        entries.push(Entry {
                            key,
                            key_origin,
                            value: node,
                        });
                    }
                }
            },
        }
    }
    match root {
        Some(node) if matches!(node.kind, Kind::Map(_)) => Ok(node),
        Some(node) if matches!(node.kind, Kind::Null) => {
            Ok(Node::empty_map(Origin::at(layer, source, 1, 1)))
        }
        None => Ok(Node::empty_map(Origin::at(layer, source, 1, 1))),
        Some(node) => Err(Problem::new(
            node.origin,
            "invalid YAML: expected a mapping (`key: value` lines) at the top level",
        )),
    }
}

fn too_many_values(origin: Origin) -> Problem {
    Problem::new(
        origin,
        format!(
            "invalid YAML: the document expands to more than {MAX_VALUES} values (anchors and aliases copy what they name); write the values out or use fewer aliases"
        ),
    )
}

fn scalar_text(node: &Node) -> Kind {
    match &node.kind {
        Kind::Str(s) => Kind::Str(s.clone()),
        Kind::Int(i) => Kind::Str(i.to_string()),
        Kind::Float(x) => Kind::Str(x.to_string()),
        Kind::Bool(b) => Kind::Str(b.to_string()),
        Kind::Null => Kind::Str(String::new()),
        _ => Kind::Null,
    }
}

/// Resolves a scalar by the YAML 1.2 core schema; quoted scalars are always strings.
fn resolve(value: &str, style: ScalarStyle) -> Kind {
    if style != ScalarStyle::Plain {
        return Kind::Str(value.to_owned());
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Kind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        _ => {}
    }
    if let Some(hex) = value.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Kind::Int(i);
    }
    if let Some(oct) = value.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Kind::Int(i);
    }
    let numeric = value
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && value.bytes().any(|b| b.is_ascii_digit());
    if numeric {
        if let Ok(i) = value.parse::<i64>() {
            return Kind::Int(i);
        }
        if let Ok(x) = value.parse::<f64>() {
            return Kind::Float(x);
        }
    }
    Kind::Str(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Node, Problem> {
        parse(text, &Arc::from("t.yaml"), Layer::File)
    }

    #[test]
    fn mappings_sequences_and_positions() {
        let node = yaml("a:\n  b: 0.5\n  c: [1, \"2\"]\nd: 30s\n").unwrap();
        let b = node.entry("a").unwrap().value.entry("b").unwrap();
        assert_eq!((b.key_origin.line, b.key_origin.column), (2, 3));
        assert_eq!((b.value.origin.line, b.value.origin.column), (2, 6));
        assert!(matches!(b.value.kind, Kind::Float(x) if x == 0.5));
        let Kind::Seq(c) = &node
            .entry("a")
            .unwrap()
            .value
            .entry("c")
            .unwrap()
            .value
            .kind
        else {
            panic!()
        };
        assert!(matches!(c[0].kind, Kind::Int(1)));
        assert!(matches!(&c[1].kind, Kind::Str(s) if s == "2"));
        assert!(matches!(&node.entry("d").unwrap().value.kind, Kind::Str(s) if s == "30s"));
    }

    #[test]
    fn bad_indentation_is_located() {
        let err = yaml("a:\n  b: 1\n c: 2\n").unwrap_err();
        assert_eq!(err.origin.line, 3, "{err}");
        assert!(err.message.starts_with("invalid YAML"));
    }

    #[test]
    fn anchors_and_aliases_copy_values() {
        let node = yaml("base: &b {x: 1}\nother: *b\n").unwrap();
        assert!(node.entry("other").unwrap().value.entry("x").is_some());
    }

    #[test]
    fn alias_bombs_are_refused_before_they_grow() {
        // Nine levels of ten aliases each: 10^9 values if expanded.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = yaml(&text).unwrap_err();
        assert!(err.message.contains("more than 250000 values"), "{err}");
        assert_eq!(err.origin.line, 6, "{err}");
    }

    #[test]
    fn deep_nesting_and_wide_maps() {
        let deep = "[".repeat(200);
        let err = yaml(&format!("a: {deep}")).unwrap_err();
        assert!(err.message.contains("nested more than 128 levels"), "{err}");
        // A wide map is read in linear time, duplicates still found.
        let mut wide: String = (0..60_000).map(|i| format!("k{i}: 1\n")).collect();
        assert!(yaml(&wide).is_ok());
        wide.push_str("k7: 2\n");
        assert!(
            yaml(&wide)
                .unwrap_err()
                .message
                .contains("duplicate key \"k7\"")
        );
    }

    #[test]
    fn empty_document_is_an_empty_table() {
        assert!(matches!(yaml("").unwrap().kind, Kind::Map(ref e) if e.is_empty()));
        assert!(yaml("- 1\n- 2\n").is_err());
    }
}
