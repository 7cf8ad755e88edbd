//! The last line of an audit trail, read backwards from the end in chunks: an append costs
//! the same on a trail of ten lines or ten million.

use std::fs::File;
use std::io::{self, Read as _, Seek as _, SeekFrom};

/// How much is read at a time, from the end backwards.
const CHUNK: u64 = 8 * 1024;

/// What the end of a non-empty file holds.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LastLine {
    /// A whole line: its bytes (without the newline) and where it starts.
    Complete {
        /// Offset of its first byte.
        start: u64,
        /// The line, without its newline.
        bytes: Vec<u8>,
    },
    /// A last line without a newline: a write cut off.
    Torn {
        /// Offset of its first byte: the length to cut the file back to.
        start: u64,
    },
    /// A last line longer than the limit (its bytes are not read).
    TooLong {
        /// Offset of its first byte, or where the search for it stopped.
        start: u64,
    },
}

/// The last line of `file`, `len` bytes long (`len > 0`), if at most `limit` bytes.
pub(super) fn last_line(file: &File, len: u64, limit: u64) -> io::Result<LastLine> {
    let mut last = [0u8; 1];
    read_at(file, len - 1, &mut last)?;
    if last[0] != b'\n' {
        // A fragment may be longer than the limit; find its start all the same (the
        // length to cut back to), reading without keeping.
        let start = line_start(file, len, u64::MAX)?.unwrap_or(0);
        return Ok(LastLine::Torn { start });
    }
    let end = len - 1;
    let Some(start) = line_start(file, end, limit)? else {
        return Ok(LastLine::TooLong {
            start: end.saturating_sub(limit),
        });
    };
    let size = usize::try_from(end - start).map_err(io::Error::other)?;
    let mut bytes = vec![0u8; size];
    read_at(file, start, &mut bytes)?;
    Ok(LastLine::Complete { start, bytes })
}

/// Where the line that ends at `end` (exclusive) starts: just after the last newline before
/// `end`, or 0. `None` when no newline is found within `limit` bytes before `end` and the
/// file does not start within them either.
fn line_start(file: &File, end: u64, limit: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; usize::try_from(CHUNK).map_err(io::Error::other)?];
    let mut pos = end;
    while pos > 0 {
        if end - pos > limit {
            return Ok(None);
        }
        let from = pos.saturating_sub(CHUNK);
        let n = usize::try_from(pos - from).map_err(io::Error::other)?;
        let chunk = &mut buf[..n];
        read_at(file, from, chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            let start = from + i as u64 + 1;
            return Ok((end - start <= limit).then_some(start));
        }
        pos = from;
    }
    Ok((end <= limit).then_some(0))
}

/// How many newlines the first `end` bytes of `file` hold: the 0-based line number of the
/// line starting at `end`.
pub(super) fn count_lines(file: &File, end: u64) -> io::Result<u64> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = end;
    let mut lines = 0u64;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).map_err(io::Error::other)?;
        let n = reader.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        left -= n as u64;
    }
    Ok(lines)
}

fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    reader.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn file_with(content: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.ndjson");
        File::create(&path).unwrap().write_all(content).unwrap();
        (dir, File::open(&path).unwrap())
    }

    fn last(content: &[u8], limit: u64) -> LastLine {
        let (_dir, file) = file_with(content);
        last_line(&file, content.len() as u64, limit).unwrap()
    }

    #[test]
    fn finds_the_last_line_across_chunks() {
        let long = "x".repeat(20_000);
        let content = format!("first\n{long}\n");
        assert_eq!(
            last(content.as_bytes(), 1 << 20),
            LastLine::Complete {
                start: 6,
                bytes: long.into_bytes()
            }
        );
        assert_eq!(
            last(b"only\n", 100),
            LastLine::Complete {
                start: 0,
                bytes: b"only".to_vec()
            }
        );
        assert_eq!(
            last(b"a\n\n", 100),
            LastLine::Complete {
                start: 2,
                bytes: Vec::new()
            }
        );
    }

    #[test]
    fn a_torn_tail_and_an_overlong_line_are_told_apart() {
        assert_eq!(last(b"a\nbc", 100), LastLine::Torn { start: 2 });
        assert_eq!(last(b"abc", 100), LastLine::Torn { start: 0 });
        let long = format!("a\n{}\n", "x".repeat(50_000));
        assert!(matches!(
            last(long.as_bytes(), 1000),
            LastLine::TooLong { .. }
        ));
        assert!(matches!(
            last(
                &[b'y'; 1001]
                    .iter()
                    .chain(b"\n")
                    .copied()
                    .collect::<Vec<_>>(),
                1000
            ),
            LastLine::TooLong { .. }
        ));
        assert!(matches!(
            last(
                &[b'y'; 1000]
                    .iter()
                    .chain(b"\n")
                    .copied()
                    .collect::<Vec<_>>(),
                1000
            ),
            LastLine::Complete { start: 0, .. }
        ));
    }

    #[test]
    fn counts_lines_before_an_offset() {
        let (_dir, file) = file_with(b"a\nb\nc\nd");
        assert_eq!(count_lines(&file, 0).unwrap(), 0);
        assert_eq!(count_lines(&file, 6).unwrap(), 3);
    }
}
