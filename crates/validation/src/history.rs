//! Change against history, in the spirit of Deequ's anomaly checks: a metric of this run
//! against the same metric of the pipeline's previous finished runs under the same root.

use steadfast_core::{RunDir, RunManifest};
use steadfast_metrics::MetricTotals;

use crate::MetricSelector;
use crate::RuleSpec;
use crate::report::{RuleResult, number};
use crate::rules::is_history;

/// The pipeline's previous finished runs, newest first, read once on first use.
pub(crate) struct History<'a> {
    run: &'a RunDir,
    manifest: &'a RunManifest,
    loaded: Option<Vec<MetricTotals>>,
}

impl<'a> History<'a> {
    pub(crate) fn new(run: &'a RunDir, manifest: &'a RunManifest) -> Self {
        Self {
            run,
            manifest,
            loaded: None,
        }
    }

    fn runs(&mut self) -> &[MetricTotals] {
        if self.loaded.is_none() {
            self.loaded = Some(self.load());
        }
        self.loaded.as_deref().unwrap_or_default()
    }

    fn load(&self) -> Vec<MetricTotals> {
        let Some(root) = self.run.path().parent() else {
            return Vec::new();
        };
        let Ok(entries) = RunDir::list(root) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter(|e| {
                e.pipeline == self.manifest.pipeline
                    && e.dir.id() != self.run.id()
                    && e.started <= self.manifest.started
            })
            .filter_map(|e| {
                // Runs that are unreadable, unfinished or without metrics are not history.
                let manifest = e.dir.read_manifest().ok()?;
                if !is_history(&manifest) {
                    return None;
                }
                steadfast_metrics::read_run(&e.dir).ok().map(|m| m.totals)
            })
            .take(64)
            .collect()
    }

    pub(crate) fn change(&mut self, rule: &RuleSpec, current: f64) -> RuleResult {
        let kind = rule.check.as_str();
        let metric = rule.metric.as_deref().unwrap_or_default();
        let selector: Option<MetricSelector> = metric.parse().ok();
        let past: Vec<f64> = self
            .runs()
            .iter()
            .take(rule.history)
            .map(|t| selector.as_ref().and_then(|s| s.evaluate(t)).unwrap_or(0.0))
            .collect();
        let mut expected = Vec::new();
        if let Some(p) = rule.max_change_percent {
            expected.push(format!("change <= {}%", number(p)));
        }
        if let Some(k) = rule.max_stddevs {
            expected.push(format!("within {}σ", number(k)));
        }
        let expected = expected.join(" and ");
        if past.len() < rule.min_history.max(1) {
            return RuleResult::judge(&rule.name, kind, rule.severity, true)
                .observed(Some(current), number(current))
                .expected(expected)
                .message(format!(
                    "{} previous finished run(s), {} needed; not judged yet",
                    past.len(),
                    rule.min_history.max(1)
                ))
                .skipped();
        }
        #[allow(clippy::cast_precision_loss, reason = "at most 64 runs")]
        let n = past.len() as f64;
        let mean = past.iter().sum::<f64>() / n;
        let variance = past.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let stddev = variance.sqrt();
        let deviation = current - mean;
        let mut ok = true;
        let mut parts = vec![format!(
            "{metric} = {} against a mean of {} over {} run(s)",
            number(current),
            number(mean),
            past.len()
        )];
        if let Some(limit) = rule.max_change_percent {
            let change = if mean == 0.0 {
                if current == 0.0 { 0.0 } else { f64::INFINITY }
            } else {
                deviation.abs() / mean.abs() * 100.0
            };
            ok &= change <= limit;
            parts.push(format!("change {}%", number(change)));
        }
        if let Some(limit) = rule.max_stddevs {
            let sigmas = if stddev == 0.0 {
                if deviation == 0.0 { 0.0 } else { f64::INFINITY }
            } else {
                deviation.abs() / stddev
            };
            ok &= sigmas <= limit;
            parts.push(format!("{}σ from the mean", number(sigmas)));
        }
        RuleResult::judge(&rule.name, kind, rule.severity, ok)
            .observed(Some(current), number(current))
            .expected(expected)
            .message(parts.join(", "))
    }
}
