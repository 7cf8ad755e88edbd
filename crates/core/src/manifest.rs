//! `RunManifest`: the `run.json` of a run — who, when, where, how it ended, and its steps.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic::atomic_write;
use crate::error::{Error, Result};
use crate::status::Status;
use crate::step::StepRecord;
use crate::time::Timestamp;

/// The manifest format this build writes.
///
/// Version 2 added step kinds ([`StepRecord::kind`], [`StepRecord::ratio_from`]) and the
/// validation index ([`RunManifest::validation`]); version 1 manifests (written before,
/// with one flat `validation/` directory) still read.
pub const MANIFEST_FORMAT_VERSION: u32 = 2;

/// The oldest manifest format this build reads.
pub const MANIFEST_OLDEST_READABLE: u32 = 1;

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

/// Where a run's validations are: each validation is a record of its own under
/// `validation/` (never an overwrite), and `run.json` names the latest.
///
/// ```
/// use steadfast_core::{Status, ValidationIndex};
///
/// let index = ValidationIndex { latest: "validation/20261202T081500Z".into(), status: Status::Pass, count: 2 };
/// assert!(index.latest_dir(std::path::Path::new("/runs/epic-1")).is_some());
/// let hostile = ValidationIndex { latest: "../../etc".into(), ..index };
/// assert!(hostile.latest_dir(std::path::Path::new("/runs/epic-1")).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationIndex {
    /// The latest validation's directory, relative to the run (`validation/<stamp>`).
    pub latest: String,
    /// The latest validation's verdict.
    pub status: Status,
    /// How many validations the run has had.
    pub count: u32,
}

impl ValidationIndex {
    /// The latest validation's directory under `run`, or `None` when `latest` is not a
    /// plain `validation/<name>` path (a manifest never points outside its run).
    pub fn latest_dir(&self, run: &Path) -> Option<std::path::PathBuf> {
        let (dir, name) = self.latest.split_once('/')?;
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        (dir == crate::files::VALIDATION_DIR && plain).then(|| run.join(dir).join(name))
    }
}

/// Where a run's audit trail ended when `run.json` was last written by the run (its finish,
/// each recorded validation): a chain shows any edit but one to its last lines, which this
/// seal shows (`steadfast audit verify RUN_DIR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSeal {
    /// Lines in `audit.ndjson`.
    pub lines: u64,
    /// The SHA-256 of its last line.
    pub last_hash: String,
}

/// The manifest of a run, stored as `run.json` in the run directory.
///
/// ```
/// use steadfast_core::{RunManifest, RunState, Timestamp};
///
/// let m = RunManifest::new("epic-fhir-20250929T100000Z-a1b2c3", "epic-fhir", Timestamp::now());
/// assert_eq!(m.state, RunState::Running);
/// let json = serde_json::to_string(&m).unwrap();
/// assert!(json.contains("\"format_version\":2"));
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
    /// The run's validations: the latest one's directory and verdict, and their count
    /// (manifest v2; `None` before the first validation, or in a v1 run whose one
    /// validation is the flat `validation/` directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationIndex>,
    /// Where the run's audit trail ended when the run last wrote this manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditSeal>,
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
            validation: None,
            audit: None,
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
        let readable = u64::from(MANIFEST_OLDEST_READABLE)..=u64::from(MANIFEST_FORMAT_VERSION);
        if !version
            .and_then(serde_json::Value::as_u64)
            .is_some_and(|v| readable.contains(&v))
        {
            return Err(Error::UnsupportedManifestVersion {
                path: path.to_path_buf(),
                found: version.map_or_else(|| "missing".to_owned(), ToString::to_string),
                oldest: MANIFEST_OLDEST_READABLE,
                expected: MANIFEST_FORMAT_VERSION,
            });
        }
        // Parse from the bytes again so field errors keep their line and column.
        serde_json::from_slice(&bytes).map_err(|e| Error::json(path, &e))
    }

    /// Writes the manifest atomically (pretty JSON), in this build's format
    /// ([`MANIFEST_FORMAT_VERSION`], whatever version it was read as).
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let current;
        let this = if self.format_version == MANIFEST_FORMAT_VERSION {
            self
        } else {
            current = Self {
                format_version: MANIFEST_FORMAT_VERSION,
                ..self.clone()
            };
            &current
        };
        let mut json = serde_json::to_vec_pretty(this).map_err(|source| Error::Serialize {
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
        step.kind = Some(crate::StepKind::Extract);
        step.finished = Some(Timestamp::from_unix_secs(1_759_140_031));
        step.records_out = Some(1200);
        m.steps.push(step);
        m.validation = Some(ValidationIndex {
            latest: "validation/20250929T100100Z".into(),
            status: Status::Pass,
            count: 1,
        });
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
    fn version_1_reads_and_is_written_as_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let v1 = r#"{"format_version": 1, "id": "epic-20250929T100000Z-a1b2c3", "pipeline": "epic",
            "state": "finished", "status": "pass", "started": "2025-09-29T10:00:00Z",
            "host": "worker-1", "steadfast_version": "0.1.0",
            "steps": [{"name": "bronze", "started": "2025-09-29T10:00:01Z", "records_out": 1200}]}"#;
        crate::atomic_write(&path, v1).unwrap();
        let m = RunManifest::read(&path).unwrap();
        assert_eq!(m.format_version, 1);
        assert_eq!(m.steps[0].kind, None);
        assert_eq!(m.validation, None);
        m.write(&path).unwrap();
        assert_eq!(
            RunManifest::read(&path).unwrap().format_version,
            MANIFEST_FORMAT_VERSION
        );
    }

    #[test]
    fn validation_index_stays_inside_the_run() {
        let run = Path::new("/runs/epic-1");
        let index = |latest: &str| ValidationIndex {
            latest: latest.to_owned(),
            status: Status::Pass,
            count: 1,
        };
        assert_eq!(
            index("validation/20261202T081500Z").latest_dir(run),
            Some(run.join("validation").join("20261202T081500Z"))
        );
        for hostile in [
            "validation/..",
            "validation/.",
            "/etc/passwd",
            "validation/a/b",
            "data/x",
            "validation/",
            "validation",
        ] {
            assert_eq!(index(hostile).latest_dir(run), None, "{hostile}");
        }
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
            "<dir>/run.json: unsupported manifest format_version 7, expected 1 to 2; upgrade steadfast to read this run"
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
