//! Validating finished runs against thresholds, and data quality of FHIR NDJSON.
//!
//! **Status: foundation only.** This crate will hold (issues "steadfast-validation (I)" and
//! "(II)"):
//!
//! - a thresholds model (row-count ratios between steps, step durations, dead letters, error
//!   rates, change against history) loaded in layers: defaults < file < environment < flags;
//! - `validate_run(dir, thresholds)` → a report in text, JSON, Markdown and JUnit XML, written
//!   into the run's `validation/` directory;
//! - streaming, parallel data-quality checks on FHIR Bulk Data NDJSON (required fields,
//!   uniqueness, allowed values, reference integrity, counts against the bulk manifest),
//!   reporting locations but never patient values unless asked.
//!
//! A validation's overall verdict is the worst of its rules:
//!
//! ```
//! use steadfast_core::Status;
//!
//! let rules = [Status::Pass, Status::Warn, Status::Pass];
//! assert_eq!(Status::worst(rules), Status::Warn);
//! ```
