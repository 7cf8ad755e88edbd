//! [`verify_sealed`]: the chain, and where `run.json` says the trail ends — the one edit a
//! chain alone cannot see is one to (or the removal of) its last lines.

use std::path::Path;

use crate::error::Result;
use crate::manifest::AuditSeal;

use super::verify::{BreakReason, ChainBreak, VerifyReport, verify};

impl AuditSeal {
    /// The seal of a verified trail, `None` when it is broken or empty.
    pub fn of(report: &VerifyReport) -> Option<Self> {
        match (&report.broken, &report.last_hash) {
            (None, Some(hash)) => Some(Self {
                lines: report.lines,
                last_hash: hash.clone(),
            }),
            _ => None,
        }
    }
}

/// Checks the trail at `path` as [`verify`] does, then, when the chain is intact, that it
/// still ends where `seal` (a run's `run.json`) says: as many lines, the same last hash.
///
/// ```
/// use steadfast_core::AuditSeal;
/// use steadfast_core::audit::{AuditEvent, AuditLog, BreakReason, verify, verify_sealed};
///
/// let dir = tempfile::tempdir()?;
/// let log = AuditLog::in_root(dir.path())?;
/// for sha256 in ["a", "b"] {
///     log.append(&AuditEvent::Config { sha256: sha256.into() })?;
/// }
/// let seal = AuditSeal::of(&verify(log.path())?).expect("two lines");
/// // Edit the last line and fix nothing else: the chain cannot tell, the seal can.
/// let text = std::fs::read_to_string(log.path())?.replacen(r#""sha256":"b""#, r#""sha256":"x""#, 1);
/// steadfast_core::atomic_write(log.path(), text)?;
/// assert!(verify(log.path())?.broken.is_none());
/// let broken = verify_sealed(log.path(), Some(&seal))?.broken.expect("sealed");
/// assert_eq!(broken.line, 2);
/// assert!(matches!(broken.reason, BreakReason::SealMismatch { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`verify`].
pub fn verify_sealed(path: impl AsRef<Path>, seal: Option<&AuditSeal>) -> Result<VerifyReport> {
    let mut report = verify(path)?;
    if let (None, Some(seal)) = (&report.broken, seal)
        && (report.lines != seal.lines || report.last_hash.as_deref() != Some(&seal.last_hash))
    {
        let line = seal.lines.min(report.lines).max(1);
        report.broken = Some(ChainBreak {
            line,
            detected_at: line,
            edited: report.lines == seal.lines,
            reason: BreakReason::SealMismatch {
                sealed_lines: seal.lines,
                found_lines: report.lines,
            },
        });
    }
    Ok(report)
}
