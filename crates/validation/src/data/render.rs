//! Data reports in the formats of run validation, plus what only data reports have: the
//! files read, records per resource type, and each broken rule's first locations.

use std::fmt::Write as _;

use super::report::{DataReport, Location};
use crate::render::{View, esc, junit, markdown, text};
use crate::{Format, RuleResult};

/// `file:line[:column] field: message [= value]`.
pub(crate) fn location_line(l: &Location) -> String {
    let mut s = format!("{}:{}", l.file, l.line);
    if let Some(c) = l.column {
        let _ = write!(s, ":{c}");
    }
    s.push(' ');
    if let Some(f) = &l.field {
        let _ = write!(s, "{f}: ");
    }
    s.push_str(&l.message);
    if let Some(v) = &l.value {
        let _ = write!(s, " = {v}");
    }
    s
}

fn located(results: &[RuleResult]) -> impl Iterator<Item = &RuleResult> {
    results.iter().filter(|r| !r.locations.is_empty())
}

fn shown(r: &RuleResult) -> String {
    let total = r.violations.unwrap_or(0);
    let n = r.locations.len() as u64;
    if total > n {
        format!("first {n} of {total}")
    } else {
        format!("{n}")
    }
}

/// Appends each rule's locations to a text report.
pub(crate) fn text_locations(out: &mut String, results: &[RuleResult]) {
    for r in located(results) {
        let _ = writeln!(out, "\n{} ({}):", esc(&r.name), shown(r));
        for l in &r.locations {
            let _ = writeln!(out, "  {}", esc(&location_line(l)));
        }
    }
}

/// Appends each rule's locations to a Markdown report.
pub(crate) fn markdown_locations(out: &mut String, results: &[RuleResult]) {
    for r in located(results) {
        let _ = writeln!(
            out,
            "\n**{}** ({}):\n",
            esc(&r.name.replace('|', "\\|")),
            shown(r)
        );
        for l in &r.locations {
            let _ = writeln!(out, "- `{}`", esc(&location_line(l).replace('`', "'")));
        }
    }
}

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
