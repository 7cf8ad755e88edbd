//! The export's state file in the output directory (`.steadfast-export.json`): the job's
//! status URL and every file already complete with its sha256, written atomically after
//! each change, so a run killed at any point (kill -9 included) is resumed by the next run
//! with the same directory. File URLs are kept only as a digest of the URL without its
//! query: a pre-signed URL is a credential, and is signed anew on each manifest fetch. A
//! finished export's state is marked complete before the job is deleted.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use steadfast_core::{Links, open_regular};
use steadfast_http::reqwest::Url;

use crate::error::FhirError;

/// The state file's name in an export's output directory.
pub const STATE_FILE: &str = ".steadfast-export.json";

/// The state file's format version.
const FORMAT_VERSION: u32 = 1;

/// The most read of a state file.
const STATE_LIMIT: u64 = 16 << 20;

/// What a later run needs to resume an export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ExportState {
    pub(crate) format_version: u32,
    /// The sha256 of the kick-off URL: a rerun resumes only the same request (the URL
    /// itself is not kept: a `_typeFilter` may name a patient).
    pub(crate) request_sha256: String,
    /// The job's status URL.
    pub(crate) status_url: String,
    /// Files complete and verified, by local name.
    pub(crate) files: BTreeMap<String, DoneFile>,
    /// Every file is in and the local manifest written: only the job's `DELETE` may be
    /// left; a rerun finishes that and starts nothing.
    #[serde(default)]
    pub(crate) complete: bool,
    /// When the status URL may be polled next (ms since the Unix epoch, wall clock): a
    /// resumed run waits until then, as the server's last `Retry-After` asked.
    #[serde(default)]
    pub(crate) next_poll_at_ms: Option<u64>,
}

/// One file complete and in place.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct DoneFile {
    /// The sha256 of the server's URL of the file without its query (not the URL: it may
    /// be pre-signed, and is signed anew on each manifest fetch).
    pub(crate) url_sha256: String,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    pub(crate) lines: u64,
}

impl ExportState {
    pub(crate) fn new(request: &str, status_url: String) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            request_sha256: url_digest(request),
            status_url,
            files: BTreeMap::new(),
            complete: false,
            next_poll_at_ms: None,
        }
    }

    /// The state in `dir`, if there is a readable one of this version; a damaged or
    /// foreign file is treated as none (the export starts over and replaces it).
    pub(crate) fn read(dir: &Path) -> Option<Self> {
        let mut text = String::new();
        open_regular(dir.join(STATE_FILE), Links::Refuse)
            .ok()?
            .take(STATE_LIMIT)
            .read_to_string(&mut text)
            .ok()?;
        let state: Self = serde_json::from_str(&text).ok()?;
        (state.format_version == FORMAT_VERSION).then_some(state)
    }

    /// Writes the state into `dir` atomically.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), FhirError> {
        let path = dir.join(STATE_FILE);
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        steadfast_core::atomic_write(&path, text).map_err(|e| FhirError::Io {
            action: "write",
            path,
            source: std::io::Error::other(e),
        })
    }

    /// Records when the status may be polled next (`wait` from now), written at once.
    pub(crate) fn poll_later(&mut self, dir: &Path, wait: Duration) -> Result<(), FhirError> {
        let at = SystemTime::now()
            .checked_add(wait)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.next_poll_at_ms = at;
        self.write(dir)
    }

    /// How long until the status may be polled, in whole seconds rounded up (zero when
    /// the time is past or unknown).
    pub(crate) fn poll_wait(&self) -> Duration {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let ms = self.next_poll_at_ms.unwrap_or(0).saturating_sub(now);
        Duration::from_secs(ms.div_ceil(1000))
    }

    /// Removes the state file of a finished export.
    pub(crate) fn remove(dir: &Path) -> Result<(), FhirError> {
        let path = dir.join(STATE_FILE);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(FhirError::Io {
                action: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

pub(crate) use crate::download::hex;

/// The digest a state file keeps of a URL.
pub(crate) fn url_digest(url: &str) -> String {
    hex(&Sha256::digest(url.as_bytes()))
}

/// The digest a state file keeps of a file's URL: without its query and fragment, so a
/// pre-signed URL signed anew on each manifest fetch still names the same file.
pub(crate) fn file_url_digest(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    url_digest(bare.as_str())
}

/// The sha256 of the file at `path`, or `None` when it cannot be read.
pub(crate) fn file_sha256(path: &Path) -> Option<String> {
    let mut file = open_regular(path, Links::Refuse).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(hex(&hasher.finalize())),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_and_a_damaged_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = ExportState::new("$export", "http://x/status/1".into());
        state.files.insert(
            "Patient.ndjson".into(),
            DoneFile {
                url_sha256: url_digest("http://x/f?sig=secret"),
                sha256: "ab".into(),
                bytes: 3,
                lines: 1,
            },
        );
        state.write(dir.path()).unwrap();
        assert_eq!(ExportState::read(dir.path()), Some(state));
        let text = std::fs::read_to_string(dir.path().join(STATE_FILE)).unwrap();
        assert!(!text.contains("secret"), "{text}");
        steadfast_core::atomic_write(dir.path().join(STATE_FILE), "{\"format_version\":1").unwrap();
        assert_eq!(ExportState::read(dir.path()), None);
        ExportState::remove(dir.path()).unwrap();
        ExportState::remove(dir.path()).unwrap();
    }

    #[test]
    fn a_file_url_is_known_again_when_signed_anew() {
        let a = Url::parse("https://store.example/f/1?sig=a&exp=1").unwrap();
        let b = Url::parse("https://store.example/f/1?sig=b&exp=2").unwrap();
        let c = Url::parse("https://store.example/f/2?sig=a&exp=1").unwrap();
        assert_eq!(file_url_digest(&a), file_url_digest(&b));
        assert_ne!(file_url_digest(&a), file_url_digest(&c));
    }

    #[test]
    fn the_next_poll_time_reads_back_as_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = ExportState::new("$export", "http://x/status/1".into());
        assert_eq!(state.poll_wait(), Duration::ZERO);
        state
            .poll_later(dir.path(), Duration::from_secs(30))
            .unwrap();
        let back = ExportState::read(dir.path()).unwrap();
        assert_eq!(back.poll_wait(), Duration::from_secs(30));
        state.poll_later(dir.path(), Duration::MAX).unwrap();
        assert!(ExportState::read(dir.path()).is_some());
    }
}
