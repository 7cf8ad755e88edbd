//! `verify`: walk an audit trail line by line, check each line's `seq` and `prev` against
//! the line before, and name the first line where the chain breaks — the edited line itself
//! when the chain can tell it.

use std::fmt;
use std::io::BufReader;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::record::{GENESIS_PREV, Link, MAX_LINE_BYTES, NotALink, hex};
use crate::error::{Error, Result};
use crate::safe_fs::{Links, open_regular};

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Lines in the file, a torn last line included.
    pub lines: u64,
    /// The first break of the chain, if any.
    pub broken: Option<ChainBreak>,
    /// The SHA-256 of the last complete line (what the next line will chain onto); `None`
    /// for an empty file. Removing the last line cannot be seen from the chain alone: keep
    /// [`lines`](Self::lines) and this hash elsewhere (a run's `run.json`) and compare.
    pub last_hash: Option<String>,
}

/// Where and why an audit trail's chain breaks.
///
/// `line` is the line to look at: the edited line when the chain tells it (`edited`), else
/// the first line whose check fails (`detected_at`). An edit of line N shows at line N + 1,
/// whose `prev` no longer matches line N's hash. Line N + 2 tells which of the two changed:
/// if its `prev` still matches line N + 1, line N was edited; if not, line N + 1 (its own
/// `prev`). When line N + 1 is the last line nothing tells, and the break names line N + 1
/// and, in words, line N. A removed line shows as a `seq` gap at the line after it; a
/// removed last line does not show at all (see [`VerifyReport::last_hash`]).
///
/// ```
/// use steadfast_core::audit::{BreakReason, ChainBreak};
///
/// let b = ChainBreak { line: 4, detected_at: 4, edited: false, reason: BreakReason::TornTail };
/// assert!(b.to_string().starts_with("line 4: the last line is incomplete"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// 1-based line to look at: the edited line when `edited`, else `detected_at`.
    pub line: u64,
    /// 1-based line whose check failed.
    pub detected_at: u64,
    /// Whether `line` is known to be the line whose bytes changed.
    pub edited: bool,
    /// What failed.
    #[serde(flatten)]
    pub reason: BreakReason,
}

/// Why a line breaks the chain.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BreakReason {
    /// The line is not JSON.
    NotJson {
        /// 1-based column where parsing failed.
        column: u64,
    },
    /// The line is JSON, but this chain field is missing or of the wrong type.
    NotAuditRecord {
        /// `seq` or `prev`.
        field: &'static str,
    },
    /// The line's `prev` is not the SHA-256 of the line before it (at `detected_at`).
    HashMismatch {
        /// The SHA-256 of the line before, as it is now ([`GENESIS_PREV`] on line 1).
        expected: String,
        /// The `prev` the line records.
        found: String,
    },
    /// The line's `seq` is not its position (at `detected_at`).
    SeqGap {
        /// `detected_at - 1`.
        expected: u64,
        /// The `seq` the line records.
        found: u64,
    },
    /// The last line has no newline: a write was cut off by a crash.
    TornTail,
    /// The line is longer than [`MAX_LINE_BYTES`].
    TooLong {
        /// The limit in bytes.
        limit: u64,
    },
    /// The chain is intact, but the trail no longer ends where `run.json` sealed it (its
    /// [`AuditSeal`](crate::AuditSeal)): its last lines were edited, removed or added.
    SealMismatch {
        /// Lines the seal counts.
        sealed_lines: u64,
        /// Lines in the file now.
        found_lines: u64,
    },
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, at) = (self.line, self.detected_at);
        match &self.reason {
            BreakReason::NotJson { column } => write!(
                f,
                "line {line}: not JSON (column {column}): the line was edited or damaged"
            ),
            BreakReason::NotAuditRecord { field } => write!(
                f,
                "line {line}: not an audit record ({field:?} missing or of the wrong type): the line was edited"
            ),
            BreakReason::HashMismatch { expected, found } => {
                let (e, x) = (short(expected), short(found));
                if self.edited && line < at {
                    write!(
                        f,
                        "line {line}: edited: its hash is now {e}…, line {at} records {x}… as \
                         the previous-line hash"
                    )
                } else if self.edited {
                    write!(
                        f,
                        "line {line}: edited: its previous-line hash {x}… is not the hash of \
                         line {} ({e}…)",
                        line.saturating_sub(1)
                    )
                } else {
                    // The last line (or one before an unreadable line): nothing after it
                    // tells which of the two changed.
                    write!(
                        f,
                        "line {line}: previous-line hash does not match (expected {e}…, found \
                         {x}…): line {} was edited, or this line's prev field",
                        line.saturating_sub(1)
                    )
                }
            }
            BreakReason::SeqGap { expected, found } => {
                write!(
                    f,
                    "line {line}: seq {found} where {expected} was expected: "
                )?;
                if self.edited {
                    f.write_str("the line was edited")
                } else if found > expected {
                    f.write_str("a line before it was removed")
                } else {
                    f.write_str("a line before it was inserted or repeated")
                }
            }
            BreakReason::TornTail => write!(
                f,
                "line {line}: the last line is incomplete (no newline): a write was cut off by a crash"
            ),
            BreakReason::TooLong { limit } => write!(
                f,
                "line {line}: longer than {limit} bytes, not a line an audit trail writes: it was edited"
            ),
            BreakReason::SealMismatch {
                sealed_lines,
                found_lines,
            } => {
                if found_lines < sealed_lines {
                    write!(
                        f,
                        "line {line}: run.json sealed {sealed_lines} lines, the trail has {found_lines}: its last lines were removed"
                    )
                } else if found_lines > sealed_lines {
                    write!(
                        f,
                        "line {line}: run.json sealed {sealed_lines} lines, the trail has {found_lines}: lines were added after the seal"
                    )
                } else {
                    write!(
                        f,
                        "line {line}: the last line is not the one run.json sealed: it was edited"
                    )
                }
            }
        }
    }
}

/// Checks the hash chain of the audit trail at `path` (a symbolic link there is refused),
/// reading it once, line by line; the whole file is read even after a break, so `lines` and
/// `last_hash` describe all of it.
///
/// ```
/// use steadfast_core::audit::{AuditEvent, AuditLog, BreakReason, verify};
///
/// let dir = tempfile::tempdir()?;
/// let log = AuditLog::in_root(dir.path())?;
/// for sha256 in ["a", "b", "c", "d"] {
///     log.append(&AuditEvent::Config { sha256: sha256.into() })?;
/// }
/// // Edit one byte of line 2.
/// let text = std::fs::read_to_string(log.path())?.replacen(r#""sha256":"b""#, r#""sha256":"x""#, 1);
/// steadfast_core::atomic_write(log.path(), text)?;
///
/// let broken = verify(log.path())?.broken.expect("the chain is broken");
/// assert_eq!((broken.line, broken.detected_at, broken.edited), (2, 3, true));
/// assert!(matches!(broken.reason, BreakReason::HashMismatch { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Only when the file cannot be read: [`Error::Io`] (missing, unreadable),
/// [`Error::NotRegularFile`]. A broken chain is a [`VerifyReport::broken`], not an error.
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport> {
    let path = path.as_ref();
    let file = open_regular(path, Links::Refuse)?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut walk = Walk::default();
    let mut line = Line::default();
    loop {
        line.clear();
        if !read_line(&mut reader, &mut line).map_err(|e| Error::io("read", path, e))? {
            break;
        }
        walk.line(&line);
    }
    Ok(walk.finish())
}

/// One line as read: its hash, whether it ended in a newline, its bytes up to the limit.
#[derive(Default)]
struct Line {
    bytes: Vec<u8>,
    len: u64,
    newline: bool,
    hash: String,
}

impl Line {
    fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
        self.newline = false;
    }
}

/// Reads one line into `line`, hashing all of it but keeping at most [`MAX_LINE_BYTES`] + 1
/// bytes; `false` at the end of the file.
fn read_line(reader: &mut impl std::io::BufRead, line: &mut Line) -> std::io::Result<bool> {
    let mut hasher = Sha256::new();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let (part, newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        hasher.update(part);
        let room = usize::try_from(MAX_LINE_BYTES + 1).unwrap_or(usize::MAX) - line.bytes.len();
        line.bytes
            .extend_from_slice(part.get(..room.min(part.len())).unwrap_or(part));
        line.len += part.len() as u64;
        let used = part.len() + usize::from(newline);
        reader.consume(used);
        if newline {
            line.newline = true;
            break;
        }
    }
    line.hash = hex(&hasher.finalize());
    Ok(line.len > 0 || line.newline)
}

/// The walk's state between lines.
#[derive(Default)]
struct Walk {
    /// Lines seen.
    lines: u64,
    /// The hash of the last complete line.
    last_hash: Option<String>,
    broken: Option<ChainBreak>,
    /// A hash mismatch waiting for the next line's link to tell which line was edited.
    pending: Option<ChainBreak>,
}

impl Walk {
    fn line(&mut self, line: &Line) {
        self.lines += 1;
        let number = self.lines;
        let link = if !line.newline {
            Err(BreakReason::TornTail)
        } else if line.len > MAX_LINE_BYTES {
            Err(BreakReason::TooLong {
                limit: MAX_LINE_BYTES,
            })
        } else {
            Link::parse(&line.bytes).map_err(|e| match e {
                NotALink::NotJson { column } => BreakReason::NotJson { column },
                NotALink::Field(field) => BreakReason::NotAuditRecord { field },
            })
        };
        if let Some(mut pending) = self.pending.take() {
            // Line `number - 1`'s prev did not match the line before it. If this line's
            // prev matches line `number - 1` as it is now, line `number - 1` is intact and
            // the line before it was edited; if not, line `number - 1` itself changed (its
            // own prev). Unreadable: cannot tell.
            if let Ok(link) = &link {
                pending.edited = true;
                if Some(&link.prev) != self.last_hash.as_ref() {
                    pending.line = number - 1;
                } else {
                    pending.line = number - 2;
                }
            }
            self.broken = Some(pending);
        }
        if self.broken.is_none() {
            self.check(number, link);
        }
        if line.newline {
            self.last_hash = Some(line.hash.clone());
        }
    }

    fn check(&mut self, number: u64, link: Result<Link, BreakReason>) {
        let prev_hash = self.last_hash.as_deref().unwrap_or(GENESIS_PREV);
        let at = |line, edited, reason| ChainBreak {
            line,
            detected_at: number,
            edited,
            reason,
        };
        let link = match link {
            Ok(link) => link,
            Err(reason) => {
                let edited = !matches!(reason, BreakReason::TornTail);
                self.broken = Some(at(number, edited, reason));
                return;
            }
        };
        let linked = link.prev == prev_hash;
        if link.seq != number - 1 {
            // With the link intact the line's own seq changed; with it broken, lines went
            // missing (or came in) before it.
            let reason = BreakReason::SeqGap {
                expected: number - 1,
                found: link.seq,
            };
            self.broken = Some(at(number, linked, reason));
        } else if !linked {
            let reason = BreakReason::HashMismatch {
                expected: prev_hash.to_owned(),
                found: link.prev,
            };
            if number == 1 {
                // No line before it: its own prev was edited.
                self.broken = Some(at(1, true, reason));
            } else {
                self.pending = Some(at(number, false, reason));
            }
        }
    }

    fn finish(mut self) -> VerifyReport {
        if let Some(pending) = self.pending.take() {
            self.broken = Some(pending);
        }
        VerifyReport {
            lines: self.lines,
            broken: self.broken,
            last_hash: self.last_hash,
        }
    }
}
