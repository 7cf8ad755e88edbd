//! The format-neutral value tree every configuration layer is parsed into, with the origin
//! (layer, file, line, column) of every key and value, and the merge that stacks layers.

pub(crate) use super::origin::{Layer, Origin};

/// One value of the tree with its origin.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) origin: Origin,
    /// Read from a secret source (`*_file`, `${VAR}` in a secret key): always redacted.
    pub(crate) secret: bool,
}

/// The shape of a value.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A key of a map, where the key itself was written, and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_origin: Origin,
    pub(crate) value: Node,
}

/// One step of a path into the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a path the way a person writes it: `validation.rules[2].min`.
pub(crate) fn path_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Parses `validation.rules[2].min` back into segments.
pub(crate) fn parse_path(text: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Seg::Key(rest[..open].to_owned()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Seg::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else {
            out.push(Seg::Key(rest.to_owned()));
        }
    }
    out
}

impl Node {
    pub(crate) fn new(kind: Kind, origin: Origin) -> Self {
        Self {
            kind,
            origin,
            secret: false,
        }
    }

    pub(crate) fn empty_map(origin: Origin) -> Self {
        Self::new(Kind::Map(Vec::new()), origin)
    }

    /// The entry for `key` of a map node.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The node at `path`, if present.
    pub(crate) fn get(&self, path: &[Seg]) -> Option<&Self> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.kind) {
                (Seg::Key(k), Kind::Map(_)) => &node.entry(k)?.value,
                (Seg::Index(i), Kind::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The origin to blame for `path`: the key's own position when the path ends at a map
    /// key, else the value's; the nearest present ancestor when the path is absent.
    pub(crate) fn blame(&self, path: &[Seg], prefer_key: bool) -> Origin {
        let mut node = self;
        let mut best = self.origin.clone();
        for seg in path {
            let next = match (seg, &node.kind) {
                (Seg::Key(k), Kind::Map(_)) => node.entry(k).map(|e| {
                    if prefer_key {
                        (&e.value, e.key_origin.clone())
                    } else {
                        (&e.value, e.value.origin.clone())
                    }
                }),
                (Seg::Index(i), Kind::Seq(items)) => items.get(*i).map(|n| (n, n.origin.clone())),
                _ => None,
            };
            match next {
                Some((n, origin)) => {
                    node = n;
                    best = origin;
                }
                None => return best,
            }
        }
        best
    }

    /// Removes the node at `path`; returns whether something was removed.
    pub(crate) fn remove(&mut self, path: &[Seg]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut node = self;
        for seg in parents {
            node = match (seg, &mut node.kind) {
                (Seg::Key(k), Kind::Map(entries)) => {
                    match entries.iter_mut().find(|e| &e.key == k) {
                        Some(e) => &mut e.value,
                        None => return false,
                    }
                }
                (Seg::Index(i), Kind::Seq(items)) => match items.get_mut(*i) {
                    Some(n) => n,
                    None => return false,
                },
                _ => return false,
            };
        }
        match (last, &mut node.kind) {
            (Seg::Key(k), Kind::Map(entries)) => {
                let before = entries.len();
                entries.retain(|e| &e.key != k);
                entries.len() != before
            }
            (Seg::Index(i), Kind::Seq(items)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        }
    }

    /// Sets `value` at `path` (keys only), creating intermediate maps with `origin`.
    pub(crate) fn insert(&mut self, path: &[String], value: Self, origin: &Origin) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = self;
        for key in parents {
            if !matches!(node.kind, Kind::Map(_)) {
                *node = Self::empty_map(origin.clone());
            }
            let Kind::Map(entries) = &mut node.kind else {
                return;
            };
            let idx = match entries.iter().position(|e| &e.key == key) {
                Some(i) => i,
                None => {
                    entries.push(Entry {
                        key: key.clone(),
                        key_origin: origin.clone(),
                        value: Self::empty_map(origin.clone()),
                    });
                    entries.len() - 1
                }
            };
            node = &mut entries[idx].value;
        }
        let mut single = Self::empty_map(origin.clone());
        if let Kind::Map(entries) = &mut single.kind {
            entries.push(Entry {
                key: last.clone(),
                key_origin: origin.clone(),
                value,
            });
        }
        node.merge(single);
    }

    /// Stacks `upper` over `self`: maps merge key by key, everything else is replaced.
    pub(crate) fn merge(&mut self, upper: Self) {
        match (&mut self.kind, upper.kind) {
            (Kind::Map(lower), Kind::Map(upper_entries)) => {
                // An index of the lower keys keeps a layer of many keys linear.
                let mut index: std::collections::HashMap<String, usize> = lower
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.key.clone(), i))
                    .collect();
                for entry in upper_entries {
                    match index.get(&entry.key) {
                        Some(&i) => {
                            let existing = &mut lower[i];
                            existing.key_origin = entry.key_origin;
                            existing.value.merge(entry.value);
                        }
                        None => {
                            index.insert(entry.key.clone(), lower.len());
                            lower.push(entry);
                        }
                    }
                }
            }
            (_, kind) => {
                self.kind = kind;
                self.origin = upper.origin;
                self.secret = upper.secret;
            }
        }
    }

    /// A short description of the value's type for messages: `a string "abc"`, `an integer`.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Kind::Null => "null".to_owned(),
            Kind::Bool(b) => format!("boolean `{b}`"),
            Kind::Int(i) => format!("integer `{i}`"),
            Kind::Float(x) => format!("number `{x}`"),
            Kind::Str(s) if self.secret => "a string (secret)".to_owned(),
            Kind::Str(s) => format!("string {s:?}"),
            Kind::Seq(_) => "an array".to_owned(),
            Kind::Map(_) => "a table".to_owned(),
        }
    }

    /// Converts a `toml::Value` (a serialised default) into a node of `origin`.
    pub(crate) fn from_toml(value: toml::Value, origin: &Origin) -> Self {
        let kind = match value {
            toml::Value::String(s) => Kind::Str(s),
            toml::Value::Integer(i) => Kind::Int(i),
            toml::Value::Float(x) => Kind::Float(x),
            toml::Value::Boolean(b) => Kind::Bool(b),
            toml::Value::Datetime(d) => Kind::Str(d.to_string()),
            toml::Value::Array(items) => Kind::Seq(
                items
                    .into_iter()
                    .map(|v| Self::from_toml(v, origin))
                    .collect(),
            ),
            toml::Value::Table(table) => Kind::Map(
                table
                    .into_iter()
                    .map(|(key, v)| Entry {
                        key,
                        key_origin: origin.clone(),
                        value: Self::from_toml(v, origin),
                    })
                    .collect(),
            ),
        };
        Self::new(kind, origin.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let path = parse_path("validation.rules[2].min");
        assert_eq!(
            path,
            vec![
                Seg::Key("validation".into()),
                Seg::Key("rules".into()),
                Seg::Index(2),
                Seg::Key("min".into())
            ]
        );
        assert_eq!(path_string(&path), "validation.rules[2].min");
    }

    #[test]
    fn merge_keeps_lower_keys_and_replaces_scalars() {
        let o = Origin::default_value();
        let mut lower = Node::empty_map(o.clone());
        lower.insert(
            &["a".into(), "x".into()],
            Node::new(Kind::Int(1), o.clone()),
            &o,
        );
        lower.insert(
            &["a".into(), "y".into()],
            Node::new(Kind::Int(2), o.clone()),
            &o,
        );
        let env = Origin::named(Layer::Environment, "X");
        let mut upper = Node::empty_map(env.clone());
        upper.insert(
            &["a".into(), "y".into()],
            Node::new(Kind::Int(3), env.clone()),
            &env,
        );
        lower.merge(upper);
        let y = lower.get(&parse_path("a.y")).unwrap();
        assert!(matches!(y.kind, Kind::Int(3)));
        assert_eq!(y.origin.layer, Layer::Environment);
        assert!(matches!(
            lower.get(&parse_path("a.x")).unwrap().kind,
            Kind::Int(1)
        ));
    }
}
