//! Alerts from `[validation]` thresholds: the built-ins (row count between steps, extract
//! time) and each `[[rules]]` entry that reads series; a rule judged only by `validate-run`
//! (history, dead letters, histogram aggregates) is listed as skipped.

use std::fmt::Write as _;
use steadfast_validation::series::STEP_DURATION_SECONDS;

use steadfast_validation::{Aggregate, CheckKind, MetricSelector, RuleSpec, Thresholds};

use crate::rule::{Alert, label_value};

/// The series a selector reads, summed per job and instance.
fn series(prefix: &str, sel: &MetricSelector) -> Option<String> {
    selector(prefix, sel).map(|m| format!("sum by (job, instance) ({m})"))
}

/// The series a selector reads, as a PromQL selector. Counters carry `_total`, gauges not;
/// the regular expression matches either.
fn selector(prefix: &str, sel: &MetricSelector) -> Option<String> {
    if sel.aggregate != Aggregate::Value {
        return None;
    }
    let name: String = sel
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut matchers = format!("__name__=~\"{prefix}_{name}(_total)?\"");
    if let Some(step) = &sel.step {
        let _ = write!(matchers, ",step=\"{}\"", label_value(step));
    }
    for (k, v) in &sel.labels {
        let _ = write!(matchers, ",{k}=\"{}\"", label_value(v));
    }
    Some(format!("{{{matchers}}}"))
}

/// A validation severity as an alert's `severity` label.
fn severity(s: steadfast_validation::Severity) -> &'static str {
    match s {
        steadfast_validation::Severity::Warn => "warning",
        steadfast_validation::Severity::Fail => "critical",
    }
}

/// `value` outside `min`..`max`, as PromQL.
fn bounds(value: &str, min: Option<f64>, max: Option<f64>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) => Some(format!("({value} < {a}) or ({value} > {b})")),
        (Some(a), None) => Some(format!("{value} < {a}")),
        (None, Some(b)) => Some(format!("{value} > {b}")),
        (None, None) => None,
    }
}

/// The alerts of one `[[rules]]` entry; a kind that is not a series goes to `skipped`.
fn from_rule(prefix: &str, rule: &RuleSpec, skipped: &mut Vec<String>) -> Vec<Alert> {
    let sel = |s: Option<&String>| {
        s.and_then(|t| t.parse::<MetricSelector>().ok())
            .and_then(|m| series(prefix, &m))
    };
    let labels = vec![("rule", rule.name.clone())];
    let alert = |expr: String, summary: String| Alert {
        name: "SteadfastThresholdBroken".to_owned(),
        expr,
        for_: "0m",
        severity: severity(rule.severity),
        summary,
        labels: labels.clone(),
    };
    let expr = match rule.check {
        CheckKind::Compare => {
            sel(rule.metric.as_ref()).and_then(|v| bounds(&v, rule.min, rule.max))
        }
        CheckKind::Ratio => match (sel(rule.numerator.as_ref()), sel(rule.denominator.as_ref())) {
            (Some(n), Some(d)) => bounds(&format!("({n} / {d})"), rule.min, rule.max),
            _ => None,
        },
        CheckKind::ErrorRate => {
            let errors = rule
                .numerator
                .clone()
                .unwrap_or_else(|| "errors".to_owned());
            let records = rule
                .denominator
                .clone()
                .unwrap_or_else(|| "records".to_owned());
            match (sel(Some(&errors)), sel(Some(&records))) {
                (Some(e), Some(r)) => rule.max.map(|m| format!("({e} / {r}) > {m}")),
                _ => None,
            }
        }
        CheckKind::RequiredLabels => {
            let label = rule
                .label
                .clone()
                .unwrap_or_else(|| "resource_type".to_owned());
            let base = rule
                .metric
                .as_ref()
                .and_then(|m| m.parse::<MetricSelector>().ok());
            return base
                .map(|m| {
                    rule.values
                        .iter()
                        .filter_map(|v| {
                            let mut one = m.clone();
                            one.labels.push((label.clone(), v.clone()));
                            selector(prefix, &one).map(|s| {
                                let mut a = alert(
                                    format!("absent({s})"),
                                    format!("no {label}={v} records ({})", rule.name),
                                );
                                a.labels.push(("value", v.clone()));
                                a
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        CheckKind::RequiredSteps => {
            return rule
                .steps
                .iter()
                .map(|s| {
                    let mut a = alert(
                        format!(
                            "absent({prefix}_{STEP_DURATION_SECONDS}{{step=\"{}\"}})",
                            label_value(s)
                        ),
                        format!("step {s} did not run ({})", rule.name),
                    );
                    a.labels.push(("step", s.clone()));
                    a
                })
                .collect();
        }
        CheckKind::DeadLetters | CheckKind::Change => None,
    };
    match expr {
        Some(expr) => vec![alert(
            expr,
            format!("threshold rule {} is broken", rule.name),
        )],
        None => {
            skipped.push(format!(
                "{} ({}): judged by validate-run only (history, dead-letter files or histogram aggregates are not series)",
                rule.name,
                rule.check.as_str()
            ));
            Vec::new()
        }
    }
}

/// The built-in row-count and extract-time alerts and one per `[[rules]]` entry.
pub(crate) fn from_thresholds(
    prefix: &str,
    t: &Thresholds,
    skipped: &mut Vec<String>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    let steps: Vec<String> = if t.row_count_steps.len() >= 2 {
        t.row_count_steps.clone()
    } else {
        vec!["bronze".to_owned(), "silver".to_owned()]
    };
    let rec = |step: &str| {
        let sel = MetricSelector {
            step: Some(step.to_owned()),
            name: t.record_metric.clone(),
            labels: Vec::new(),
            aggregate: Aggregate::Value,
        };
        series(prefix, &sel).unwrap_or_default()
    };
    for pair in steps.windows(2) {
        out.push(Alert {
            name: "SteadfastRowCountDrop".to_owned(),
            expr: format!(
                "({} / {}) < {}",
                rec(&pair[1]),
                rec(&pair[0]),
                t.row_count_threshold
            ),
            for_: "0m",
            severity: severity(t.builtin_severity),
            summary: format!(
                "{} kept less than {} of {}'s records",
                pair[1], t.row_count_threshold, pair[0]
            ),
            labels: vec![("from_step", pair[0].clone()), ("to_step", pair[1].clone())],
        });
    }
    let extract = t.extract_step.clone().unwrap_or_else(|| steps[0].clone());
    out.push(Alert {
        name: "SteadfastExtractTooSlow".to_owned(),
        expr: format!(
            "max by (job, instance) ({prefix}_{STEP_DURATION_SECONDS}{{step=\"{}\"}}) > {}",
            label_value(&extract),
            t.extract_time_threshold.get().as_secs_f64()
        ),
        for_: "0m",
        severity: severity(t.builtin_severity),
        summary: format!(
            "step {extract} took longer than {}",
            t.extract_time_threshold
        ),
        labels: vec![("step", extract.clone())],
    });
    for rule in &t.rules {
        out.extend(from_rule(prefix, rule, skipped));
    }
    out
}
