//! [`Download`]: any `http`/`https` URL into a verified local file — the resumable
//! download the bulk export's files use, for any other file (price-transparency files of
//! tens of GB): the retry policy (`Retry-After` honoured), a dropped connection resumed
//! with `Range` + `If-Range` (a 206 must carry a matching `Content-Range`; a 200 starts
//! over cleanly), a read-idle timeout instead of a total one, the size checked against
//! `Content-Length` / the `Content-Range` total, streamed to a temporary file
//! (`.<name>.part` beside the target) while hashing sha256, an optional expected sha256,
//! fsync and an atomic rename.

mod event;
mod part;
mod resume;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use steadfast_http::reqwest::Url;
use steadfast_http::{HttpClient, shown_url as shown};
use steadfast_retry::RetryPolicy;

pub use event::DownloadEvent;
pub(crate) use part::{Part, hex};
use resume::io;
pub(crate) use resume::{DOWNLOAD_TOTAL, Headers, Sender, Sent, Stream, fill, gave_up, header};

use crate::error::FhirError;
use crate::method::Method;
use crate::transport::transport;

/// A file a [`Download`] put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// Its sha256, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// A caller's event handler.
type Handler = Arc<dyn Fn(DownloadEvent) + Send + Sync>;

/// Downloads URLs into local files, resumably, through a retry policy. Cheap to clone.
///
/// The target appears only complete and verified: the bytes go to `.<name>.part` in the
/// target's directory, which is fsynced and renamed over the target at the end. A download
/// that fails, or whose sha256 is not the expected one, removes its temporary file and
/// leaves the target as it was (no file, or the earlier one): a complete file with the
/// wrong bytes cannot be repaired by resuming it. A killed process leaves the temporary
/// file, which the next download of the same target replaces.
///
/// Redirects are followed as the client's settings allow: the same origin only by
/// default; a file server that answers with a `302` to its CDN needs the CDN's host
/// allowed ([`HttpSettings::allow_redirect_host`](steadfast_http::HttpSettings::allow_redirect_host)).
/// The download's plain `GET` is sent with
/// [`HttpClient::send_following`](steadfast_http::HttpClient::send_following), the one
/// request of the workspace that may follow a redirect to another host — unless its URL
/// carries user info (credentials), which never leaves its origin.
/// A resumed request keeps its `Range` and `If-Range` through the redirect, and the
/// answer is checked as any other (`Content-Range`, size, sha256). A redirect not followed
/// fails the download with [`FhirError::InvalidDownload`], naming where it went (query
/// values elided) and the host to allow.
///
/// ```no_run
/// use std::time::Duration;
/// use steadfast_fhir::Download;
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::RetryPolicy;
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let http = HttpSettings::default().build()?;
/// let download = Download::new(http, RetryPolicy::exponential().max_retries(5))
///     .read_idle_timeout(Duration::from_secs(60))
///     .expect_sha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")?
///     .on_event(|e| eprintln!("{e:?}"));
/// let got = download.to_file("https://mrf.example/in-network.json.gz", "in-network.json.gz".as_ref()).await?;
/// println!("{} bytes, sha256 {}", got.bytes, got.sha256);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Download {
    http: HttpClient,
    policy: RetryPolicy,
    read_idle: Duration,
    sha256: Option<String>,
    events: Option<Handler>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("read_idle", &self.read_idle)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Downloads through `http`, retried by `policy` (as a safe GET: transport errors,
    /// 408, 425, 429 and 5xx, `Retry-After` honoured). Read-idle timeout 60 s.
    pub fn new(http: HttpClient, policy: RetryPolicy) -> Self {
        Self {
            http,
            policy,
            read_idle: Duration::from_secs(60),
            sha256: None,
            events: None,
        }
    }

    /// The longest wait for the answer or its next bytes (60 s); a slow file that keeps
    /// sending is never cut.
    #[must_use]
    pub fn read_idle_timeout(mut self, d: Duration) -> Self {
        self.read_idle = d;
        self
    }

    /// The sha256 the file must have (64 hex digits, any case).
    ///
    /// ```
    /// # let http = steadfast_http::HttpSettings::default().build()?;
    /// let d = steadfast_fhir::Download::new(http, steadfast_retry::RetryPolicy::exponential());
    /// assert!(d.expect_sha256("not hex").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`FhirError::InvalidDownload`] when `hex` is not 64 hex digits.
    pub fn expect_sha256(mut self, hex: &str) -> Result<Self, FhirError> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FhirError::InvalidDownload {
                reason: "the expected sha256 must be 64 hex digits".to_owned(),
            });
        }
        self.sha256 = Some(hex.to_ascii_lowercase());
        Ok(self)
    }

    /// Calls `f` with every [`DownloadEvent`] (from the download's task; keep it short).
    #[must_use]
    pub fn on_event(mut self, f: impl Fn(DownloadEvent) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(f));
        self
    }

    /// Downloads `url` into `out`: complete, size-checked, verified when an expected sha256
    /// was given, fsynced and renamed into place.
    ///
    /// # Errors
    /// [`FhirError::InvalidDownload`] for a URL that is not `http`/`https` or an `out`
    /// without a file name; [`FhirError::GaveUp`] when the retry policy gave up;
    /// [`FhirError::ChecksumMismatch`]; [`FhirError::File`] when the file cannot be
    /// written or moved.
    pub async fn to_file(&self, url: &str, out: &Path) -> Result<Downloaded, FhirError> {
        let invalid = |reason: String| FhirError::InvalidDownload { reason };
        let url = Url::parse(url).map_err(|e| invalid(format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "only http and https URLs are downloaded, not {}:",
                url.scheme()
            )));
        }
        let name = out
            .file_name()
            .ok_or_else(|| invalid(format!("{} names no file", out.display())))?;
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut part_name = std::ffi::OsString::from(".");
        part_name.push(name);
        part_name.push(".part");
        let part_path = dir.join(part_name);
        let part = Part::create(part_path.clone(), false).map_err(io("create", &part_path))?;
        let shown = shown(&url);
        let handler = self.events.clone();
        let on_event = move |e: DownloadEvent| {
            if let Some(f) = &handler {
                f(e);
            }
        };
        let sender = Plain {
            http: &self.http,
            url: &url,
            shown: &shown,
        };
        let cx = Stream {
            sender: &sender,
            shown: &shown,
            read_idle: self.read_idle,
            events: &on_event,
        };
        let part = fill(&self.policy, &cx, part).await?;
        let bytes = part.written;
        let (part_path, sha256) = match part.finish() {
            Ok(done) => done,
            Err(e) => {
                let _ = std::fs::remove_file(&part_path);
                return Err(io("fsync", &part_path)(e));
            }
        };
        if let Some(expected) = &self.sha256
            && *expected != sha256
        {
            let _ = std::fs::remove_file(&part_path);
            return Err(FhirError::ChecksumMismatch {
                path: shown,
                expected: expected.clone(),
                found: sha256,
            });
        }
        let replace = |e| io("replace", out)(std::io::Error::other(e));
        if let Err(e) = steadfast_core::check_write_target(out) {
            let _ = std::fs::remove_file(&part_path);
            return Err(replace(e));
        }
        if let Err(e) = std::fs::rename(&part_path, out) {
            let _ = std::fs::remove_file(&part_path);
            return Err(io("rename", out)(e));
        }
        steadfast_core::sync_dir(&dir).map_err(|e| io("fsync", &dir)(std::io::Error::other(e)))?;
        Ok(Downloaded { sha256, bytes })
    }
}

/// A plain GET through the HTTP client, no credentials added.
struct Plain<'a> {
    http: &'a HttpClient,
    url: &'a Url,
    shown: &'a str,
}

impl Sender for Plain<'_> {
    fn send(&self, headers: Headers) -> Sent<'_> {
        Box::pin(async move {
            let mut request = self.http.get(self.url.clone()).timeout(DOWNLOAD_TOTAL);
            for (name, value) in &headers {
                request = request.header(*name, value.as_str());
            }
            let response = self
                .http
                .send_following(request)
                .await
                .map_err(|e| match e {
                    steadfast_http::Error::Request { source, .. } if source.is_redirect() => {
                        FhirError::InvalidDownload {
                            reason: format!(
                                "{}: more than {} redirects in a row",
                                self.shown,
                                steadfast_http::MAX_REDIRECTS
                            ),
                        }
                    }
                    e => transport(Method::Get, self.shown.to_owned(), &e),
                })?;
            match not_followed(&response, self.http.redirects(), self.url) {
                Some(reason) => Err(FhirError::InvalidDownload { reason }),
                None => Ok(response),
            }
        })
    }
}

/// Why a redirect the client handed back was not followed, naming where it went (query
/// values elided) and, for another origin, how to allow its host — or, when `redirects`
/// allows it already, that the first `url` carries credentials; `None` for any other
/// answer. The client follows what the settings allow (the same origin by default, see
/// [`steadfast_http::Redirects`]), so a redirect that reaches here was refused.
fn not_followed(
    response: &steadfast_http::reqwest::Response,
    redirects: &steadfast_http::Redirects,
    url: &Url,
) -> Option<String> {
    let status = response.status().as_u16();
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let from = response.url();
    let to = from.join(header(response, "location")?).ok()?;
    if to.origin() == from.origin() {
        return None;
    }
    let (from_shown, to_shown) = (shown(from), shown(&to));
    Some(if from.scheme() == "https" && to.scheme() != "https" {
        format!(
            "{from_shown}: HTTP {status} to {to_shown}, from https to plain http, which is never followed"
        )
    } else if to.host_str().is_some_and(|h| redirects.allows_host(h))
        && (!url.username().is_empty() || url.password().is_some())
    {
        format!(
            "{from_shown}: HTTP {status} to {to_shown}, on another origin, was not followed because the request carries credentials (user info in its URL), which never leave their origin; download from a URL without them"
        )
    } else {
        let host = to.host_str().unwrap_or("");
        format!(
            "{from_shown}: HTTP {status} to {to_shown}, on another origin, was not followed; to follow redirects to {host}, allow the host (steadfast fetch --allow-redirect-host {host}; HttpSettings::allow_redirect_host)"
        )
    })
}
