//! `CleanupPolicy` (`[disk.cleanup]`) and `CleanupScope`: what cleanup may delete, and
//! whose runs.

use serde::{Deserialize, Serialize};
use steadfast_core::{ByteSize, HumanDuration};

/// Whose runs a pipeline's own cleanup (at run start) may delete.
///
/// ```
/// use steadfast_diskwatch::{CleanupPolicy, CleanupScope};
///
/// let policy = CleanupPolicy::default();
/// assert_eq!(policy.scope, CleanupScope::Pipeline);
/// assert_eq!(policy.for_run_of("epic").pipeline.as_deref(), Some("epic"));
/// let root_wide = CleanupPolicy { scope: CleanupScope::Root, ..CleanupPolicy::default() };
/// assert_eq!(root_wide.for_run_of("epic").pipeline, None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CleanupScope {
    /// Only runs of the pipeline that is starting (the default): pipelines sharing a runs
    /// root never delete each other's runs.
    #[default]
    Pipeline,
    /// Every pipeline's runs under the runs root (one pipeline owns the root's housekeeping).
    Root,
}

/// What cleanup may delete.
///
/// Only Steadfast runs are ever candidates: a directory named like a run whose `run.json`
/// parses and names that directory and pipeline. Anything else under the root is left
/// alone (and reported as [`SkipReason::NotARun`](crate::SkipReason::NotARun)).
///
/// ```
/// let policy: steadfast_diskwatch::CleanupPolicy = toml::from_str(r#"
///     keep_newest = 3
///     min_age = "1d"
///     scope = "pipeline"
/// "#)?;
/// assert_eq!(policy.keep_newest, 3);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CleanupPolicy {
    /// Runs kept whatever their age, newest first (counted per pipeline in scope).
    /// Default `5`.
    pub keep_newest: usize,
    /// Runs younger than this are never deleted. Default `1h`.
    pub min_age: HumanDuration,
    /// Delete only while available space is below this; unset deletes every eligible run.
    pub target_free: Option<ByteSize>,
    /// Once deleting, go on until `target_free + min_reclaim` is available. Default `0B`.
    pub min_reclaim: ByteSize,
    /// Report what would be deleted, delete nothing. Default `false`.
    pub dry_run: bool,
    /// Whose runs a run's start-up cleanup deletes: `pipeline` (its own, the default) or
    /// `root` (every pipeline's under the runs root).
    pub scope: CleanupScope,
    /// Only runs of this pipeline; `None`: every pipeline's. Not a configuration key: set
    /// by [`for_run_of`](Self::for_run_of) from `scope`, or by `disk clean --pipeline`.
    #[serde(skip)]
    pub pipeline: Option<String>,
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        Self {
            keep_newest: 5,
            min_age: HumanDuration::from_secs(3600),
            target_free: None,
            min_reclaim: ByteSize::new(0),
            dry_run: false,
            scope: CleanupScope::Pipeline,
            pipeline: None,
        }
    }
}

impl CleanupPolicy {
    /// This policy as a run of `pipeline` applies it at start: with scope `pipeline`, only
    /// that pipeline's runs; with scope `root`, every pipeline's.
    #[must_use]
    pub fn for_run_of(mut self, pipeline: &str) -> Self {
        self.pipeline = match self.scope {
            CleanupScope::Pipeline => Some(pipeline.to_owned()),
            CleanupScope::Root => None,
        };
        self
    }

    /// Whether runs of `pipeline` are in scope.
    pub(crate) fn covers(&self, pipeline: &str) -> bool {
        self.pipeline.as_deref().is_none_or(|p| p == pipeline)
    }
}
