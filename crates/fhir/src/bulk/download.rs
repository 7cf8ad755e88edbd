//! One file of an export: fetched by the shared resumable download (`crate::download`:
//! the client's retry policy, `Range` resume, read-idle timeout, sha256) with the SMART
//! token when the server wants one, its lines counted and checked against the manifest's
//! `count`, fsynced and renamed into place — optionally gzip-compressed first.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use steadfast_http::reqwest::Url;

use super::events::{BulkEvent, Events};
use super::plan::Planned;
use super::request::send_download;
use super::state::hex;
use crate::client::FhirClient;
use crate::download::{DownloadEvent, Headers, Part, Sender, Sent, Stream, fill};
use crate::error::FhirError;
use crate::method::Method;

/// What a download left in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fetched {
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    pub(crate) lines: u64,
}

/// A file's GET through the FHIR client: NDJSON asked for, the token when `bearer`.
struct Bulk<'a> {
    client: &'a FhirClient,
    url: &'a Url,
    bearer: bool,
}

impl Sender for Bulk<'_> {
    fn send(&self, mut headers: Headers) -> Sent<'_> {
        headers.insert(0, ("accept", "application/fhir+ndjson".to_owned()));
        Box::pin(async move {
            send_download(self.client, Method::Get, self.url, &headers, self.bearer).await
        })
    }
}

/// An I/O error of `action` on `path`.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FhirError {
    let path = path.to_path_buf();
    move |source| FhirError::Io {
        action,
        path,
        source,
    }
}

/// Fetches `file` into `dir` (its `name`), with the access token when `bearer`.
pub(crate) async fn fetch(
    client: &FhirClient,
    dir: &Path,
    file: &Planned,
    bearer: bool,
    gzip: bool,
    read_idle: Duration,
    events: &Events,
) -> Result<Fetched, FhirError> {
    let part_path = dir.join(format!(".{}.part", file.name));
    let part = Part::create(part_path.clone(), true).map_err(io("create", &part_path))?;
    let shown = client.base.shown(&file.url);
    let name = file.name.as_str();
    let on_event = |e: DownloadEvent| match e {
        DownloadEvent::Bytes { bytes } => events.emit(&BulkEvent::Bytes { file: name, bytes }),
        DownloadEvent::Restarted => events.emit(&BulkEvent::Restarted { file: name }),
        DownloadEvent::Size { .. } => {}
    };
    let sender = Bulk {
        client,
        url: &file.url,
        bearer,
    };
    let cx = Stream {
        sender: &sender,
        shown: &shown,
        read_idle,
        events: &on_event,
    };
    let part = fill(client.policy(), &cx, part).await?;
    let lines = part.lines();
    let bytes = part.written;
    if let Some(expected) = file.count
        && expected != lines
    {
        drop(part);
        let _ = std::fs::remove_file(&part_path);
        return Err(FhirError::CountMismatch {
            file: file.name.clone(),
            expected,
            found: lines,
        });
    }
    let (part_path, sha256) = part.finish().map_err(io("fsync", &part_path))?;
    let target = dir.join(&file.name);
    let (from, sha256, bytes) = if gzip {
        let (gz, sha, size) = compress(&part_path).map_err(io("compress", &part_path))?;
        let _ = std::fs::remove_file(&part_path);
        (gz, sha, size)
    } else {
        (part_path, sha256, bytes)
    };
    steadfast_core::check_write_target(&target).map_err(|e| FhirError::Io {
        action: "replace",
        path: target.clone(),
        source: std::io::Error::other(e),
    })?;
    std::fs::rename(&from, &target).map_err(io("rename", &target))?;
    steadfast_core::sync_dir(dir).map_err(|e| FhirError::Io {
        action: "fsync",
        path: dir.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    Ok(Fetched {
        sha256,
        bytes,
        lines,
    })
}

/// Writes `raw` gzip-compressed beside it (fsynced): the new file, its sha256 and size.
fn compress(raw: &Path) -> std::io::Result<(PathBuf, String, u64)> {
    let mut gz_path = raw.as_os_str().to_owned();
    gz_path.push(".gz");
    let gz_path = PathBuf::from(gz_path);
    let _ = std::fs::remove_file(&gz_path);
    let out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&gz_path)?;
    let hashing = Hashing {
        out: BufWriter::with_capacity(1 << 20, out),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut encoder = flate2::write::GzEncoder::new(hashing, flate2::Compression::default());
    std::io::copy(&mut File::open(raw)?, &mut encoder)?;
    let hashing = encoder.finish()?;
    let file = hashing.out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok((gz_path, hex(&hashing.hasher.finalize()), hashing.bytes))
}

/// A writer that hashes and counts what passes through it.
struct Hashing {
    out: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
