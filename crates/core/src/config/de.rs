//! A serde `Deserializer` over the value tree whose errors carry the path of the value at
//! fault, so the loader can point at the line and column where it was written.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
    value::StrDeserializer,
};

use super::node::{Entry, Kind, Layer, Node, Seg};

/// What went wrong, as serde reported it.
#[derive(Debug, Clone)]
pub(crate) enum DeErrorKind {
    Custom(String),
    InvalidType {
        found: String,
        expected: String,
    },
    InvalidValue {
        found: String,
        expected: String,
    },
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
}

/// A deserialisation error with the path to the value, innermost segment last.
#[derive(Debug, Clone)]
pub(crate) struct DeError {
    pub(crate) kind: DeErrorKind,
    /// Segments pushed while unwinding, innermost first (reversed on read).
    rev_path: Vec<Seg>,
    /// The error is about a key (unknown field) rather than a value.
    pub(crate) at_key: bool,
}

impl DeError {
    fn new(kind: DeErrorKind) -> Self {
        Self {
            kind,
            rev_path: Vec::new(),
            at_key: false,
        }
    }

    fn within(mut self, seg: Seg) -> Self {
        self.rev_path.push(seg);
        self
    }

    pub(crate) fn path(&self) -> Vec<Seg> {
        self.rev_path.iter().rev().cloned().collect()
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::Custom(m) => f.write_str(m),
            DeErrorKind::InvalidType { found, expected } => {
                write!(f, "expected {expected}, found {found}")
            }
            DeErrorKind::InvalidValue { found, expected } => {
                write!(f, "invalid value {found}: expected {expected}")
            }
            DeErrorKind::UnknownField { field, .. } => write!(f, "unknown key '{field}'"),
            DeErrorKind::UnknownVariant { variant, expected } => write!(
                f,
                "unknown value '{variant}'; expected one of {}",
                expected.join(", ")
            ),
            DeErrorKind::MissingField(field) => write!(f, "missing key '{field}'"),
        }
    }
}

impl std::error::Error for DeError {}

/// Rewords serde's names of primitive types for people.
fn friendly(expected: &str) -> String {
    match expected {
        "f32" | "f64" => "a number".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number >= 0".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        other => other.to_owned(),
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(DeErrorKind::Custom(msg.to_string()))
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(DeErrorKind::InvalidType {
            found: unexp.to_string(),
            expected: friendly(&exp.to_string()),
        })
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(DeErrorKind::InvalidValue {
            found: unexp.to_string(),
            expected: friendly(&exp.to_string()),
        })
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(DeErrorKind::UnknownField {
            field: field.to_owned(),
            expected,
        })
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(DeErrorKind::UnknownVariant {
            variant: variant.to_owned(),
            expected,
        })
    }
    fn missing_field(field: &'static str) -> Self {
        Self::new(DeErrorKind::MissingField(field))
    }
}

/// Deserialises from one node.
pub(crate) struct NodeDe<'a>(pub(crate) &'a Node);

impl NodeDe<'_> {
    /// Values typed in an environment variable or flag can be read as text too (`1234` as
    /// a pipeline name).
    fn text_form(&self) -> Option<String> {
        if !matches!(self.0.origin.layer, Layer::Environment | Layer::Override) {
            return None;
        }
        match &self.0.kind {
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(x) => Some(x.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(*b),
            Kind::Int(i) => visitor.visit_i64(*i),
            Kind::Float(x) => visitor.visit_f64(*x),
            Kind::Str(s) => visitor.visit_str(s),
            Kind::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
            }),
            Kind::Map(entries) => visitor.visit_map(Map {
                entries: entries.iter(),
                current: None,
            }),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.text_form() {
            Some(text) => visitor.visit_string(text),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.kind {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.0.kind {
            Kind::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other(&self.0.describe()),
                &"a string naming one of the choices",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(NodeDe(item))
            .map(Some)
            .map_err(|e| e.within(Seg::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, Entry>,
    current: Option<&'a Entry>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        seed.deserialize(StrDeserializer::<DeError>::new(&entry.key))
            .map(Some)
            .map_err(|mut e| {
                e.at_key = true;
                e.within(Seg::Key(entry.key.clone()))
            })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(entry) = self.current.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        seed.deserialize(NodeDe(&entry.value))
            .map_err(|e| e.within(Seg::Key(entry.key.clone())))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::Origin;
    use super::super::parse::{Format, parse};
    use super::*;
    use serde::Deserialize;
    use std::sync::Arc;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[expect(dead_code, reason = "read only through the error path")]
        inner: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[expect(dead_code, reason = "read only through the error path")]
        n: u32,
    }

    #[test]
    fn errors_carry_the_path() {
        let node = parse(
            "[[inner]]\nn = 1\n[[inner]]\nn = \"x\"\n",
            Format::Toml,
            &Arc::from("t.toml"),
            Layer::File,
        )
        .unwrap();
        let err = Outer::deserialize(NodeDe(&node)).unwrap_err();
        assert_eq!(super::super::node::path_string(&err.path()), "inner[1].n");
        assert_eq!(
            err.to_string(),
            "expected a whole number >= 0, found string \"x\""
        );
        let _ = Origin::default_value();
    }
}
