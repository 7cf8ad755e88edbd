//! The definitions table (`r4.tsv`, written by `cargo xtask fhir-defs`) read into the
//! model the walk uses: one node per resource, datatype and backbone element, its members
//! by JSON name in one open-addressing table, and the enumerable required value sets.

use std::collections::{HashMap, HashSet};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::primitive::Prim;

/// What a member's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Prim(Prim),
    /// An object of this node (a datatype or a backbone element).
    Node(u32),
    /// A resource, whatever its `resourceType` says (`contained`, `Bundle.entry.resource`).
    Resource,
    /// `_name`: the id and extensions of primitive `name` (an object, or an array of
    /// objects and nulls beside a repeating one).
    PrimExt,
}

/// One JSON member name a node accepts.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) node: u32,
    pub(crate) name: Box<str>,
    /// The element's bit in its node (the variants of a choice share one).
    pub(crate) slot: u8,
    /// More than one value allowed: written as an array.
    pub(crate) many: bool,
    /// `max = 0`: the element is not allowed here (a constraint profile removed it).
    pub(crate) prohibited: bool,
    pub(crate) kind: Kind,
    /// The required value set, when it is enumerable.
    pub(crate) binding: Option<u32>,
    /// For a variant of a choice (`valueQuantity` of `value[x]`): the choice's index in
    /// its node, so two variants of one choice are caught.
    pub(crate) choice: Option<u8>,
    /// `fixed=` / `pattern=` of the table.
    pub(crate) fixed: Option<Box<serde_json::Value>>,
    pub(crate) pattern: Option<Box<serde_json::Value>>,
}

/// A resource, a datatype or a backbone element.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// `Patient`, `HumanName`, `Patient.contact`.
    pub(crate) name: Box<str>,
    pub(crate) resource: bool,
    /// The elements in snapshot order: name (`value[x]`) and whether min ≥ 1.
    pub(crate) elements: Vec<(Box<str>, bool)>,
    /// Bits of the elements with min ≥ 1.
    pub(crate) required: u64,
    pub(crate) choices: u8,
}

/// A value set as (system, code) pairs and its codes alone (for a `code` element, whose
/// system is the value set's).
#[derive(Debug, Default)]
pub(crate) struct ValueSet {
    pub(crate) url: Box<str>,
    pub(crate) pairs: HashSet<(Box<str>, Box<str>)>,
    pub(crate) codes: HashSet<Box<str>>,
}

/// R4's abstract resource types: every resource's base, never an instance's `resourceType`.
pub(crate) const ABSTRACT_RESOURCES: [&str; 2] = ["Resource", "DomainResource"];

/// The compiled definitions.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub(crate) nodes: Vec<Node>,
    pub(crate) members: Vec<Member>,
    table: Vec<u32>,
    types: HashMap<Box<str>, u32>,
    pub(crate) value_sets: Vec<ValueSet>,
    /// The header's `# key value…` lines.
    pub(crate) header: Vec<(String, String)>,
    /// The `Element` node (what `_name` holds).
    pub(crate) element: u32,
}

/// A mistake in the table (it is generated and tested, so this is an internal error).
#[derive(Debug, thiserror::Error)]
#[error("FHIR definitions table, line {line}: {message}")]
pub struct DefsError {
    line: usize,
    message: String,
}

fn err(line: usize, message: impl Into<String>) -> DefsError {
    DefsError {
        line,
        message: message.into(),
    }
}

struct Pending<'t> {
    line: usize,
    node: u32,
    name: &'t str,
    slot: u8,
    many: bool,
    prohibited: bool,
    types: &'t str,
    type_path: &'t str,
    binding: Option<&'t str>,
    fixed: Option<&'t str>,
    pattern: Option<&'t str>,
    choice: Option<u8>,
}

impl Model {
    /// Reads a table.
    pub(crate) fn parse(text: &str) -> Result<Self, DefsError> {
        let mut model = Self::default();
        // Pass 1: the nodes (types and backbone elements) and each element's slot.
        let mut paths: HashMap<(u32, &str), u32> = HashMap::new();
        let mut pending = Vec::new();
        let mut current: Option<(u32, &str)> = None;
        let mut sets: HashMap<&str, u32> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if let Some(h) = line.strip_prefix("# ") {
                let (k, v) = h.split_once('\t').unwrap_or((h, ""));
                model.header.push((k.to_owned(), v.to_owned()));
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            match f.first().copied() {
                Some("T") if f.len() == 3 => {
                    let id = model.node(f[2], f[1] == "resource");
                    model.types.insert(f[2].into(), id);
                    current = Some((id, f[2]));
                }
                Some("E") if f.len() >= 5 => {
                    let (root, ty) = current.ok_or_else(|| err(n, "an element before any type"))?;
                    let (parent_path, name) = f[1].rsplit_once('.').unwrap_or(("", f[1]));
                    let parent = if parent_path.is_empty() {
                        root
                    } else {
                        *paths
                            .get(&(root, parent_path))
                            .ok_or_else(|| err(n, format!("no parent element {parent_path}")))?
                    };
                    let min: u32 = f[2].parse().map_err(|_| err(n, "min is not a number"))?;
                    let (many, prohibited) = match f[3] {
                        "*" => (true, false),
                        "0" => (false, true),
                        m => (m.parse::<u32>().map_err(|_| err(n, "bad max"))? > 1, false),
                    };
                    let node = &mut model.nodes[parent as usize];
                    let slot = u8::try_from(node.elements.len())
                        .ok()
                        .filter(|s| *s < 64)
                        .ok_or_else(|| err(n, "more than 64 elements in one node"))?;
                    node.elements.push((name.into(), min > 0 && !prohibited));
                    if min > 0 && !prohibited {
                        node.required |= 1 << slot;
                    }
                    let choice = name.ends_with("[x]").then(|| {
                        node.choices += 1;
                        node.choices - 1
                    });
                    if f[4] == "@" {
                        let id = model.node(&format!("{ty}.{}", f[1]), false);
                        paths.insert((root, f[1]), id);
                    }
                    let mut p = Pending {
                        line: n,
                        node: parent,
                        name,
                        slot,
                        many,
                        prohibited,
                        types: f[4],
                        type_path: f[1],
                        binding: None,
                        fixed: None,
                        pattern: None,
                        choice,
                    };
                    for attr in &f[5..] {
                        match attr.split_once('=') {
                            Some(("b", v)) => p.binding = Some(v),
                            Some(("fixed", v)) => p.fixed = Some(v),
                            Some(("pattern", v)) => p.pattern = Some(v),
                            _ => return Err(err(n, format!("unknown attribute {attr}"))),
                        }
                    }
                    pending.push((root, p));
                }
                Some("V") if f.len() >= 3 => {
                    let next = u32::try_from(model.value_sets.len()).unwrap_or(u32::MAX);
                    let id = *sets.entry(f[1]).or_insert(next);
                    if id == next {
                        model.value_sets.push(ValueSet {
                            url: f[1].into(),
                            ..ValueSet::default()
                        });
                    }
                    let vs = &mut model.value_sets[id as usize];
                    for code in &f[3..] {
                        vs.pairs.insert((f[2].into(), (*code).into()));
                        vs.codes.insert((*code).into());
                    }
                }
                Some("") | None => {}
                _ => return Err(err(n, "not a T, E or V line of the expected width")),
            }
        }
        model.element = match model.types.get("Element") {
            Some(&e) => e,
            None => model.builtin_element(),
        };
        // Pass 2: members, now that every type and backbone node exists.
        for (root, p) in pending {
            model.members_of(root, &p, &paths, &sets)?;
        }
        model.index();
        Ok(model)
    }

    fn node(&mut self, name: &str, resource: bool) -> u32 {
        self.nodes.push(Node {
            name: name.into(),
            resource,
            ..Node::default()
        });
        u32::try_from(self.nodes.len() - 1).unwrap_or(u32::MAX)
    }

    /// `Element` (`id`, `extension`) when the table does not list it.
    fn builtin_element(&mut self) -> u32 {
        let id = self.node("Element", false);
        self.nodes[id as usize].elements = vec![("id".into(), false), ("extension".into(), false)];
        let ext = self.types.get("Extension").copied();
        self.members
            .push(self.plain(id, "id", 0, false, Kind::Prim(Prim::String)));
        if let Some(ext) = ext {
            self.members
                .push(self.plain(id, "extension", 1, true, Kind::Node(ext)));
        }
        id
    }

    fn plain(&self, node: u32, name: &str, slot: u8, many: bool, kind: Kind) -> Member {
        Member {
            node,
            name: name.into(),
            slot,
            many,
            prohibited: false,
            kind,
            binding: None,
            choice: None,
            fixed: None,
            pattern: None,
        }
    }

    fn members_of(
        &mut self,
        root: u32,
        p: &Pending<'_>,
        paths: &HashMap<(u32, &str), u32>,
        sets: &HashMap<&str, u32>,
    ) -> Result<(), DefsError> {
        let binding = match p.binding {
            Some(url) => Some(
                *sets
                    .get(url)
                    .ok_or_else(|| err(p.line, format!("no value set {url}")))?,
            ),
            None => None,
        };
        let json = |v: Option<&str>| -> Result<Option<Box<serde_json::Value>>, DefsError> {
            v.map(|v| serde_json::from_str(v).map(Box::new))
                .transpose()
                .map_err(|e| err(p.line, format!("fixed/pattern: {e}")))
        };
        let (fixed, pattern) = (json(p.fixed)?, json(p.pattern)?);
        let stem = p.name.strip_suffix("[x]");
        let codes: Vec<&str> = p.types.split(',').collect();
        for code in &codes {
            let kind = if *code == "@" {
                Kind::Node(paths[&(root, p.type_path)])
            } else if let Some(target) = code.strip_prefix('#') {
                Kind::Node(
                    *paths
                        .get(&(root, target))
                        .ok_or_else(|| err(p.line, format!("no element {target} to refer to")))?,
                )
            } else if let Some(prim) = Prim::from_code(code) {
                // R4's definitions type `Resource.id` as a plain string (a known quirk of the
                // 4.0.1 snapshots); the specification's text and the HL7 validator say `id`.
                let resource_id = p.name == "id" && self.nodes[p.node as usize].resource;
                Kind::Prim(if resource_id { Prim::Id } else { prim })
            } else if *code == "Resource" {
                Kind::Resource
            } else {
                Kind::Node(
                    *self
                        .types
                        .get(*code)
                        .ok_or_else(|| err(p.line, format!("unknown type {code}")))?,
                )
            };
            let name = match stem {
                Some(stem) => {
                    let mut c = code.chars();
                    let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or('_');
                    format!("{stem}{first}{}", c.as_str())
                }
                None => p.name.to_owned(),
            };
            if stem.is_none() && codes.len() > 1 {
                return Err(err(
                    p.line,
                    "several types for an element that is not a choice",
                ));
            }
            if let Kind::Prim(_) = kind {
                let mut ext =
                    self.plain(p.node, &format!("_{name}"), p.slot, p.many, Kind::PrimExt);
                ext.choice = p.choice;
                ext.prohibited = p.prohibited;
                self.members.push(ext);
            }
            self.members.push(Member {
                node: p.node,
                name: name.into(),
                slot: p.slot,
                many: p.many,
                prohibited: p.prohibited,
                kind,
                binding,
                choice: p.choice,
                fixed: fixed.clone(),
                pattern: pattern.clone(),
            });
        }
        Ok(())
    }

    fn hash(node: u32, name: &[u8]) -> u64 {
        xxh3_64_with_seed(name, u64::from(node))
    }

    fn index(&mut self) {
        let size = (self.members.len() * 2).next_power_of_two().max(16);
        self.table = vec![0; size];
        let mask = size - 1;
        for (i, m) in self.members.iter().enumerate() {
            let mut at = usize::try_from(Self::hash(m.node, m.name.as_bytes())).unwrap_or(0) & mask;
            while self.table[at] != 0 {
                at = (at + 1) & mask;
            }
            self.table[at] = u32::try_from(i + 1).unwrap_or(u32::MAX);
        }
    }

    /// The member `name` of `node`.
    #[inline]
    pub(crate) fn member(&self, node: u32, name: &[u8]) -> Option<&Member> {
        let mask = self.table.len() - 1;
        let mut at = usize::try_from(Self::hash(node, name)).unwrap_or(0) & mask;
        loop {
            let e = self.table[at];
            if e == 0 {
                return None;
            }
            let m = &self.members[e as usize - 1];
            if m.node == node && m.name.as_bytes() == name {
                return Some(m);
            }
            at = (at + 1) & mask;
        }
    }

    /// The node of a resource type an instance may have (none of [`ABSTRACT_RESOURCES`]).
    pub(crate) fn resource(&self, name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        let node = *self.types.get(name)?;
        (self.nodes[node as usize].resource && !ABSTRACT_RESOURCES.contains(&name)).then_some(node)
    }

    /// A header value (`fhir`, `package`).
    pub(crate) fn header(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
