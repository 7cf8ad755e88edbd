//! What an audit line holds: the chain fields (`seq`, `prev`), who and when, and the
//! [`AuditEvent`]; and the reading of a line's chain fields and its hash, which appending
//! and verifying share.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::manifest::RunState;
use crate::status::Status;
use crate::time::Timestamp;

/// The `prev` of a trail's first line: 64 zeros, as no line came before it.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The longest line an audit trail holds, in bytes (without its newline). [`AuditLog::append`](super::AuditLog::append)
/// refuses a longer record; [`verify`](super::verify) reports a longer line as a break.
pub const MAX_LINE_BYTES: u64 = 1 << 20;

/// What happened: the part of an audit line after its chain fields, tagged by `event`.
///
/// ```
/// use steadfast_core::audit::AuditEvent;
///
/// let event = AuditEvent::Config { sha256: "ab12".into() };
/// assert_eq!(serde_json::to_string(&event)?, r#"{"event":"config","sha256":"ab12"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    /// A run started.
    Started {
        /// The pipeline's name.
        pipeline: String,
        /// The SHA-256 of the effective configuration, when there is one.
        config_sha256: Option<String>,
    },
    /// The run moved from one state to another.
    State {
        /// The state before.
        from: RunState,
        /// The state after.
        to: RunState,
    },
    /// A step finished.
    Step {
        /// The step's name.
        step: String,
        /// What kind of step it is, if the pipeline says.
        kind: Option<crate::StepKind>,
        /// Its verdict.
        status: Status,
    },
    /// The run was validated.
    Validated {
        /// The validation record's directory, relative to the run (`validation/<stamp>`).
        record: String,
        /// The verdict.
        status: Status,
    },
    /// Cleanup deleted a run (in a runs root's trail).
    Deleted {
        /// The run's directory name.
        run: String,
        /// Bytes freed.
        bytes: u64,
        /// Why it was deleted.
        reason: String,
    },
    /// Cleanup kept a run it could have deleted (in a runs root's trail), e.g. a held one.
    Kept {
        /// The run's directory name.
        run: String,
        /// Why it was kept.
        reason: String,
    },
    /// The configuration in effect, by digest.
    Config {
        /// The SHA-256 of the effective configuration.
        sha256: String,
    },
}

/// One line of an audit trail: the chain fields, who and when, and the event.
///
/// ```
/// use steadfast_core::audit::{AuditEvent, AuditRecord, GENESIS_PREV};
///
/// let line = format!(
///     r#"{{"seq":0,"at":"2026-01-01T00:00:00.000Z","user":"etl","host":"worker-1","prev":"{GENESIS_PREV}","event":"config","sha256":"ab12"}}"#
/// );
/// let record: AuditRecord = serde_json::from_str(&line)?;
/// assert_eq!(record.event, AuditEvent::Config { sha256: "ab12".into() });
/// assert_eq!(serde_json::to_string(&record)?, line);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 0-based position in the trail: line `seq + 1`.
    pub seq: u64,
    /// When the line was appended.
    pub at: Timestamp,
    /// Who appended it: `$USER`, else `$LOGNAME`, else `uid:<n>`.
    pub user: String,
    /// Where: the host name, else `$HOSTNAME`, else `unknown`.
    pub host: String,
    /// The lowercase hex SHA-256 of the previous line's bytes (without its newline);
    /// [`GENESIS_PREV`] on the first line.
    pub prev: String,
    /// What happened.
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// The chain fields of a line, all that appending and verifying need of it (so a trail
/// written by a newer version, with events this one does not know, still verifies).
#[derive(Debug)]
pub(super) struct Link {
    pub(super) seq: u64,
    pub(super) prev: String,
}

/// Why a line is not a [`Link`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NotALink {
    /// Not JSON; the 1-based column where parsing failed.
    NotJson { column: u64 },
    /// JSON, but this field is missing or of the wrong type.
    Field(&'static str),
}

impl Link {
    pub(super) fn parse(line: &[u8]) -> Result<Self, NotALink> {
        let value: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| NotALink::NotJson {
                column: e.column().max(1) as u64,
            })?;
        let seq = value
            .get("seq")
            .and_then(serde_json::Value::as_u64)
            .ok_or(NotALink::Field("seq"))?;
        let prev = value
            .get("prev")
            .and_then(serde_json::Value::as_str)
            .ok_or(NotALink::Field("prev"))?;
        Ok(Self {
            seq,
            prev: prev.to_owned(),
        })
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(super) fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
