//! One URL into a [`Part`] through a retry policy (a 503's `Retry-After` honoured): a
//! dropped connection resumed with `Range: bytes=N-` and `If-Range` (a 206 must say
//! `Content-Range: bytes N-…`; a 200 starts the file over cleanly), no total timeout but a
//! read-idle one, and an answer checked against the size it announced. Shared by
//! [`Download`](crate::Download) and the bulk export's files; how a request is sent (a
//! bearer token, fixed headers) is the caller's [`Sender`].

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use steadfast_http::reqwest;
use steadfast_retry::{Classify as _, Decision, RetryPolicy};

use super::event::DownloadEvent;
use super::part::Part;
use crate::error::{FhirError, Phase};
use crate::method::{Idempotency, Method};
use crate::transport::status_error;

/// The extra headers of one request (`range`, `if-range`).
pub(crate) type Headers = Vec<(&'static str, String)>;

/// The answer of one request, on its way.
pub(crate) type Sent<'a> =
    Pin<Box<dyn Future<Output = Result<reqwest::Response, FhirError>> + Send + 'a>>;

/// How one request of a download is sent: a GET of the file with `headers` added.
pub(crate) trait Sender: Sync {
    /// Sends the GET; any status is an answer, the caller judges it.
    fn send(&self, headers: Headers) -> Sent<'_>;
}

/// What the requests of one download share.
pub(crate) struct Stream<'a> {
    /// Sends each request.
    pub(crate) sender: &'a dyn Sender,
    /// The URL as messages show it.
    pub(crate) shown: &'a str,
    /// The longest wait for the answer or its next bytes.
    pub(crate) read_idle: Duration,
    /// Told of bytes and restarts.
    pub(crate) events: &'a (dyn Fn(DownloadEvent) + Send + Sync),
}

/// Resumptions after progress within one attempt of the retry policy.
const FREE_RESUMES: u32 = 1000;

/// The total timeout of one file request: a day, in effect none (the client's, 30 s by
/// default, would cut every file that takes longer); the read-idle timeout bounds waits.
pub(crate) const DOWNLOAD_TOTAL: Duration = Duration::from_secs(24 * 3600);

/// Fills `part` with the whole file through `policy`; on failure the part file is removed.
///
/// # Errors
/// [`FhirError::GaveUp`] when the policy gave up (its last error inside).
pub(crate) async fn fill(
    policy: &RetryPolicy,
    cx: &Stream<'_>,
    part: Part,
) -> Result<Part, FhirError> {
    let part_path = part.path().to_path_buf();
    let part = tokio::sync::Mutex::new(part);
    let classify = |e: &FhirError| match e {
        FhirError::Interrupted { .. } => Decision::Retry,
        other => Idempotency::Safe.classify(other),
    };
    let got = policy
        .retry_async_if(classify.with_facts(), |_| async {
            let mut part = part.lock().await;
            let mut free = 0u32;
            loop {
                let before = part.written;
                match get_once(cx, &mut part).await {
                    // Cut after some progress (a slow file past the idle timeout, a
                    // dropped connection): resumed at once, not a failed attempt — nothing
                    // of the retries, the budget or the breaker.
                    Err(FhirError::Transport { .. } | FhirError::Interrupted { .. })
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
        return Err(gave_up(cx.shown.to_owned(), err));
    }
    Ok(part)
}

/// One request of a download: the file from `part.written` on (or whole), appended.
async fn get_once(cx: &Stream<'_>, part: &mut Part) -> Result<(), FhirError> {
    let shown = cx.shown;
    let part_path = part.path().to_path_buf();
    let offset = part.written;
    let mut headers = Headers::new();
    if offset > 0 {
        headers.push(("range", format!("bytes={offset}-")));
        // A file changed since the first answer comes back whole (200), not spliced onto
        // the old bytes.
        if let Some(validator) = &part.validator {
            headers.push(("if-range", validator.clone()));
        }
    }
    let mut response = idle(cx.read_idle, cx.sender.send(headers))
        .await
        .map_err(|()| idle_error(shown))??;
    let retry = |problem: String| FhirError::Interrupted {
        path: shown.to_owned(),
        problem,
    };
    // The byte the answer should end at (exclusive), and the file's size if known.
    let (end, total) = match response.status().as_u16() {
        206 if offset > 0 => match header(&response, "content-range").and_then(content_range) {
            // Without a validator (no If-Range), a changed size is the one sign the file
            // changed since the first answer: start over rather than splice.
            Some((_, _, Some(t))) if part.total.is_some_and(|p| p != t) => {
                part.reset().map_err(io("truncate", &part_path))?;
                (cx.events)(DownloadEvent::Restarted);
                return Err(retry(
                    "a partial answer of a file whose size changed; starting the file over"
                        .to_owned(),
                ));
            }
            Some((first, last, total)) if first == offset => (Some(last.saturating_add(1)), total),
            _ => {
                part.reset().map_err(io("truncate", &part_path))?;
                (cx.events)(DownloadEvent::Restarted);
                return Err(retry(format!(
                    "a partial answer whose Content-Range does not start at byte {offset}; starting the file over"
                )));
            }
        },
        // The range starts at or past the end (the drop came after the last byte): start
        // over rather than guess the file is complete.
        416 if offset > 0 => {
            part.reset().map_err(io("truncate", &part_path))?;
            (cx.events)(DownloadEvent::Restarted);
            return Err(retry(format!(
                "range from byte {offset} not satisfiable; starting the file over"
            )));
        }
        200 => {
            if offset > 0 {
                part.reset().map_err(io("truncate", &part_path))?;
                (cx.events)(DownloadEvent::Restarted);
            }
            part.validator = validator(&response);
            let len = response.content_length();
            part.total = len;
            (len, len)
        }
        _ => return Err(status_error(Method::Get, shown.to_owned(), response).await),
    };
    if let Some(bytes) = total {
        (cx.events)(DownloadEvent::Size { bytes });
    }
    while let Some(chunk) = idle(cx.read_idle, response.chunk())
        .await
        .map_err(|()| idle_error(shown))?
        .map_err(|e| body_error(Method::Get, shown.to_owned(), &e))?
    {
        part.write(&chunk).map_err(io("write", &part_path))?;
        (cx.events)(DownloadEvent::Bytes {
            bytes: chunk.len() as u64,
        });
    }
    // A clean close short of what was announced is not the whole file: ask for the rest.
    let written = part.written;
    if end.is_some_and(|end| written < end) || total.is_some_and(|t| written < t) {
        return Err(retry(format!(
            "the answer ended at byte {written}, short of what it announced; asking for the rest"
        )));
    }
    if end.is_some_and(|end| written > end) || total.is_some_and(|t| written > t) {
        part.reset().map_err(io("truncate", &part_path))?;
        (cx.events)(DownloadEvent::Restarted);
        return Err(retry(
            "the answer ran past what it announced; starting the file over".to_owned(),
        ));
    }
    Ok(())
}

/// An I/O error of `action` on the file at `path`.
pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FhirError {
    let path = path.to_path_buf();
    move |source| FhirError::File {
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

/// A body read that failed part way: the connection closed or timed out mid-answer.
pub(crate) fn body_error(method: Method, path: String, err: &reqwest::Error) -> FhirError {
    let (kind, text) = if err.is_timeout() {
        (std::io::ErrorKind::TimedOut, "timed out")
    } else {
        (
            std::io::ErrorKind::ConnectionReset,
            "the connection closed before the answer was complete",
        )
    };
    FhirError::Transport {
        method,
        path,
        phase: Phase::Request,
        source: std::io::Error::new(kind, text),
    }
}

/// A header's value as text, when it has one.
pub(crate) fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
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
fn validator(response: &reqwest::Response) -> Option<String> {
    header(response, "etag")
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| header(response, "last-modified"))
        .map(str::to_owned)
}

/// The error of a download (or any bulk GET) the retry policy gave up on: never
/// dead-lettered — a download is resumed by running it again, not replayed.
pub(crate) fn gave_up(path: String, err: steadfast_retry::RetryError<FhirError>) -> FhirError {
    FhirError::GaveUp {
        method: Method::Get,
        path,
        attempts: err.attempts(),
        reason: err.reason(),
        dead_lettered: false,
        last: err.into_last_error().map(Box::new),
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
