//! The conformance walk over one resource's bytes, already checked to be well-formed JSON
//! by the scanner: every member is looked up in its node, its value checked against the
//! element's type, cardinality, format and binding, and each object's required elements
//! counted at its end. Nothing is allocated unless an issue is found.

use std::borrow::Cow;

use super::cursor::Cursor;
use super::defs::{Kind, Member, Model};
use super::issue::{Class, Issue, shown_name};
use super::primitive::Prim;
use super::seen::{MAX_CHOICES, Seen};

/// A path segment: a member name and, inside an array, the item's index.
type Seg = (&'static str, u32);
const NO_INDEX: u32 = u32::MAX;

/// Buffers reused from one resource to the next.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    path: Vec<Seg>,
}

pub(crate) struct Walk<'l, 's> {
    m: &'static Model,
    b: &'l [u8],
    c: Cursor<'l>,
    show: bool,
    path: &'s mut Vec<Seg>,
    sink: &'s mut dyn FnMut(Issue),
}

impl<'l, 's> Walk<'l, 's> {
    pub(crate) fn new(
        m: &'static Model,
        b: &'l [u8],
        show: bool,
        scratch: &'s mut Scratch,
        sink: &'s mut dyn FnMut(Issue),
    ) -> Self {
        scratch.path.clear();
        Self {
            m,
            b,
            c: Cursor { b, i: 0 },
            show,
            path: &mut scratch.path,
            sink,
        }
    }

    /// Walks the resource that starts at the first `{`, whose type is `ty`.
    pub(crate) fn resource(&mut self, ty: &[u8]) {
        self.c.ws();
        let Some(node) = self.m.resource(ty) else {
            let at = self.c.i;
            self.issue(Class::ResourceType, at, || {
                "not a FHIR R4 resource type".to_owned()
            });
            return;
        };
        let name: &'static str = &self.m.nodes[node as usize].name;
        self.path.push((name, NO_INDEX));
        self.object(node, true);
        self.path.pop();
    }

    /// The path so far, `Patient.name[0].given`.
    fn path_text(&self, extra: Option<&str>) -> String {
        let mut s = String::new();
        for (n, (name, index)) in self.path.iter().enumerate() {
            if n > 0 {
                s.push('.');
            }
            s.push_str(name);
            if *index != NO_INDEX {
                s.push('[');
                s.push_str(&index.to_string());
                s.push(']');
            }
        }
        if s.is_empty() {
            s.push_str("resourceType");
        }
        if let Some(extra) = extra {
            s.push('.');
            s.push_str(extra);
        }
        s
    }

    fn issue(&mut self, class: Class, at: usize, message: impl FnOnce() -> String) {
        let path = self.path_text(None);
        let message = format!("{path}: {}", message());
        (self.sink)(Issue {
            class,
            at,
            path,
            message,
            value: None,
        });
    }

    fn issue_value(&mut self, class: Class, at: usize, end: usize, message: String) {
        let path = self.path_text(None);
        let value = self
            .show
            .then(|| String::from_utf8_lossy(&self.b[at..end.min(self.b.len())]).into_owned());
        (self.sink)(Issue {
            class,
            message: format!("{path}: {message}"),
            path,
            at,
            value,
        });
    }

    fn set_index(&mut self, index: u32) {
        if let Some(top) = self.path.last_mut() {
            top.1 = index;
        }
    }

    /// Walks an object of `node` starting at its `{`.
    fn object(&mut self, node: u32, root: bool) {
        let open = self.c.i;
        self.c.i += 1;
        self.c.ws();
        if self.c.peek() == b'}' {
            self.c.i += 1;
            self.issue(Class::Empty, open, || {
                "an empty object is not allowed in FHIR JSON".to_owned()
            });
            return;
        }
        let mut seen = Seen::default();
        loop {
            self.c.ws();
            let k0 = self.c.i;
            let escaped = self.c.string();
            let k1 = self.c.i;
            self.c.ws();
            self.c.i += 1; // ':'
            self.c.ws();
            let key: Cow<'_, [u8]> = if escaped {
                Cow::Owned(
                    crate::escape::unquote(&self.b[k0..k1])
                        .into_owned()
                        .into_bytes(),
                )
            } else {
                Cow::Borrowed(&self.b[k0 + 1..k1 - 1])
            };
            if root && &*key == b"resourceType" {
                self.c.skip();
            } else {
                match self.m.member(node, &key) {
                    None => {
                        let name = shown_name(&key);
                        self.issue(Class::UnknownElement, k0, || match name {
                            Some(n) => format!("unknown element \"{n}\""),
                            None => "an unknown element (its name is not shown: not an identifier)"
                                .to_owned(),
                        });
                        self.c.skip();
                    }
                    Some(mem) => self.member(mem, &mut seen, k0),
                }
            }
            self.c.ws();
            match self.c.peek() {
                b',' => self.c.i += 1,
                _ => {
                    self.c.i += 1;
                    break;
                }
            }
        }
        let n = &self.m.nodes[node as usize];
        let mut missing = n.required & !(seen.values | seen.exts);
        while missing != 0 {
            let slot = missing.trailing_zeros() as usize;
            missing &= missing - 1;
            let element: &'static str = &self.m.nodes[node as usize].elements[slot].0;
            self.issue(Class::Min, open, || {
                format!("required element \"{element}\" is missing (min 1)")
            });
        }
        for (slot, values, exts) in seen.misaligned() {
            let element: &'static str = &self.m.nodes[node as usize].elements[slot as usize].0;
            self.issue(Class::Type, open, || {
                format!(
                    "\"{element}\" has {values} values and \"_{element}\" {exts} entries: the \
                     arrays must be the same length (null fills a gap)"
                )
            });
        }
        let mut nulls = seen.nulls & !seen.exts;
        while nulls != 0 {
            let slot = nulls.trailing_zeros() as usize;
            nulls &= nulls - 1;
            let element: &'static str = &self.m.nodes[node as usize].elements[slot].0;
            self.issue(Class::Type, open, || {
                format!("\"{element}\" holds null without a \"_{element}\" entry at the same index")
            });
        }
    }

    fn member(&mut self, mem: &'static Member, seen: &mut Seen, key_at: usize) {
        let bit = 1u64 << mem.slot;
        self.path.push((&mem.name, NO_INDEX));
        if mem.prohibited {
            self.issue(Class::Max, key_at, || "not allowed here (max 0)".to_owned());
            self.c.skip();
            self.path.pop();
            return;
        }
        if let Some(c) = mem.choice {
            let variant = mem.name.strip_prefix('_').unwrap_or(&mem.name);
            let slot = &mut seen.chosen[usize::from(c) % MAX_CHOICES];
            match slot {
                Some(other) if *other != variant => {
                    let other = *other;
                    self.issue(Class::Choice, key_at, || {
                        format!("a second type for one choice element (\"{other}\" is given too)")
                    });
                }
                _ => *slot = Some(variant),
            }
        }
        if mem.kind == Kind::PrimExt {
            seen.exts |= bit;
        } else {
            seen.values |= bit;
        }
        let c = self.c.peek();
        if mem.many {
            if c == b'[' {
                let n = self.array(mem, seen, bit);
                // An empty array is its own issue already.
                if n > 0 && matches!(mem.kind, Kind::Prim(_) | Kind::PrimExt) {
                    seen.length(mem.slot, mem.kind == Kind::PrimExt, n);
                }
            } else {
                let at = self.c.i;
                self.issue(Class::Type, at, || {
                    "expected an array (the element repeats: max *)".to_owned()
                });
                self.c.skip();
            }
        } else if c == b'[' {
            let at = self.c.i;
            let count = self.c.count_items();
            if count > 1 {
                self.issue(Class::Max, at, || {
                    format!("{count} values, at most 1 allowed")
                });
            } else {
                self.issue(Class::Type, at, || {
                    "expected a single value, not an array (max 1)".to_owned()
                });
            }
        } else {
            self.item(mem);
        }
        self.path.pop();
    }

    /// Walks an array of `mem`'s values; how many it holds.
    fn array(&mut self, mem: &'static Member, seen: &mut Seen, bit: u64) -> u32 {
        let open = self.c.i;
        self.c.i += 1;
        self.c.ws();
        if self.c.peek() == b']' {
            self.c.i += 1;
            self.issue(Class::Empty, open, || {
                "an empty array is not allowed in FHIR JSON".to_owned()
            });
            return 0;
        }
        let mut index = 0u32;
        loop {
            self.c.ws();
            self.set_index(index);
            if self.c.peek() == b'n' && matches!(mem.kind, Kind::Prim(_) | Kind::PrimExt) {
                if mem.kind != Kind::PrimExt {
                    seen.nulls |= bit;
                }
                self.c.skip();
            } else {
                self.item(mem);
            }
            index += 1;
            self.c.ws();
            let c = self.c.peek();
            self.c.i += 1;
            if c != b',' {
                break;
            }
        }
        self.set_index(NO_INDEX);
        index
    }

    fn item(&mut self, mem: &'static Member) {
        let at = self.c.i;
        match mem.kind {
            Kind::Prim(p) => self.primitive(mem, p),
            Kind::PrimExt | Kind::Node(_) if self.c.peek() != b'{' => {
                let what = match mem.kind {
                    Kind::Node(n) => self.m.nodes[n as usize].name.to_string(),
                    _ => "Element".to_owned(),
                };
                self.issue(Class::Type, at, || format!("expected an object ({what})"));
                self.c.skip();
            }
            Kind::PrimExt => self.object(self.m.element, false),
            Kind::Node(n) => {
                // A resource-typed element (`Bundle.entry.response.outcome`) carries its
                // `resourceType`.
                let resource = self.m.nodes[n as usize].resource;
                self.object(n, resource);
                if mem.binding.is_some() || mem.fixed.is_some() || mem.pattern.is_some() {
                    self.complex_value(mem, at);
                }
            }
            Kind::Resource => self.contained(),
        }
    }

    fn contained(&mut self) {
        let at = self.c.i;
        if self.c.peek() != b'{' {
            self.issue(Class::Type, at, || {
                "expected a resource (a JSON object)".to_owned()
            });
            self.c.skip();
            return;
        }
        let ty = self.c.member_text(at, b"resourceType");
        match ty.as_deref().and_then(|t| self.m.resource(t.as_bytes())) {
            Some(node) => self.object(node, true),
            None => {
                self.issue(Class::ResourceType, at, || {
                    "a resource without a FHIR R4 resourceType".to_owned()
                });
                self.c.skip();
            }
        }
    }

    fn primitive(&mut self, mem: &'static Member, p: Prim) {
        let at = self.c.i;
        let first = self.c.peek();
        let escaped = if first == b'"' {
            self.c.string()
        } else {
            self.c.skip();
            false
        };
        let end = self.c.i;
        let binding = mem.binding.map(|vs| {
            let set = &self.m.value_sets[vs as usize];
            (&set.codes, &*set.url)
        });
        if let Err((class, message)) = p.check_json(&self.b[at..end], escaped, binding) {
            self.issue_value(class, at, end, message);
            return;
        }
        if mem.fixed.is_some() || mem.pattern.is_some() {
            self.complex_value(mem, at);
        }
    }

    /// Bindings of Coding/CodeableConcept and fixed/pattern values, on the value that
    /// ends at the cursor.
    fn complex_value(&mut self, mem: &'static Member, at: usize) {
        let end = self.c.i;
        let span = &self.b[at..end];
        if let Some(vs) = mem.binding
            && !matches!(mem.kind, Kind::Prim(_))
        {
            let set = &self.m.value_sets[vs as usize];
            if super::complex::binding_fails(span, set) {
                let url: &'static str = &set.url;
                self.issue_value(
                    Class::Binding,
                    at,
                    end,
                    format!("no coding in the required value set {url}"),
                );
            }
        }
        if let Some(problem) = super::complex::fixed_or_pattern(span, mem) {
            self.issue_value(Class::Fixed, at, end, problem.to_owned());
        }
    }
}
