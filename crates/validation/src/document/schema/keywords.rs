//! The keywords of one schema object compiled into its [`Node`]: each keyword's value
//! checked, children compiled, required and dependency names given tracked bits.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::compile::{Compiler, bad, count, decimal, escape, rule};
use super::error::{IgnoredKeyword, SchemaError};
use super::format::Format;
use super::hash;
use super::node::{
    Additional, Conditional, Dependency, DependencyKind, Items, KeyEntry, Kw, Node, NodeId, types,
};

impl Compiler<'_> {
    /// Compiles a schema object at `path` (`$ref` makes its siblings ignored, as in draft 7).
    pub(super) fn object(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
    ) -> Result<Node, SchemaError> {
        let mut node = Node {
            path: Arc::from(path),
            ..Node::default()
        };
        if let Some(reference) = map.get("$ref") {
            for keyword in map.keys() {
                self.known(keyword, path)?;
            }
            let reference = reference
                .as_str()
                .ok_or_else(|| bad(path, "$ref", "a string"))?;
            node.reference = Some(self.resolve(reference, path)?);
            node.finish();
            return Ok(node);
        }
        // Keys looked up on each member: `properties` children and tracked bits.
        let mut keys: BTreeMap<String, (Option<NodeId>, Option<u32>)> = BTreeMap::new();
        let bit = |keys: &mut BTreeMap<String, (Option<NodeId>, Option<u32>)>,
                   tracked: &mut u32,
                   name: &str| {
            let entry = keys.entry(name.to_owned()).or_default();
            *entry.1.get_or_insert_with(|| {
                *tracked += 1;
                *tracked - 1
            })
        };
        for (keyword, v) in map {
            let kw = keyword.as_str();
            let r = || rule(path, kw);
            match kw {
                "type" => {
                    let names: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    let mut mask = 0u8;
                    for name in names {
                        let name = name
                            .as_str()
                            .ok_or_else(|| bad(path, kw, "a type name or an array of them"))?;
                        let i = types::NAMES
                            .iter()
                            .position(|n| *n == name)
                            .ok_or_else(|| SchemaError::UnknownType {
                                path: format!("{path}/type"),
                                name: name.to_owned(),
                            })?;
                        mask |= 1 << i;
                    }
                    node.types = Some(Kw {
                        value: mask,
                        rule: r(),
                    });
                }
                "enum" => {
                    let values = v.as_array().ok_or_else(|| bad(path, kw, "an array"))?;
                    node.enumeration = Some(Kw {
                        value: values.iter().map(hash::value).collect(),
                        rule: r(),
                    });
                    node.enum_strings = values
                        .iter()
                        .filter_map(|v| v.as_str().map(|s| (s.as_bytes().into(), hash::string(s))))
                        .collect();
                }
                "const" => {
                    node.constant = Some(Kw {
                        value: hash::value(v),
                        rule: r(),
                    });
                    node.const_string = v.as_str().map(|s| s.as_bytes().into());
                }
                "minLength" => {
                    node.min_length = Some(Kw {
                        value: count(v, path, kw)?,
                        rule: r(),
                    })
                }
                "maxLength" => {
                    node.max_length = Some(Kw {
                        value: count(v, path, kw)?,
                        rule: r(),
                    })
                }
                "pattern" => {
                    node.pattern = Some(Kw {
                        value: Self::regex(v, path, kw)?,
                        rule: r(),
                    })
                }
                "format" => {
                    node.format = v.as_str().and_then(Format::named).map(|f| Kw {
                        value: f,
                        rule: r(),
                    });
                    if node.format.is_none() {
                        // Accepted, as Python accepts a format it has no checker for, but
                        // never silently: the report lists it as not checked.
                        let name = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        self.ignored.push(IgnoredKeyword {
                            path: path.to_owned(),
                            keyword: format!("format ({name})"),
                        });
                    }
                }
                "minimum" => {
                    node.minimum = Some(Kw {
                        value: decimal(v, path, kw)?,
                        rule: r(),
                    })
                }
                "maximum" => {
                    node.maximum = Some(Kw {
                        value: decimal(v, path, kw)?,
                        rule: r(),
                    })
                }
                "exclusiveMinimum" => {
                    node.exclusive_minimum = Some(Kw {
                        value: decimal(v, path, kw)?,
                        rule: r(),
                    })
                }
                "exclusiveMaximum" => {
                    node.exclusive_maximum = Some(Kw {
                        value: decimal(v, path, kw)?,
                        rule: r(),
                    })
                }
                "multipleOf" => {
                    let f = v
                        .as_f64()
                        .filter(|f| *f > 0.0)
                        .ok_or_else(|| bad(path, kw, "a number above 0"))?;
                    node.multiple_of = Some(Kw {
                        value: (f, !v.is_f64()),
                        rule: r(),
                    });
                }
                "items" => {
                    node.items = match v {
                        Value::Array(a) => Items::Tuple(
                            a.iter()
                                .enumerate()
                                .map(|(i, s)| self.schema(s, &format!("{path}/items/{i}")))
                                .collect::<Result<_, _>>()?,
                        ),
                        _ => Items::All(self.child(v, path, kw)?),
                    }
                }
                "additionalItems" => node.additional_items = self.additional(v, path, kw)?,
                "minItems" => {
                    node.min_items = Some(Kw {
                        value: count(v, path, kw)?,
                        rule: r(),
                    })
                }
                "maxItems" => {
                    node.max_items = Some(Kw {
                        value: count(v, path, kw)?,
                        rule: r(),
                    })
                }
                "uniqueItems" => {
                    node.unique_items = v
                        .as_bool()
                        .ok_or_else(|| bad(path, kw, "a boolean"))?
                        .then(r);
                }
                "contains" => {
                    node.contains = Some(Kw {
                        value: self.child(v, path, kw)?,
                        rule: r(),
                    })
                }
                "properties" => {
                    let props = v
                        .as_object()
                        .ok_or_else(|| bad(path, kw, "an object of schemas"))?;
                    for (name, s) in props {
                        let child =
                            self.schema(s, &format!("{path}/properties/{}", escape(name)))?;
                        keys.entry(name.clone()).or_default().0 = Some(child);
                    }
                }
                "required" => {
                    let names = v
                        .as_array()
                        .ok_or_else(|| bad(path, kw, "an array of strings"))?;
                    let mut required = Vec::with_capacity(names.len());
                    for name in names {
                        let name = name
                            .as_str()
                            .ok_or_else(|| bad(path, kw, "an array of strings"))?;
                        required.push((bit(&mut keys, &mut node.tracked, name), name.into()));
                    }
                    node.required = Some(Kw {
                        value: required,
                        rule: r(),
                    });
                }
                "patternProperties" => {
                    let props = v
                        .as_object()
                        .ok_or_else(|| bad(path, kw, "an object of schemas"))?;
                    for (pattern, s) in props {
                        let re = Self::regex(&Value::String(pattern.clone()), path, kw)?;
                        let child = self
                            .schema(s, &format!("{path}/patternProperties/{}", escape(pattern)))?;
                        node.pattern_properties.push((re, child));
                    }
                }
                "additionalProperties" => {
                    node.additional_properties = self.additional(v, path, kw)?
                }
                "propertyNames" => node.property_names = Some(self.child(v, path, kw)?),
                "dependencies" => {
                    let deps = v.as_object().ok_or_else(|| bad(path, kw, "an object"))?;
                    for (property, dep) in deps {
                        let trigger = bit(&mut keys, &mut node.tracked, property);
                        let dep_path = format!("{path}/dependencies/{}", escape(property));
                        let then = match dep {
                            Value::Array(names) => {
                                let mut required = Vec::with_capacity(names.len());
                                for name in names {
                                    let name = name.as_str().ok_or_else(|| {
                                        bad(path, kw, "arrays of strings or schemas")
                                    })?;
                                    required.push((
                                        bit(&mut keys, &mut node.tracked, name),
                                        name.into(),
                                    ));
                                }
                                DependencyKind::Required(required, Arc::from(dep_path))
                            }
                            _ => DependencyKind::Schema(self.schema(dep, &dep_path)?),
                        };
                        node.dependencies.push(Dependency {
                            bit: trigger,
                            property: property.as_str().into(),
                            then,
                        });
                    }
                }
                "minProperties" => {
                    node.min_properties = Some(Kw {
                        value: count(v, path, kw)?,
                        rule: r(),
                    })
                }
                "maxProperties" => {
                    node.max_properties = Some(Kw {
                        value: count(v, path, kw)?,
                        rule: r(),
                    })
                }
                "allOf" => node.all_of = self.list(v, path, kw)?,
                "anyOf" => {
                    node.any_of = Some(Kw {
                        value: self.list(v, path, kw)?,
                        rule: r(),
                    })
                }
                "oneOf" => {
                    node.one_of = Some(Kw {
                        value: self.list(v, path, kw)?,
                        rule: r(),
                    })
                }
                "not" => {
                    node.not = Some(Kw {
                        value: self.child(v, path, kw)?,
                        rule: r(),
                    })
                }
                "if" => {
                    let condition = self.child(v, path, kw)?;
                    let then = map
                        .get("then")
                        .map(|s| self.child(s, path, "then"))
                        .transpose()?;
                    let otherwise = map
                        .get("else")
                        .map(|s| self.child(s, path, "else"))
                        .transpose()?;
                    node.conditional = Some(Conditional {
                        condition,
                        then,
                        otherwise,
                    });
                }
                // Without `if` they do nothing, but they are still schemas.
                "then" | "else" => {
                    self.child(v, path, kw)?;
                }
                "definitions" => {
                    let defs = v
                        .as_object()
                        .ok_or_else(|| bad(path, kw, "an object of schemas"))?;
                    for (name, s) in defs {
                        self.schema(s, &format!("{path}/definitions/{}", escape(name)))?;
                    }
                }
                _ => self.known(kw, path)?,
            }
        }
        node.keys = keys
            .into_iter()
            .map(|(key, (child, bit))| KeyEntry {
                hash: hash::string(&key),
                key: key.into_bytes().into(),
                child,
                bit,
            })
            .collect();
        node.finish();
        Ok(node)
    }

    pub(super) fn additional(
        &mut self,
        v: &Value,
        path: &str,
        kw: &str,
    ) -> Result<Option<Additional>, SchemaError> {
        Ok(match v {
            Value::Bool(true) => None,
            Value::Bool(false) => Some(Additional::Forbidden(rule(path, kw))),
            _ => Some(Additional::Schema(self.child(v, path, kw)?)),
        })
    }
}
