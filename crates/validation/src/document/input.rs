//! Opening a document: `.json`, `.json.gz` (multi-member), a `.zip` holding exactly one
//! JSON file, or `-` for standard input — as one reader of the decompressed bytes, plus a
//! count of the bytes taken from the file so progress can be shown against its size.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;
use crate::error::io_error;

/// An opened document.
pub(crate) struct Opened {
    /// The document's bytes, decompressed.
    pub(crate) reader: Box<dyn Read + Send>,
    /// The size of what is read from disk, when known (not for stdin).
    pub(crate) total: Option<u64>,
    /// Bytes taken from disk so far (compressed bytes for `.gz` and `.zip`).
    pub(crate) read: Arc<AtomicU64>,
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const READ_BUFFER: usize = 1 << 20;

fn input(path: &Path, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Opens `path` (`-` for standard input), choosing by its name how to decompress it.
pub(crate) fn open(path: &Path) -> Result<Opened, Error> {
    let read = Arc::new(AtomicU64::new(0));
    if path.as_os_str() == "-" {
        let reader = Counted {
            inner: io::stdin(),
            read: read.clone(),
        };
        return Ok(Opened {
            reader: Box::new(reader),
            total: None,
            read,
        });
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let file = File::open(path).map_err(|e| io_error("read", path, e))?;
    let meta = file.metadata().map_err(|e| io_error("read", path, e))?;
    if !meta.is_file() {
        return Err(input(
            path,
            "not a regular file; pass a .json, .json.gz or .zip file, or - for standard input",
        ));
    }
    let total = Some(meta.len());
    if name.ends_with(".zip") {
        return open_zip(path, file, read);
    }
    let counted = Counted {
        inner: file,
        read: read.clone(),
    };
    if name.ends_with(".gz") {
        let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(READ_BUFFER, counted));
        Ok(Opened {
            reader: Box::new(gz),
            total,
            read,
        })
    } else {
        Ok(Opened {
            reader: Box::new(counted),
            total,
            read,
        })
    }
}

/// The single JSON entry of a zip archive, read from its place in the file.
fn open_zip(path: &Path, file: File, read: Arc<AtomicU64>) -> Result<Opened, Error> {
    let bad = |e: zip::result::ZipError| input(path, format!("not a readable zip archive: {e}"));
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(bad)?;
    let mut json = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(bad)?;
        let name = entry.name().map_err(bad)?.into_owned();
        if entry.is_file() && name.to_ascii_lowercase().ends_with(".json") {
            json.push((i, name));
        }
    }
    let (index, _) = match json.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(input(
                path,
                "the zip archive holds no .json file; it must hold exactly one",
            ));
        }
        many => {
            let names = many
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(input(
                path,
                format!(
                    "the zip archive holds {} .json files ({names}); it must hold exactly one",
                    many.len()
                ),
            ));
        }
    };
    let entry = archive.by_index_raw(index).map_err(bad)?;
    if entry.encrypted() {
        return Err(input(
            path,
            "the zip entry is encrypted; only unencrypted entries are read",
        ));
    }
    let (method, size) = (entry.compression(), entry.compressed_size());
    let (crc32, unpacked) = (entry.crc32(), entry.size());
    let start = entry
        .data_start()
        .ok_or_else(|| input(path, "the zip entry's data cannot be located"))?;
    drop(entry);
    let mut file = archive.into_inner().into_inner();
    file.seek(SeekFrom::Start(start))
        .map_err(|e| io_error("read", path, e))?;
    let raw = BufReader::with_capacity(
        READ_BUFFER,
        Counted {
            inner: file.take(size),
            read: read.clone(),
        },
    );
    let reader: Box<dyn Read + Send> = match method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(flate2::bufread::DeflateDecoder::new(raw)),
        other => {
            return Err(input(
                path,
                format!(
                    "the zip entry is compressed with {other:?}; only stored and deflate are read"
                ),
            ));
        }
    };
    let reader = Box::new(Checked {
        inner: reader,
        crc: flate2::Crc::new(),
        crc32,
        size: unpacked,
        count: 0,
    });
    Ok(Opened {
        reader,
        total: Some(size),
        read,
    })
}

/// A zip entry's bytes, checked at their end against the entry's CRC-32 and size: a
/// damaged archive is an I/O error (a finding), not silently different JSON.
struct Checked {
    inner: Box<dyn Read + Send>,
    crc: flate2::Crc,
    crc32: u32,
    size: u64,
    /// Bytes so far (`Crc::amount` is 32 bits; entries may be larger).
    count: u64,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.count += n as u64;
        let count = self.count;
        if count > self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the zip entry holds more than the {} bytes it declares",
                    self.size
                ),
            ));
        }
        if n == 0 && !buf.is_empty() {
            if count != self.size {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the zip entry ends after {count} of the {} bytes it declares",
                        self.size
                    ),
                ));
            }
            if self.crc.sum() != self.crc32 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the zip entry's CRC-32 does not match its bytes (the archive is damaged)",
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn all(path: &Path) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        open(path)?
            .reader
            .read_to_end(&mut out)
            .map_err(|e| io_error("read", path, e))?;
        Ok(out)
    }

    fn zip(path: &Path, entries: &[(&str, &[u8])]) -> Result<(), Box<dyn std::error::Error>> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (i, (name, body)) in entries.iter().enumerate() {
            let method = if i % 2 == 0 {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            w.start_file(
                *name,
                zip::write::SimpleFileOptions::default().compression_method(method),
            )?;
            w.write_all(body)?;
        }
        steadfast_core::atomic_write(path, w.finish()?.into_inner())?;
        Ok(())
    }

    #[test]
    fn a_zip_with_one_json_file_is_read_and_others_are_refused()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let one = dir.path().join("one.zip");
        let doc = br#"{"in_network":[{"a":1}]}"#.to_vec();
        zip(&one, &[("readme.txt", b"hello"), ("rates.json", &doc)])?;
        assert_eq!(all(&one)?, doc);
        zip(&one, &[("rates.json", &doc), ("readme.txt", b"hello")])?;
        assert_eq!(all(&one)?, doc);
        let none = dir.path().join("none.zip");
        zip(&none, &[("readme.txt", b"hello")])?;
        let err = all(&none).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("holds no .json file"), "{err}");
        let two = dir.path().join("two.zip");
        zip(&two, &[("a.json", b"{}"), ("b/c.json", b"[]")])?;
        let err = all(&two).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains("holds 2 .json files (a.json, b/c.json)"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn a_damaged_zip_entry_is_an_error() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bad.zip");
        let doc = br#"{"in_network":[{"a":12345}]}"#;
        zip(&path, &[("readme.txt", b"hi"), ("rates.json", doc)])?;
        assert_eq!(all(&path)?, doc);
        // The stored entry's bytes appear verbatim: flip one digit.
        let mut bytes = std::fs::read(&path)?;
        let at = bytes
            .windows(5)
            .position(|w| w == b"12345")
            .ok_or("the stored bytes are not in the archive")?;
        bytes[at] = b'9';
        steadfast_core::atomic_write(&path, &bytes)?;
        let err = all(&path).err().map(|e| {
            let source = std::error::Error::source(&e).map(ToString::to_string);
            format!("{e}: {}", source.unwrap_or_default())
        });
        let err = err.unwrap_or_default();
        assert!(err.contains("CRC-32 does not match"), "{err}");
        Ok(())
    }

    #[test]
    fn plain_and_multi_member_gzip_read_the_same() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let plain = dir.path().join("a.json");
        steadfast_core::atomic_write(&plain, br#"{"in_network":[1,2]}"#)?;
        let gz = dir.path().join("a.json.gz");
        let mut bytes = Vec::new();
        for part in [&br#"{"in_network""#[..], br#":[1,2]}"#] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part)?;
            bytes.extend(e.finish()?);
        }
        steadfast_core::atomic_write(&gz, &bytes)?;
        assert_eq!(all(&plain)?, all(&gz)?);
        let opened = open(&gz)?;
        assert_eq!(opened.total, Some(bytes.len() as u64));
        Ok(())
    }
}
