//! [`RunView`]: everything a run's page shows, read from the run directory through each
//! crate's typed reader and core's file names.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use steadfast_core::{Links, RunDir, RunManifest, files};
use steadfast_diskwatch::DiskEventsRead;
use steadfast_metrics::RunMetrics;
use steadfast_perf_profiler::Snapshot;
use steadfast_validation::ValidationReport;
use steadfast_validation::data::DataReport;

use crate::error::Error;

/// The most of one JSON file the page reads (a bigger one is refused, not loaded).
const MAX_JSON_BYTES: u64 = 256 << 20;

/// Everything a run's page shows, read from its directory ([`load`](Self::load)) or put
/// together by hand ([`new`](Self::new), then the fields).
///
/// ```
/// use steadfast_core::{RunManifest, Timestamp};
///
/// let mut view = steadfast_report::RunView::new(RunManifest::new("nightly-20260101T000000Z-abc123", "nightly", Timestamp::now()));
/// view.dead_letters = 3;
/// assert!(steadfast_report::render(&view).contains("Dead letters"));
/// ```
#[derive(Debug, Clone)]
pub struct RunView {
    /// `run.json`.
    pub manifest: RunManifest,
    /// `metrics.ndjson` (absent when the run recorded nothing).
    pub metrics: Option<RunMetrics>,
    /// `profile.json`.
    pub profile: Option<Snapshot>,
    /// `validation/report.json`.
    pub validation: Option<ValidationReport>,
    /// `validation/data-quality.json`.
    pub data_quality: Option<DataReport>,
    /// Lines in `deadletter.ndjson`.
    pub dead_letters: u64,
    /// `disk-events.ndjson`: the events, and the lines that could not be read.
    pub disk: DiskEventsRead,
}

impl RunView {
    /// A view of `manifest` alone: no metrics, profile, validation, dead letters or disk
    /// events — a page for a run that wrote nothing else, or the start of a test's view.
    ///
    /// ```
    /// use steadfast_core::{RunManifest, Timestamp};
    ///
    /// let view = steadfast_report::RunView::new(RunManifest::new("nightly-20260101T000000Z-abc123", "nightly", Timestamp::now()));
    /// assert!(view.metrics.is_none() && view.disk.events.is_empty());
    /// ```
    pub fn new(manifest: RunManifest) -> Self {
        Self {
            manifest,
            metrics: None,
            profile: None,
            validation: None,
            data_quality: None,
            dead_letters: 0,
            disk: DiskEventsRead::default(),
        }
    }

    /// Reads the run at `dir`. Missing optional files are `None`/empty; a broken one is an
    /// error naming it; a bad line of `disk-events.ndjson` is kept in
    /// [`disk`](Self::disk)`.bad_lines` for the page to show.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let run = steadfast_core::RunDir::create(root.path(), "nightly")?;
    /// steadfast_core::RunManifest::new(run.id(), "nightly", steadfast_core::Timestamp::now())
    ///     .write(run.manifest_path())?;
    /// let view = steadfast_report::RunView::load(run.path())?;
    /// assert_eq!(view.manifest.pipeline, "nightly");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error`]: the directory is not a run, or one of its files cannot be read or parsed.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let run = RunDir::open(dir.as_ref())?;
        let manifest = run.read_manifest()?;
        let metrics = if run.metrics_path().exists() {
            Some(steadfast_metrics::read_run(&run)?)
        } else {
            None
        };
        let profile = if run.profile_path().exists() {
            Some(Snapshot::read(run.profile_path())?)
        } else {
            None
        };
        let validation_dir = run.validation_dir();
        let validation = json(
            &validation_dir.join(files::VALIDATION_REPORT),
            "validation report",
        )?;
        let data_quality = json(
            &validation_dir.join(files::DATA_QUALITY),
            "data-quality report",
        )?;
        let dead_letters = text(&run.dead_letter_path())?.map_or(0, |t| {
            t.lines().filter(|l| !l.trim().is_empty()).count() as u64
        });
        let disk = steadfast_diskwatch::read_events(run.disk_events_path())?;
        Ok(Self {
            manifest,
            metrics,
            profile,
            validation,
            data_quality,
            dead_letters,
            disk,
        })
    }
}

/// A file's text, when it exists: a regular file only (a FIFO would hang the page), at most
/// [`MAX_JSON_BYTES`].
fn text(path: &Path) -> Result<Option<String>, Error> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let bytes = steadfast_core::read_regular(path, Links::Follow, MAX_JSON_BYTES)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A JSON file of type `T`, when it exists.
fn json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<Option<T>, Error> {
    let Some(text) = text(path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::Parse {
            path: PathBuf::from(path),
            line: e.line(),
            column: e.column(),
            what,
            message: e.to_string(),
        })
}
