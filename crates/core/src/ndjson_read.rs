//! Reading NDJSON: [`NdjsonReader`] streams records one at a time (memory stays flat
//! whatever the file's size); [`read_ndjson`] and [`read_ndjson_lenient`] collect them. A
//! torn last line (a crash mid-write) is skipped and reported, never silently dropped.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::ndjson::{BadLine, NdjsonRead, TornLine};

/// One line's outcome.
enum Line<T> {
    Record(T),
    Bad(BadLine, serde_json::Error),
}

/// The records of an NDJSON file, one at a time: an iterator of `Result<T>` — a
/// malformed line is an [`Error::Json`] at its `file:line:column` (iteration may go on
/// past it), a torn last line ends the iteration and is kept in
/// [`torn_tail`](Self::torn_tail). Blank lines are skipped.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("Patient.ndjson");
/// std::fs::write(&path, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":")?; // a crash mid-line
/// let mut reader = steadfast_core::NdjsonReader::<serde_json::Value>::open(&path)?;
/// let ids: Vec<String> = reader.by_ref().map(|r| r.map(|v| v["id"].to_string())).collect::<Result<_, _>>()?;
/// assert_eq!(ids.len(), 2);
/// assert_eq!(reader.torn_tail().unwrap().line, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NdjsonReader<T> {
    path: PathBuf,
    reader: BufReader<File>,
    line: Vec<u8>,
    line_no: usize,
    torn: Option<TornLine>,
    _records: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> NdjsonReader<T> {
    /// Opens `path` (a regular file only: a FIFO or device would block or never end).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened, [`Error::NotRegularFile`] for anything
    /// but a regular file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = crate::safe_fs::open_regular(path, crate::Links::Follow)?;
        Ok(Self {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(256 * 1024, file),
            line: Vec::new(),
            line_no: 0,
            torn: None,
            _records: PhantomData,
        })
    }

    /// The torn last line, once the iteration reached it.
    pub fn torn_tail(&self) -> Option<&TornLine> {
        self.torn.as_ref()
    }

    fn next_line(&mut self) -> Option<Result<Line<T>>> {
        loop {
            self.line.clear();
            let n = match self.reader.read_until(b'\n', &mut self.line) {
                Ok(n) => n,
                Err(e) => return Some(Err(Error::io("read", &self.path, e))),
            };
            if n == 0 {
                return None;
            }
            self.line_no += 1;
            let complete = self.line.last() == Some(&b'\n');
            let text = self.line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            return match serde_json::from_slice::<T>(text) {
                Ok(record) => Some(Ok(Line::Record(record))),
                Err(_) if !complete => {
                    self.torn = Some(TornLine {
                        line: self.line_no,
                        bytes: n,
                    });
                    None
                }
                Err(e) => Some(Ok(Line::Bad(
                    BadLine {
                        line: self.line_no,
                        column: e.column(),
                        message: e.to_string(),
                    },
                    e,
                ))),
            };
        }
    }
}

impl<T: DeserializeOwned> Iterator for NdjsonReader<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        Some(match self.next_line()? {
            Ok(Line::Record(record)) => Ok(record),
            Ok(Line::Bad(bad, e)) => {
                Err(Error::json_at(&self.path, bad.line, bad.column.max(1), &e))
            }
            Err(e) => Err(e),
        })
    }
}

/// Reads every record of an NDJSON file; a malformed line fails the read with its
/// `file:line:column`, except a torn last line, which is skipped and reported.
///
/// Blank lines are ignored. For files of any size, stream them with [`NdjsonReader`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Json`] for a malformed line that is
/// not a torn tail.
pub fn read_ndjson<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<NdjsonRead<T>> {
    read_impl(path.as_ref(), false)
}

/// Like [`read_ndjson`], but malformed lines anywhere are skipped and listed in
/// [`NdjsonRead::malformed`] instead of failing the read.
///
/// ```
/// use std::io::Write;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("events.ndjson");
/// let mut f = std::fs::File::create(&path)?;
/// f.write_all(b"{\"a\":1}\nnot json\n{\"a\":2}\n{\"a\":")?; // a crash mid-line
/// let read = steadfast_core::read_ndjson_lenient::<serde_json::Value>(&path)?;
/// assert_eq!(read.records.len(), 2);
/// assert_eq!(read.malformed[0].line, 2);
/// assert_eq!(read.torn_tail.unwrap().line, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when the file cannot be read.
pub fn read_ndjson_lenient<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<NdjsonRead<T>> {
    read_impl(path.as_ref(), true)
}

fn read_impl<T: DeserializeOwned>(path: &Path, lenient: bool) -> Result<NdjsonRead<T>> {
    let mut reader = NdjsonReader::<T>::open(path)?;
    let mut out = NdjsonRead {
        records: Vec::new(),
        torn_tail: None,
        malformed: Vec::new(),
    };
    while let Some(line) = reader.next_line() {
        match line? {
            Line::Record(record) => out.records.push(record),
            Line::Bad(bad, _) if lenient => out.malformed.push(bad),
            Line::Bad(bad, e) => {
                return Err(Error::json_at(path, bad.line, bad.column.max(1), &e));
            }
        }
    }
    out.torn_tail = reader.torn;
    Ok(out)
}
