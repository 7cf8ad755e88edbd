//! Where a configuration value came from: its [`Layer`] and [`Origin`] (file, line and
//! column, environment variable, or flag).

use std::fmt;
use std::sync::Arc;

/// A configuration layer, lowest precedence first.
///
/// ```
/// use steadfast_core::config::Layer;
/// assert!(Layer::Environment > Layer::File);
/// assert!(Layer::Override > Layer::Environment);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// The built-in default of the config struct.
    Default,
    /// The configuration file.
    File,
    /// The profile overlay (`steadfast.prod.toml` over `steadfast.toml`).
    Profile,
    /// An environment variable `STEADFAST_<SECTION>__<KEY>`.
    Environment,
    /// An explicit override: `--set key=value` or a dedicated command-line flag.
    Override,
}

impl Layer {
    /// The layer's name as written in reports: `default`, `file`, `profile`, `env`,
    /// `override`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::File => "file",
            Self::Profile => "profile",
            Self::Environment => "env",
            Self::Override => "override",
        }
    }
}

/// Where a configuration value came from.
///
/// Displays as a person would look for it: `configs/thresholds.toml:3:24`, `environment
/// variable STEADFAST_VALIDATION__ROW_COUNT_THRESHOLD`, `--set row_count_threshold=0.9`, or
/// `built-in default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The layer.
    pub layer: Layer,
    /// The file path, the environment variable's name, or the flag as given.
    pub source: Arc<str>,
    /// 1-based line in a file; 0 when not from a file.
    pub line: u32,
    /// 1-based column in a file; 0 when not from a file.
    pub column: u32,
}

impl Origin {
    /// The origin of a built-in default.
    pub fn default_value() -> Self {
        Self {
            layer: Layer::Default,
            source: Arc::from(""),
            line: 0,
            column: 0,
        }
    }

    pub(crate) fn at(layer: Layer, source: &Arc<str>, line: usize, column: usize) -> Self {
        Self {
            layer,
            source: Arc::clone(source),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn named(layer: Layer, source: impl Into<Arc<str>>) -> Self {
        Self {
            layer,
            source: source.into(),
            line: 0,
            column: 0,
        }
    }

    /// Whether the origin points into a file (has a line and column).
    pub fn is_file(&self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.layer {
            Layer::Default => f.write_str("built-in default"),
            Layer::File | Layer::Profile if self.line > 0 => {
                write!(f, "{}:{}:{}", self.source, self.line, self.column)
            }
            Layer::File | Layer::Profile => f.write_str(&self.source),
            Layer::Environment => write!(f, "environment variable {}", self.source),
            Layer::Override => f.write_str(&self.source),
        }
    }
}
