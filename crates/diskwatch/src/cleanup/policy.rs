//! `CleanupPolicy` (`[disk.cleanup]`) and `CleanupScope`: what cleanup may delete, whose
//! runs, and when.

use serde::{Deserialize, Serialize};
use steadfast_core::{ByteSize, HumanDuration};

use crate::watermark::Watermarks;

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

/// What cleanup may delete, and when: retention that keeps evidence.
///
/// Only Steadfast runs are ever candidates: a directory named like a run whose `run.json`
/// parses and names that directory and pipeline. Anything else under the root is left
/// alone (and reported as [`SkipReason::NotARun`](crate::SkipReason::NotARun)).
///
/// Runs are deleted, oldest first, only for one of three reasons
/// ([`DeleteReason`](crate::DeleteReason)):
/// - **pressure**: available space is below `target_free`, or the disk is past the `high`
///   watermark (given by [`with_watermarks`](Self::with_watermarks)); runs go until
///   available space is back at `target_free` (or below the `low` watermark, past its
///   hysteresis) plus `min_reclaim`. At most one such cleanup deletes per `cooldown`;
/// - **`max_total`**: the runs of one pipeline hold more than this in all;
/// - **`max_age`**: the run is older than this.
///
/// The caps apply only when set, pressure or not. `keep_newest`, `min_age`, a `.hold`
/// marker ([`files::HOLD`](steadfast_core::files::HOLD)) and an active run's lock always
/// win. With the defaults, nothing is deleted while the disk has room.
///
/// ```
/// let policy: steadfast_diskwatch::CleanupPolicy = toml::from_str(r#"
///     keep_newest = 3
///     min_age = "1d"
///     max_age = "90d"
///     max_total = "200GiB"
///     scope = "pipeline"
/// "#)?;
/// assert_eq!(policy.keep_newest, 3);
/// assert_eq!(policy.cooldown.get().as_secs(), 300);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CleanupPolicy {
    /// Runs kept whatever else holds, newest first (counted over the runs in scope): a
    /// floor. Default `5`.
    pub keep_newest: usize,
    /// Runs younger than this are never deleted: a floor. Default `1h`.
    pub min_age: HumanDuration,
    /// Disk pressure: delete while available space is below this (plus `min_reclaim`).
    /// Unset by default: only the `high` watermark means pressure.
    pub target_free: Option<ByteSize>,
    /// Under pressure, go on until the goal plus this much is available. Default `0B`.
    pub min_reclaim: ByteSize,
    /// Cap: when one pipeline's runs hold more than this in all, its oldest go (beyond the
    /// floors) until they fit, disk pressure or not. Unset by default (no cap), like
    /// journald's `SystemMaxUse`.
    pub max_total: Option<ByteSize>,
    /// Cap: runs older than this go (beyond the floors), disk pressure or not. Unset by
    /// default (no cap), like journald's `MaxRetentionSec`.
    pub max_age: Option<HumanDuration>,
    /// After a cleanup deleted under pressure, the next pressure deletion waits this long
    /// (shared by every process through a file in the runs root); `0s` never waits. The
    /// caps do not wait. Default `5m`.
    pub cooldown: HumanDuration,
    /// Report what would be deleted, delete nothing (the cooldown neither applies nor is
    /// started). Default `false`.
    pub dry_run: bool,
    /// Whose runs a run's start-up cleanup deletes: `pipeline` (its own, the default) or
    /// `root` (every pipeline's under the runs root).
    pub scope: CleanupScope,
    /// Only runs of this pipeline; `None`: every pipeline's. Not a configuration key: set
    /// by [`for_run_of`](Self::for_run_of) from `scope`, or by `disk clean --pipeline`.
    #[serde(skip)]
    pub pipeline: Option<String>,
    /// The watermarks whose `high` means disk pressure and whose `low` is the goal. Not a
    /// configuration key (they are `[disk.watermarks]`): set by
    /// [`with_watermarks`](Self::with_watermarks); `None`: only `target_free` means pressure.
    #[serde(skip)]
    pub watermarks: Option<Watermarks>,
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        Self {
            keep_newest: 5,
            min_age: HumanDuration::from_secs(3600),
            target_free: None,
            min_reclaim: ByteSize::new(0),
            max_total: None,
            max_age: None,
            cooldown: HumanDuration::from_secs(300),
            dry_run: false,
            scope: CleanupScope::Pipeline,
            pipeline: None,
            watermarks: None,
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

    /// This policy with `watermarks` deciding disk pressure: past `high` is pressure, and
    /// cleanup then goes on until the disk is below `low` (past its hysteresis, so a monitor
    /// sees the level recover).
    ///
    /// ```
    /// use steadfast_diskwatch::{CleanupPolicy, DiskConfig};
    ///
    /// let disk = DiskConfig::default();
    /// let policy = disk.cleanup.clone().for_run_of("epic").with_watermarks(&disk.watermarks);
    /// assert!(policy.watermarks.is_some());
    /// assert_eq!(policy, disk.cleanup_for("epic"));
    /// ```
    #[must_use]
    pub fn with_watermarks(mut self, watermarks: &Watermarks) -> Self {
        self.watermarks = Some(watermarks.fresh());
        self
    }

    /// Whether runs of `pipeline` are in scope.
    pub(crate) fn covers(&self, pipeline: &str) -> bool {
        self.pipeline.as_deref().is_none_or(|p| p == pipeline)
    }
}
