//! The entry point of a document check: a builder naming the schema, the records paths,
//! the threads and what to show, run over a `.json`, `.json.gz`, `.zip` or standard input.

use std::path::Path;

use steadfast_core::Timestamp;

use super::driver::{self, Settings};
use super::finding::RecordChecks;
use super::input;
use super::lexer::MAX_TOKEN_BYTES;
use super::records::RecordsPath;
use super::report::{self, DocumentReport};
use super::schema::JsonSchema;
use super::validator::{NoSchema, SchemaRef, Validator};
use crate::Error;

/// How far a check has read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentProgress {
    /// Bytes taken from the file (compressed bytes for `.gz` and `.zip`).
    pub bytes_read: u64,
    /// The file's size (of the zip entry for `.zip`), when known (not for stdin).
    pub total: Option<u64>,
    /// Document bytes read (decompressed).
    pub document_bytes: u64,
    /// Records read so far.
    pub records: u64,
}

type ProgressFn<'a> = Box<dyn Fn(DocumentProgress) + Sync + 'a>;

/// Checks a JSON document whose records are array elements against a JSON Schema, in one
/// streaming pass, records checked in parallel.
///
/// ```
/// use steadfast_validation::document::{DocumentCheck, JsonSchema};
///
/// let schema = JsonSchema::from_slice("s", br#"{"properties": {"in_network": {
///     "items": {"required": ["billing_code"]}}}}"#)?;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("rates.json");
/// std::fs::File::create(&path).and_then(|mut f| std::io::Write::write_all(
///     &mut f, br#"{"in_network": [{"billing_code": "1"}, {}]}"#))?;
/// let report = DocumentCheck::new(&schema).records(["$.in_network"]).threads(2).run(&path)?;
/// assert_eq!(report.total_records(), 2);
/// assert_eq!(report.exit_code(), 1);
/// assert_eq!(report.rules[0].findings[0].pointer, "/in_network/1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DocumentCheck<'a> {
    schema: Option<&'a JsonSchema>,
    records: Vec<String>,
    threads: usize,
    show_values: bool,
    checked_at: Option<Timestamp>,
    progress: Option<ProgressFn<'a>>,
    max_findings: usize,
    max_token_bytes: usize,
}

impl<'a> DocumentCheck<'a> {
    /// A check against `schema`; no records paths yet (the whole document is then checked
    /// on one thread), all cores, no values shown, the first 10 findings of each rule kept.
    pub fn new(schema: &'a JsonSchema) -> Self {
        Self {
            schema: Some(schema),
            ..Self::records_only()
        }
    }

    /// A check without a schema: the document is read strictly as JSON and its records
    /// counted (and given to record checks).
    pub fn records_only() -> Self {
        Self {
            schema: None,
            records: Vec::new(),
            threads: 0,
            show_values: false,
            checked_at: None,
            progress: None,
            max_findings: 10,
            max_token_bytes: MAX_TOKEN_BYTES,
        }
    }

    /// Where the records are (`$.in_network`, `$.entry[*].resource`); several allowed.
    pub fn records<S: Into<String>>(mut self, paths: impl IntoIterator<Item = S>) -> Self {
        self.records.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Worker threads; 0 (the default) for one per core, 1 to check on the reading thread.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Shows offending values in findings (they may be sensitive).
    pub fn show_values(mut self, show: bool) -> Self {
        self.show_values = show;
        self
    }

    /// The time the report says the check ran (default: when it starts).
    pub fn checked_at(mut self, at: Timestamp) -> Self {
        self.checked_at = Some(at);
        self
    }

    /// Findings kept with details per rule (every one is counted).
    pub fn max_findings(mut self, n: usize) -> Self {
        self.max_findings = n;
        self
    }

    /// How many findings per rule keep their details.
    pub(crate) fn findings_kept(&self) -> usize {
        self.max_findings
    }

    /// The longest single token (a string, a number) read; longer is a `json` finding.
    pub fn max_token_bytes(mut self, n: usize) -> Self {
        self.max_token_bytes = n;
        self
    }

    /// Called every few MiB with how far the check has read.
    pub fn progress(mut self, callback: impl Fn(DocumentProgress) + Sync + 'a) -> Self {
        self.progress = Some(Box::new(callback));
        self
    }

    /// Checks the file at `path` (`-` for standard input).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the file cannot be opened or is not a usable archive,
    /// [`Error::InvalidSelector`] for a records path that does not parse. A document that
    /// is not valid JSON is not an error: it is a `json` finding in the report.
    pub fn run(&self, path: impl AsRef<Path>) -> Result<DocumentReport, Error> {
        self.run_with_checks(path, || ())
    }

    /// Checks the file at `path` with record checks beside the schema: `make` builds one
    /// value per thread; their states are merged and finished at the end.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub(crate) fn run_with_checks<C: RecordChecks>(
        &self,
        path: impl AsRef<Path>,
        make: impl Fn() -> C + Sync,
    ) -> Result<DocumentReport, Error> {
        match self.schema {
            Some(schema) => self.run_validator(path.as_ref(), &SchemaRef(schema), &make),
            None => self.run_validator(path.as_ref(), &NoSchema, &make),
        }
    }

    fn run_validator<V: Validator, C: RecordChecks>(
        &self,
        path: &Path,
        validator: &V,
        make: &(dyn Fn() -> C + Sync),
    ) -> Result<DocumentReport, Error> {
        let paths = self
            .records
            .iter()
            .map(|p| RecordsPath::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let checked_at = self.checked_at.unwrap_or_else(Timestamp::now);
        let opened = input::open(path)?;
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let (read, total) = (opened.read.clone(), opened.total);
        let progress = |document_bytes: u64, records: u64| {
            if let Some(callback) = &self.progress {
                let bytes_read = read.load(std::sync::atomic::Ordering::Relaxed);
                callback(DocumentProgress {
                    bytes_read,
                    total,
                    document_bytes,
                    records,
                });
            }
        };
        let settings = Settings {
            records: &paths,
            threads,
            show_values: self.show_values,
            max_findings: self.max_findings,
            max_token_bytes: self.max_token_bytes,
            progress: Some(&progress),
        };
        let outcome = driver::run(opened.reader, validator, &settings, make);
        let driver::Outcome {
            mut tally,
            checks,
            records,
            bytes,
            complete,
        } = outcome;
        checks.finish(&mut tally);
        let outcome = driver::Outcome {
            tally,
            checks: (),
            records,
            bytes,
            complete,
        };
        let file = path.display().to_string();
        Ok(report::build(
            file,
            checked_at,
            &paths,
            outcome,
            validator.ignored(),
        ))
    }
}
