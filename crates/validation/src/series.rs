//! The names of the Prometheus series that carry this crate's verdicts, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one). A run's
//! `run_validation_failed` gauge is set by whoever finishes the run (the facade's `Run`)
//! and pushed with its metrics; the alert rules read the same constant.
//!
//! ```
//! use steadfast_validation::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::RUN_VALIDATION_FAILED), "steadfast_run_validation_failed");
//! ```

/// Gauge: 1 when the run's validation verdict is fail, else 0; pushed when a run finishes.
pub const RUN_VALIDATION_FAILED: &str = "run_validation_failed";

/// The metric each finished step records (a gauge named so, under the step's name, seconds):
/// the extract-time and required-steps alerts read it as `<prefix>_duration_seconds{step}`.
pub const STEP_DURATION_SECONDS: &str = "duration_seconds";

/// Counter: the elements a JSON document check read per array of the document, labelled
/// [`DOCUMENT_ARRAY_LABEL`] (`in_network`, `negotiated_rates`, `negotiated_prices`,
/// `provider_references`, `provider_groups`, `npi`, …) — the file side of a `row_count`
/// comparison against the database a pipeline loaded the file into.
pub const DOCUMENT_RECORDS: &str = "document_records";

/// The label of [`DOCUMENT_RECORDS`] naming the array counted.
pub const DOCUMENT_ARRAY_LABEL: &str = "array";
