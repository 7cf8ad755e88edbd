//! Validation records: every validation of a run is a directory of its own under
//! `validation/` (`validation/<stamp>/` with `report.json`, `report.md`, `junit.xml` and
//! `thresholds.effective.toml`), never an overwrite, and `run.json` names the latest
//! ([`ValidationIndex`]). Runs written before records (manifest v1) have one flat
//! `validation/` directory; it reads as their first record.

use std::path::{Path, PathBuf};

use steadfast_core::config::Effective;
use steadfast_core::{
    RunDir, RunManifest, Status, Timestamp, ValidationIndex, atomic_write, files,
};

use crate::{Error, Format, Thresholds, ValidationReport, render};

/// One validation of a run, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRecord {
    /// Its directory relative to the run: `validation/<stamp>`, or `validation` for the
    /// flat directory of a run validated before records.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
}

impl ValidationRecord {
    /// `report.json` of this validation.
    pub fn report_path(&self) -> PathBuf {
        self.dir.join(files::VALIDATION_REPORT)
    }

    /// `thresholds.effective.toml` of this validation (absent when none were given).
    pub fn thresholds_path(&self) -> PathBuf {
        self.dir.join(files::THRESHOLDS_EFFECTIVE)
    }

    /// Reads this validation's report.
    ///
    /// # Errors
    /// As [`ValidationReport::read`].
    pub fn read_report(&self) -> Result<ValidationReport, Error> {
        ValidationReport::read(self.report_path())
    }
}

/// Files written by [`write_reports`]: one new validation record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPaths {
    /// The record's directory relative to the run (`validation/<stamp>`), as
    /// [`ValidationIndex::latest`] names it.
    pub record: String,
    /// `validation/<stamp>/report.json`.
    pub json: PathBuf,
    /// `validation/<stamp>/report.md`.
    pub markdown: PathBuf,
    /// `validation/<stamp>/junit.xml`.
    pub junit: PathBuf,
    /// `validation/<stamp>/thresholds.effective.toml`, when thresholds were given.
    pub thresholds: Option<PathBuf>,
}

impl ReportPaths {
    /// The run's validation index once this record is the latest: its name and `status`,
    /// and the count of the run's records (this one included).
    ///
    /// # Errors
    /// As [`records`].
    pub fn index(&self, run: &RunDir, status: Status) -> Result<ValidationIndex, Error> {
        let count = records(run)?.len().max(1);
        Ok(ValidationIndex {
            latest: self.record.clone(),
            status,
            count: u32::try_from(count).unwrap_or(u32::MAX),
        })
    }
}

fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Whether `path` is a directory itself, not a link to one: records are read and written
/// only inside the run, never through a link planted in it.
fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// `validation/` as records need it: absent, or a real directory (a link is refused).
fn checked_validation_dir(run: &RunDir) -> Result<Option<PathBuf>, Error> {
    let dir = run.validation_dir();
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Ok(m) if m.is_dir() => Ok(Some(dir)),
        _ => Err(Error::Input {
            path: dir,
            message: "is a link or not a directory: a run's validation records are read and written only in a real validation/ directory inside the run; remove or replace it".to_owned(),
        }),
    }
}

/// The sort key of a record name: its time stamp, then its `-<n>` suffix as a number.
fn order_key(name: &str) -> (String, u32) {
    match name.rsplit_once('-') {
        Some((stamp, n)) if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
            (stamp.to_owned(), n.parse().unwrap_or(u32::MAX))
        }
        _ => (name.to_owned(), 0),
    }
}

/// Every validation record of `run`, oldest first: the flat `validation/` of a run
/// validated before records (when its `report.json` is there), then each
/// `validation/<stamp>/` holding a `report.json`. Links and other entries are ignored.
///
/// ```
/// # use steadfast_core::{RunDir, RunManifest, Timestamp};
/// let root = tempfile::tempdir()?;
/// let run = RunDir::create(root.path(), "epic")?;
/// assert!(steadfast_validation::records(&run)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Run`] when `validation/` exists but cannot be listed; [`Error::Input`] when it
/// is a link or not a directory.
pub fn records(run: &RunDir) -> Result<Vec<ValidationRecord>, Error> {
    let Some(dir) = checked_validation_dir(run)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if is_file(&dir.join(files::VALIDATION_REPORT)) {
        out.push(ValidationRecord {
            name: files::VALIDATION_DIR.to_owned(),
            dir: dir.clone(),
        });
    }
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(steadfast_core::Error::io("list directory", &dir, e).into()),
    };
    let mut stamped = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| steadfast_core::Error::io("list directory", &dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let index = ValidationIndex {
            latest: format!("{}/{name}", files::VALIDATION_DIR),
            status: Status::Pass,
            count: 0,
        };
        if let (true, Some(path)) = (is_dir, index.latest_dir(run.path()))
            && is_file(&path.join(files::VALIDATION_REPORT))
        {
            stamped.push(ValidationRecord {
                name: index.latest,
                dir: path,
            });
        }
    }
    stamped.sort_by_key(|r| order_key(&r.name));
    out.extend(stamped);
    Ok(out)
}

/// The run's latest validation: the one `run.json` names when it is there, else the
/// newest record on disk; `None` for a run never validated.
///
/// # Errors
/// As [`records`].
pub fn latest_record(
    run: &RunDir,
    manifest: &RunManifest,
) -> Result<Option<ValidationRecord>, Error> {
    if let Some(index) = &manifest.validation
        && let Some(dir) = index.latest_dir(run.path())
        && checked_validation_dir(run)?.is_some()
        && is_real_dir(&dir)
        && is_file(&dir.join(files::VALIDATION_REPORT))
    {
        return Ok(Some(ValidationRecord {
            name: index.latest.clone(),
            dir,
        }));
    }
    Ok(records(run)?.pop())
}

/// Creates the directory of a new record, `validation/<stamp>` (`-2`, `-3`, … when a
/// record of that second exists): never one that is there already.
fn create_record(run: &RunDir, now: Timestamp) -> Result<(String, PathBuf), Error> {
    let parent = run.validation_dir();
    if checked_validation_dir(run)?.is_none() {
        match std::fs::create_dir(&parent) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(steadfast_core::Error::io("create directory", &parent, e).into()),
        }
    }
    // Made just now or by another process meanwhile: still a real directory, not a link.
    checked_validation_dir(run)?;
    let stamp = now.compact();
    for n in 1..=1000_u32 {
        let name = if n == 1 {
            stamp.clone()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                // The new record's name is durable before run.json names it.
                steadfast_core::sync_dir(&parent)?;
                return Ok((format!("{}/{name}", files::VALIDATION_DIR), dir));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(steadfast_core::Error::io("create directory", &dir, e).into()),
        }
    }
    Err(steadfast_core::Error::io(
        "create directory",
        parent.join(stamp),
        std::io::Error::other("1000 validation records in one second; remove some"),
    )
    .into())
}

/// Writes the report as JSON, Markdown and JUnit XML, and the effective thresholds (with
/// their origins, secrets redacted) when given, into a new record `validation/<stamp>/`:
/// earlier validations stay as they were. Each file is written atomically. Record the
/// returned [`ReportPaths::index`] in the run's manifest to make it the latest.
///
/// ```
/// use steadfast_core::{RunDir, Timestamp};
/// use steadfast_validation::{ValidationReport, records, write_reports};
///
/// let root = tempfile::tempdir()?;
/// let run = RunDir::create(root.path(), "epic")?;
/// let report = ValidationReport::new(run.id(), "epic", Timestamp::now(), Vec::new());
/// let first = write_reports(&run, &report, None)?;
/// let second = write_reports(&run, &report, None)?;
/// assert_ne!(first.record, second.record);
/// assert_eq!(records(&run)?.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Run`] naming the file or directory that could not be written.
pub fn write_reports(
    run: &RunDir,
    report: &ValidationReport,
    thresholds: Option<&Effective<Thresholds>>,
) -> Result<ReportPaths, Error> {
    let (record, dir) = create_record(run, Timestamp::now())?;
    let paths = ReportPaths {
        record,
        json: dir.join(files::VALIDATION_REPORT),
        markdown: dir.join("report.md"),
        junit: dir.join("junit.xml"),
        thresholds: thresholds.map(|_| dir.join(files::THRESHOLDS_EFFECTIVE)),
    };
    if let (Some(effective), Some(path)) = (thresholds, &paths.thresholds) {
        effective.write(path)?;
    }
    atomic_write(&paths.markdown, render(report, Format::Markdown, false))?;
    atomic_write(&paths.junit, render(report, Format::Junit, false))?;
    // report.json last: a record is one once its report is there.
    atomic_write(&paths.json, render(report, Format::Json, false))?;
    Ok(paths)
}
