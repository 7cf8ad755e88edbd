//! One alerting rule ([`Alert`]) and how a group of them is written in Prometheus's
//! rule-file YAML; the quoting every rule's text goes through.

use std::fmt::Write as _;

use steadfast_core::Prefix;

/// One alerting rule.
pub(crate) struct Alert {
    pub(crate) name: String,
    pub(crate) expr: String,
    pub(crate) for_: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) summary: String,
    pub(crate) labels: Vec<(&'static str, String)>,
}

impl Alert {
    /// The series families this rule's expression reads, each as the names any of which
    /// serves: a `__name__=~"x(_total)?"` matcher reads `x` or `x_total`; a histogram's
    /// `x_bucket` reads family `x`.
    pub(crate) fn series(&self, prefix: &Prefix) -> Vec<Vec<String>> {
        let expr = self.expr.as_str();
        let start = format!("{prefix}_");
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut from = 0;
        while let Some(i) = expr[from..].find(&start).map(|i| from + i) {
            let boundary = expr[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            let end = expr[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(expr.len(), |n| i + n);
            from = end.max(i + 1);
            if !boundary {
                continue;
            }
            let name = &expr[i..end];
            let names = if expr[end..].starts_with("(_total)?") {
                vec![name.to_owned(), format!("{name}_total")]
            } else {
                vec![name.strip_suffix("_bucket").unwrap_or(name).to_owned()]
            };
            if !out.contains(&names) {
                out.push(names);
            }
        }
        out
    }
}

/// `'text'` in YAML's single-quoted style.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A PromQL label value.
pub(crate) fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Writes a rule group `name` with `alerts`.
pub(crate) fn group(out: &mut String, name: &str, alerts: &[Alert]) {
    let _ = writeln!(out, "  - name: {name}\n    rules:");
    for a in alerts {
        let _ = writeln!(out, "      - alert: {}", a.name);
        let _ = writeln!(out, "        expr: {}", quoted(&a.expr));
        if a.for_ != "0m" {
            let _ = writeln!(out, "        for: {}", a.for_);
        }
        let _ = writeln!(out, "        labels:\n          severity: {}", a.severity);
        for (k, v) in &a.labels {
            let _ = writeln!(out, "          {k}: {}", quoted(v));
        }
        let _ = writeln!(
            out,
            "        annotations:\n          summary: {}",
            quoted(&a.summary)
        );
    }
}
