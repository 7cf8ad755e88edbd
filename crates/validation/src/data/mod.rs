//! Data-quality checks on FHIR Bulk Data NDJSON: required fields, unique ids, allowed
//! values, ranges, patterns, reference integrity, manifest counts and checksums — streamed,
//! in parallel, in bounded memory, and reported without patient values unless asked.
//!
//! Files at rest go through [`DataCheck`]: plain `.ndjson` is split at newline boundaries
//! across threads, `.ndjson.gz` is decompressed as it is read, and a bulk export manifest
//! brings each file's expected type and `count`. Records passing through a pipeline step go
//! through [`RecordChecker`], one line or value at a time. Both produce a [`DataReport`]
//! rendered by [`render_data`] in the formats of run validation.
//!
//! Each line is scanned once by a validating JSON scanner that captures only the fields the
//! rules name; identifiers are kept as 128-bit hashes (xxh3), so memory grows with the
//! number of distinct ids, not with file size. Malformed lines are counted and located
//! (file:line:column) and never stop the check; `max_invalid_lines` decides whether they
//! fail it.
//!
//! ```
//! use steadfast_core::config::Loader;
//! use steadfast_validation::data::{DataCheck, DataRules, render_data};
//! use steadfast_validation::Format;
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("Patient.ndjson"), concat!(
//!     r#"{"resourceType":"Patient","id":"p1","gender":"female"}"#, "\n",
//!     r#"{"resourceType":"Patient","id":"p1","gender":"f"}"#, "\n",
//! ))?;
//! let rules = DataRules::load(&Loader::new().toml_str("rules.toml", r#"
//!     [resources.Patient]
//!     required = ["gender"]
//!     [[resources.Patient.checks]]
//!     field = "gender"
//!     allowed = ["male", "female", "other", "unknown"]
//! "#))?;
//! let report = DataCheck::new(rules.value()).run(&[dir.path()])?;
//! assert_eq!(report.violations("Patient.unique:id"), 1);
//! assert_eq!(report.violations("Patient.allowed:gender"), 1);
//! let text = render_data(&report, Format::Text, false);
//! assert!(text.contains("Patient.ndjson:2"));
//! assert!(!text.contains("\"f\"")); // no values unless asked
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checks;
#[cfg(feature = "synthetic")]
pub mod conformance_gen;
mod engine;
#[cfg(feature = "synthetic")]
pub mod generate;
mod input;
mod lines;
mod manifest;
mod merge;
mod packed;
mod partial;
mod path;
mod plan;
mod render;
mod report;
mod resolve;
mod rules;
mod scan;
mod shard;
mod shard_spec;
mod sightings;
mod source;
mod stream;
mod summary;
#[cfg(feature = "synthetic")]
pub mod synthetic;
mod tally;

use std::path::{Path, PathBuf};

use steadfast_core::Timestamp;

pub use manifest::{BulkManifest, MANIFEST_FILE, ManifestEntry};
pub use partial::{PARTIAL_FORMAT, PARTIAL_VERSION, PartialResult};
pub use render::render_data;
pub use report::{DataReport, Location};
pub use rules::{DataRules, FieldCheck, ResourceRules};
pub use shard_spec::{MAX_SHARDS, Shard, ShardError};
pub use stream::RecordChecker;
pub use summary::FileSummary;

use crate::Error;

/// A check of files at rest.
///
/// ```
/// use steadfast_validation::data::{DataCheck, DataRules};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("x.ndjson"), "{\"resourceType\":\"Patient\",\"id\":\"1\"}\nnot json\n")?;
/// let report = DataCheck::new(&DataRules::default()).threads(1).run(&[dir.path()])?;
/// assert_eq!(report.violations("invalid_lines"), 1);
/// assert_eq!(report.exit_code(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DataCheck<'r> {
    rules: &'r DataRules,
    show_values: bool,
    allow_outside: bool,
    threads: usize,
    checked_at: Option<Timestamp>,
}

impl<'r> DataCheck<'r> {
    /// A check by `rules`.
    pub fn new(rules: &'r DataRules) -> Self {
        Self {
            rules,
            show_values: false,
            allow_outside: false,
            threads: rules.threads,
            checked_at: None,
        }
    }

    /// Put offending values into the report. Off by default: values may be patient data.
    #[must_use]
    pub fn show_values(mut self, show: bool) -> Self {
        self.show_values = show;
        self
    }

    /// Read files outside what was given, on purpose: a manifest `url` that is absolute,
    /// climbs out with `..` or leads out through a link, and links in a directory input
    /// that point outside it. Off by default: a manifest comes from a remote server, so
    /// without this it can only name files in its own directory.
    ///
    /// ```
    /// use steadfast_validation::data::{DataCheck, DataRules};
    ///
    /// let outside = tempfile::tempdir()?;
    /// std::fs::write(outside.path().join("x.ndjson"), "{\"resourceType\":\"Patient\",\"id\":\"1\"}\n")?;
    /// let dir = tempfile::tempdir()?;
    /// let url = outside.path().join("x.ndjson");
    /// let manifest = dir.path().join("manifest.json");
    /// std::fs::write(&manifest, format!(r#"{{"output":[{{"type":"Patient","url":"{}"}}]}}"#, url.display()))?;
    /// let rules = DataRules::default();
    /// let err = DataCheck::new(&rules).run(&[&manifest]).unwrap_err();
    /// assert!(err.to_string().contains("output[0].url"), "{err}");
    /// let report = DataCheck::new(&rules).allow_outside(true).run(&[&manifest])?;
    /// assert_eq!(report.records(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn allow_outside(mut self, allow: bool) -> Self {
        self.allow_outside = allow;
        self
    }

    /// Worker threads (0: one per available core).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// The time the report states (default: now), for reproducible reports.
    #[must_use]
    pub fn checked_at(mut self, at: Timestamp) -> Self {
        self.checked_at = Some(at);
        self
    }

    /// Checks `inputs`: `.ndjson`/`.ndjson.gz` files, directories of them (a directory
    /// holding `manifest.json` is read through its manifest), bulk export manifests, or
    /// `-` for standard input (NDJSON, gzip recognised).
    ///
    /// Only regular files are read; a manifest's urls and a directory's links must stay
    /// inside it (see [`allow_outside`](Self::allow_outside)). A dangling link in a
    /// directory fails the `inputs` rule, and the `records_checked` rule fails when no
    /// record of a type the rules name was read (any record, when they name none).
    ///
    /// # Errors
    /// [`Error::Input`] for an input that is not usable (naming it and the fix),
    /// [`Error::Run`] when a file cannot be read or is not a regular file (a FIFO, a
    /// device) or is too large to be what it claims (a manifest over 64 MiB, a `.sha256`
    /// sidecar over 4 KiB). Bad data is never an error: it is in the report.
    pub fn run<P: AsRef<Path>>(&self, inputs: &[P]) -> Result<DataReport, Error> {
        let paths: Vec<PathBuf> = inputs.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let input::Inputs { sources, problems } = input::resolve(&paths, self.allow_outside)?;
        let plan = plan::Plan::new(self.rules, &sources, self.show_values, Some(&problems))
            .map_err(Error::Internal)?;
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            n => n,
        };
        let checksums = self.rules.verify_checksums;
        let units = engine::whole(&sources);
        let outcome = engine::run(&plan, &sources, &units, threads, checksums)?;
        let at = self.checked_at.unwrap_or_else(Timestamp::now);
        Ok(report::build(&plan, &sources, outcome, at))
    }
}
