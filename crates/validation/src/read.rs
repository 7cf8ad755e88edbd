//! Typed readers of the reports this crate writes into a run — `validation/report.json`
//! ([`ValidationReport::read`]) and `validation/data-quality.json` ([`DataReport::read`]) —
//! for whoever reads them back (the run page, a re-validation): a regular file only, bounded,
//! and a file that is not what this crate wrote is an error at file:line:column.

use std::path::Path;

use serde::de::DeserializeOwned;
use steadfast_core::Links;

use crate::data::DataReport;
use crate::{Error, ValidationReport};

/// The largest report read back; a run's reports are far smaller.
const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, Error> {
    let bytes = steadfast_core::read_regular(path, Links::Follow, MAX_REPORT_BYTES)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Report {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        what,
        message: e.to_string(),
    })
}

impl ValidationReport {
    /// Reads a `validation/report.json` this crate wrote.
    ///
    /// ```
    /// use steadfast_core::Timestamp;
    /// use steadfast_validation::ValidationReport;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("report.json");
    /// let report = ValidationReport::new("r1", "epic-fhir", Timestamp::now(), Vec::new());
    /// steadfast_core::atomic_write(&path, serde_json::to_vec(&report)?)?;
    /// assert_eq!(ValidationReport::read(&path)?, report);
    /// steadfast_core::atomic_write(&path, "{\"run_id\": 7}")?;
    /// assert!(ValidationReport::read(&path).unwrap_err().to_string().contains("report.json:1:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Run`] when the file cannot be read (missing, not a regular file, too big),
    /// [`Error::Report`] when it is not a validation report.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        read_json(path.as_ref(), "validation report")
    }
}

impl DataReport {
    /// Reads a `validation/data-quality.json` this crate wrote.
    ///
    /// # Errors
    /// [`Error::Run`] when the file cannot be read (missing, not a regular file, too big),
    /// [`Error::Report`] when it is not a data-quality report.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        read_json(path.as_ref(), "data-quality report")
    }
}
