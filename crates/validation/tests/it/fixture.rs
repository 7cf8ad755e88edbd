//! Builds deterministic runs: fixed timestamps, known metrics, optional dead letters.

use steadfast_core::config::Loader;
use steadfast_core::{RunDir, RunManifest, RunState, StepRecord, Timestamp};
use steadfast_validation::Thresholds;

/// 2025-10-01T00:00:00Z.
pub(crate) const T0: u64 = 1_759_276_800;

pub(crate) struct Step<'a> {
    pub(crate) name: &'a str,
    pub(crate) seconds: Option<u64>,
    pub(crate) records: &'a [(&'a str, u64)],
}

pub(crate) fn step<'a>(
    name: &'a str,
    seconds: Option<u64>,
    records: &'a [(&'a str, u64)],
) -> Step<'a> {
    Step {
        name,
        seconds,
        records,
    }
}

/// A finished run of `pipeline` started `offset` hours after T0.
pub(crate) fn run(
    root: &std::path::Path,
    pipeline: &str,
    offset: u64,
    steps: &[Step<'_>],
) -> RunDir {
    let started = Timestamp::from_unix_secs(T0 + offset * 3600);
    let run = RunDir::create_at(root, pipeline, started).unwrap();
    let rec = steadfast_metrics::Recorder::to_run_dir(&run).unwrap();
    let mut manifest = RunManifest::new(run.id(), pipeline, started);
    let mut at = T0 + offset * 3600;
    for s in steps {
        for (resource_type, n) in s.records {
            rec.counter(s.name, "records")
                .label("resource_type", resource_type)
                .add(*n);
        }
        let mut record = StepRecord::new(s.name, Timestamp::from_unix_secs(at));
        if let Some(secs) = s.seconds {
            at += secs;
            record.finished = Some(Timestamp::from_unix_secs(at));
        }
        manifest.steps.push(record);
    }
    rec.close().unwrap();
    manifest.state = RunState::Finished;
    manifest.finished = Some(Timestamp::from_unix_secs(at));
    run.write_manifest(&manifest).unwrap();
    run
}

pub(crate) fn thresholds(toml: &str) -> Thresholds {
    Thresholds::load(
        &Loader::new()
            .toml_str("thresholds.toml", toml)
            .env_vars::<_, String, String>([]),
    )
    .unwrap()
    .into_value()
}

pub(crate) fn at() -> Timestamp {
    Timestamp::from_unix_secs(T0 + 86_400)
}
