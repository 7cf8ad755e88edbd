//! [`Artefacts`]: where a finished run's files are, for its `RunReport`.

use std::path::PathBuf;

use steadfast_core::RunDir;

/// Where a finished run's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Artefacts {
    /// `run.json`.
    pub manifest: PathBuf,
    /// `metrics.ndjson`.
    pub metrics: PathBuf,
    /// `profile.json`.
    pub profile: PathBuf,
    /// `deadletter.ndjson`.
    pub dead_letters: PathBuf,
    /// `disk-events.ndjson`.
    pub disk_events: PathBuf,
    /// `audit.ndjson`.
    pub audit: PathBuf,
    /// `report.html`, when written (feature `report`).
    pub page: Option<PathBuf>,
}

impl Artefacts {
    pub(crate) fn of(dir: &RunDir, page: Option<PathBuf>) -> Self {
        Self {
            manifest: dir.manifest_path(),
            metrics: dir.metrics_path(),
            profile: dir.profile_path(),
            dead_letters: dir.dead_letter_path(),
            disk_events: dir.disk_events_path(),
            audit: dir.join(steadfast_core::files::AUDIT),
            page,
        }
    }
}
