//! [`Loader`]: stacks defaults, files, profile, environment and overrides, then
//! deserialises with every problem collected and located.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Config;
use super::diagnose::deserialize;
use super::effective::Effective;
use super::env::{env_layer, resolve_secret_files, substitute};
use super::node::{Kind, Layer, Node, Origin, Seg, parse_path, path_string};
use super::parse::{Format, parse, scalar};
use super::problem::{ConfigError, Problem, Problems};

#[derive(Debug, Clone)]
enum Source {
    File { path: PathBuf, required: bool },
    Text { name: String, text: String },
}

/// Builds a configuration from its layers. See the [module docs](super) for the order.
///
/// ```
/// use steadfast_core::config::Loader;
///
/// #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Disk { min_free: String }
/// impl steadfast_core::config::Config for Disk {}
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("steadfast.toml");
/// let prod = dir.path().join("steadfast.prod.toml");
/// std::fs::File::create(&file)?;
/// steadfast_core::atomic_write(&file, "[disk]\nmin_free = \"1GiB\"\n")?;
/// steadfast_core::atomic_write(&prod, "[disk]\nmin_free = \"50GiB\"\n")?;
///
/// let disk = Loader::new().file(&file).profile(Some("prod")).env_vars::<_, String, String>([])
///     .load_section::<Disk>("disk")?;
/// assert_eq!(disk.value().min_free, "50GiB");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Loader {
    sources: Vec<Source>,
    profile: Option<String>,
    env: Option<Vec<(String, String)>>,
    overrides: Vec<(String, Option<String>, String)>,
}

impl Loader {
    /// A loader with no sources: only defaults, the process environment and overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a configuration file that must exist; its format follows its extension
    /// (`.toml`, `.json`, `.yaml`/`.yml`). Later files override earlier ones.
    #[must_use]
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.sources.push(Source::File {
            path: path.as_ref().to_path_buf(),
            required: true,
        });
        self
    }

    /// Adds a configuration file that is skipped when it does not exist.
    #[must_use]
    pub fn optional_file(mut self, path: impl AsRef<Path>) -> Self {
        self.sources.push(Source::File {
            path: path.as_ref().to_path_buf(),
            required: false,
        });
        self
    }

    /// Adds configuration text as if read from a file called `name` (whose extension picks
    /// the format).
    #[must_use]
    pub fn text(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.sources.push(Source::Text {
            name: name.into(),
            text: text.into(),
        });
        self
    }

    /// Adds TOML text called `name` (a `.toml` name is not required).
    #[must_use]
    pub fn toml_str(self, name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut name = name.into();
        if Format::of(Path::new(&name)).is_none() {
            name.push_str(".toml");
        }
        self.text(name, text)
    }

    /// Selects a profile: each file `x.toml` is overlaid by `x.<profile>.toml` beside it.
    /// At least one overlay must exist, so a mistyped profile is an error, not a no-op.
    #[must_use]
    pub fn profile(mut self, profile: Option<&str>) -> Self {
        self.profile = profile.map(str::to_owned);
        self
    }

    /// Uses these variables instead of the process environment (for tests and embedding).
    #[must_use]
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Adds an override written `key=value` (`--set`); the key is dotted
    /// (`disk.watermarks.low`), and may omit the section when loading one section.
    #[must_use]
    pub fn set(mut self, assignment: &str) -> Self {
        let label = format!("--set {assignment}");
        let (key, value) = match assignment.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (assignment, None),
        };
        self.overrides.push((key.trim().to_owned(), value, label));
        self
    }

    /// Adds an override from a dedicated flag: `key` gets `value`, credited to `label`
    /// (`--row-count-threshold`).
    #[must_use]
    pub fn set_value(
        mut self,
        key: &str,
        value: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        self.overrides
            .push((key.to_owned(), Some(value.into()), label.into()));
        self
    }

    /// Loads the whole configuration as `T`.
    ///
    /// # Errors
    /// [`ConfigError`] with every problem found, each located.
    pub fn load<T: Config>(&self) -> Result<Effective<T>, ConfigError> {
        self.load_inner(None)
    }

    /// Loads one section, `[name]`, as `T`. A file whose top level has no `[name]` table
    /// is read as that section itself (the seed's flat thresholds files); environment
    /// variables of other sections are ignored.
    ///
    /// # Errors
    /// [`ConfigError`] with every problem found, each located.
    pub fn load_section<T: Config>(&self, name: &str) -> Result<Effective<T>, ConfigError> {
        self.load_inner(Some(name))
    }

    fn env(&self) -> (Vec<(String, String)>, Vec<Problem>) {
        match &self.env {
            Some(vars) => (vars.clone(), Vec::new()),
            None => super::env::process_env(),
        }
    }

    fn load_inner<T: Config>(&self, section: Option<&str>) -> Result<Effective<T>, ConfigError> {
        let (env, mut problems) = self.env();
        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let default_origin = Origin::default_value();
        let defaults = toml::Value::try_from(T::default())
            .map(|v| Node::from_toml(v, &default_origin))
            .unwrap_or_else(|_| Node::empty_map(default_origin.clone()));
        let mut tree = wrap(defaults, section, &default_origin);

        let mut overlays_found = 0;
        for source in &self.sources {
            let layers = match source {
                Source::File { path, required } => {
                    let mut list = vec![(path.clone(), Layer::File, *required)];
                    if let Some(profile) = &self.profile {
                        list.push((profile_path(path, profile), Layer::Profile, false));
                    }
                    list
                }
                Source::Text { .. } => Vec::new(),
            };
            if let Source::Text { name, text } = source {
                let name: Arc<str> = Arc::from(name.as_str());
                let format = Format::of(Path::new(&*name)).unwrap_or(Format::Toml);
                if let Some(node) = read_layer(
                    text,
                    format,
                    &name,
                    Layer::File,
                    section,
                    &lookup,
                    &mut problems,
                ) {
                    tree.merge(node);
                }
            }
            for (path, layer, required) in layers {
                let shown: Arc<str> = Arc::from(path.display().to_string());
                let Some(format) = Format::of(&path) else {
                    problems.push(Problem::new(
                        Origin::named(layer, shown),
                        "unsupported configuration file extension; use .toml, .json, .yaml or .yml",
                    ));
                    continue;
                };
                let text = match super::parse::read_file(&path) {
                    Ok(text) => text,
                    Err(crate::Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound && !required =>
                    {
                        continue;
                    }
                    Err(e) => {
                        problems.push(Problem::new(
                            Origin::named(layer, shown),
                            format!(
                                "cannot read the configuration file: {}",
                                super::problem::io_reason(&e)
                            ),
                        ));
                        continue;
                    }
                };
                if layer == Layer::Profile {
                    overlays_found += 1;
                }
                if let Some(node) = read_layer(
                    &text,
                    format,
                    &shown,
                    layer,
                    section,
                    &lookup,
                    &mut problems,
                ) {
                    tree.merge(node);
                }
            }
        }
        if let Some(profile) = &self.profile {
            let files: Vec<_> = self
                .sources
                .iter()
                .filter_map(|s| match s {
                    Source::File { path, .. } => {
                        Some(profile_path(path, profile).display().to_string())
                    }
                    Source::Text { .. } => None,
                })
                .collect();
            if overlays_found == 0 {
                let message = if files.is_empty() {
                    format!(
                        "profile '{profile}' was selected but there is no configuration file to overlay"
                    )
                } else {
                    format!(
                        "profile '{profile}' was selected but {} does not exist; create it or pick another profile",
                        files.join(" or ")
                    )
                };
                problems.push(Problem::new(
                    Origin::named(Layer::Override, "--profile"),
                    message,
                ));
            }
        }

        tree.merge(env_layer(&env, section));
        for (key, value, label) in &self.overrides {
            let origin = Origin::named(Layer::Override, label.as_str());
            let Some(value) = value else {
                problems.push(Problem::new(
                    origin,
                    format!("expected key=value, like `--set {key}=...`"),
                ));
                continue;
            };
            if key.is_empty() {
                problems.push(Problem::new(
                    origin,
                    "expected key=value with a key before `=`",
                ));
                continue;
            }
            let mut path: Vec<String> = key.split('.').map(str::to_owned).collect();
            if let Some(section) = section
                && path.first().map(String::as_str) != Some(section)
            {
                path.insert(0, section.to_owned());
            }
            let mut node = scalar(value, &origin);
            node.secret = path.last().is_some_and(|k| super::is_secret_key(k));
            tree.insert(&path, node, &origin);
        }
        resolve_secret_files(&mut tree, &mut problems);

        let before = problems.len();
        let value = deserialize::<T>(&mut tree.clone(), section, &mut problems);
        // An array item (a rule) with a bad key is not range-checked: its other complaints
        // would be consequences ("needs 'metric'" after "unknown key 'metirc'").
        let tainted: Vec<String> = problems[before..]
            .iter()
            .filter_map(|p| p.path.as_deref())
            .filter_map(|p| p.rsplit_once('.').map(|(parent, _)| parent.to_owned()))
            .filter(|parent| parent.ends_with(']'))
            .collect();
        if let Some(value) = &value {
            let mut checks = Problems::default();
            value.check(&mut checks);
            for (path, message) in checks.items {
                let mut full = section
                    .map(|s| vec![Seg::Key(s.to_owned())])
                    .unwrap_or_default();
                full.extend(parse_path(&path));
                let shown = path_string(&full);
                if tainted.iter().any(|t| shown.starts_with(&format!("{t}."))) {
                    continue;
                }
                let mut problem = Problem::new(tree.blame(&full, false), message);
                problem.path = Some(shown);
                problems.push(problem);
            }
        }
        match value {
            Some(value) if problems.is_empty() => Ok(Effective::new(value, tree, section)),
            _ => Err(ConfigError::new(problems)),
        }
    }
}

/// `configs/steadfast.toml` → `configs/steadfast.prod.toml`.
fn profile_path(path: &Path, profile: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{profile}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{profile}"),
    };
    path.with_file_name(name)
}

fn wrap(node: Node, section: Option<&str>, origin: &Origin) -> Node {
    match section {
        None => node,
        Some(name) => {
            let mut root = Node::empty_map(origin.clone());
            root.insert(&[name.to_owned()], node, origin);
            root
        }
    }
}

fn read_layer(
    text: &str,
    format: Format,
    source: &Arc<str>,
    layer: Layer,
    section: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> Option<Node> {
    let mut node = match parse(text, format, source, layer) {
        Ok(node) => node,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    substitute(&mut node, None, lookup, problems);
    let origin = node.origin.clone();
    Some(match section {
        Some(name) if node.entry(name).is_some() => {
            // A full steadfast.toml: keep only this section.
            if let Kind::Map(entries) = &mut node.kind {
                entries.retain(|e| e.key == name);
            }
            node
        }
        _ => wrap(node, section, &origin),
    })
}
