//! YAML configuration files, read event by event with `saphyr-parser` so every key and
//! value keeps its line and column. Plain scalars resolve by the YAML 1.2 core schema.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::node::{Entry, Kind, Layer, Node, Origin};
use super::problem::Problem;

enum Open {
    Seq(Node, usize),
    /// A map, its anchor, and the key waiting for its value.
    Map(Node, usize, Option<(String, Origin)>),
}

pub(crate) fn parse(text: &str, source: &Arc<str>, layer: Layer) -> Result<Node, Problem> {
    let at = |span: &Span| Origin::at(layer, source, span.start.line(), span.start.col() + 1);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
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
        let done = match event {
            Event::MappingStart(anchor, _) => {
                stack.push(Open::Map(Node::empty_map(origin), anchor, None));
                None
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Open::Seq(Node::new(Kind::Seq(Vec::new()), origin), anchor));
                None
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Open::Map(node, anchor, _) | Open::Seq(node, anchor)) => {
                    if anchor > 0 {
                        anchors.insert(anchor, node.clone());
                    }
                    Some(node)
                }
                None => None,
            },
            Event::Scalar(value, style, anchor, _) => {
                let node = Node::new(resolve(&value, style), origin);
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                Some(node)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => Some(node.clone()),
                None => {
                    return Err(Problem::new(
                        origin,
                        "invalid YAML: alias to an unknown anchor",
                    ));
                }
            },
            _ => None,
        };
        let Some(node) = done else { continue };
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
            Some(Open::Seq(seq, _)) => {
                if let Kind::Seq(items) = &mut seq.kind {
                    items.push(node);
                }
            }
            Some(Open::Map(map, _, pending)) => match pending.take() {
                None => {
                    let Kind::Str(key) = scalar_text(&node) else {
                        return Err(Problem::new(
                            node.origin,
                            "invalid YAML: a key must be a plain value, not a list or mapping",
                        ));
                    };
                    if map.entry(&key).is_some() {
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
    fn empty_document_is_an_empty_table() {
        assert!(matches!(yaml("").unwrap().kind, Kind::Map(ref e) if e.is_empty()));
        assert!(yaml("- 1\n- 2\n").is_err());
    }
}
