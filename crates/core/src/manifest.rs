//! `RunManifest`: the `run.json` of a run — who, when, where, how it ended, and its steps.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic::atomic_write;
use crate::error::{Error, Result};
use crate::status::Status;
use crate::time::Timestamp;

/// The manifest format this build writes and reads.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Started and not finished (or crashed: check the `.active` lock).
    Running,
    /// Finished through the normal path; [`RunManifest::status`] holds the verdict.
    Finished,
    /// Ended without finishing (dropped, interrupted, failed before validation).
    Aborted,
}

/// One step of a run (`bronze`, `silver`, `gold`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step's name.
    pub name: String,
    /// When it started.
    pub started: Timestamp,
    /// When it ended, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
    /// Records the step read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_in: Option<u64>,
    /// Records the step wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_out: Option<u64>,
    /// The step's own verdict, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

impl StepRecord {
    /// A step that started at `started`.
    pub fn new(name: impl Into<String>, started: Timestamp) -> Self {
        Self {
            name: name.into(),
            started,
            finished: None,
            records_in: None,
            records_out: None,
            status: None,
        }
    }

    /// How long the step took, once finished.
    pub fn duration(&self) -> Option<std::time::Duration> {
        self.finished.map(|f| f.since(self.started))
    }
}

/// The manifest of a run, stored as `run.json` in the run directory.
///
/// ```
/// use steadfast_core::{RunManifest, RunState, Timestamp};
///
/// let m = RunManifest::new("epic-fhir-20250929T100000Z-a1b2c3", "epic-fhir", Timestamp::now());
/// assert_eq!(m.state, RunState::Running);
/// let json = serde_json::to_string(&m).unwrap();
/// assert!(json.contains("\"format_version\":1"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunManifest {
    /// Always [`MANIFEST_FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// The run id: the run directory's name.
    pub id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// Running, finished or aborted.
    pub state: RunState,
    /// The verdict, once the run was validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// When the run started.
    pub started: Timestamp,
    /// When the run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
    /// The host it ran on.
    pub host: String,
    /// The version of Steadfast that wrote this manifest.
    pub steadfast_version: String,
    /// A digest of the effective configuration, so two runs can be told to differ in config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// The run's steps, in the order they started.
    #[serde(default)]
    pub steps: Vec<StepRecord>,
}

impl RunManifest {
    /// A running manifest for run `id` of `pipeline`, on this host.
    pub fn new(id: impl Into<String>, pipeline: impl Into<String>, started: Timestamp) -> Self {
        Self {
            format_version: MANIFEST_FORMAT_VERSION,
            id: id.into(),
            pipeline: pipeline.into(),
            state: RunState::Running,
            status: None,
            started,
            finished: None,
            host: hostname(),
            steadfast_version: env!("CARGO_PKG_VERSION").to_owned(),
            config_digest: None,
            steps: Vec::new(),
        }
    }

    /// Reads a manifest, checking its format version first.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable, [`Error::NotRegularFile`] for a FIFO or device,
    /// [`Error::FileTooLarge`] past 64 MiB, [`Error::UnsupportedManifestVersion`] for another format
    /// version, [`Error::Json`] with line and column for malformed JSON or fields.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        // A regular file only (a FIFO would block the reader forever), and bounded.
        let bytes = crate::safe_fs::read_regular(path, crate::Links::Follow, 64 << 20)?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::json(path, &e))?;
        let version = value.get("format_version");
        if version.and_then(serde_json::Value::as_u64) != Some(u64::from(MANIFEST_FORMAT_VERSION)) {
            return Err(Error::UnsupportedManifestVersion {
                path: path.to_path_buf(),
                found: version.map_or_else(|| "missing".to_owned(), ToString::to_string),
                expected: MANIFEST_FORMAT_VERSION,
            });
        }
        // Parse from the bytes again so field errors keep their line and column.
        serde_json::from_slice(&bytes).map_err(|e| Error::json(path, &e))
    }

    /// Writes the manifest atomically (pretty JSON).
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|source| Error::Serialize {
            what: "the run manifest",
            source,
        })?;
        json.push(b'\n');
        atomic_write(path, json)
    }

    /// The step named `name`, the latest one if it ran more than once.
    pub fn step(&self, name: &str) -> Option<&StepRecord> {
        self.steps.iter().rev().find(|s| s.name == name)
    }
}

/// This machine's host name, or `unknown`.
pub(crate) fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RunManifest {
        let mut m = RunManifest::new(
            "epic-20250929T100000Z-a1b2c3",
            "epic",
            Timestamp::from_unix_secs(1_759_140_000),
        );
        m.host = "worker-1".into();
        m.steadfast_version = "0.1.0".into();
        let mut step = StepRecord::new("bronze", Timestamp::from_unix_secs(1_759_140_001));
        step.finished = Some(Timestamp::from_unix_secs(1_759_140_031));
        step.records_out = Some(1200);
        m.steps.push(step);
        m
    }

    #[test]
    fn round_trip_and_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let m = sample();
        m.write(&path).unwrap();
        assert_eq!(RunManifest::read(&path).unwrap(), m);
        insta::assert_snapshot!(std::fs::read_to_string(&path).unwrap());
        assert_eq!(
            m.step("bronze").unwrap().duration(),
            Some(std::time::Duration::from_secs(30))
        );
    }

    #[test]
    fn unknown_version_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        crate::atomic_write(&path, r#"{"format_version": 7, "id": "x"}"#).unwrap();
        let err = RunManifest::read(&path).unwrap_err().to_string();
        let err = err.replace(dir.path().to_str().unwrap(), "<dir>");
        assert_eq!(
            err,
            "<dir>/run.json: unsupported manifest format_version 7, expected 1; upgrade steadfast to read this run"
        );
        crate::atomic_write(&path, r#"{"id": "x"}"#).unwrap();
        let err = RunManifest::read(&path).unwrap_err().to_string();
        assert!(err.contains("format_version missing"), "{err}");
    }

    #[test]
    fn bad_field_points_at_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let mut json = serde_json::to_string_pretty(&sample()).unwrap();
        json = json.replace("\"state\": \"running\"", "\"state\": \"sleeping\"");
        crate::atomic_write(&path, json).unwrap();
        let err = RunManifest::read(&path).unwrap_err().to_string();
        let err = err.replace(dir.path().to_str().unwrap(), "<dir>");
        insta::assert_snapshot!(err, @"<dir>/run.json:5:21: unknown variant `sleeping`, expected one of `running`, `finished`, `aborted`");
    }
}
