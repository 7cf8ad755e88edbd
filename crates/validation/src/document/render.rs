//! Document reports in the formats of every other report (text, JSON, Markdown, JUnit):
//! one row per records path and per broken rule, each finding located by JSON Pointer,
//! line, column and byte offset.

use std::fmt::Write as _;

use steadfast_core::Status;

use super::report::DocumentReport;
use crate::data::Location;
use crate::render::{View, esc, junit, markdown, text};
use crate::{Format, RuleResult, Severity};

fn rows(report: &DocumentReport) -> Vec<RuleResult> {
    let mut rows = Vec::new();
    for r in &report.records {
        let mut row = RuleResult::judge(
            format!("records:{}", r.path),
            "records",
            Severity::Fail,
            true,
        );
        row.observed = format!("{} records", r.records);
        row.expected = "-".into();
        row.message = format!("{} records at {}", r.records, r.path);
        row.value = Some(r.records as f64);
        rows.push(row);
    }
    for rule in &report.rules {
        let check = if rule.rule == "json" {
            "json"
        } else if rule.rule.starts_with('#') {
            "schema"
        } else {
            "check"
        };
        let mut row = RuleResult::judge(rule.rule.clone(), check, Severity::Fail, rule.count == 0);
        row.observed = format!("{} violations", rule.count);
        row.expected = "0".into();
        row.message = rule
            .findings
            .first()
            .map_or_else(String::new, |f| f.message.clone());
        row.violations = Some(rule.count);
        row.locations = rule
            .findings
            .iter()
            .map(|f| Location {
                file: report.file.clone(),
                line: f.line,
                column: Some(u64::from(f.column)),
                field: Some(if f.pointer.is_empty() {
                    "/".into()
                } else {
                    f.pointer.clone()
                }),
                message: format!("{} (byte {})", f.message, f.offset),
                value: f.value.clone(),
            })
            .collect();
        rows.push(row);
    }
    rows
}

/// Renders a document report: text (colour only when asked), JSON, Markdown or JUnit XML.
///
/// ```
/// use steadfast_validation::Format;
/// use steadfast_validation::document::{DocumentCheck, render_document};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("rates.json");
/// std::fs::File::create(&path).and_then(|mut f| {
///     std::io::Write::write_all(&mut f, br#"{"in_network": [{"a": 1}, {"a": 2}]}"#)
/// })?;
/// let report = DocumentCheck::records_only().records(["$.in_network"]).run(&path)?;
/// assert!(render_document(&report, Format::Text, false).contains("2 records"));
/// assert!(render_document(&report, Format::Junit, false).starts_with("<?xml"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_document(report: &DocumentReport, format: Format, color: bool) -> String {
    let results = rows(report);
    let records = report.total_records();
    let title = format!(
        "Document {}: {} records, {} bytes",
        report.file, records, report.bytes
    );
    let view = View {
        md_intro: format!("{title}, checked {}.", report.checked_at),
        title,
        md_title: "Document check",
        suite: "document",
        class: "document",
        timestamp: report.checked_at,
        status: report.status,
        results: &results,
    };
    let mut out = match format {
        Format::Json => return serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Text => text(&view, color),
        Format::Markdown => markdown(&view),
        Format::Junit => return junit(&view),
    };
    let md = format == Format::Markdown;
    if !report.complete {
        let _ = writeln!(
            out,
            "\nThe document could not be read to its end (see the json rule)."
        );
    }
    if !report.ignored_keywords.is_empty() {
        let _ = writeln!(out, "\nIgnored schema keywords (not checked):");
        for k in &report.ignored_keywords {
            let k = if md { format!("`{k}`") } else { esc(k) };
            let _ = writeln!(out, "{}{k}", if md { "- " } else { "  " });
        }
    }
    debug_assert!(report.status == Status::Fail || report.rules.is_empty());
    out
}
