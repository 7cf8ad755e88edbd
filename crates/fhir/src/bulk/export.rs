//! `BulkExport`: the builder of one Bulk Data export — what to export (system, all
//! patients, a group; `_type`, `_since`, `_typeFilter`, `_outputFormat`), where to, how many
//! files at once, how to poll, and on which clock — and `ExportSummary`, what it did.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use steadfast_http::reqwest::Url;
use steadfast_retry::{AsyncSleeper, Clock, SystemClock, TokioSleeper};

use super::events::{BulkEvent, Events};
use super::poll::{PollTiming, Time};
use crate::client::FhirClient;
use crate::error::FhirError;
use crate::location::resource_type_name;

/// What an export covers (Bulk Data IG v2 kick-off endpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportLevel {
    /// `[base]/$export`: every resource of the server.
    System,
    /// `[base]/Patient/$export`: the data of all patients.
    Patient,
    /// `[base]/Group/{id}/$export`: the data of a group's members.
    Group(String),
}

/// One Bulk Data export of a [`FhirClient`]'s server into a local directory: kick-off
/// (`Prefer: respond-async`), polling the job's status, downloading every file listed in
/// parallel, a local `manifest.json` with each file's sha256, size and line count (what
/// `validate-data` reads), then the job deleted on the server. Kill -9 safe: a rerun with
/// the same directory resumes the job and fetches only what is missing.
///
/// ```no_run
/// use steadfast_fhir::{BulkExport, ExportLevel, FhirClient};
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::RetryPolicy;
///
/// let client = FhirClient::new("https://ehr.example/fhir/r4", &HttpSettings::default(),
///     RetryPolicy::exponential().max_retries(5))?;
/// let summary = BulkExport::new(&client, "data/bronze")
///     .level(ExportLevel::Group("diabetes-cohort".into()))
///     .types(["Patient", "Observation"])
///     .since("2026-01-01T00:00:00Z")
///     .run()?;
/// println!("{} file(s), {} bytes", summary.files.len(), summary.bytes());
/// # Ok::<(), steadfast_fhir::FhirError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct BulkExport<'a> {
    pub(crate) client: &'a FhirClient,
    pub(crate) out: PathBuf,
    pub(crate) level: ExportLevel,
    pub(crate) types: Vec<String>,
    pub(crate) since: Option<String>,
    pub(crate) type_filters: Vec<String>,
    pub(crate) output_format: Option<String>,
    pub(crate) concurrency: usize,
    pub(crate) gzip: bool,
    pub(crate) read_idle: Duration,
    pub(crate) timing: PollTiming,
    pub(crate) time: TimeDebug,
    pub(crate) events: Events,
}

/// The injected time, shown without its innards.
pub(crate) struct TimeDebug(pub(crate) Time);

impl std::fmt::Debug for TimeDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Time")
    }
}

/// A file of a finished export, as listed in the local manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportedFile {
    /// The local file name, in the output directory.
    pub name: String,
    /// The resource type of its lines.
    pub resource_type: String,
    /// Whether it is an error file (`OperationOutcome`s) or a deleted-resources file
    /// rather than data.
    pub is_data: bool,
    /// Its size.
    pub bytes: u64,
    /// Its lines (resources).
    pub lines: u64,
    /// Its sha256, lower-case hex.
    pub sha256: String,
    /// Whether an earlier run had already fetched it (verified, not fetched again).
    pub reused: bool,
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportSummary {
    /// Every file, in the manifest's order.
    pub files: Vec<ExportedFile>,
    /// The local manifest (`<out>/manifest.json`).
    pub manifest: PathBuf,
    /// Whether the job of an earlier run was resumed.
    pub resumed: bool,
    /// Status polls made.
    pub polls: u32,
    /// Whether the job was deleted on the server (a failed delete is not an error).
    pub job_deleted: bool,
}

impl ExportSummary {
    /// The bytes of every file.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

impl<'a> BulkExport<'a> {
    /// An export of `client`'s server into `out` (created if missing): system level,
    /// every type, 4 files at a time, NDJSON as the server sends it.
    pub fn new(client: &'a FhirClient, out: impl AsRef<Path>) -> Self {
        Self {
            client,
            out: out.as_ref().to_path_buf(),
            level: ExportLevel::System,
            types: Vec::new(),
            since: None,
            type_filters: Vec::new(),
            output_format: None,
            concurrency: 4,
            gzip: false,
            read_idle: Duration::from_secs(60),
            timing: PollTiming::default(),
            time: TimeDebug(Time {
                clock: Arc::new(SystemClock),
                sleeper: Arc::new(TokioSleeper),
            }),
            events: Events::default(),
        }
    }

    /// System, `Patient` or `Group/{id}` level.
    pub fn level(mut self, level: ExportLevel) -> Self {
        self.level = level;
        self
    }

    /// `_type`: only these resource types.
    pub fn types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.types = types.into_iter().map(Into::into).collect();
        self
    }

    /// `_since`: only resources changed after this FHIR `instant`.
    pub fn since(mut self, instant: impl Into<String>) -> Self {
        self.since = Some(instant.into());
        self
    }

    /// `_typeFilter` (repeatable): a search restricting one type
    /// (`Observation?category=laboratory`).
    pub fn type_filter(mut self, filter: impl Into<String>) -> Self {
        self.type_filters.push(filter.into());
        self
    }

    /// `_outputFormat` (the server's default, `application/fhir+ndjson`, unless set).
    pub fn output_format(mut self, format: impl Into<String>) -> Self {
        self.output_format = Some(format.into());
        self
    }

    /// Files downloaded at once (default 4, at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Writes each file gzip-compressed (`Patient.ndjson.gz`); its sha256 and size are the
    /// compressed file's, its line count the resources inside.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// The longest a file download may wait for data (default 60 s) before it is cut and
    /// resumed. A file has no total timeout: the client's request timeout is not applied
    /// to downloads, only to the job's other requests.
    pub fn read_idle_timeout(mut self, d: Duration) -> Self {
        self.read_idle = d;
        self
    }

    /// How the job's status is polled ([`PollTiming`]).
    pub fn poll_timing(mut self, timing: PollTiming) -> Self {
        self.timing = timing;
        self
    }

    /// The clock polling waits and the deadline are measured on (tests pass a
    /// [`ManualClock`](steadfast_retry::ManualClock)); the system's by default.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.time.0.clock = Arc::new(clock);
        self
    }

    /// What waits between polls (tokio's timer by default; a `ManualClock` in tests).
    pub fn sleeper(mut self, sleeper: impl AsyncSleeper + 'static) -> Self {
        self.time.0.sleeper = Arc::new(sleeper);
        self
    }

    /// Called at each step ([`BulkEvent`]): progress bars, logs.
    pub fn on_event(mut self, f: impl Fn(&BulkEvent<'_>) + Send + Sync + 'static) -> Self {
        self.events = Events::new(Arc::new(f));
        self
    }

    /// Runs the export (blocking, on the client's runtime; never from async code).
    ///
    /// # Errors
    /// As [`BulkExport::run_async`]; [`FhirError::InvalidExport`] or
    /// [`FhirError::InvalidResourceType`] for a group id or type that is not one.
    pub fn run(&self) -> Result<ExportSummary, FhirError> {
        self.client.runtime()?.block_on(self.run_async())
    }

    /// The kick-off URL: the level's `$export` with the parameters set.
    pub(crate) fn kickoff_url(&self) -> Result<Url, FhirError> {
        let path = match &self.level {
            ExportLevel::System => "$export".to_owned(),
            ExportLevel::Patient => "Patient/$export".to_owned(),
            ExportLevel::Group(id) => {
                let ok = !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
                if !ok {
                    return Err(FhirError::InvalidExport {
                        reason: "a group id is 1 to 64 letters, digits, '-' or '.'",
                    });
                }
                format!("Group/{id}/$export")
            }
        };
        for t in &self.types {
            if resource_type_name(t).is_none() {
                return Err(FhirError::InvalidResourceType(t.clone()));
            }
        }
        let mut url = self.client.base.join(&path).ok_or(FhirError::InvalidBase {
            reason: "the base URL cannot have a path",
        })?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(f) = &self.output_format {
                query.append_pair("_outputFormat", f);
            }
            if let Some(s) = &self.since {
                query.append_pair("_since", s);
            }
            if !self.types.is_empty() {
                query.append_pair("_type", &self.types.join(","));
            }
            for f in &self.type_filters {
                query.append_pair("_typeFilter", f);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steadfast_http::HttpSettings;
    use steadfast_retry::RetryPolicy;

    #[test]
    fn kickoff_urls_carry_the_parameters() {
        let client = FhirClient::new(
            "http://127.0.0.1:1/fhir",
            &HttpSettings::default(),
            RetryPolicy::exponential(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = BulkExport::new(&client, dir.path()).kickoff_url().unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:1/fhir/$export");
        let url = BulkExport::new(&client, dir.path())
            .level(ExportLevel::Group("g-1".into()))
            .types(["Patient", "Observation"])
            .since("2026-01-01T00:00:00Z")
            .type_filter("Observation?category=laboratory")
            .kickoff_url()
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/fhir/Group/g-1/$export?_since=2026-01-01T00%3A00%3A00Z&_type=Patient%2CObservation&_typeFilter=Observation%3Fcategory%3Dlaboratory"
        );
        let bad = BulkExport::new(&client, dir.path()).level(ExportLevel::Group("../x".into()));
        assert!(bad.kickoff_url().is_err());
        let bad = BulkExport::new(&client, dir.path()).types(["patient"]);
        assert!(bad.kickoff_url().is_err());
    }
}
