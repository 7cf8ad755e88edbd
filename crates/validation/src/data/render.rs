//! Data reports in the formats of run validation, plus what only data reports have: the
//! files read and records per resource type (first locations, which run reports show
//! too, are in `locations.rs`).

use std::fmt::Write as _;

use super::report::DataReport;
use crate::Format;
use crate::render::{View, esc, junit, markdown, text};

/// Renders a data report: text (colour only when asked), JSON, Markdown or JUnit XML.
///
/// ```
/// use steadfast_validation::Format;
/// use steadfast_validation::data::{RecordChecker, DataRules, render_data};
///
/// let mut checker = RecordChecker::new(&DataRules::default(), "silver")?;
/// checker.check_line(br#"{"resourceType":"Patient","id":"1"}"#);
/// let report = checker.finish();
/// assert!(render_data(&report, Format::Text, false).contains("1 records"));
/// assert!(render_data(&report, Format::Junit, false).starts_with("<?xml"));
/// # Ok::<(), steadfast_validation::Error>(())
/// ```
pub fn render_data(report: &DataReport, format: Format, color: bool) -> String {
    let records = report.records();
    let files = report.files.len();
    // A hostile file can hold thousands of made-up types: the title names the first few.
    const TYPES_SHOWN: usize = 12;
    let mut types = report
        .resource_types
        .iter()
        .take(TYPES_SHOWN)
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = report.resource_types.len().saturating_sub(TYPES_SHOWN);
    if more > 0 {
        let _ = write!(types, " and {more} more types");
    }
    let title = if types.is_empty() {
        format!("Data quality of {files} file(s), {records} records")
    } else {
        format!("Data quality of {files} file(s), {records} records ({types})")
    };
    let view = View {
        md_intro: format!("{title}, checked {}.", report.checked_at),
        title,
        md_title: "Data quality",
        suite: "data-quality",
        class: "data",
        timestamp: report.checked_at,
        status: report.status,
        results: &report.results,
    };
    match format {
        Format::Text => {
            let mut out = text(&view, color);
            out.push_str("\nFiles:\n");
            for f in &report.files {
                let _ = writeln!(
                    out,
                    "  {}{}: {} lines, {} records, {} invalid, {} blank",
                    esc(&f.file),
                    if f.gzip { " (gzip)" } else { "" },
                    f.lines,
                    f.records,
                    f.invalid,
                    f.blank
                );
            }
            out
        }
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Markdown => markdown(&view),
        Format::Junit => junit(&view),
    }
}
