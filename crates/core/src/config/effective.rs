//! [`Effective`]: a loaded configuration that remembers where each value came from, and
//! prints itself as commented TOML with secrets redacted.

use std::fmt::Write as _;
use std::path::Path;

use super::env::is_secret_key;
use super::node::{Node, Origin, Seg, parse_path};
use crate::redact::{REDACTED, redact_credentials};

/// A loaded configuration value and the provenance of every key.
///
/// ```
/// use steadfast_core::config::{Layer, Loader};
///
/// #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Db { url: String, password: String }
/// impl steadfast_core::config::Config for Db {}
///
/// let db = Loader::new()
///     .toml_str("db.toml", "[db]\nurl = \"postgres://etl:pw@h/fhir\"\n")
///     .env_vars([("STEADFAST_DB__PASSWORD", "hunter2")])
///     .load_section::<Db>("db")?;
/// assert_eq!(db.value().password, "hunter2");
/// let shown = db.to_toml();
/// assert!(shown.contains("password = \"***\""));
/// assert!(shown.contains("postgres://etl:***@h/fhir"));
/// assert!(!shown.contains("hunter2"));
/// # Ok::<(), steadfast_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Effective<T> {
    value: T,
    tree: Node,
    section: Option<String>,
}

impl<T: serde::Serialize> Effective<T> {
    pub(crate) fn new(value: T, tree: Node, section: Option<&str>) -> Self {
        Self {
            value,
            tree,
            section: section.map(str::to_owned),
        }
    }

    /// One section of a whole configuration as its own `Effective`, origins kept: `section`
    /// names it (`"validation"`), `get` picks it from the value.
    ///
    /// ```
    /// use steadfast_core::config::{Config, Layer, Loader};
    ///
    /// #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
    /// #[serde(default)]
    /// struct Whole { validation: Section }
    /// #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
    /// #[serde(default)]
    /// struct Section { ratio: f64 }
    /// impl Config for Whole {}
    ///
    /// let whole = Loader::new().toml_str("s.toml", "[validation]\nratio = 0.5\n")
    ///     .env_vars::<_, String, String>([]).load::<Whole>()?;
    /// let section = whole.project("validation", |w| w.validation.clone());
    /// assert_eq!(section.origin("ratio").layer, Layer::File);
    /// # Ok::<(), steadfast_core::config::ConfigError>(())
    /// ```
    pub fn project<U: serde::Serialize>(
        &self,
        section: &str,
        get: impl FnOnce(&T) -> U,
    ) -> Effective<U> {
        let mut path = self.section.clone().map(|s| vec![s]).unwrap_or_default();
        path.push(section.to_owned());
        Effective {
            value: get(&self.value),
            tree: self.tree.clone(),
            section: Some(path.join(".")),
        }
    }

    /// The configuration.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The configuration, owned.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Where the value at `path` came from (`row_count_threshold`, `rules[0].min`; relative
    /// to the section when one section was loaded). Absent keys are built-in defaults.
    pub fn origin(&self, path: &str) -> Origin {
        let path = self.full_path(path);
        match self.tree.get(&path) {
            Some(node) => node.origin.clone(),
            None => Origin::default_value(),
        }
    }

    fn full_path(&self, path: &str) -> Vec<Seg> {
        let mut full: Vec<Seg> = self.section.as_deref().map(parse_path).unwrap_or_default();
        let relative = parse_path(path);
        if relative.first() != full.first() || full.is_empty() {
            full.extend(relative);
            full
        } else {
            relative
        }
    }

    /// The configuration as TOML, every value commented with its origin, secrets (secret
    /// keys, values read from `*_file`, credentials inside URLs) redacted.
    pub fn to_toml(&self) -> String {
        let value = toml::Value::try_from(&self.value)
            .unwrap_or_else(|_| toml::Value::Table(toml::Table::new()));
        let mut out = String::from(
            "# Effective configuration. Each value names its origin; highest wins:\n\
             # built-in default < file < profile < environment < override.\n",
        );
        let mut path: Vec<Seg> = self.section.as_deref().map(parse_path).unwrap_or_default();
        if let toml::Value::Table(table) = &value {
            self.emit_table(&mut out, table, &mut path);
        }
        out
    }

    /// Writes [`to_toml`](Self::to_toml) atomically to `path`.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the file cannot be written.
    pub fn write(&self, path: impl AsRef<Path>) -> crate::Result<()> {
        crate::atomic_write(path, self.to_toml())
    }

    fn emit_table(&self, out: &mut String, table: &toml::Table, path: &mut Vec<Seg>) {
        let has_scalars = table.values().any(|v| !is_table(v) && !is_table_array(v));
        if !path.is_empty() && has_scalars {
            let _ = writeln!(out, "\n[{}]", dotted(path));
        }
        self.scalar_lines(out, table, path);
        for (key, value) in table {
            path.push(Seg::Key(key.clone()));
            match value {
                toml::Value::Table(sub) => self.emit_table(out, sub, path),
                toml::Value::Array(items) if is_table_array(value) => {
                    for (i, item) in items.iter().enumerate() {
                        if let toml::Value::Table(sub) = item {
                            let _ = writeln!(out, "\n[[{}]]", dotted(path));
                            path.push(Seg::Index(i));
                            self.scalar_lines(out, sub, path);
                            path.pop();
                        }
                    }
                }
                _ => {}
            }
            path.pop();
        }
    }

    /// The keys of `table` that are not tables, aligned, each commented with its origin.
    fn scalar_lines(&self, out: &mut String, table: &toml::Table, path: &mut Vec<Seg>) {
        let lines: Vec<(String, String)> = table
            .iter()
            .filter(|(_, v)| !is_table(v) && !is_table_array(v))
            .map(|(key, value)| {
                path.push(Seg::Key(key.clone()));
                let node = self.tree.get(path);
                let origin = node.map_or_else(Origin::default_value, |n| n.origin.clone());
                let secret = is_secret_key(key) || node.is_some_and(|n| n.secret);
                path.pop();
                let empty = matches!(value, toml::Value::String(s) if s.is_empty());
                let shown = if secret && !empty {
                    format!("\"{REDACTED}\"")
                } else {
                    redact_credentials(&value.to_string()).into_owned()
                };
                (
                    format!("{} = {shown}", bare_or_quoted(key)),
                    origin.to_string(),
                )
            })
            .collect();
        let width = lines
            .iter()
            .map(|(l, _)| l.len())
            .max()
            .unwrap_or(0)
            .min(48);
        for (line, origin) in lines {
            let _ = writeln!(out, "{line:width$}  # {origin}");
        }
    }
}

fn is_table(value: &toml::Value) -> bool {
    matches!(value, toml::Value::Table(_))
}

fn is_table_array(value: &toml::Value) -> bool {
    matches!(value, toml::Value::Array(a) if !a.is_empty() && a.iter().all(is_table))
}

fn dotted(path: &[Seg]) -> String {
    path.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(bare_or_quoted(k)),
            Seg::Index(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn bare_or_quoted(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}
