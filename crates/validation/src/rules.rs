//! Evaluating rules against one run: the built-ins (row counts, extract time, torn metrics)
//! and every [`RuleSpec`].

use std::path::PathBuf;

use steadfast_core::{HumanDuration, RunDir, RunManifest, StepKind, read_ndjson_lenient};
use steadfast_metrics::{MetricTotals, RunMetrics};

use crate::history::History;
use crate::report::{RuleResult, number};
use crate::{CheckKind, MetricSelector, RuleSpec, Thresholds};

/// What rules read: the run's manifest, metrics and files.
pub(crate) struct RunView<'a> {
    pub(crate) run: &'a RunDir,
    pub(crate) manifest: &'a RunManifest,
    pub(crate) metrics: &'a RunMetrics,
}

impl RunView<'_> {
    fn totals(&self) -> &MetricTotals {
        &self.metrics.totals
    }

    /// A step's record count: its `record_metric` total, else the manifest's records_out.
    fn records(&self, step: &str, metric: &str) -> Option<f64> {
        let selector = MetricSelector {
            step: Some(step.to_owned()),
            name: metric.to_owned(),
            labels: Vec::new(),
            aggregate: crate::Aggregate::Value,
        };
        selector.evaluate(self.totals()).or_else(|| {
            #[allow(clippy::cast_precision_loss, reason = "record counts stay below 2^52")]
            self.manifest
                .step(step)
                .and_then(|s| s.records_out)
                .map(|n| n as f64)
        })
    }

    fn value(&self, selector: &str) -> Option<f64> {
        selector
            .parse::<MetricSelector>()
            .ok()
            .map(|s| s.evaluate(self.totals()).unwrap_or(0.0))
    }
}

pub(crate) fn builtins(view: &RunView<'_>, t: &Thresholds) -> Vec<RuleResult> {
    let mut out = Vec::new();
    if let Some(torn) = &view.metrics.torn_tail {
        out.push(
            RuleResult::judge("metrics_intact", "metrics_intact", t.torn_metrics, false)
                .observed(None, format!("torn line {}", torn.line))
                .expected("complete lines")
                .message(format!(
                    "metrics.ndjson ends with a torn line {} ({} bytes), so the run was probably killed mid-write; totals exclude it",
                    torn.line, torn.bytes
                )),
        );
    }
    out.extend(row_counts(view, t));
    out.push(extract_time(view, t));
    out
}

/// One step as the `row_count` rule sees it.
struct Counted<'a> {
    name: &'a str,
    records: f64,
    kind: Option<StepKind>,
    ratio_from: Option<&'a str>,
}

fn row_counts(view: &RunView<'_>, t: &Thresholds) -> Vec<RuleResult> {
    // Steps named in `row_count_steps` are compared whatever their kind; by default every
    // step of the run, and only record-preserving edges are judged.
    let named = !t.row_count_steps.is_empty();
    let steps: Vec<&str> = if named {
        t.row_count_steps.iter().map(String::as_str).collect()
    } else {
        view.manifest
            .steps
            .iter()
            .map(|s| s.name.as_str())
            .collect()
    };
    let counted: Vec<Counted<'_>> = steps
        .iter()
        .filter_map(|s| {
            let step = view.manifest.step(s);
            view.records(s, &t.record_metric).map(|n| Counted {
                name: s,
                records: n,
                kind: step.and_then(|st| st.kind),
                ratio_from: step.and_then(|st| st.ratio_from.as_deref()),
            })
        })
        .collect();
    let expected = format!(">= {}", number(t.row_count_threshold));
    let sev = t.builtin_severity;
    if counted.len() < 2 {
        return vec![
            RuleResult::judge("row_count", "row_count", sev, true)
                .observed(None, format!("{} step(s) counted", counted.len()))
                .expected(expected)
                .message(format!(
                    "fewer than two steps recorded '{}'; nothing to compare",
                    t.record_metric
                ))
                .skipped(),
        ];
    }
    let mut out = Vec::new();
    for (i, step) in counted.iter().enumerate().skip(1) {
        let to = step.name;
        // The step's own `ratio_from` when it names a counted step, else the one before.
        let source = match step.ratio_from {
            Some(from) => counted[..i].iter().rev().find(|c| c.name == from),
            None => counted.get(i - 1),
        };
        let Some(source) = source else {
            let from = step.ratio_from.unwrap_or_default();
            out.push(
                RuleResult::judge(format!("row_count:{from}->{to}"), "row_count", sev, true)
                    .observed(None, "no input")
                    .expected(expected.clone())
                    .message(format!(
                        "step '{to}' takes its ratio from '{from}', which counted no '{}' before it",
                        t.record_metric
                    ))
                    .skipped(),
            );
            continue;
        };
        let (from, before, after) = (source.name, source.records, step.records);
        let name = format!("row_count:{from}->{to}");
        let exempt = step
            .kind
            .filter(|k| !named && step.ratio_from.is_none() && !k.preserves_records());
        if let Some(kind) = exempt {
            out.push(
                RuleResult::judge(name, "row_count", sev, true)
                    .observed(None, format!("{kind} step"))
                    .expected(expected.clone())
                    .message(format!(
                        "'{to}' is an {kind} step, so its count ({}) is not compared with '{from}' ({}); name it in row_count_steps to compare it",
                        number(after),
                        number(before)
                    ))
                    .skipped(),
            );
            continue;
        }
        if before <= 0.0 {
            out.push(
                RuleResult::judge(name, "row_count", sev, true)
                    .observed(None, "no input")
                    .expected(expected.clone())
                    .message(format!("step '{from}' counted no records; ratio undefined"))
                    .skipped(),
            );
            continue;
        }
        let ratio = after / before;
        let ok = ratio >= t.row_count_threshold;
        out.push(
            RuleResult::judge(name, "row_count", sev, ok)
                .observed(Some(ratio), number(ratio))
                .expected(expected.clone())
                .message(format!(
                    "{to} kept {} of {from}'s {} records ({:.1}%)",
                    number(after),
                    number(before),
                    ratio * 100.0
                )),
        );
    }
    out
}

fn extract_time(view: &RunView<'_>, t: &Thresholds) -> RuleResult {
    let limit = t.extract_time_threshold;
    let expected = format!("<= {limit}");
    let step = match &t.extract_step {
        Some(name) => view.manifest.step(name),
        // The first step that says it extracts, else the run's first step.
        None => view
            .manifest
            .steps
            .iter()
            .find(|s| s.kind == Some(StepKind::Extract))
            .or_else(|| view.manifest.steps.first()),
    };
    let sev = t.builtin_severity;
    let Some(step) = step else {
        let what = t.extract_step.as_deref().map_or_else(
            || "the run has no steps".to_owned(),
            |n| format!("step '{n}' is not in the run"),
        );
        let result = RuleResult::judge(
            "extract_time",
            "extract_time",
            sev,
            t.extract_step.is_none(),
        )
        .observed(None, "-")
        .expected(expected)
        .message(what);
        return if t.extract_step.is_none() {
            result.skipped()
        } else {
            result
        };
    };
    let name = format!("extract_time:{}", step.name);
    match step.duration() {
        Some(took) => {
            let ok = took <= limit.get();
            RuleResult::judge(name, "extract_time", sev, ok)
                .observed(
                    Some(took.as_secs_f64()),
                    HumanDuration::from(took).to_string(),
                )
                .expected(expected)
                .message(format!(
                    "step '{}' took {}",
                    step.name,
                    HumanDuration::from(took)
                ))
        }
        None => RuleResult::judge(name, "extract_time", sev, false)
            .observed(None, "unfinished")
            .expected(expected)
            .message(format!("step '{}' never finished", step.name)),
    }
}

fn bounds(min: Option<f64>, max: Option<f64>) -> (String, impl Fn(f64) -> bool) {
    let shown = match (min, max) {
        (Some(lo), Some(hi)) => format!("between {} and {}", number(lo), number(hi)),
        (Some(lo), None) => format!(">= {}", number(lo)),
        (None, Some(hi)) => format!("<= {}", number(hi)),
        (None, None) => "any".to_owned(),
    };
    (shown, move |x: f64| {
        min.is_none_or(|lo| x >= lo) && max.is_none_or(|hi| x <= hi)
    })
}

pub(crate) fn evaluate(
    rule: &RuleSpec,
    view: &RunView<'_>,
    history: &mut History<'_>,
) -> RuleResult {
    let sev = rule.severity;
    let kind = rule.check.as_str();
    let metric = rule.metric.as_deref().unwrap_or_default();
    match rule.check {
        CheckKind::Compare => {
            let value = view.value(metric).unwrap_or(0.0);
            let (expected, within) = bounds(rule.min, rule.max);
            RuleResult::judge(&rule.name, kind, sev, within(value))
                .observed(Some(value), number(value))
                .expected(expected)
                .message(format!("{metric} = {}", number(value)))
        }
        CheckKind::Ratio | CheckKind::ErrorRate => {
            let (num, den) = if rule.check == CheckKind::Ratio {
                (
                    rule.numerator.as_deref().unwrap_or_default(),
                    rule.denominator.as_deref().unwrap_or_default(),
                )
            } else {
                (
                    rule.numerator.as_deref().unwrap_or("errors"),
                    rule.denominator.as_deref().unwrap_or("records"),
                )
            };
            let (n, d) = (
                view.value(num).unwrap_or(0.0),
                view.value(den).unwrap_or(0.0),
            );
            let (expected, within) = bounds(rule.min, rule.max);
            if d == 0.0 {
                return RuleResult::judge(&rule.name, kind, sev, n == 0.0)
                    .observed(None, "undefined")
                    .expected(expected)
                    .message(format!("{den} is 0, so {num} / {den} is undefined"));
            }
            let ratio = n / d;
            RuleResult::judge(&rule.name, kind, sev, within(ratio))
                .observed(Some(ratio), number(ratio))
                .expected(expected)
                .message(format!("{num} / {den} = {} / {}", number(n), number(d)))
        }
        CheckKind::RequiredSteps => {
            let present = |s: &str| {
                view.manifest.step(s).is_some() || view.totals().series.keys().any(|k| k.step == s)
            };
            let missing: Vec<&str> = rule
                .steps
                .iter()
                .map(String::as_str)
                .filter(|s| !present(s))
                .collect();
            let found = rule.steps.len() - missing.len();
            RuleResult::judge(&rule.name, kind, sev, missing.is_empty())
                .observed(None, format!("{found} of {}", rule.steps.len()))
                .expected(rule.steps.join(", "))
                .message(if missing.is_empty() {
                    "every required step ran".to_owned()
                } else {
                    format!("missing step(s): {}", missing.join(", "))
                })
        }
        CheckKind::RequiredLabels => {
            let label = rule.label.as_deref().unwrap_or("resource_type");
            let base: Option<MetricSelector> = metric.parse().ok();
            let missing: Vec<&str> = rule
                .values
                .iter()
                .map(String::as_str)
                .filter(|v| {
                    let Some(mut s) = base.clone() else {
                        return true;
                    };
                    s.labels.push((label.to_owned(), (*v).to_owned()));
                    s.evaluate(view.totals()).unwrap_or(0.0) <= 0.0
                })
                .collect();
            let found = rule.values.len() - missing.len();
            RuleResult::judge(&rule.name, kind, sev, missing.is_empty())
                .observed(None, format!("{found} of {}", rule.values.len()))
                .expected(format!("{label} in {}", rule.values.join(", ")))
                .message(if missing.is_empty() {
                    format!("{metric} has every required {label}")
                } else {
                    format!("{metric} has no records for {label} {}", missing.join(", "))
                })
        }
        CheckKind::DeadLetters => dead_letters(
            rule,
            &[
                view.run.dead_letter_path(),
                view.run.join(steadfast_core::files::DEAD_LETTER_QUARANTINE),
            ],
        ),
        CheckKind::Change => history.change(rule, view.value(metric).unwrap_or(0.0)),
    }
}

/// Items in the dead-letter queue and its quarantine (letters a replay gave up on are
/// still lost records).
fn dead_letters(rule: &RuleSpec, paths: &[PathBuf]) -> RuleResult {
    let kind = rule.check.as_str();
    let max = rule.max.unwrap_or(0.0);
    let mut counts = Vec::new();
    for path in paths {
        counts.push(if path.exists() {
            match read_ndjson_lenient::<serde_json::Value>(path) {
                Ok(read) => {
                    read.records.len()
                        + read.malformed.len()
                        + usize::from(read.torn_tail.is_some())
                }
                Err(e) => {
                    return RuleResult::judge(&rule.name, kind, rule.severity, false)
                        .observed(None, "unreadable")
                        .expected(format!("<= {}", number(max)))
                        .message(e.to_string());
                }
            }
        } else {
            0
        });
    }
    let count: usize = counts.iter().sum();
    #[allow(clippy::cast_precision_loss, reason = "line counts stay below 2^52")]
    let n = count as f64;
    let quarantined = counts.get(1).copied().unwrap_or(0);
    RuleResult::judge(&rule.name, kind, rule.severity, n <= max)
        .observed(Some(n), count.to_string())
        .expected(format!("<= {}", number(max)))
        .message(if quarantined == 0 {
            format!("{count} item(s) in deadletter.ndjson")
        } else {
            format!(
                "{count} item(s): {} in deadletter.ndjson, {quarantined} quarantined after replays",
                count - quarantined
            )
        })
}
