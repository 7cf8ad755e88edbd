//! The thresholds a run is validated against: the two built-ins of the system we replace
//! (row-count ratio between consecutive steps, extract-step duration) and general rules.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{Documented, KeySpec, ValueType, serde_variants, table};
use steadfast_core::config::{Config, ConfigError, Effective, Loader, Problems};

use crate::MetricSelector;
use crate::thresholds_keys as keys;

/// How much a broken rule matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported; the run still passes (exit code 0).
    Warn,
    /// The run fails (exit code 1).
    #[default]
    Fail,
}

/// What a rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// `metric` within `min` and/or `max`.
    #[default]
    Compare,
    /// `numerator / denominator` within `min` and/or `max`.
    Ratio,
    /// Every step in `steps` ran (is in the manifest or recorded metrics).
    RequiredSteps,
    /// `metric` has a non-zero series for each of `values` of `label` (resource types).
    RequiredLabels,
    /// Lines in `deadletter.ndjson` at most `max`.
    DeadLetters,
    /// `errors / records` (both selectors, defaults `errors` and `records`) at most `max`.
    ErrorRate,
    /// `metric` against the last `history` finished runs of the same pipeline: relative
    /// change at most `max_change_percent`, and/or within `max_stddevs` standard deviations.
    Change,
}

impl CheckKind {
    /// The name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compare => "compare",
            Self::Ratio => "ratio",
            Self::RequiredSteps => "required_steps",
            Self::RequiredLabels => "required_labels",
            Self::DeadLetters => "dead_letters",
            Self::ErrorRate => "error_rate",
            Self::Change => "change",
        }
    }
}

/// One rule, as written in `[[validation.rules]]`. Which keys apply depends on `check`;
/// [`Config::check`] reports missing or misplaced ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSpec {
    /// A unique name, shown in reports (`patients-extracted`).
    pub name: String,
    /// What the rule checks.
    pub check: CheckKind,
    /// Warn or fail when broken.
    pub severity: Severity,
    /// The metric (compare, required_labels, change): `[step.]name[{label=value}][:agg]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Ratio: the numerator metric. Error rate: the errors metric (default `errors`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
    /// Ratio: the denominator metric. Error rate: the records metric (default `records`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// Lowest allowed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest allowed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Required steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// Required labels: the label name (default `resource_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Required labels: the values that must be present.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Change: how many previous finished runs to compare with.
    pub history: usize,
    /// Change: fewer previous runs than this and the rule passes as "not enough history".
    pub min_history: usize,
    /// Change: largest relative change from the history's mean, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_change_percent: Option<f64>,
    /// Change: largest distance from the history's mean, in standard deviations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_stddevs: Option<f64>,
}

impl Default for RuleSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            check: CheckKind::Compare,
            severity: Severity::Fail,
            metric: None,
            numerator: None,
            denominator: None,
            min: None,
            max: None,
            steps: Vec::new(),
            label: None,
            values: Vec::new(),
            history: 5,
            min_history: 3,
            max_change_percent: None,
            max_stddevs: None,
        }
    }
}

/// The `[validation]` section: built-in thresholds and rules.
///
/// ```
/// use steadfast_validation::Thresholds;
///
/// let t = Thresholds::default();
/// assert_eq!(t.row_count_threshold, 0.95);
/// assert_eq!(t.extract_time_threshold.get().as_secs(), 600);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Each step's record count over the previous step's must be at least this (0..1).
    pub row_count_threshold: f64,
    /// The extract step must finish within this.
    pub extract_time_threshold: HumanDuration,
    /// The extract step's name (default: the run's first step of kind `extract`, else its
    /// first step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extract_step: Option<String>,
    /// The counter that counts a step's records.
    pub record_metric: String,
    /// Steps compared by the row-count rule, in order, whatever their kind (default: every
    /// step of the run that recorded `record_metric`, in manifest order, judging only the
    /// steps that keep their input's records: a step of kind `extract` or `aggregate` is
    /// skipped, with a note, unless named here or given a `ratio_from`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub row_count_steps: Vec<String>,
    /// Severity of the two built-in rules.
    pub builtin_severity: Severity,
    /// A torn last line in metrics.ndjson (the run was killed mid-write): its severity.
    pub torn_metrics: Severity,
    /// General rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            row_count_threshold: 0.95,
            extract_time_threshold: HumanDuration::from(std::time::Duration::from_secs(600)),
            extract_step: None,
            record_metric: "records".to_owned(),
            row_count_steps: Vec::new(),
            builtin_severity: Severity::Fail,
            torn_metrics: Severity::Warn,
            rules: Vec::new(),
        }
    }
}

impl Thresholds {
    /// Loads `[validation]` through `loader` (file, environment, overrides).
    ///
    /// ```
    /// use steadfast_core::config::Loader;
    /// use steadfast_validation::Thresholds;
    ///
    /// let loader = Loader::new()
    ///     .toml_str("thresholds.toml", "row_count_threshold = 0.9\n")
    ///     .env_vars::<_, String, String>([])
    ///     .set_value("extract_time_threshold", "5m", "--extract-time-threshold");
    /// let t = Thresholds::load(&loader)?;
    /// assert_eq!(t.value().row_count_threshold, 0.9);
    /// assert_eq!(t.value().extract_time_threshold.get().as_secs(), 300);
    /// # Ok::<(), steadfast_core::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] listing every problem, each at file:line:col.
    pub fn load(loader: &Loader) -> Result<Effective<Self>, ConfigError> {
        loader.load_section("validation")
    }
}

impl Config for Thresholds {
    fn check(&self, problems: &mut Problems) {
        problems.check_range(&keys::ROW_COUNT_THRESHOLD, self.row_count_threshold);
        problems.check_range(&keys::EXTRACT_TIME_THRESHOLD, self.extract_time_threshold);
        if self.record_metric.parse::<MetricSelector>().is_err() {
            problems.error("record_metric", "expected a metric name, like `records`");
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            problems.nested(&format!("rules[{i}]"), |p| check_rule(rule, p));
            if !rule.name.is_empty() && names.contains(&rule.name.as_str()) {
                problems.error(
                    &format!("rules[{i}].name"),
                    format!(
                        "rule name '{}' is used twice; names identify rules in reports",
                        rule.name
                    ),
                );
            }
            names.push(&rule.name);
        }
    }
}

fn check_rule(rule: &RuleSpec, p: &mut Problems) {
    let kind = rule.check.as_str();
    if rule.name.trim().is_empty() {
        p.error(
            "name",
            "every rule needs a name, like name = \"patients-extracted\"",
        );
    }
    let selector = |p: &mut Problems, key: &str, value: &Option<String>, required: bool| match value
    {
        Some(text) => {
            if let Err(e) = text.parse::<MetricSelector>() {
                p.error(key, e.to_string());
            }
        }
        None if required => p.error(key, format!("check '{kind}' needs '{key}'")),
        None => {}
    };
    let needs_bound = |p: &mut Problems| {
        if rule.min.is_none() && rule.max.is_none() {
            p.error(
                "check",
                format!("check '{kind}' needs 'min', 'max' or both"),
            );
        }
    };
    let misplaced = |p: &mut Problems, key: &str, set: bool| {
        if set {
            p.error(
                key,
                format!("'{key}' does not apply to check '{kind}'; remove it"),
            );
        }
    };
    if let (Some(min), Some(max)) = (rule.min, rule.max)
        && min > max
    {
        p.error("min", format!("min {min} is above max {max}; swap them"));
    }
    match rule.check {
        CheckKind::Compare => {
            selector(p, "metric", &rule.metric, true);
            needs_bound(p);
        }
        CheckKind::Ratio => {
            selector(p, "numerator", &rule.numerator, true);
            selector(p, "denominator", &rule.denominator, true);
            needs_bound(p);
        }
        CheckKind::RequiredSteps => {
            if rule.steps.is_empty() {
                p.error(
                    "steps",
                    "check 'required_steps' needs steps = [\"bronze\", ...]",
                );
            }
            misplaced(p, "metric", rule.metric.is_some());
        }
        CheckKind::RequiredLabels => {
            selector(p, "metric", &rule.metric, true);
            if rule.values.is_empty() {
                p.error(
                    "values",
                    "check 'required_labels' needs values = [\"Patient\", ...]",
                );
            }
        }
        CheckKind::DeadLetters => {
            if rule.max.is_none() {
                p.error("max", "check 'dead_letters' needs 'max'");
            }
            misplaced(p, "min", rule.min.is_some());
        }
        CheckKind::ErrorRate => {
            selector(p, "numerator", &rule.numerator, false);
            selector(p, "denominator", &rule.denominator, false);
            match rule.max {
                Some(max) => p.ratio("max", max),
                None => p.error("max", "check 'error_rate' needs 'max' (a ratio, like 0.01)"),
            }
        }
        CheckKind::Change => {
            selector(p, "metric", &rule.metric, true);
            if rule.max_change_percent.is_none() && rule.max_stddevs.is_none() {
                p.error(
                    "check",
                    "check 'change' needs 'max_change_percent', 'max_stddevs' or both",
                );
            }
            if let Some(x) = rule.max_change_percent {
                p.check_range(&keys::rule::MAX_CHANGE_PERCENT, x);
            }
            if let Some(x) = rule.max_stddevs {
                p.check_range(&keys::rule::MAX_STDDEVS, x);
            }
            p.check_range(&keys::rule::HISTORY, rule.history);
            if rule.min_history > rule.history {
                p.error(
                    "min_history",
                    format!(
                        "min_history {} exceeds history {}",
                        rule.min_history, rule.history
                    ),
                );
            }
        }
    }
}

// The documented keys: the ranged ones from `thresholds_keys.rs`, which `check` reads too.
const SEVERITY: ValueType = ValueType::Choice(serde_variants::<Severity>);

impl Documented for Thresholds {
    const KEYS: &'static [KeySpec] = &[
        keys::ROW_COUNT_THRESHOLD,
        keys::EXTRACT_TIME_THRESHOLD,
        KeySpec::new("extract_step", ValueType::Text),
        KeySpec::new("record_metric", ValueType::Text),
        KeySpec::new("row_count_steps", ValueType::List(&ValueType::Text)),
        KeySpec::new("builtin_severity", SEVERITY),
        KeySpec::new("torn_metrics", SEVERITY),
        KeySpec::new("rules", ValueType::Entries(table::<RuleSpec>)),
    ];
}

impl Documented for RuleSpec {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("name", ValueType::Text),
        KeySpec::new("check", ValueType::Choice(serde_variants::<CheckKind>)),
        KeySpec::new("severity", SEVERITY),
        KeySpec::new("metric", ValueType::Text),
        KeySpec::new("numerator", ValueType::Text),
        KeySpec::new("denominator", ValueType::Text),
        KeySpec::new("min", ValueType::Number),
        KeySpec::new("max", ValueType::Number),
        KeySpec::new("steps", ValueType::List(&ValueType::Text)),
        KeySpec::new("label", ValueType::Text),
        KeySpec::new("values", ValueType::List(&ValueType::Text)),
        keys::rule::HISTORY,
        KeySpec::new("min_history", ValueType::Integer),
        keys::rule::MAX_CHANGE_PERCENT,
        keys::rule::MAX_STDDEVS,
    ];
}

#[cfg(test)]
mod documented_tests {
    use super::*;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<Thresholds>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
