//! Configuration keys as data: each key's type and allowed [`Range`] in one table per
//! section, read both by that section's [`Config::check`](super::Config::check) and by
//! `cargo xtask docs`, which writes `docs/configuration.md` from them — so a range stated
//! in the reference is the range enforced.
//!
//! A section implements [`Documented`] with a `const` slice of [`KeySpec`]s, one per serde
//! field, and checks a value with [`Problems::check_range`](super::Problems::check_range):
//!
//! ```
//! use steadfast_core::config::keys::{Documented, KeySpec, Range, ValueType};
//! use steadfast_core::config::{Config, Loader};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Pool {
//!     /// Connections kept open.
//!     size: u32,
//! }
//! impl Default for Pool {
//!     fn default() -> Self { Self { size: 8 } }
//! }
//! const SIZE: KeySpec = KeySpec::new("size", ValueType::Integer).range(Range::between(1.0, 64.0));
//! impl Documented for Pool {
//!     const KEYS: &'static [KeySpec] = &[SIZE];
//! }
//! impl Config for Pool {
//!     fn check(&self, problems: &mut steadfast_core::config::Problems) {
//!         problems.check_range(&SIZE, self.size);
//!     }
//! }
//!
//! let err = Loader::new().toml_str("s.toml", "[pool]\nsize = 0\n").load_section::<Pool>("pool");
//! assert_eq!(err.unwrap_err().to_string(), "s.toml:2:8: 0 is out of range for size: expected 1 to 64");
//! assert_eq!(SIZE.env_var("pool"), "STEADFAST_POOL__SIZE");
//! let doc = steadfast_core::config::keys::table::<Pool>();
//! assert!(doc.coverage_problems().is_empty());
//! assert_eq!(doc.defaults.unwrap()["size"].to_string(), "8");
//! ```

mod probe;
mod range;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use probe::{serde_fields, serde_variants};
pub use range::{Measure, Measured, Range};

use super::env::ENV_PREFIX;

/// A configuration table (a section, a sub-table, or an array-of-tables entry) whose keys
/// are described by [`KeySpec`]s.
pub trait Documented {
    /// One spec per serde field, in the order the struct declares them.
    const KEYS: &'static [KeySpec];
}

/// One key of a table: its name, type, allowed range and the example a message gives.
///
/// Its description is the field's doc comment (`cargo xtask docs` reads it from the
/// source) and its default is the table's `Default` serialised, so neither is copied here.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// The key as written in the table (the serde field name).
    pub key: &'static str,
    /// What the value is.
    pub ty: ValueType,
    /// The values allowed, when the type alone does not say it.
    pub range: Option<Range>,
    /// A good value, shown after "like" in an out-of-range message (`16`, `` `5s` ``).
    pub example: Option<&'static str>,
}

impl KeySpec {
    /// A key of type `ty`, any value of the type allowed.
    pub const fn new(key: &'static str, ty: ValueType) -> Self {
        Self {
            key,
            ty,
            range: None,
            example: None,
        }
    }

    /// Allows only values in `range`.
    #[must_use]
    pub const fn range(mut self, range: Range) -> Self {
        self.range = Some(range);
        self
    }

    /// Names a good value for messages.
    #[must_use]
    pub const fn example(mut self, example: &'static str) -> Self {
        self.example = Some(example);
        self
    }

    /// The message for `value` when it is outside the range:
    /// `0 is out of range for size: expected 1 to 64`; `None` when it is allowed.
    pub fn out_of_range(&self, value: impl Measure) -> Option<String> {
        let value = value.measure();
        let expected = self.expected(value)?;
        Some(format!(
            "{value} is out of range for {}: expected {expected}",
            self.key
        ))
    }

    /// What `value` should have been, when it is outside the range: `1 to 64, like 8`.
    pub fn expected(&self, value: impl Measure) -> Option<String> {
        let integer = matches!(self.ty, ValueType::Integer);
        let expected = self.range?.violation(value.measure(), integer)?;
        let like = self
            .example
            .filter(|_| !expected.contains(", like "))
            .map(|e| format!(", like {e}"))
            .unwrap_or_default();
        Some(format!("{expected}{like}"))
    }

    /// The environment variable that sets this key in the table at `table_path`
    /// (`retry.breaker`): `STEADFAST_RETRY__BREAKER__FAILURE_RATE`, the names
    /// [`Loader`](super::Loader) reads.
    pub fn env_var(&self, table_path: &str) -> String {
        let parts: Vec<String> = table_path
            .split('.')
            .filter(|p| !p.is_empty())
            .chain([self.key])
            .map(str::to_ascii_uppercase)
            .collect();
        format!("{ENV_PREFIX}{}", parts.join("__"))
    }
}

/// What a key's value is, as a reader of the configuration needs to know it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ValueType {
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
    /// A number, fractions allowed.
    Number,
    /// Text.
    Text,
    /// A duration: `250ms`, `30s`, `5m`, `1h 30m`.
    Duration,
    /// A size: `500MB`, `10GiB`.
    Size,
    /// A size or a percentage: `10GiB`, `85%`.
    SizeOrPercent,
    /// A socket address, `host:port`.
    Address,
    /// A file-system path.
    Path,
    /// A URL.
    Url,
    /// One of a fixed set of words; the function returns serde's names for them.
    Choice(fn() -> &'static [&'static str]),
    /// A list of values.
    List(&'static Self),
    /// A table of values under names the user picks.
    Map(&'static Self),
    /// A sub-table (`[retry.breaker]`).
    Table(fn() -> TableDoc),
    /// An array of tables (`[[health.checks]]`).
    Entries(fn() -> TableDoc),
}

impl ValueType {
    /// The type in words, for the reference: `duration`, `list of string`,
    /// ``one of `none`, `full` ``.
    pub fn describe(&self) -> String {
        match self {
            Self::Bool => "boolean".into(),
            Self::Integer => "integer".into(),
            Self::Number => "number".into(),
            Self::Text => "string".into(),
            Self::Duration => "duration".into(),
            Self::Size => "size".into(),
            Self::SizeOrPercent => "size or percent".into(),
            Self::Address => "host:port".into(),
            Self::Path => "path".into(),
            Self::Url => "URL".into(),
            Self::Choice(words) => {
                let words: Vec<String> = words().iter().map(|w| format!("`{w}`")).collect();
                format!("one of {}", words.join(", "))
            }
            Self::List(item) => format!("list of {}", item.describe()),
            Self::Map(item) => format!("table of {}", item.describe()),
            Self::Table(_) => "table".into(),
            Self::Entries(_) => "array of tables".into(),
        }
    }
}

/// A table's documentation as data: its Rust type, key specs, defaults and serde fields.
#[derive(Debug, Clone)]
pub struct TableDoc {
    /// The Rust type (`steadfast_retry::config::BreakerConfig`), where its doc comments are.
    pub type_name: &'static str,
    /// The key specs, in declaration order.
    pub keys: &'static [KeySpec],
    /// The type's `Default`, serialised; `None` for entries that have no default.
    pub defaults: Option<toml::Table>,
    /// The field names serde accepts, to hold the specs to.
    pub fields: &'static [&'static str],
}

impl TableDoc {
    /// The spec of `key`, if there is one.
    pub fn key(&self, key: &str) -> Option<&KeySpec> {
        self.keys.iter().find(|k| k.key == key)
    }

    /// What is wrong between the specs and serde's fields, here and in sub-tables: a field
    /// with no spec, a spec with no field, a key specified twice. Empty when they agree.
    pub fn coverage_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for field in self.fields {
            if self.key(field).is_none() {
                out.push(format!(
                    "{}: field '{field}' has no KeySpec in its Documented::KEYS",
                    self.type_name
                ));
            }
        }
        for (i, spec) in self.keys.iter().enumerate() {
            if !self.fields.contains(&spec.key) {
                out.push(format!(
                    "{}: KeySpec '{}' names no field serde knows",
                    self.type_name, spec.key
                ));
            }
            if self.keys[..i].iter().any(|k| k.key == spec.key) {
                out.push(format!(
                    "{}: KeySpec '{}' is listed twice",
                    self.type_name, spec.key
                ));
            }
            if let ValueType::Table(sub) | ValueType::Entries(sub) = spec.ty {
                out.extend(sub().coverage_problems());
            }
        }
        out
    }
}

/// The documentation of table type `T`, its defaults from `T::default()`.
pub fn table<T: Documented + Serialize + DeserializeOwned + Default>() -> TableDoc {
    TableDoc {
        defaults: toml::Table::try_from(T::default()).ok(),
        ..entries_without_default::<T>()
    }
}

/// The documentation of an entry type with no default (every entry spells its keys).
pub fn entries_without_default<T: Documented + DeserializeOwned>() -> TableDoc {
    TableDoc {
        type_name: std::any::type_name::<T>(),
        keys: T::KEYS,
        defaults: None,
        fields: serde_fields::<T>(),
    }
}

impl super::Problems {
    /// Reports `value` at `spec.key` when it is outside `spec`'s range, worded by
    /// [`KeySpec::out_of_range`]. Use [`nested`](Self::nested) for a sub-table's key.
    pub fn check_range(&mut self, spec: &KeySpec, value: impl Measure) {
        if let Some(message) = spec.out_of_range(value) {
            self.error(spec.key, message);
        }
    }
}

#[cfg(test)]
mod tests;
