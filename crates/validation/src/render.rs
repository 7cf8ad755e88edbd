//! A report as people and machines read it: an aligned text table (colour only when asked),
//! JSON, Markdown for pull requests and wikis, and JUnit XML for CI servers; and writing
//! them atomically into the run's `validation/` directory.

use std::fmt::Write as _;

use steadfast_core::{Status, Timestamp, escape_markup, escape_terminal};

use crate::{Error, RuleResult, ValidationReport};

/// Output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// An aligned table for a terminal.
    Text,
    /// The report as JSON (the [`ValidationReport`] serialisation).
    Json,
    /// A Markdown table.
    Markdown,
    /// JUnit XML: one test case per rule.
    Junit,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "markdown" | "md" => Ok(Self::Markdown),
            "junit" => Ok(Self::Junit),
            other => Err(Error::UnknownFormat {
                name: other.to_owned(),
            }),
        }
    }
}

/// Whether to colour text output: on a terminal, unless `NO_COLOR` is set
/// (<https://no-color.org>).
pub fn color_for_stdout() -> bool {
    use std::io::IsTerminal as _;
    #[allow(
        clippy::disallowed_methods,
        reason = "NO_COLOR is read where colour is decided"
    )]
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

fn status_word(r: &RuleResult) -> &'static str {
    match (r.status, r.skipped) {
        (Status::Pass, true) => "skip",
        (Status::Pass, false) => "pass",
        (Status::Warn, _) => "WARN",
        (Status::Fail, _) => "FAIL",
    }
}

fn paint(text: &str, r: &RuleResult, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match (r.status, r.skipped) {
        (Status::Pass, true) => "2",
        (Status::Pass, false) => "32",
        (Status::Warn, _) => "33",
        (Status::Fail, _) => "1;31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn summary(report: &View<'_>) -> String {
    let skipped = report.results.iter().filter(|r| r.skipped).count();
    format!(
        "{} rules: {} passed, {} warned, {} failed, {} skipped",
        report.results.len(),
        report.count(Status::Pass) - skipped,
        report.count(Status::Warn),
        report.count(Status::Fail),
        skipped
    )
}

/// Renders `report` in `format`; `color` applies to [`Format::Text`] only.
///
/// ```
/// use steadfast_core::Timestamp;
/// use steadfast_validation::{Format, ValidationReport, render};
///
/// let report = ValidationReport::new("r1", "demo", Timestamp::from_unix_secs(0), Vec::new());
/// assert!(render(&report, Format::Text, false).contains("PASS"));
/// assert!(render(&report, Format::Junit, false).starts_with("<?xml"));
/// ```
pub fn render(report: &ValidationReport, format: Format, color: bool) -> String {
    let view = View {
        title: format!("Validation of run {} ({})", report.run_id, report.pipeline),
        md_title: "Validation",
        md_intro: format!(
            "Run `{}` of pipeline `{}`, validated {}.",
            report.run_id, report.pipeline, report.validated_at
        ),
        suite: &report.run_id,
        class: &report.pipeline,
        timestamp: report.validated_at,
        status: report.status,
        results: &report.results,
    };
    match format {
        Format::Text => text(&view, color),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Markdown => markdown(&view),
        Format::Junit => junit(&view),
    }
}

/// What the text, Markdown and JUnit renderings need of a report.
pub(crate) struct View<'a> {
    /// The first line of the text rendering, before the verdict.
    pub(crate) title: String,
    /// The Markdown heading, before the verdict.
    pub(crate) md_title: &'static str,
    /// The Markdown paragraph under the heading.
    pub(crate) md_intro: String,
    /// JUnit: the test suite's name and the test cases' class prefix.
    pub(crate) suite: &'a str,
    pub(crate) class: &'a str,
    pub(crate) timestamp: Timestamp,
    pub(crate) status: Status,
    pub(crate) results: &'a [RuleResult],
}

impl View<'_> {
    fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

fn verdict(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "PASS with warnings",
        Status::Fail => "FAIL",
    }
}

/// A string from outside (a file or rule name, a value) made safe for a terminal.
pub(crate) fn esc(s: &str) -> String {
    escape_terminal(s).into_owned()
}

pub(crate) fn text(report: &View<'_>, color: bool) -> String {
    let mut out = format!("{}: {}\n\n", esc(&report.title), verdict(report.status));
    let headers = ["STATUS", "RULE", "OBSERVED", "EXPECTED", "DETAIL"];
    let rows: Vec<[String; 5]> = report
        .results
        .iter()
        .map(|r| {
            [
                status_word(r).to_owned(),
                esc(&r.name),
                esc(&r.observed),
                clip(&esc(&r.expected), 56),
                esc(&r.message),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5], first: String| {
        let mut s = String::from("  ");
        s.push_str(&first);
        s.push_str(&" ".repeat(widths[0] - cells[0].chars().count() + 2));
        for (i, cell) in cells.iter().enumerate().skip(1) {
            s.push_str(cell);
            if i < 4 {
                s.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        s.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", line(headers, headers[0].to_owned()));
    for (row, r) in rows.iter().zip(report.results) {
        let cells = [&*row[0], &*row[1], &*row[2], &*row[3], &*row[4]];
        let _ = writeln!(out, "{}", line(cells, paint(&row[0], r, color)));
    }
    let _ = writeln!(out, "\n{}", summary(report));
    crate::locations::text_locations(&mut out, report.results);
    out
}

/// Long cells (value sets, patterns) cut to `max` characters in the table; JSON and
/// Markdown keep them whole.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn md_cell(s: &str) -> String {
    esc(&s.replace('|', "\\|").replace('\n', " "))
}

pub(crate) fn markdown(report: &View<'_>) -> String {
    let mut out = format!(
        "## {}: {}\n\n{}\n\n{}\n\n",
        report.md_title,
        verdict(report.status),
        esc(&report.md_intro),
        summary(report)
    );
    out.push_str("| Status | Rule | Observed | Expected | Detail |\n|---|---|---|---|---|\n");
    for r in report.results {
        let status = match status_word(r) {
            "FAIL" => "**FAIL**",
            "WARN" => "**WARN**",
            other => other,
        };
        let _ = writeln!(
            out,
            "| {status} | {} | {} | {} | {} |",
            md_cell(&r.name),
            md_cell(&r.observed),
            md_cell(&r.expected),
            md_cell(&r.message)
        );
    }
    crate::locations::markdown_locations(&mut out, report.results);
    out
}

pub(crate) fn junit(report: &View<'_>) -> String {
    let failures = report.count(Status::Fail);
    let skipped = report.results.iter().filter(|r| r.skipped).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"steadfast-validation\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        report.results.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
        escape_markup(report.suite),
        report.results.len(),
        report.timestamp
    );
    for r in report.results {
        let _ = write!(
            out,
            "    <testcase classname=\"{}.{}\" name=\"{}\"",
            escape_markup(report.class),
            escape_markup(&r.check),
            escape_markup(&esc(&r.name))
        );
        // Names and messages escaped; the newlines between locations are the layout.
        let mut detail = format!(
            "observed {}, expected {}: {}",
            esc(&r.observed),
            esc(&r.expected),
            esc(&r.message)
        );
        for l in &r.locations {
            detail.push_str(&format!("\n{}", esc(&crate::locations::location_line(l))));
        }
        match (r.status, r.skipped) {
            (Status::Fail, _) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape_markup(&esc(&r.message)),
                    escape_markup(&r.check),
                    escape_markup(&detail)
                );
            }
            (Status::Warn, _) => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>WARNING: {}</system-out>\n    </testcase>",
                    escape_markup(&detail)
                );
            }
            (Status::Pass, true) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape_markup(&esc(&r.message))
                );
            }
            (Status::Pass, false) => out.push_str("/>\n"),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
