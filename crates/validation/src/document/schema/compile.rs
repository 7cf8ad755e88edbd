//! Compiles a draft-07 schema (a `serde_json::Value`) into the node arena: every keyword
//! checked and its value validated, `$ref`s resolved to nodes, regexes compiled once.

use std::collections::HashMap;
use std::sync::Arc;

use regex::bytes::Regex;
use serde_json::Value;

use super::error::{IgnoredKeyword, SchemaError};
use super::format::python_pattern;
use super::node::{Node, NodeId, Rule};
use super::number::Decimal;

/// Keywords that only annotate: accepted, never checked.
const ANNOTATIONS: [&str; 11] = [
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "contentMediaType",
    "contentEncoding",
];

/// Keywords of later drafts, which a draft-07 validator ignores; recorded as ignored.
const LATER_DRAFTS: [&str; 15] = [
    "$defs",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "minContains",
    "maxContains",
    "deprecated",
];

/// The compiled arena and what was ignored.
pub(super) struct Compiled {
    pub(super) nodes: Vec<Node>,
    pub(super) root: NodeId,
    pub(super) ignored: Vec<IgnoredKeyword>,
}

/// Compiles `root`.
pub(super) fn compile(root: &Value) -> Result<Compiled, SchemaError> {
    let mut c = Compiler {
        root,
        base: root
            .get("$id")
            .and_then(Value::as_str)
            .map(|id| id.split('#').next().unwrap_or(id)),
        nodes: Vec::new(),
        memo: HashMap::new(),
        ignored: Vec::new(),
    };
    let id = c.schema(root, "#")?;
    super::cycles::check(&c.nodes)?;
    Ok(Compiled {
        nodes: c.nodes,
        root: id,
        ignored: c.ignored,
    })
}

pub(super) struct Compiler<'a> {
    root: &'a Value,
    /// The root's `$id` without fragment: a `$ref` starting with it is local.
    base: Option<&'a str>,
    pub(super) nodes: Vec<Node>,
    memo: HashMap<String, NodeId>,
    pub(super) ignored: Vec<IgnoredKeyword>,
}

/// Escapes a JSON Pointer token.
pub(super) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

pub(super) fn rule(path: &str, keyword: &str) -> Rule {
    Arc::from(format!("{path}/{keyword}"))
}

pub(super) fn bad(path: &str, keyword: &str, expected: &'static str) -> SchemaError {
    SchemaError::BadValue {
        path: path.to_owned(),
        keyword: keyword.to_owned(),
        expected,
    }
}

pub(super) fn count(v: &Value, path: &str, keyword: &str) -> Result<u64, SchemaError> {
    // `2.0` is accepted as 2, as Python compares it.
    v.as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0)
                .and_then(|f| format!("{f:.0}").parse().ok())
        })
        .ok_or_else(|| bad(path, keyword, "a non-negative integer"))
}

pub(super) fn decimal(v: &Value, path: &str, keyword: &str) -> Result<Decimal, SchemaError> {
    match v {
        Value::Number(n) => {
            Decimal::parse(&n.to_string()).ok_or_else(|| bad(path, keyword, "a number"))
        }
        _ => Err(bad(path, keyword, "a number")),
    }
}

impl Compiler<'_> {
    /// Compiles the schema at `path` (memoized: a `$ref` target compiled once).
    pub(super) fn schema(&mut self, v: &Value, path: &str) -> Result<NodeId, SchemaError> {
        if let Some(&id) = self.memo.get(path) {
            return Ok(id);
        }
        let id =
            NodeId::try_from(self.nodes.len()).map_err(|_| bad(path, "", "a smaller schema"))?;
        self.nodes.push(Node {
            path: Arc::from(path),
            ..Node::default()
        });
        self.memo.insert(path.to_owned(), id);
        let node = match v {
            Value::Bool(b) => {
                let mut node = Node {
                    path: Arc::from(path),
                    always: Some(*b),
                    ..Node::default()
                };
                node.finish();
                node
            }
            Value::Object(map) => self.object(map, path)?,
            _ => {
                return Err(SchemaError::NotASchema {
                    path: path.to_owned(),
                });
            }
        };
        self.nodes[id as usize] = node;
        Ok(id)
    }

    pub(super) fn child(
        &mut self,
        v: &Value,
        path: &str,
        keyword: &str,
    ) -> Result<NodeId, SchemaError> {
        self.schema(v, &format!("{path}/{keyword}"))
    }

    pub(super) fn list(
        &mut self,
        v: &Value,
        path: &str,
        keyword: &str,
    ) -> Result<Vec<NodeId>, SchemaError> {
        let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
            return Err(bad(path, keyword, "a non-empty array of schemas"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, s)| self.schema(s, &format!("{path}/{keyword}/{i}")))
            .collect()
    }

    pub(super) fn regex(pattern: &Value, path: &str, keyword: &str) -> Result<Regex, SchemaError> {
        let text = pattern
            .as_str()
            .ok_or_else(|| bad(path, keyword, "a string"))?;
        Regex::new(&python_pattern(text)).map_err(|source| SchemaError::Regex {
            path: format!("{path}/{keyword}"),
            source: Box::new(source),
        })
    }

    /// Accepts an annotation, records a later draft's keyword, refuses anything else.
    pub(super) fn known(&mut self, keyword: &str, path: &str) -> Result<(), SchemaError> {
        const DRAFT7: [&str; 38] = [
            "$ref",
            "type",
            "enum",
            "const",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
            "properties",
            "required",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
            "dependencies",
            "minProperties",
            "maxProperties",
            "allOf",
            "anyOf",
            "oneOf",
            "not",
            "if",
            "then",
            "else",
            "definitions",
            "$schema",
            "$id",
            "$comment",
        ];
        if DRAFT7.contains(&keyword) || ANNOTATIONS.contains(&keyword) {
            Ok(())
        } else if LATER_DRAFTS.contains(&keyword) {
            self.ignored.push(IgnoredKeyword {
                path: path.to_owned(),
                keyword: keyword.to_owned(),
            });
            Ok(())
        } else {
            Err(SchemaError::UnknownKeyword {
                path: path.to_owned(),
                keyword: keyword.to_owned(),
            })
        }
    }

    /// Resolves a local `$ref` (`#`, `#/definitions/x`, escapes decoded) to its node.
    pub(super) fn resolve(&mut self, reference: &str, path: &str) -> Result<NodeId, SchemaError> {
        let fragment = match reference.split_once('#') {
            Some(("", fragment)) => fragment,
            Some((base, fragment)) if Some(base) == self.base => fragment,
            None if Some(reference) == self.base => "",
            _ => {
                return Err(SchemaError::RemoteRef {
                    path: path.to_owned(),
                    reference: reference.to_owned(),
                });
            }
        };
        let unresolved = || SchemaError::UnresolvedRef {
            path: path.to_owned(),
            reference: reference.to_owned(),
        };
        let fragment = percent_decode(fragment).ok_or_else(unresolved)?;
        let mut target = self.root;
        let mut canonical = String::from("#");
        if !fragment.is_empty() {
            let Some(tokens) = fragment.strip_prefix('/') else {
                return Err(unresolved());
            };
            for token in tokens.split('/') {
                let token = token.replace("~1", "/").replace("~0", "~");
                target = match target {
                    Value::Object(map) => map.get(&token),
                    Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                }
                .ok_or_else(unresolved)?;
                canonical.push('/');
                canonical.push_str(&escape(&token));
            }
        }
        self.schema(target, &canonical)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
