//! Prometheus alerting rules from the same thresholds that validate runs, plus the standard
//! ones every Steadfast deployment wants (disk filling or at flood stage, circuit breaker
//! open, retries exhausted, a health check failing, a profiler SLO breached, a run failing
//! validation) and a service's own (a connection pool saturated, p95 request latency above
//! 1 s, process memory above 80 % of its limit). `steadfast alerts generate` writes them; `promtool check rules` accepts them
//! and `configs/alerts/tests` unit-tests each with `promtool test rules`.
//!
//! ```
//! let rules = steadfast::alerts::alert_rules(&steadfast::Settings::default());
//! assert!(rules.contains("alert: SteadfastRowCountDrop"));
//! assert!(rules.contains("alert: SteadfastHealthCheckFailing"));
//! # #[cfg(feature = "healthcheck")]
//! assert!(rules.contains("alert: SteadfastPoolSaturated"));
//! ```

use std::fmt::Write as _;

use steadfast_validation::{Aggregate, CheckKind, MetricSelector, RuleSpec, Thresholds};

use crate::Settings;

#[cfg(feature = "healthcheck")]
mod service;
#[cfg(feature = "healthcheck")]
pub use service::{POOL_SATURATION, PROCESS_MEMORY_SHARE, REQUEST_LATENCY_P95_SECONDS};

/// One alerting rule.
struct Alert {
    name: String,
    expr: String,
    for_: &'static str,
    severity: &'static str,
    summary: String,
    labels: Vec<(&'static str, String)>,
}

/// `'text'` in YAML's single-quoted style.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A PromQL label value.
fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

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

fn severity(s: steadfast_validation::Severity) -> &'static str {
    match s {
        steadfast_validation::Severity::Warn => "warning",
        steadfast_validation::Severity::Fail => "critical",
    }
}

fn bounds(value: &str, min: Option<f64>, max: Option<f64>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) => Some(format!("({value} < {a}) or ({value} > {b})")),
        (Some(a), None) => Some(format!("{value} < {a}")),
        (None, Some(b)) => Some(format!("{value} > {b}")),
        (None, None) => None,
    }
}

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
                            "absent({prefix}_duration_seconds{{step=\"{}\"}})",
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

fn from_thresholds(prefix: &str, t: &Thresholds, skipped: &mut Vec<String>) -> Vec<Alert> {
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
            "max by (job, instance) ({prefix}_duration_seconds{{step=\"{}\"}}) > {}",
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

/// A check failing: its status series, named by steadfast-healthcheck's constant when the
/// crate is in the build.
fn health_check_failing(p: &str) -> String {
    #[cfg(feature = "healthcheck")]
    let status =
        steadfast_healthcheck::series::name(p, steadfast_healthcheck::series::HEALTH_CHECK_STATUS);
    #[cfg(not(feature = "healthcheck"))]
    let status = format!("{p}_health_check_status");
    format!("{status}{{status=\"fail\"}} == 1")
}

fn standard(settings: &Settings) -> Vec<Alert> {
    let p = &settings.metrics.prometheus_prefix;
    let a = |name: &str, expr: String, for_, severity, summary: &str| Alert {
        name: name.to_owned(),
        expr,
        for_,
        severity,
        summary: summary.to_owned(),
        labels: Vec::new(),
    };
    let horizon = settings.disk.horizon.get().as_secs();
    let mut out = vec![
        a(
            "SteadfastDiskFullSoon",
            format!("{p}_disk_predicted_seconds_to_full < {horizon}"),
            "10m",
            "warning",
            "a disk is predicted full within the horizon",
        ),
        a(
            "SteadfastDiskHighWatermark",
            format!("{p}_disk_level == 2"),
            "5m",
            "warning",
            "a disk is above its high watermark",
        ),
        a(
            "SteadfastDiskFloodStage",
            format!("{p}_disk_level >= 3"),
            "0m",
            "critical",
            "a disk is at flood stage: new work is refused",
        ),
        a(
            "SteadfastCircuitOpen",
            format!("{p}_retry_circuit_state == 1"),
            "5m",
            "warning",
            "a circuit breaker has been open for 5 minutes",
        ),
        a(
            "SteadfastRetriesExhausted",
            format!("increase({p}_retry_give_ups_total[15m]) > 0"),
            "0m",
            "warning",
            "operations gave up after their retries",
        ),
        a(
            "SteadfastHealthCheckFailing",
            health_check_failing(p),
            "2m",
            "critical",
            "a health check is failing",
        ),
        a(
            "SteadfastValidationFailed",
            format!("{p}_run_validation_failed == 1"),
            "0m",
            "critical",
            "the last run failed validation",
        ),
    ];
    #[cfg(feature = "healthcheck")]
    out.extend(service::alerts(p));
    for slo in &settings.profiler.slos {
        let q = slo.percentile / 100.0;
        if ![0.5, 0.9, 0.95, 0.99].iter().any(|x| (x - q).abs() < 1e-9) {
            continue;
        }
        out.push(Alert {
            name: "SteadfastProfilerSloBreached".to_owned(),
            expr: format!(
                "{p}_profiler_component_seconds{{component=\"{}\",quantile=\"{q}\"}} > {}",
                label_value(&slo.component),
                slo.target.get().as_secs_f64()
            ),
            for_: "5m",
            severity: "warning",
            summary: format!("{} p{} above {}", slo.component, slo.percentile, slo.target),
            labels: vec![("component", slo.component.clone())],
        });
    }
    out
}

fn group(out: &mut String, name: &str, alerts: &[Alert]) {
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

/// The rules file for `settings` (its `[validation]` thresholds, `[disk]` horizon,
/// `[profiler]` SLOs and `[metrics]` prefix), in Prometheus's rule-file YAML.
pub fn alert_rules(settings: &Settings) -> String {
    let mut skipped = Vec::new();
    let thresholds = from_thresholds(
        &settings.metrics.prometheus_prefix,
        &settings.validation,
        &mut skipped,
    );
    let mut out = String::from(
        "# Generated by `steadfast alerts generate` from the thresholds that validate runs.\n# Check: promtool check rules <file>. Regenerate after changing the configuration.\n",
    );
    for s in &skipped {
        let _ = writeln!(out, "# not an alert: {s}");
    }
    out.push_str("groups:\n");
    group(&mut out, "steadfast-thresholds", &thresholds);
    group(&mut out, "steadfast-standard", &standard(settings));
    out
}
