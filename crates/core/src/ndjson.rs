//! Append-only NDJSON files that survive crashes: a batched writer that repairs a torn tail
//! (the readers, which skip and report a torn last line, are in `ndjson_read.rs`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// Bytes buffered before the writer writes them out by itself.
const AUTO_FLUSH_BYTES: usize = 256 * 1024;

/// A last line that was cut off mid-write (no newline and not valid JSON), as after a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    /// 1-based line number of the torn line.
    pub line: usize,
    /// How many bytes it had.
    pub bytes: usize,
}

/// A line that is not valid JSON for the record type, kept when reading leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column where parsing failed.
    pub column: usize,
    /// What the parser said.
    pub message: String,
}

/// What a read found: the records, and whatever was skipped, so nothing is dropped silently.
#[derive(Debug, Clone, PartialEq)]
pub struct NdjsonRead<T> {
    /// The records, in file order.
    pub records: Vec<T>,
    /// The torn last line, if the file ended in one.
    pub torn_tail: Option<TornLine>,
    /// Malformed lines skipped (only in lenient mode; strict mode fails on the first).
    pub malformed: Vec<BadLine>,
}

/// An append-only NDJSON writer that batches records and writes them in large writes.
///
/// Opening an existing file whose last line was torn by a crash truncates that fragment
/// (it was never a whole record) and reports it through [`NdjsonWriter::repaired_tail`], so
/// new records never glue onto garbage.
///
/// ```
/// use steadfast_core::{NdjsonWriter, read_ndjson};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("metrics.ndjson");
/// let mut w = NdjsonWriter::open(&path)?;
/// w.append(&serde_json::json!({"name": "records", "value": 1200}))?;
/// w.sync()?; // on disk now
/// let read = read_ndjson::<serde_json::Value>(&path)?;
/// assert_eq!(read.records.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NdjsonWriter {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    repaired: Option<TornLine>,
}

impl NdjsonWriter {
    /// Opens `path` for appending, creating it if missing and repairing a torn tail.
    ///
    /// # Errors
    /// [`Error::NotRegularFile`] when `path` is a symbolic link, FIFO or device;
    /// [`Error::Io`] naming `path` when it cannot be opened, read or truncated.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        // Never through a link planted in the run directory, never into a FIFO.
        let mut file = crate::safe_fs::open_append(&path)?;
        let repaired =
            repair_tail(&mut file).map_err(|e| Error::io("repair the tail of", &path, e))?;
        Ok(Self {
            path,
            file,
            buf: Vec::with_capacity(64 * 1024),
            repaired,
        })
    }

    /// The torn line that [`NdjsonWriter::open`] cut off, if there was one.
    pub fn repaired_tail(&self) -> Option<&TornLine> {
        self.repaired.as_ref()
    }

    /// The file this writer appends to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Buffers one record as a line; writes the buffer out when it is large.
    ///
    /// # Errors
    /// [`Error::Serialize`] if `record` cannot be serialised; [`Error::Io`] if an automatic
    /// write fails (the buffered lines are kept for the next try).
    pub fn append<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<()> {
        let start = self.buf.len();
        if let Err(source) = serde_json::to_writer(&mut self.buf, record) {
            self.buf.truncate(start);
            return Err(Error::Serialize {
                what: "an NDJSON record",
                source,
            });
        }
        self.buf.push(b'\n');
        if self.buf.len() >= AUTO_FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Buffers a line that is already serialised JSON (without its newline).
    ///
    /// # Errors
    /// [`Error::Io`] if an automatic write fails.
    pub fn append_raw(&mut self, json_line: &str) -> Result<()> {
        self.buf.extend_from_slice(json_line.as_bytes());
        self.buf.push(b'\n');
        if self.buf.len() >= AUTO_FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes buffered lines to the file in one write (the OS may still cache them).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file; the buffer is kept so a later call can retry.
    pub fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.buf)
            .map_err(|e| Error::io("append to", &self.path, e))?;
        self.buf.clear();
        Ok(())
    }

    /// Writes buffered lines and waits until they are on disk.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        self.file
            .sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))
    }
}

impl Drop for NdjsonWriter {
    fn drop(&mut self) {
        // Best effort: an error here has nowhere to go; callers who care call `sync`.
        let _ = self.flush();
    }
}

/// Truncates a last line that has no newline; returns what was cut.
fn repair_tail(file: &mut File) -> std::io::Result<Option<TornLine>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    // Scan for the last newline and count lines on the way.
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(&mut *file);
    let mut keep = 0u64;
    let mut lines = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            keep += n as u64;
            lines += 1;
        }
    }
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(Some(TornLine {
        line: lines + 1,
        bytes: usize::try_from(len - keep).unwrap_or(usize::MAX),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndjson_read::{read_ndjson, read_ndjson_lenient};
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Rec {
        n: u32,
    }

    fn write_raw(path: &Path, bytes: &[u8]) {
        let mut f = File::create(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    #[test]
    fn crash_torn_tail_is_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ndjson");
        {
            let mut w = NdjsonWriter::open(&path).unwrap();
            for n in 0..100 {
                w.append(&Rec { n }).unwrap();
            }
            w.sync().unwrap();
        }
        // Simulate a crash in the middle of the next write.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"n\":10").unwrap();
        drop(f);

        let read = read_ndjson::<Rec>(&path).unwrap();
        assert_eq!(read.records.len(), 100);
        assert_eq!(read.records[99], Rec { n: 99 });
        assert_eq!(
            read.torn_tail,
            Some(TornLine {
                line: 101,
                bytes: 7
            })
        );
    }

    #[test]
    fn reopening_repairs_the_tail_so_new_records_stay_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ndjson");
        write_raw(&path, b"{\"n\":1}\n{\"n\":2}\n{\"n\"");
        let mut w = NdjsonWriter::open(&path).unwrap();
        assert_eq!(w.repaired_tail(), Some(&TornLine { line: 3, bytes: 4 }));
        w.append(&Rec { n: 3 }).unwrap();
        w.sync().unwrap();
        let read = read_ndjson::<Rec>(&path).unwrap();
        assert_eq!(read.records, vec![Rec { n: 1 }, Rec { n: 2 }, Rec { n: 3 }]);
        assert_eq!(read.torn_tail, None);
    }

    #[test]
    fn malformed_middle_line_fails_with_location() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ndjson");
        write_raw(&path, b"{\"n\":1}\n\n{\"n\":\"two\"}\n{\"n\":3}\n");
        let err = read_ndjson::<Rec>(&path).unwrap_err();
        let msg = err
            .to_string()
            .replace(dir.path().to_str().unwrap(), "<dir>");
        insta::assert_snapshot!(msg, @r#"<dir>/m.ndjson:3:10: invalid type: string "two", expected u32"#);
        let lenient = read_ndjson_lenient::<Rec>(&path).unwrap();
        assert_eq!(lenient.records, vec![Rec { n: 1 }, Rec { n: 3 }]);
        assert_eq!(lenient.malformed.len(), 1);
        assert_eq!(lenient.malformed[0].line, 3);
    }

    #[test]
    fn complete_last_line_without_newline_is_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ndjson");
        write_raw(&path, b"{\"n\":1}\n{\"n\":2}");
        let read = read_ndjson::<Rec>(&path).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.torn_tail, None);
    }

    #[test]
    fn unflushed_records_are_written_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ndjson");
        let mut w = NdjsonWriter::open(&path).unwrap();
        w.append_raw("{\"n\":7}").unwrap();
        drop(w);
        assert_eq!(
            read_ndjson::<Rec>(&path).unwrap().records,
            vec![Rec { n: 7 }]
        );
    }
}
