//! FHIR Bulk Data Access v2 `$export`: [`BulkExport`] kicks off a job, polls its status
//! (never sooner than `Retry-After`, 429 means "wait longer", bounded by a deadline),
//! downloads every file in parallel through the retry policy (a dropped download resumed
//! with `Range`), writes each atomically with its sha256 and line count into a local
//! `manifest.json` that `validate-data` reads, and deletes the job. A state file makes it
//! kill -9 safe.

mod bounded;
mod download;
mod events;
mod export;
mod finish;
mod job;
mod plan;
mod poll;
mod request;
mod state;

pub use events::BulkEvent;
pub use export::{BulkExport, ExportLevel, ExportSummary, ExportedFile};
pub use finish::export_in_progress;
pub use poll::PollTiming;
pub use state::STATE_FILE;

/// The error of a bulk GET (kick-off, poll, download) the retry policy gave up on.
use crate::download::gave_up;
