//! [`RunView`]: everything a run's page shows, read from the run directory through each
//! crate's typed reader and core's file names.

use std::path::Path;

use steadfast_core::{BadLine, RunDir, RunManifest, TornLine, files};
use steadfast_diskwatch::DiskEventsRead;
use steadfast_metrics::RunMetrics;
use steadfast_perf_profiler::Snapshot;
use steadfast_validation::ValidationReport;
use steadfast_validation::data::DataReport;

use crate::error::Error;

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
    /// The latest validation's `report.json` (the record `run.json` names; a run
    /// validated before records: `validation/report.json`).
    pub validation: Option<ValidationReport>,
    /// Earlier validations of the run, oldest first (at most the last 50): each record's
    /// name, verdict and time; a record whose report cannot be read is listed without them.
    pub earlier_validations: Vec<EarlierValidation>,
    /// `validation/data-quality.json`.
    pub data_quality: Option<DataReport>,
    /// Dead letters in `deadletter.ndjson` (read by steadfast-retry's typed reader).
    pub dead_letters: u64,
    /// Dead letters a replay gave up on, in `deadletter.quarantine.ndjson`.
    pub dead_letters_quarantined: u64,
    /// Lines of `deadletter.ndjson` that are not dead letters, by line and column: shown on
    /// the page, never dropped. Their `message` is a fixed phrase, never the parser's (which
    /// can quote a value from the line).
    pub dead_letter_problems: Vec<BadLine>,
    /// The torn last line of `deadletter.ndjson`, if the writer stopped mid-line.
    pub dead_letter_torn: Option<TornLine>,
    /// `disk-events.ndjson`: the events, and the lines that could not be read.
    pub disk: DiskEventsRead,
    /// `db-profile.json` (steadfast-db's typed reader).
    pub db: Option<steadfast_db::DbProfile>,
}

/// One earlier validation of a run, as the page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierValidation {
    /// The record's directory relative to the run (`validation/<stamp>`).
    pub record: String,
    /// Its verdict and time, or `None` when its report cannot be read.
    pub outcome: Option<(steadfast_core::Status, steadfast_core::Timestamp)>,
}

/// Earlier validations listed on a page, at most.
const EARLIER_SHOWN: usize = 50;

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
            earlier_validations: Vec::new(),
            data_quality: None,
            dead_letters: 0,
            dead_letters_quarantined: 0,
            dead_letter_problems: Vec::new(),
            dead_letter_torn: None,
            disk: DiskEventsRead::default(),
            db: None,
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
        let present = |p: &Path| std::fs::symlink_metadata(p).is_ok();
        let latest = steadfast_validation::latest_record(&run, &manifest)?;
        let validation = latest
            .as_ref()
            .map(steadfast_validation::ValidationRecord::read_report)
            .transpose()?;
        let mut earlier: Vec<EarlierValidation> = steadfast_validation::records(&run)?
            .into_iter()
            .filter(|r| latest.as_ref().is_none_or(|l| l.name != r.name))
            .map(|r| EarlierValidation {
                outcome: r
                    .read_report()
                    .ok()
                    .map(|rep| (rep.status, rep.validated_at)),
                record: r.name,
            })
            .collect();
        earlier.drain(..earlier.len().saturating_sub(EARLIER_SHOWN));
        let quality = validation_dir.join(files::DATA_QUALITY);
        let data_quality = present(&quality)
            .then(|| DataReport::read(&quality))
            .transpose()?;
        let letters = steadfast_retry::read_dead_letters(run.dead_letter_path())?;
        let quarantined =
            steadfast_retry::read_dead_letters(run.join(files::DEAD_LETTER_QUARANTINE))?;
        let disk = steadfast_diskwatch::read_events(run.disk_events_path())?;
        let db = steadfast_db::DbProfile::read(run.path())?;
        Ok(Self {
            manifest,
            metrics,
            profile,
            validation,
            earlier_validations: earlier,
            data_quality,
            dead_letters: letters.records.len() as u64,
            dead_letters_quarantined: quarantined.records.len() as u64,
            dead_letter_problems: letters
                .malformed
                .into_iter()
                .map(|b| BadLine {
                    message: "not a dead letter".to_owned(),
                    ..b
                })
                .collect(),
            dead_letter_torn: letters.torn_tail,
            disk,
            db,
        })
    }
}
