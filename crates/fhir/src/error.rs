//! `FhirError`, the one error type of `steadfast-fhir`: what a person can act on, and
//! nothing that could be patient data — a request is named by its method and its path
//! relative to the base URL, with query values elided, and a server's `OperationOutcome` by
//! its issue codes, never its text.

use std::fmt;

use steadfast_retry::GiveUpReason;

use crate::method::Method;
use crate::outcome::OutcomeSummary;

/// When a transport failure happened: before the request could reach the server (it was
/// certainly not processed) or after (it may have been).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Connecting (refused, unreachable, name not resolved): the server never saw the
    /// request.
    Connect,
    /// Sending the request or reading the answer: the server may have processed it.
    Request,
}

/// What went wrong talking to a FHIR server.
///
/// `Display` names the request as `GET Patient?_count=…`: the path relative to the base
/// URL, query keys without their values, no credentials.
///
/// ```
/// use steadfast_fhir::{FhirError, Method};
///
/// let e = FhirError::Status {
///     method: Method::Get,
///     path: "Patient?name=…".into(),
///     status: 503,
///     retry_after: Some("2".into()),
///     outcome: None,
/// };
/// assert_eq!(e.to_string(), "GET Patient?name=…: HTTP 503");
/// assert_eq!(e.status(), Some(503));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FhirError {
    /// The base URL given to the client is not usable.
    #[error("invalid FHIR base URL: {reason}")]
    InvalidBase {
        /// Why (the URL itself is not repeated: it may carry credentials).
        reason: &'static str,
    },
    /// A resource type that is not a FHIR type name (`Patient`).
    #[error("not a FHIR resource type name: {0:?}")]
    InvalidResourceType(String),
    /// The HTTP client could not be built from its settings.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] steadfast_http::Error),
    /// The runtime behind the blocking API could not be started.
    #[error("cannot start the runtime of the blocking client: {0}")]
    Runtime(#[source] std::io::Error),
    /// The server answered with an error status.
    #[error("{method} {path}: HTTP {status}{}", OutcomeSuffix(outcome.as_ref()))]
    Status {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base, query values elided.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, if the server sent one.
        retry_after: Option<String>,
        /// The issue codes of an `OperationOutcome` body, if the body was one.
        outcome: Option<OutcomeSummary>,
    },
    /// Connecting, sending or reading failed (refused, reset, timed out): an I/O error of
    /// the kind `steadfast_retry::classify_io` knows.
    #[error("{method} {path}: {source}")]
    Transport {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base, query values elided.
        path: String,
        /// Whether the server can have seen the request.
        phase: Phase,
        /// The failure, as an I/O error of the right kind.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed or the server's certificate is not trusted (not retried).
    #[error("{method} {path}: {reason}")]
    Tls {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base, query values elided.
        path: String,
        /// `certificate not trusted` or `tls handshake failed`.
        reason: &'static str,
    },
    /// The body of a successful answer is not JSON.
    #[error(
        "{method} {path}: the response is not JSON ({category} at line {line}, column {column})"
    )]
    Malformed {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base, query values elided.
        path: String,
        /// `syntax`, `eof`, `data`.
        category: &'static str,
        /// Where in the body.
        line: usize,
        /// Where in the body.
        column: usize,
    },
    /// A search page that is not a `Bundle`.
    #[error("{path}: a search page must be a Bundle, not {found}")]
    NotABundle {
        /// The page's path relative to the base, query values elided.
        path: String,
        /// The `resourceType` found (when it is a type name), or `no resourceType`.
        found: String,
    },
    /// A page's `next` link points to another origin (scheme, host, port): not followed,
    /// so the client's credentials never leave the server they are for.
    #[error("{path}: the next link leads to another origin ({origin}); not followed")]
    ForeignNextLink {
        /// The page's path relative to the base, query values elided.
        path: String,
        /// The link's origin (`https://other.example`).
        origin: String,
    },
    /// A page's `next` link leads back to a page the search already fetched (`A → B → A`):
    /// not followed, the search would never end.
    #[error("{path}: the next link leads back to {next}, a page already fetched; not followed")]
    NextLinkCycle {
        /// The page's path relative to the base, query values elided.
        path: String,
        /// The link's path relative to the base, query values elided.
        next: String,
    },
    /// A search went on past its page limit ([`Search::max_pages`](crate::Search::max_pages)).
    #[error("{path}: the search has more than {limit} page(s); not followed further")]
    TooManyPages {
        /// The last page's path relative to the base, query values elided.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// A page's `next` link is not a URL.
    #[error("{path}: the next link is not a URL")]
    InvalidNextLink {
        /// The page's path relative to the base, query values elided.
        path: String,
    },
    /// A [`Create`](crate::Create) that cannot be sent: the resource has no `resourceType`,
    /// no first `identifier` with a system and a value to make the condition of, or the
    /// `If-None-Exist` query is not one a header can carry.
    #[error("invalid create: {reason}")]
    InvalidCreate {
        /// What is wrong (the resource is not repeated).
        reason: &'static str,
    },
    /// A middleware after `RetryMiddleware` failed the request (feature
    /// `reqwest-middleware`; not retried), or its body could not be cloned for another try.
    #[error("{method} {path}: {reason}")]
    Middleware {
        /// The request's method.
        method: Method,
        /// The request's path, query values elided.
        path: String,
        /// What happened.
        reason: &'static str,
    },
    /// A request the client replays needs a body it does not keep.
    #[error("{method} {path}: cannot be sent again (the item keeps no request body)")]
    UnsupportedMethod {
        /// The item's method.
        method: Method,
        /// The item's path, query values elided.
        path: String,
    },
    /// A dead letter's item is not an HTTP-request item.
    #[error("not an HTTP-request item: {reason}")]
    NotARequestItem {
        /// What is wrong with it (the item itself is not repeated).
        reason: String,
    },
    /// A replay would have to drive letters it does not send.
    #[error(
        "the queue holds {other} letter(s) that are not HTTP requests and {unsafe_items} unsafe request(s) not to be replayed; nothing was replayed"
    )]
    NotReplayable {
        /// Letters whose item is not a [`RequestItem`](crate::RequestItem).
        other: usize,
        /// Unsafe (POST, PATCH) requests, when they are not to be replayed.
        unsafe_items: usize,
    },
    /// A replay would have to send requests other than `GET` or `HEAD`, whose body a dead
    /// letter does not keep.
    #[error(
        "the queue holds {count} request(s) other than GET or HEAD (PUT, POST, PATCH, DELETE): a dead letter keeps no request body, so they cannot be sent again; nothing was replayed"
    )]
    CannotResend {
        /// Such requests.
        count: usize,
    },
    /// The retry policy gave up on a request.
    #[error(
        "{method} {path}: gave up after {attempts} attempt(s) ({reason}){}{}",
        last.as_ref().map(|e| format!(": {e}")).unwrap_or_default(),
        if *dead_lettered { "; kept as a dead letter" } else { "" }
    )]
    GaveUp {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base, query values elided.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// Why the policy stopped.
        reason: GiveUpReason,
        /// Whether the request was pushed to the dead-letter queue.
        dead_lettered: bool,
        /// The last attempt's error (none when the breaker refused the first attempt).
        #[source]
        last: Option<Box<Self>>,
    },
    /// A SMART private key could not be read or used.
    #[error("cannot use the private key from {origin}: {reason}")]
    InvalidKey {
        /// Where the key was to come from (`file keys/client.pem`, `environment variable
        /// SMART_KEY`); never the key.
        origin: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A SMART Backend Services configuration is incomplete or wrong.
    #[error("invalid SMART Backend Services configuration: {reason}")]
    InvalidAuth {
        /// What is missing or wrong.
        reason: &'static str,
    },
    /// No access token: the token request (or the discovery of the token endpoint) failed.
    /// Never holds the client assertion or a token.
    #[error("access token from {url}: {problem}{}", TokenSuffix(*status, code.as_deref()))]
    Token {
        /// The token endpoint (or `.well-known/smart-configuration`): scheme, host, port and
        /// path only.
        url: String,
        /// What went wrong.
        problem: &'static str,
        /// The HTTP status of the answer, when there was one.
        status: Option<u16>,
        /// The OAuth `error` code of a refusal (`invalid_client`, `invalid_scope`), when the
        /// server sent one (RFC 6749 §5.2).
        code: Option<String>,
        /// A transport failure, as an I/O error of the kind `classify_io` knows.
        #[source]
        io: Option<std::io::Error>,
    },
    /// A Bulk Data export's file could not be written or read locally.
    #[error("bulk export: cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`write`, `rename`, `read`).
        action: &'static str,
        /// The local file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A [`BulkExport`](crate::BulkExport) asks for something no kick-off can carry.
    #[error("invalid bulk export: {reason}")]
    InvalidExport {
        /// What is wrong.
        reason: &'static str,
    },
    /// A Bulk Data server answered outside the IG (no `Content-Location`, a manifest that
    /// is not one, a file URL off the server's origin while the token is required, a
    /// `Content-Range` that does not start where the download stopped).
    #[error("bulk export {step}: {problem}")]
    BulkProtocol {
        /// `kick-off`, `status`, `manifest`, `download`.
        step: &'static str,
        /// What was wrong (never a token, never file content).
        problem: String,
    },
    /// The export job did not finish before the polling deadline.
    #[error(
        "bulk export status: the job was not finished after {polls} poll(s) and {waited_secs} s; the deadline is {deadline_secs} s (run again with the same output directory to go on waiting for the same job)"
    )]
    PollDeadline {
        /// Polls made.
        polls: u32,
        /// Seconds waited so far.
        waited_secs: u64,
        /// The deadline, in seconds.
        deadline_secs: u64,
    },
    /// A downloaded file holds a different number of lines than the manifest's `count`.
    #[error(
        "bulk export download: {file} has {found} line(s) but the server's manifest says {expected}; the file was not kept"
    )]
    CountMismatch {
        /// The local file name.
        file: String,
        /// The manifest's `count`.
        expected: u64,
        /// Lines downloaded.
        found: u64,
    },
    /// Some files of an export could not be downloaded; the others were kept, and a rerun
    /// with the same output directory fetches only what is missing.
    #[error("bulk export: {failed} file(s) could not be downloaded; the first: {first}")]
    FilesFailed {
        /// Files that failed.
        failed: usize,
        /// The first failure.
        #[source]
        first: Box<Self>,
    },
    /// A [`Download`](crate::Download) was asked for something it cannot do (a URL that is
    /// not `http`/`https`, an expected sha256 that is not 64 hex digits, no file name).
    #[error("invalid download: {reason}")]
    InvalidDownload {
        /// What is wrong.
        reason: String,
    },
    /// A download's answer was cut or did not fit what it announced (short of its
    /// `Content-Length`, a `Content-Range` that does not start where the file stopped, a
    /// range not satisfiable): the download asks again, from where it stopped or from the
    /// start.
    #[error("{path}: {problem}")]
    Interrupted {
        /// The URL, credentials and query values redacted.
        path: String,
        /// What was wrong (never file content).
        problem: String,
    },
    /// A downloaded file could not be written, synced or moved into place.
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        /// What was being done (`create`, `write`, `truncate`, `fsync`, `rename`).
        action: &'static str,
        /// The local file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A downloaded file's sha256 is not the one expected: the bytes are discarded and
    /// nothing is left at the target.
    #[error(
        "{path}: sha256 mismatch: expected {expected}, got {found}; the download was discarded"
    )]
    ChecksumMismatch {
        /// The URL, credentials and query values redacted.
        path: String,
        /// The sha256 asked for (lowercase hex).
        expected: String,
        /// The sha256 of what arrived (lowercase hex).
        found: String,
    },
    /// The dead-letter queue could not be written.
    #[error("cannot keep the failed request as a dead letter: {0}")]
    DeadLetter(#[source] steadfast_retry::Error),
}

/// ` (OperationOutcome: error throttled)` after a status, or nothing.
struct OutcomeSuffix<'a>(Option<&'a OutcomeSummary>);

impl fmt::Display for OutcomeSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(o) if !o.issues.is_empty() => write!(f, " (OperationOutcome: {o})"),
            _ => Ok(()),
        }
    }
}

/// ` (HTTP 400, OAuth error invalid_client)` after a token problem, or nothing.
struct TokenSuffix<'a>(Option<u16>, Option<&'a str>);

impl fmt::Display for TokenSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(s), Some(c)) => write!(f, " (HTTP {s}, OAuth error {c})"),
            (Some(s), None) => write!(f, " (HTTP {s})"),
            (None, Some(c)) => write!(f, " (OAuth error {c})"),
            (None, None) => Ok(()),
        }
    }
}
