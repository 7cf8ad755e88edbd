//! The file a download is writing (`.<name>.part`): what came so far, its running sha256
//! and — for NDJSON, when asked — its count of resources (non-blank lines), reset when the
//! server sends the whole file again.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek as _, SeekFrom, Write as _};
use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

/// The file being written: what came so far, its running hash and line count.
pub(crate) struct Part {
    path: PathBuf,
    out: BufWriter<File>,
    hasher: Sha256,
    pub(crate) written: u64,
    /// Counted only when asked (NDJSON of a bulk export): `None` costs nothing per byte.
    lines: Option<Lines>,
    /// The first answer's `ETag` (strong) or `Last-Modified`, sent as `If-Range`.
    pub(crate) validator: Option<String>,
    /// The first answer's announced size: a resumed answer's `Content-Range` total must
    /// match it (without a validator, the only sign the file did not change).
    pub(crate) total: Option<u64>,
}

/// Counts lines holding something: a line of only spaces, tabs and `\r` is blank and not
/// a resource (as `validate-data` reads NDJSON); the state carries over chunk borders.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Lines {
    /// Complete non-blank lines.
    full: u64,
    /// Whether the line begun so far has a non-blank byte.
    open: bool,
}

impl Lines {
    fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            match b {
                b'\n' => {
                    self.full += u64::from(self.open);
                    self.open = false;
                }
                b' ' | b'\t' | b'\r' | 0x0c => {}
                _ => self.open = true,
            }
        }
    }

    /// Non-blank lines, a last one without its newline included.
    fn count(self) -> u64 {
        self.full + u64::from(self.open)
    }
}

impl Part {
    /// A new empty file at `path`, counting lines when `count_lines`.
    pub(crate) fn create(path: PathBuf, count_lines: bool) -> std::io::Result<Self> {
        // A leftover of a killed run (or anything else at this name) is replaced, never
        // written through.
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Self {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            written: 0,
            lines: count_lines.then(Lines::default),
            validator: None,
            total: None,
        })
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.out.write_all(chunk)?;
        self.hasher.update(chunk);
        self.written += chunk.len() as u64;
        if let Some(lines) = &mut self.lines {
            lines.feed(chunk);
        }
        Ok(())
    }

    /// Back to an empty file (the server sent the whole file again).
    pub(crate) fn reset(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        let file = self.out.get_mut();
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        self.hasher = Sha256::new();
        self.written = 0;
        if let Some(lines) = &mut self.lines {
            *lines = Lines::default();
        }
        self.validator = None;
        self.total = None;
        Ok(())
    }

    /// Non-blank lines (resources); 0 when not counted.
    pub(crate) fn lines(&self) -> u64 {
        self.lines.map_or(0, Lines::count)
    }

    /// Where the file is.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Flushed and fsynced; its sha256.
    pub(crate) fn finish(self) -> std::io::Result<(PathBuf, String)> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok((self.path, hex(&self.hasher.finalize())))
    }
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_not_resources_across_chunks() {
        let count = |chunks: &[&[u8]]| {
            let mut l = Lines::default();
            chunks.iter().for_each(|c| l.feed(c));
            l.count()
        };
        assert_eq!(count(&[b"{}\n{}\n\n"]), 2);
        assert_eq!(count(&[b"{}\r\n \t\r\n{", b"}"]), 2);
        assert_eq!(count(&[b"{", b"}\n", b"  ", b"\n"]), 1);
        assert_eq!(count(&[b"", b"\n\n"]), 0);
    }
}
