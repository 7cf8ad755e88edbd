//! [`HealthRegistry::standard_checks`]: the checks every Steadfast process answers for when
//! `[[health.checks]]` declares none.

use std::path::PathBuf;

use steadfast_core::HumanDuration;

use crate::{CheckKind, CheckOutput, CheckSpec, Error, Group, HealthRegistry, Registration};

impl HealthRegistry {
    /// Adds the standard checks: `process:alive` (live), `runtime:schedulingLag` (live,
    /// ready), `disk:utilization` of `runs_root` against the registry's disk watermarks
    /// (ready) and `memory:available` (ready, non-critical) — the last three as declared
    /// `[[health.checks]]` entries, so their defaults are the documented ones.
    ///
    /// ```
    /// let registry = steadfast_healthcheck::HealthRegistry::new().standard_checks("runs")?;
    /// # let _ = registry;
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error`] when a check of the same name is registered already.
    pub fn standard_checks(self, runs_root: impl Into<PathBuf>) -> Result<Self, Error> {
        let every = |secs| Some(HumanDuration::from_secs(secs));
        let declared = [
            CheckSpec {
                name: "runtime:schedulingLag".into(),
                kind: Some(CheckKind::Runtime),
                groups: Some(vec!["live".into(), "ready".into()]),
                interval: every(5),
                ..CheckSpec::default()
            },
            CheckSpec {
                name: "disk:utilization".into(),
                kind: Some(CheckKind::Disk),
                path: Some(runs_root.into()),
                interval: every(10),
                ..CheckSpec::default()
            },
            CheckSpec {
                name: "memory:available".into(),
                kind: Some(CheckKind::Memory),
                critical: false,
                interval: every(10),
                ..CheckSpec::default()
            },
        ];
        self.register(
            Registration::new("process:alive", || async { CheckOutput::pass() })
                .groups([Group::Live]),
        )?
        .declare(&declared)
    }
}
