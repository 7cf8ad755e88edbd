//! `[run]`: where a pipeline's runs go and how much room a run needs to start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use steadfast_core::ByteSize;
use steadfast_core::config::keys::{Documented, KeySpec, ValueType};
use steadfast_core::config::{Config, Problems};

/// `[run]`: the runs root and the free space a run needs before it starts. A
/// [`RunBuilder`](crate::RunBuilder)'s `runs_root`/`min_free` calls win over these.
///
/// ```
/// let cfg: steadfast_run::RunConfig = toml::from_str(r#"
///     runs_root = "/data/runs"
///     min_free = "10GiB"
/// "#)?;
/// assert_eq!(cfg.runs_root, std::path::Path::new("/data/runs"));
/// assert_eq!(cfg.min_free.map(|s| s.bytes()), Some(10 << 30));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RunConfig {
    /// Where run directories go. Default `runs`.
    pub runs_root: PathBuf,
    /// A run refuses to start (before any work) with less free space than this on the
    /// runs root; unset: no preflight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_free: Option<ByteSize>,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            runs_root: PathBuf::from("runs"),
            min_free: None,
        }
    }
}

impl Config for RunConfig {
    fn check(&self, problems: &mut Problems) {
        if self.runs_root.as_os_str().is_empty() {
            problems.error(
                "runs_root",
                "runs_root is empty: name the directory runs go in, like \"runs\" or \"/data/runs\"",
            );
        }
    }
}

impl Documented for RunConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("runs_root", ValueType::Path),
        KeySpec::new("min_free", ValueType::Size),
    ];
}
