//! Rendering the first locations of a rule's violations (`file:line[:column] field:
//! message`), shared by run reports and data reports.

use std::fmt::Write as _;

use steadfast_core::escape_terminal;

use crate::data::Location;
use crate::report::RuleResult;

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
        let _ = writeln!(out, "\n{} ({}):", escape_terminal(&r.name), shown(r));
        for l in &r.locations {
            let _ = writeln!(out, "  {}", escape_terminal(&location_line(l)));
        }
    }
}

/// Appends each rule's locations to a Markdown report.
pub(crate) fn markdown_locations(out: &mut String, results: &[RuleResult]) {
    for r in located(results) {
        let _ = writeln!(
            out,
            "\n**{}** ({}):\n",
            escape_terminal(&r.name.replace('|', "\\|")),
            shown(r)
        );
        for l in &r.locations {
            let _ = writeln!(
                out,
                "- `{}`",
                escape_terminal(&location_line(l).replace('`', "'"))
            );
        }
    }
}
