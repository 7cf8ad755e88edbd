//! Reading `disk-events.ndjson` back as typed [`DiskEvent`]s: a line that is not an event
//! is kept as a [`BadEventLine`] naming its file:line:column, and a last line torn by a
//! crash is reported, so nothing is dropped silently.

use std::path::{Path, PathBuf};

use steadfast_core::TornLine;

use crate::error::Error;
use crate::events::DiskEvent;

/// What [`read_events`] found in a `disk-events.ndjson`: see its example.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct DiskEventsRead {
    /// The events, in file order.
    pub events: Vec<DiskEvent>,
    /// Lines that are not disk events (malformed JSON, an unknown event kind, a missing
    /// field), skipped and listed here.
    pub bad_lines: Vec<BadEventLine>,
    /// The last line, when a crash cut it off mid-write.
    pub torn_tail: Option<TornLine>,
}

/// A line of `disk-events.ndjson` that is not a disk event (see [`read_events`]'s example).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}:{line}:{column}: not a disk event: {message}; the line is skipped (written by another version, or edited by hand?)",
    path.display()
)]
#[non_exhaustive]
pub struct BadEventLine {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column where reading failed.
    pub column: usize,
    /// What the parser said.
    pub message: String,
}

/// Reads the disk events at `path` (a run's
/// [`RunDir::disk_events_path`](steadfast_core::RunDir::disk_events_path)): typed events,
/// every bad line with its file:line:column, and a torn last line. A missing file has no
/// events.
///
/// ```
/// use steadfast_diskwatch::{DiskEvent, read_events};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join(steadfast_core::files::DISK_EVENTS);
/// steadfast_core::atomic_write(&path, concat!(
///     r#"{"event":"deleted","ts":"2026-01-01T00:00:07.000Z","run":"old","bytes":2048}"#, "\n",
///     r#"{"event":"exploded","ts":"2026-01-01T00:00:08.000Z"}"#, "\n",
/// ))?;
/// let read = read_events(&path)?;
/// assert!(matches!(read.events[0], DiskEvent::Deleted { bytes: 2048, .. }));
/// assert_eq!(read.bad_lines[0].line, 2);
/// assert!(read.bad_lines[0].to_string().contains("disk-events.ndjson:2:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Core`] when the file exists but cannot be read (not a regular file, an I/O
/// error).
pub fn read_events(path: impl AsRef<Path>) -> Result<DiskEventsRead, Error> {
    let path = path.as_ref();
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(DiskEventsRead::default());
    }
    let read = steadfast_core::read_ndjson_lenient::<DiskEvent>(path)?;
    Ok(DiskEventsRead {
        events: read.records,
        bad_lines: read
            .malformed
            .into_iter()
            .map(|b| BadEventLine {
                path: path.to_path_buf(),
                line: b.line,
                column: b.column.max(1),
                message: without_location(&b.message).to_owned(),
            })
            .collect(),
        torn_tail: read.torn_tail,
    })
}

/// serde_json's message without its ` at line L column C` (the line is the file's, and
/// [`BadEventLine`] says where).
fn without_location(message: &str) -> &str {
    match message.rsplit_once(" at line ") {
        Some((head, tail))
            if tail
                .split_once(" column ")
                .is_some_and(|(l, c)| is_number(l) && is_number(c)) =>
        {
            head
        }
        _ => message,
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_a_torn_tail_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk-events.ndjson");
        let event = DiskEvent::Deleted {
            ts: steadfast_core::Timestamp::from_unix_secs(1_767_225_600),
            run: "old-20250101T000000Z-abcdef".into(),
            bytes: 7,
            reason: Some(crate::events::DeleteReason::Pressure),
        };
        let line = serde_json::to_string(&event).unwrap();
        steadfast_core::atomic_write(&path, format!("{line}\nnot json\n{{\"event\":")).unwrap();
        let read = read_events(&path).unwrap();
        assert_eq!(read.events, vec![event]);
        assert_eq!(read.bad_lines.len(), 1);
        assert_eq!(read.bad_lines[0].line, 2);
        assert_eq!(read.bad_lines[0].message, "expected ident");
        assert_eq!(read.torn_tail.map(|t| t.line), Some(3));
        assert_eq!(
            read_events(dir.path().join("missing")).unwrap(),
            DiskEventsRead::default()
        );
    }
}
