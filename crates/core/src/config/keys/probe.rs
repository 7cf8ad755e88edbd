//! The names serde knows for a type, asked of its `Deserialize` impl: a struct's field
//! names and an enum's variant names (after `rename_all`), so documentation and checks of
//! configuration keys never spell them a second time.

use std::fmt;

use serde::de::{self, DeserializeOwned, Visitor};

/// The field names serde accepts for struct `T` (empty if `T` is not a struct).
///
/// ```
/// #[derive(serde::Deserialize)]
/// #[allow(dead_code, reason = "only the names are asked for")]
/// struct Pool { size: u32, idle_timeout: u64 }
/// assert_eq!(steadfast_core::config::keys::serde_fields::<Pool>(), ["size", "idle_timeout"]);
/// ```
pub fn serde_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    ask::<T>(Asked::Fields)
}

/// The variant names serde accepts for enum `T` (empty if `T` is not an enum).
///
/// ```
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "snake_case")]
/// enum Scope { Pipeline, WholeRoot }
/// assert_eq!(steadfast_core::config::keys::serde_variants::<Scope>(), ["pipeline", "whole_root"]);
/// ```
pub fn serde_variants<T: DeserializeOwned>() -> &'static [&'static str] {
    ask::<T>(Asked::Variants)
}

#[derive(Clone, Copy, PartialEq)]
enum Asked {
    Fields,
    Variants,
}

fn ask<T: DeserializeOwned>(asked: Asked) -> &'static [&'static str] {
    let mut found = None;
    // The probe always fails: it only records the names the impl hands it.
    let _ = T::deserialize(Probe {
        asked,
        found: &mut found,
    });
    found.unwrap_or(&[])
}

/// A deserializer that answers nothing and remembers the names it is asked about.
struct Probe<'a> {
    asked: Asked,
    found: &'a mut Option<&'static [&'static str]>,
}

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        if self.asked == Asked::Fields {
            *self.found = Some(fields);
        }
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        if self.asked == Asked::Variants {
            *self.found = Some(variants);
        }
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}
