//! Change against history, in the spirit of Deequ's anomaly checks: a metric of this run
//! against the same metric of the pipeline's previous finished runs under the same root.

use steadfast_core::{RunDir, RunManifest, RunState};
use steadfast_metrics::MetricTotals;

use crate::MetricSelector;
use crate::RuleSpec;
use crate::report::{RuleResult, number};

/// The pipeline's previous finished runs, newest first, read once on first use.
pub(crate) struct History<'a> {
    run: &'a RunDir,
    manifest: &'a RunManifest,
    loaded: Option<Loaded>,
}

/// What was read of the history: the runs' totals, and the runs left out because they could
/// not be read (said in every change rule's message, never dropped silently).
#[derive(Default)]
struct Loaded {
    runs: Vec<MetricTotals>,
    unreadable: Vec<String>,
}

impl<'a> History<'a> {
    pub(crate) fn new(run: &'a RunDir, manifest: &'a RunManifest) -> Self {
        Self {
            run,
            manifest,
            loaded: None,
        }
    }

    fn loaded(&mut self) -> &Loaded {
        self.loaded
            .get_or_insert_with(|| Self::load(self.run, self.manifest))
    }

    fn load(run: &RunDir, current: &RunManifest) -> Loaded {
        let mut loaded = Loaded::default();
        let Some(root) = run.path().parent() else {
            return loaded;
        };
        let entries = match RunDir::list(root) {
            Ok(entries) => entries,
            Err(e) => {
                loaded.unreadable.push(format!("the runs root ({e})"));
                return loaded;
            }
        };
        let earlier = entries.into_iter().filter(|e| {
            e.pipeline == current.pipeline && e.dir.id() != run.id() && e.started <= current.started
        });
        for e in earlier {
            if loaded.runs.len() == 64 {
                break;
            }
            // Unfinished runs are not history; unreadable ones are said, not skipped silently.
            let manifest = match e.dir.read_manifest() {
                Ok(m) => m,
                Err(err) => {
                    loaded.unreadable.push(format!("{} ({err})", e.dir.id()));
                    continue;
                }
            };
            if !is_history(&manifest) {
                continue;
            }
            match steadfast_metrics::read_run(&e.dir) {
                Ok(m) => loaded.runs.push(m.totals),
                Err(err) => loaded.unreadable.push(format!("{} ({err})", e.dir.id())),
            }
        }
        loaded
    }

    /// A note naming the earlier runs left out because they could not be read.
    fn unreadable_note(&mut self) -> Option<String> {
        let unreadable = &self.loaded().unreadable;
        if unreadable.is_empty() {
            return None;
        }
        let shown: Vec<&str> = unreadable.iter().take(3).map(String::as_str).collect();
        let more = unreadable.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "{} earlier run(s) left out as unreadable: {}{more}",
            unreadable.len(),
            shown.join(", ")
        ))
    }

    pub(crate) fn change(&mut self, rule: &RuleSpec, current: f64) -> RuleResult {
        let kind = rule.check.as_str();
        let metric = rule.metric.as_deref().unwrap_or_default();
        let selector: Option<MetricSelector> = metric.parse().ok();
        let note = self.unreadable_note();
        let past: Vec<f64> = self
            .loaded()
            .runs
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
                .message(with_note(
                    format!(
                        "{} previous finished run(s), {} needed; not judged yet",
                        past.len(),
                        rule.min_history.max(1)
                    ),
                    note.as_deref(),
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
            .message(with_note(parts.join(", "), note.as_deref()))
    }
}

fn with_note(message: String, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{message}; {note}"),
        None => message,
    }
}

/// Whether a manifest's run counts as history: finished through the normal path.
pub(crate) fn is_history(manifest: &RunManifest) -> bool {
    manifest.state == RunState::Finished
}
