//! Validating finished pipeline runs against layered thresholds.
//!
//! A run must be complete (`run_complete`: finished, and no process holding its `.active`
//! lock; a live or crashed run fails unless judged on purpose with [`Incomplete::Warn`]).
//! It is judged by the two built-in rules of the system Steadfast replaces — each
//! step's record count against the previous step's (`row_count_threshold`, default 0.95)
//! and the extract step's duration (`extract_time_threshold`, default 10 minutes) — and by
//! general rules over the run's metrics: bounds (`compare`), `ratio`s of two metrics,
//! `required_steps`, `required_labels` (resource types present), `dead_letters`,
//! `error_rate`, and `change` against the pipeline's previous runs (relative change or
//! standard deviations, as Deequ's anomaly checks). Every rule has a name and a severity.
//!
//! Thresholds load in layers through `steadfast_core::config` (defaults < file < profile <
//! `STEADFAST_VALIDATION__*` < `--set`), every problem reported at once at file:line:col.
//! Reports come as text, JSON, Markdown and JUnit XML.
//!
//! ```
//! use steadfast_core::config::Loader;
//! use steadfast_core::{RunDir, RunManifest, RunState, StepRecord, Timestamp};
//! use steadfast_validation::{Format, Thresholds, render, validate_run, write_reports};
//!
//! // A finished run whose silver step lost 10% of bronze's records.
//! let root = tempfile::tempdir()?;
//! let run = RunDir::create(root.path(), "epic-fhir")?;
//! let rec = steadfast_metrics::Recorder::to_run_dir(&run)?;
//! rec.counter("bronze", "records").label("resource_type", "Patient").add(1000);
//! rec.counter("silver", "records").add(900);
//! rec.close()?;
//! let mut manifest = RunManifest::new(run.id(), "epic-fhir", Timestamp::now());
//! manifest.steps = vec![StepRecord::new("bronze", Timestamp::now()), StepRecord::new("silver", Timestamp::now())];
//! manifest.state = RunState::Finished;
//! run.write_manifest(&manifest)?;
//!
//! let thresholds = Thresholds::load(
//!     &Loader::new()
//!         .toml_str("thresholds.toml", r#"
//!             [[rules]]
//!             name = "patients-extracted"
//!             metric = "bronze.records{resource_type=Patient}"
//!             min = 500
//!         "#)
//!         .env_vars::<_, String, String>([]),
//! )?;
//! let report = validate_run(run.path(), thresholds.value())?;
//! assert_eq!(report.exit_code(), 1); // 0.90 < 0.95
//! println!("{}", render(&report, Format::Text, false));
//! let written = write_reports(&run, &report, Some(&thresholds))?; // validation/<stamp>/
//! assert!(written.junit.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bytes;
mod complete;
pub mod conformance;
pub mod data;
pub mod document;
mod error;
mod escape;
mod history;
mod locations;
mod prehash;
mod read;
mod records;
mod render;
mod report;
mod rules;
mod selector;
pub mod series;
#[cfg(test)]
mod testing;
mod thresholds;
mod thresholds_keys;
mod validate;

pub use complete::Incomplete;
pub use error::Error;
pub use records::{ReportPaths, ValidationRecord, latest_record, records, write_reports};
pub use render::{Format, color_for_stdout, render};
pub use report::{RuleResult, ValidationReport};
pub use selector::{Aggregate, MetricSelector};
pub use thresholds::{CheckKind, RuleSpec, Severity, Thresholds};
pub use validate::{validate_run, validate_run_at, validate_run_with};
