//! The report of a document check: per rule an exact count and the first findings (JSON
//! Pointer, byte offset, line, column; values only when asked), records per records path,
//! bytes read, and the schema keywords that were not checked.

use serde::{Deserialize, Serialize};
use steadfast_core::{Status, Timestamp};

use super::driver::Outcome;
use super::records::RecordsPath;
use super::tally::JSON_RULE;

/// Where one violation is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFinding {
    /// The JSON Pointer of the value (`/in_network/12/negotiated_rates/0`).
    pub pointer: String,
    /// Its byte offset in the (decompressed) document.
    pub offset: u64,
    /// Its 1-based line.
    pub line: u64,
    /// Its 1-based column, in bytes.
    pub column: u32,
    /// What was expected, never the value itself.
    pub message: String,
    /// The value as written — only with `show_values`, since it may be sensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One rule's violations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRule {
    /// The rule: a schema path (`#/properties/in_network/items/required`), a record
    /// check's name, or `json` when the bytes are not JSON.
    pub rule: String,
    /// How many violations, exactly.
    pub count: u64,
    /// The first few, in document order.
    pub findings: Vec<DocumentFinding>,
}

/// How many records one records path had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCount {
    /// The records path as given (`$.in_network`).
    pub path: String,
    /// Its records.
    pub records: u64,
}

/// What a [`DocumentCheck`](super::DocumentCheck) found. Render it with
/// [`render_document`](super::render_document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentReport {
    /// The file checked, as given.
    pub file: String,
    /// When the check ran.
    pub checked_at: Timestamp,
    /// Fail when any rule was broken.
    pub status: Status,
    /// Document bytes read (decompressed).
    pub bytes: u64,
    /// False when the document could not be read to its end (see the `json` rule).
    pub complete: bool,
    /// Records per records path, in the order given.
    pub records: Vec<RecordCount>,
    /// Every broken rule, by name.
    pub rules: Vec<DocumentRule>,
    /// Schema keywords that were not checked (`#/definitions/x/dependentRequired`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_keywords: Vec<String>,
}

impl DocumentReport {
    /// 0 when nothing was broken, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.status == Status::Fail)
    }

    /// How many violations of `rule` were found.
    pub fn violations(&self, rule: &str) -> u64 {
        self.rules
            .iter()
            .find(|r| r.rule == rule)
            .map_or(0, |r| r.count)
    }

    /// Records read, over every records path.
    pub fn total_records(&self) -> u64 {
        self.records.iter().map(|r| r.records).sum()
    }

    /// True when the document could not be read as JSON somewhere.
    pub fn malformed(&self) -> bool {
        self.violations(JSON_RULE) > 0
    }
}

/// Builds the report of a finished pass.
pub(crate) fn build<C>(
    file: String,
    checked_at: Timestamp,
    paths: &[RecordsPath],
    outcome: Outcome<C>,
    ignored_keywords: Vec<String>,
) -> DocumentReport {
    let rules: Vec<DocumentRule> = outcome
        .tally
        .finish()
        .into_iter()
        .map(|(rule, t)| DocumentRule {
            rule: rule.to_string(),
            count: t.count,
            findings: t
                .first
                .into_iter()
                .map(|f| DocumentFinding {
                    pointer: f.pointer,
                    offset: f.pos.offset,
                    line: f.pos.line,
                    column: f.pos.column,
                    message: f.message,
                    value: f.value,
                })
                .collect(),
        })
        .collect();
    let status = if rules.iter().any(|r| r.count > 0) {
        Status::Fail
    } else {
        Status::Pass
    };
    DocumentReport {
        file,
        checked_at,
        status,
        bytes: outcome.bytes,
        complete: outcome.complete,
        records: paths
            .iter()
            .zip(&outcome.records)
            .map(|(p, &records)| RecordCount {
                path: p.text.clone(),
                records,
            })
            .collect(),
        rules,
        ignored_keywords,
    }
}
