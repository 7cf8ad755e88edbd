//! The outcome of validating a run: one [`RuleResult`] per rule, the overall status, and
//! the exit code a command line returns for it.

use serde::{Deserialize, Serialize};
use steadfast_core::{Status, Timestamp};

use crate::Severity;

/// One rule's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule's name (`row_count:bronze->silver`, `patients-extracted`).
    pub name: String,
    /// The kind of check (`row_count`, `extract_time`, `compare`, `change` …).
    pub check: String,
    /// Its severity.
    pub severity: Severity,
    /// Pass, or the severity's status when broken.
    pub status: Status,
    /// The observed value as a number, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The observed value as shown (`0.9312`, `612s`, `3 of 5 runs`).
    pub observed: String,
    /// What was expected (`>= 0.95`, `<= 10m`).
    pub expected: String,
    /// One line explaining the outcome.
    pub message: String,
    /// The rule could not be judged (not enough history, no records) and passes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// Data-quality rules: how many records broke the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violations: Option<u64>,
    /// Data-quality rules: where, the first few in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<crate::data::Location>,
}

impl RuleResult {
    pub(crate) fn judge(
        name: impl Into<String>,
        check: &str,
        severity: Severity,
        ok: bool,
    ) -> Self {
        let status = match (ok, severity) {
            (true, _) => Status::Pass,
            (false, Severity::Warn) => Status::Warn,
            (false, Severity::Fail) => Status::Fail,
        };
        Self {
            name: name.into(),
            check: check.to_owned(),
            severity,
            status,
            value: None,
            observed: String::new(),
            expected: String::new(),
            message: String::new(),
            skipped: false,
            violations: None,
            locations: Vec::new(),
        }
    }

    pub(crate) fn observed(mut self, value: Option<f64>, shown: impl Into<String>) -> Self {
        self.value = value;
        self.observed = shown.into();
        self
    }

    pub(crate) fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = expected.into();
        self
    }

    pub(crate) fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub(crate) fn skipped(mut self) -> Self {
        self.skipped = true;
        self.status = Status::Pass;
        self
    }
}

/// A run's validation: every rule's result and the verdict.
///
/// ```
/// use steadfast_core::{Status, Timestamp};
/// use steadfast_validation::ValidationReport;
///
/// let report = ValidationReport::new("r1", "epic-fhir", Timestamp::now(), Vec::new());
/// assert_eq!(report.status, Status::Pass);
/// assert_eq!(report.exit_code(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// The run's id.
    pub run_id: String,
    /// The run's pipeline.
    pub pipeline: String,
    /// When the validation ran.
    pub validated_at: Timestamp,
    /// The worst status of all rules.
    pub status: Status,
    /// Every rule's result, built-ins first.
    pub results: Vec<RuleResult>,
}

impl ValidationReport {
    /// A report of `results`; the status is their worst.
    pub fn new(
        run_id: impl Into<String>,
        pipeline: impl Into<String>,
        validated_at: Timestamp,
        results: Vec<RuleResult>,
    ) -> Self {
        Self {
            run_id: run_id.into(),
            pipeline: pipeline.into(),
            validated_at,
            status: Status::worst(results.iter().map(|r| r.status)),
            results,
        }
    }

    /// 0 when the run passed or only warned, 1 when a rule failed. (Usage and
    /// configuration errors, 2, are [`Error::exit_code`](crate::Error::exit_code).)
    pub fn exit_code(&self) -> i32 {
        i32::from(self.status == Status::Fail)
    }

    /// How many rules ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

/// Shows a number compactly: whole numbers without a fraction, others to 4 significant
/// digits.
pub(crate) fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let magnitude = x.abs().log10().floor();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "the digits are clamped to 0..=8 first"
    )]
    let decimals = (3.0 - magnitude).clamp(0.0, 8.0) as usize;
    let shown = format!("{x:.decimals$}");
    if shown.contains('.') {
        shown.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(number(1200.0), "1200");
        assert_eq!(number(0.931_234), "0.9312");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(0.000_123_4), "0.0001234");
    }
}
