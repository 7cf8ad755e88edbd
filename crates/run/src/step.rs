//! [`Step`]: one step of a run — its kind, records and verdict into `run.json`, its
//! duration and records into the metrics, a line of the audit trail when it ends.

use steadfast_core::audit::AuditEvent;
use steadfast_core::{Status, StepKind, StepRecord, Timestamp};

use crate::pipeline::Run;

impl Run {
    /// Starts step `name`: recorded in the manifest now, finished when the [`Step`] drops.
    /// Say what it does with [`Step::kind`]: the `row_count` rule compares only steps that
    /// keep their input's records.
    pub fn step(&self, name: &str) -> Step<'_> {
        let started = Timestamp::now();
        let mut index = 0;
        self.update_manifest(|m| {
            index = m.steps.len();
            m.steps.push(StepRecord::new(name, started));
        });
        Step::new(self, name, index)
    }
}

/// A step of a run: start and end in the manifest, its duration as the
/// `<step>.duration_seconds` gauge, records in and out.
#[derive(Debug)]
pub struct Step<'a> {
    run: &'a Run,
    /// Its record in `run.json`'s steps (two steps of one name may run at once).
    index: usize,
    name: String,
    kind: Option<StepKind>,
    ratio_from: Option<String>,
    records_in: Option<u64>,
    records_out: Option<u64>,
    status: Option<Status>,
    started: std::time::Instant,
}

impl<'a> Step<'a> {
    pub(crate) fn new(run: &'a Run, name: &str, index: usize) -> Self {
        Self {
            run,
            index,
            name: name.to_owned(),
            kind: None,
            ratio_from: None,
            records_in: None,
            records_out: None,
            status: None,
            started: std::time::Instant::now(),
        }
    }

    /// What the step does (recorded in `run.json`): `extract` and `aggregate` steps are not
    /// compared with the step before them by the `row_count` rule unless a rule names them;
    /// `transform` and `load` steps (and steps that do not say) are.
    pub fn kind(&mut self, kind: StepKind) -> &mut Self {
        self.kind = Some(kind);
        self
    }

    /// Takes this step's `row_count` ratio against step `name` instead of the step counted
    /// before it (a load after a side branch, say); a step that names its source is
    /// compared whatever its kind.
    pub fn ratio_from(&mut self, name: &str) -> &mut Self {
        self.ratio_from = Some(name.to_owned());
        self
    }

    /// Counts `n` records of `resource_type` written by the step, once for both readers:
    /// the `[validation] record_metric` counter (`records{resource_type=…}`, what
    /// validation's rules and the page read) and the step's `records_out` in `run.json`.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// # let run = steadfast_run::Run::builder("epic").runs_root(root.path()).env_vars::<_, String, String>([]).start()?;
    /// let mut bronze = run.step("bronze");
    /// bronze.records("Patient", 1000).records("Observation", 5000);
    /// # drop(bronze);
    /// # assert_eq!(run.dir().read_manifest()?.steps[0].records_out, Some(6000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn records(&mut self, resource_type: &str, n: u64) -> &mut Self {
        let metric = &self.run.thresholds.value().record_metric;
        self.run
            .recorder
            .counter(&self.name, metric)
            .label("resource_type", resource_type)
            .add(n);
        self.records_out = Some(self.records_out.unwrap_or(0).saturating_add(n));
        self
    }

    /// Records read by the step.
    pub fn records_in(&mut self, n: u64) -> &mut Self {
        self.records_in = Some(n);
        self
    }

    /// Records written by the step, in `run.json` only ([`records`](Self::records) counts
    /// them for the metrics too).
    pub fn records_out(&mut self, n: u64) -> &mut Self {
        self.records_out = Some(n);
        self
    }

    /// Marks the step's outcome (default: pass).
    pub fn status(&mut self, status: Status) -> &mut Self {
        self.status = Some(status);
        self
    }
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        self.run
            .recorder
            .gauge(
                &self.name,
                steadfast_validation::series::STEP_DURATION_SECONDS,
            )
            .set(took.as_secs_f64());
        let (name, rin, rout, status) =
            (&self.name, self.records_in, self.records_out, self.status);
        let (kind, ratio_from, index) = (self.kind, self.ratio_from.take(), self.index);
        self.run.update_manifest(|m| {
            if let Some(step) = m.steps.get_mut(index).filter(|s| &s.name == name) {
                step.kind = kind;
                step.ratio_from = ratio_from;
                step.finished = Some(Timestamp::now());
                step.records_in = rin;
                step.records_out = rout;
                step.status = Some(status.unwrap_or(Status::Pass));
            }
        });
        self.run.record(&AuditEvent::Step {
            step: self.name.clone(),
            kind,
            status: status.unwrap_or(Status::Pass),
        });
    }
}
