//! `validate_run`: read a run's manifest, lock and metrics, judge every rule, return the
//! report.

use std::collections::BTreeSet;
use std::path::Path;

use steadfast_core::config::suggest;
use steadfast_core::{RunDir, Timestamp};

use crate::complete::{Incomplete, run_complete};
use crate::history::History;
use crate::rules::{RunView, builtins, evaluate};
use crate::{CheckKind, Error, MetricSelector, Thresholds, ValidationReport};

/// Validates the run in `run_dir` against `thresholds`.
///
/// Reads `run.json`, the `.active` lock and `metrics.ndjson` (a torn last line is reported
/// as the `metrics_intact` rule, never fatal), judges the built-in rules then every
/// configured rule, and returns the report; write it with
/// [`write_reports`](crate::write_reports). A run that is not complete — live (its lock held
/// by another process), crashed (not finished while nobody holds its lock) or aborted —
/// fails the `run_complete` rule; see [`validate_run_with`] to judge partial data.
///
/// ```
/// use steadfast_core::{RunDir, RunManifest, RunState, StepRecord, Timestamp};
/// use steadfast_validation::{Thresholds, validate_run};
///
/// let root = tempfile::tempdir()?;
/// let run = RunDir::create(root.path(), "epic-fhir")?;
/// let rec = steadfast_metrics::Recorder::to_run_dir(&run)?;
/// rec.counter("bronze", "records").add(1000);
/// rec.counter("silver", "records").add(990);
/// rec.close()?;
/// let mut manifest = RunManifest::new(run.id(), "epic-fhir", Timestamp::now());
/// let mut bronze = StepRecord::new("bronze", Timestamp::now());
/// bronze.finished = Some(Timestamp::now());
/// manifest.steps = vec![bronze, StepRecord::new("silver", Timestamp::now())];
/// run.write_manifest(&manifest)?;
/// // Still `running` and nobody holds its lock: it crashed, so it cannot pass.
/// let report = validate_run(run.path(), &Thresholds::default())?;
/// assert_eq!((report.results[0].name.as_str(), report.exit_code()), ("run_complete", 1));
///
/// manifest.state = RunState::Finished;
/// run.write_manifest(&manifest)?;
/// let report = validate_run(run.path(), &Thresholds::default())?;
/// assert_eq!(report.exit_code(), 0);
/// assert_eq!(report.results[1].name, "row_count:bronze->silver");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::RunNotFound`], [`Error::Run`] (not a run, unreadable manifest),
/// [`Error::NoMetrics`] (unless the run is incomplete: then the report holds the failed
/// `run_complete` alone), [`Error::Metrics`] (a malformed metrics line, located), and
/// [`Error::UnknownMetrics`] when a rule names a metric the run never recorded and a
/// recorded one is a near spelling.
pub fn validate_run(
    run_dir: impl AsRef<Path>,
    thresholds: &Thresholds,
) -> Result<ValidationReport, Error> {
    validate_run_at(run_dir, thresholds, Timestamp::now())
}

/// [`validate_run`] with the validation time given (for reproducible reports).
///
/// # Errors
/// As [`validate_run`].
pub fn validate_run_at(
    run_dir: impl AsRef<Path>,
    thresholds: &Thresholds,
    now: Timestamp,
) -> Result<ValidationReport, Error> {
    validate_run_with(run_dir, thresholds, Incomplete::Fail, now)
}

/// [`validate_run_at`], saying how to treat a run that is not complete: fail it (the
/// default), only warn ([`Incomplete::Warn`], to judge partial data on purpose), or — for
/// the process that holds the run's lock and is finishing it — no `run_complete` rule.
///
/// ```
/// use steadfast_core::{RunDir, RunManifest, Status, Timestamp};
/// use steadfast_validation::{Incomplete, Thresholds, validate_run_with};
///
/// let root = tempfile::tempdir()?;
/// let run = RunDir::create(root.path(), "epic-fhir")?;
/// let rec = steadfast_metrics::Recorder::to_run_dir(&run)?;
/// rec.counter("bronze", "records").add(10);
/// rec.close()?;
/// run.write_manifest(&RunManifest::new(run.id(), "epic-fhir", Timestamp::now()))?;
/// let report = validate_run_with(run.path(), &Thresholds::default(), Incomplete::Warn, Timestamp::now())?;
/// assert_eq!(report.results[0].status, Status::Warn);
/// assert_eq!(report.exit_code(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`validate_run`].
pub fn validate_run_with(
    run_dir: impl AsRef<Path>,
    thresholds: &Thresholds,
    incomplete: Incomplete,
    now: Timestamp,
) -> Result<ValidationReport, Error> {
    let path = run_dir.as_ref();
    if !path.exists() {
        return Err(Error::RunNotFound {
            path: path.to_path_buf(),
        });
    }
    let run = RunDir::open(path)?;
    let manifest = run.read_manifest()?;
    let complete = run_complete(&run, &manifest, incomplete);
    if !run.metrics_path().exists() {
        // A crashed run may have recorded nothing: say that it is incomplete, which is
        // why, rather than only that metrics are missing.
        return match complete {
            Some(r) if r.status == steadfast_core::Status::Fail => Ok(ValidationReport::new(
                run.id(),
                &manifest.pipeline,
                now,
                vec![r],
            )),
            _ => Err(Error::NoMetrics {
                path: path.to_path_buf(),
            }),
        };
    }
    let metrics = steadfast_metrics::read_run(&run)?;
    check_metric_names(thresholds, &metrics.totals)?;

    let view = RunView {
        run: &run,
        manifest: &manifest,
        metrics: &metrics,
    };
    let mut results: Vec<_> = complete.into_iter().collect();
    results.extend(builtins(&view, thresholds));
    let mut history = History::new(&run, &manifest);
    for rule in &thresholds.rules {
        results.push(evaluate(rule, &view, &mut history));
    }
    Ok(ValidationReport::new(
        run.id(),
        &manifest.pipeline,
        now,
        results,
    ))
}

/// A rule naming a metric this run never recorded is a typo when a recorded name is close;
/// otherwise the metric is taken as 0 (a counter that never counted).
fn check_metric_names(
    t: &Thresholds,
    totals: &steadfast_metrics::MetricTotals,
) -> Result<(), Error> {
    let recorded: BTreeSet<&str> = totals.series.keys().map(|k| k.name.as_str()).collect();
    let mut problems = Vec::new();
    for (i, rule) in t.rules.iter().enumerate() {
        let mut named = vec![("metric", rule.metric.as_deref())];
        if matches!(rule.check, CheckKind::Ratio | CheckKind::ErrorRate) {
            named.push(("numerator", rule.numerator.as_deref()));
            named.push(("denominator", rule.denominator.as_deref()));
        }
        for (key, text) in named {
            let Some(selector) = text.and_then(|t| t.parse::<MetricSelector>().ok()) else {
                continue;
            };
            if recorded.contains(selector.name.as_str()) {
                continue;
            }
            if let Some(near) = suggest(&selector.name, recorded.iter().copied()) {
                problems.push(format!(
                    "rules[{i}].{key} of rule '{}': metric '{}' was never recorded in this run; did you mean '{near}'?",
                    rule.name, selector.name
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::UnknownMetrics { problems })
    }
}
