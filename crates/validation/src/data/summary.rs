//! `FileSummary`: what a data-quality check read from one file.

use serde::{Deserialize, Serialize};

/// What was read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSummary {
    /// The file.
    pub file: String,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// Its size on disk.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Resources read (lines that are JSON objects with a `resourceType`).
    pub records: u64,
    /// Blank lines (skipped).
    pub blank: u64,
    /// Malformed lines.
    pub invalid: u64,
}
