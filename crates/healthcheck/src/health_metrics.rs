//! Exporting the check series of a started [`Health`] (feature `prometheus`): the series
//! go into a slot every run reads as it finishes, so they can be attached before
//! [`start`](crate::HealthRegistry::start) or after it, and begin with what is known now.

use std::sync::PoisonError;

use steadfast_core::{Prefix, Status};

use crate::inner::Inner;
use crate::metrics::CheckMetrics;
use crate::{Error, Health};

impl Health {
    /// Exports every check's status, run time and outcomes into `registry` under `prefix`
    /// — the series of [`HealthRegistry::metrics`](crate::HealthRegistry::metrics), for
    /// checks already started. Every check's series are declared and its current status
    /// and last run published at once; from then on they are updated when a check
    /// finishes (run times and outcomes count from here). A scrape never runs a check.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_healthcheck::{CheckOutput, HealthRegistry, Registration};
    ///
    /// let health = HealthRegistry::new()
    ///     .register(Registration::new("db:ping", || async { CheckOutput::pass() }))?
    ///     .start();
    /// health.first_round(std::time::Duration::from_secs(1)).await;
    /// let (prom, prefix) = (prometheus::Registry::new(), steadfast_core::Prefix::default());
    /// health.metrics(&prom, &prefix)?;
    /// let text = prometheus::TextEncoder::new().encode_to_string(&prom.gather())?;
    /// assert!(text.contains(r#"steadfast_health_check_status{check="db:ping",status="pass"} 1"#));
    /// assert!(health.metrics(&prom, &prefix).is_err()); // exported once
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::MetricsExported`] when this `Health` (or its registry) already exports its
    /// series; [`Error::Metrics`] when the series are already registered in `registry`.
    pub fn metrics(&self, registry: &prometheus::Registry, prefix: &Prefix) -> Result<(), Error> {
        let _one = self
            .inner
            .exporting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.inner.metrics.get().is_some() {
            return Err(Error::MetricsExported);
        }
        self.inner.export(CheckMetrics::register(registry, prefix)?);
        Ok(())
    }
}

impl Inner {
    /// Makes `metrics` the series every finishing run updates (unless some already are),
    /// then declares each check's series and publishes what is known of it now.
    pub(crate) fn export(&self, metrics: CheckMetrics) {
        // Set before reading any state: a run finishing meanwhile either sees the series
        // and updates them itself, or recorded its result before the read below.
        let m = self.metrics.get_or_init(|| metrics);
        let now = self.now();
        for e in &self.entries {
            // Under the state's lock: a later result cannot be overwritten by this one.
            let state = e.state.lock().unwrap_or_else(PoisonError::into_inner);
            let status = if e.too_old(now) {
                Some(Status::Fail)
            } else {
                state.reported
            };
            m.current(
                &e.reg.name,
                status,
                state.last.as_ref().map(|o| o.time.system_time()),
            );
        }
    }
}
