//! One file of an export: fetched through the client's retry policy (a 503's
//! `Retry-After` honoured), a dropped connection resumed with `Range: bytes=N-` (a 206 must
//! say `Content-Range: bytes N-…`; a 200 starts the file over cleanly), streamed to a
//! temporary file while hashing (sha256) and counting lines, checked against the
//! manifest's `count`, fsynced and renamed into place — optionally gzip-compressed first.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use steadfast_retry::{Classify as _, Decision};

use super::events::{BulkEvent, Events};
use super::part::Part;
use super::plan::Planned;
use super::request::{body_error, header, send_download};
use super::state::hex;
use crate::client::FhirClient;
use crate::error::{FhirError, Phase};
use crate::method::{Idempotency, Method};
use crate::transport::status_error;

/// What a download left in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fetched {
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    pub(crate) lines: u64,
}

/// Resumptions after progress within one attempt of the retry policy.
const FREE_RESUMES: u32 = 1000;

/// What one request of a download needs.
struct Cx<'a> {
    client: &'a FhirClient,
    file: &'a Planned,
    bearer: bool,
    events: &'a Events,
    shown: String,
    part_path: PathBuf,
    read_idle: Duration,
}

/// One request of a download: the file from `part.written` on (or whole), appended.
async fn get_once(cx: &Cx<'_>, part: &mut Part) -> Result<(), FhirError> {
    let (client, file, bearer, events) = (cx.client, cx.file, cx.bearer, cx.events);
    let (shown, part_path, name) = (&cx.shown, &cx.part_path, cx.file.name.as_str());
    let offset = part.written;
    let mut headers = vec![("accept", "application/fhir+ndjson".to_owned())];
    if offset > 0 {
        headers.push(("range", format!("bytes={offset}-")));
        // A file changed since the first answer comes back whole (200), not
        // spliced onto the old bytes.
        if let Some(validator) = &part.validator {
            headers.push(("if-range", validator.clone()));
        }
    }
    let mut response = idle(
        cx.read_idle,
        send_download(client, Method::Get, &file.url, &headers, bearer),
    )
    .await
    .map_err(|()| idle_error(shown))??;
    let retry = |problem: String| FhirError::BulkProtocol {
        step: "download",
        problem: format!("{shown}: {problem}"),
    };
    // The byte the answer should end at (exclusive), and the file's size if known.
    let (end, total) = match response.status().as_u16() {
        206 if offset > 0 => match header(&response, "content-range").and_then(content_range) {
            Some((first, last, total)) if first == offset => (Some(last.saturating_add(1)), total),
            _ => {
                part.reset().map_err(io("truncate", part_path))?;
                return Err(retry(format!(
                    "a partial answer whose Content-Range does not start at byte {offset}; starting the file over"
                )));
            }
        },
        // The range starts at or past the end (the drop came after the last byte):
        // start over rather than guess the file is complete.
        416 if offset > 0 => {
            part.reset().map_err(io("truncate", part_path))?;
            events.emit(&BulkEvent::Restarted { file: name });
            return Err(retry(format!(
                "range from byte {offset} not satisfiable; starting the file over"
            )));
        }
        200 => {
            if offset > 0 {
                part.reset().map_err(io("truncate", part_path))?;
                events.emit(&BulkEvent::Restarted { file: name });
            }
            part.validator = validator(&response);
            let len = response.content_length();
            (len, len)
        }
        _ => return Err(status_error(Method::Get, shown.clone(), response).await),
    };
    while let Some(chunk) = idle(cx.read_idle, response.chunk())
        .await
        .map_err(|()| idle_error(shown))?
        .map_err(|e| body_error(Method::Get, shown.clone(), &e))?
    {
        part.write(&chunk).map_err(io("write", part_path))?;
        events.emit(&BulkEvent::Bytes {
            file: name,
            bytes: chunk.len() as u64,
        });
    }
    // A clean close short of what was announced is not the whole file: ask for
    // the rest.
    let written = part.written;
    if end.is_some_and(|end| written < end) || total.is_some_and(|t| written < t) {
        return Err(retry(format!(
            "the answer ended at byte {written}, short of what it announced; asking for the rest"
        )));
    }
    if end.is_some_and(|end| written > end) || total.is_some_and(|t| written > t) {
        part.reset().map_err(io("truncate", part_path))?;
        return Err(retry(
            "the answer ran past what it announced; starting the file over".to_owned(),
        ));
    }
    Ok(())
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

/// `fut`, or `Err(())` when it takes longer than `limit`.
async fn idle<T>(limit: Duration, fut: impl Future<Output = T>) -> Result<T, ()> {
    tokio::time::timeout(limit, fut).await.map_err(|_| ())
}

/// A download idle for longer than its read timeout.
fn idle_error(shown: &str) -> FhirError {
    FhirError::Transport {
        method: Method::Get,
        path: shown.to_owned(),
        phase: Phase::Request,
        source: std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no data within the read timeout",
        ),
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
    let part = Part::create(part_path.clone()).map_err(io("create", &part_path))?;
    let part = tokio::sync::Mutex::new(part);
    let shown = client.base.shown(&file.url);
    let classify = |e: &FhirError| match e {
        FhirError::BulkProtocol {
            step: "download", ..
        } => Decision::Retry,
        other => Idempotency::Safe.classify(other),
    };
    let cx = Cx {
        client,
        file,
        bearer,
        events,
        shown: shown.clone(),
        part_path: part_path.clone(),
        read_idle,
    };
    let got = client
        .policy()
        .retry_async_if(classify.with_facts(), |_| async {
            let mut part = part.lock().await;
            let mut free = 0u32;
            loop {
                let before = part.written;
                match get_once(&cx, &mut part).await {
                    // Cut after some progress (a slow file past the idle timeout, a
                    // dropped connection): resumed at once, not a failed attempt — nothing
                    // of the retries, the budget or the breaker.
                    Err(FhirError::Transport { .. } | FhirError::BulkProtocol { .. })
                        if part.written > before && free < FREE_RESUMES =>
                    {
                        free += 1;
                    }
                    other => return other,
                }
            }
        })
        .await;
    let part = part.into_inner();
    if let Err(err) = got {
        drop(part);
        let _ = std::fs::remove_file(&part_path);
        return Err(super::gave_up(shown, err));
    }
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

/// `bytes first-last/total` (total may be `*`): the first and last byte and the size.
fn content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().ok()?),
    };
    (first <= last && total.is_none_or(|t| t > last)).then_some((first, last, total))
}

/// What `If-Range` may carry of an answer: a strong `ETag`, else its `Last-Modified`.
fn validator(response: &steadfast_http::reqwest::Response) -> Option<String> {
    header(response, "etag")
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| header(response, "last-modified"))
        .map(str::to_owned)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_or_are_refused() {
        assert_eq!(content_range("bytes 5-9/10"), Some((5, 9, Some(10))));
        assert_eq!(content_range("bytes 5-9/*"), Some((5, 9, None)));
        assert_eq!(content_range("bytes 5-9/9"), None);
        assert_eq!(content_range("bytes 9-5/10"), None);
        assert_eq!(content_range("bytes */10"), None);
        assert_eq!(content_range("items 0-1/2"), None);
    }
}
