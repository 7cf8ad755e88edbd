//! Prometheus metrics of retrying calls (feature `prometheus`): attempts, retries, give-ups
//! by reason, and — read fresh at every scrape — breaker state and budget level.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};
use steadfast_core::Prefix;

use crate::breaker::{CircuitBreaker, CircuitState};
use crate::budget::RetryBudget;
use crate::events::GiveUpReason;
use crate::series;

/// Metrics for the calls to one dependency, labelled `dependency="<name>"` (names in
/// [`series`], under the configured prefix).
///
/// | series | type |
/// |---|---|
/// | `<prefix>_retry_attempts_total` | counter |
/// | `<prefix>_retry_retries_total` | counter |
/// | `<prefix>_retry_give_ups_total{reason}` | counter |
/// | `<prefix>_retry_circuit_state` (0 closed, 1 open, 2 half-open) | gauge |
/// | `<prefix>_retry_budget_tokens` | gauge |
///
/// The dependency name becomes a label: keep it a fixed, low-cardinality name (`ehr`,
/// `warehouse`), never a URL or an identifier.
///
/// ```
/// use steadfast_retry::{RetryMetrics, RetryPolicy};
///
/// let registry = prometheus::Registry::new();
/// let prefix = steadfast_core::Prefix::default();
/// let metrics = RetryMetrics::register_prometheus(&registry, &prefix, "ehr")?;
/// let policy = RetryPolicy::constant(std::time::Duration::ZERO).metrics(metrics);
/// let _ = policy.retry(|attempt| if attempt < 2 { Err("503") } else { Ok(()) });
/// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather())?;
/// assert!(text.contains(r#"steadfast_retry_attempts_total{dependency="ehr"} 2"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RetryMetrics {
    pub(crate) attempts: IntCounter,
    pub(crate) retries: IntCounter,
    give_ups: IntCounterVec,
    dependency: String,
    state: Arc<Watched>,
}

struct Watched {
    circuit: IntGaugeVec,
    budget: IntGaugeVec,
    breaker: Mutex<Option<CircuitBreaker>>,
    retry_budget: Mutex<Option<RetryBudget>>,
}

impl std::fmt::Debug for RetryMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryMetrics")
            .field("dependency", &self.dependency)
            .finish_non_exhaustive()
    }
}

impl RetryMetrics {
    /// Creates the series for `dependency` under `prefix` and registers them into
    /// `registry` — every crate's registration shape, with the dependency's name added.
    /// Give-up reasons are created at zero, so an alert on their increase sees the series
    /// before the first failure.
    ///
    /// # Errors
    /// [`prometheus::Error`] if the series are already registered for this dependency.
    pub fn register_prometheus(
        registry: &Registry,
        prefix: &Prefix,
        dependency: &str,
    ) -> prometheus::Result<Self> {
        let labels = |name: &str, help: &str| {
            Opts::new(prefix.name(name), help).const_label("dependency", dependency)
        };
        let attempts = IntCounter::with_opts(labels(
            series::RETRY_ATTEMPTS_TOTAL,
            "Attempts made, first ones included.",
        ))?;
        let retries = IntCounter::with_opts(labels(
            series::RETRY_RETRIES_TOTAL,
            "Retries started after a transient failure.",
        ))?;
        let give_ups = IntCounterVec::new(
            labels(
                series::RETRY_GIVE_UPS_TOTAL,
                "Calls that failed for good, by reason.",
            ),
            &["reason"],
        )?;
        for reason in GiveUpReason::ALL {
            let _ = give_ups.with_label_values(&[reason.as_str()]);
        }
        let circuit = IntGaugeVec::new(
            labels(
                series::RETRY_CIRCUIT_STATE,
                "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
            ),
            &[],
        )?;
        let budget = IntGaugeVec::new(
            labels(
                series::RETRY_BUDGET_TOKENS,
                "Whole retry tokens left in the shared budget.",
            ),
            &[],
        )?;
        let me = Self {
            attempts,
            retries,
            give_ups,
            dependency: dependency.to_owned(),
            state: Arc::new(Watched {
                circuit,
                budget,
                breaker: Mutex::new(None),
                retry_budget: Mutex::new(None),
            }),
        };
        registry.register(Box::new(me.attempts.clone()))?;
        registry.register(Box::new(me.retries.clone()))?;
        registry.register(Box::new(me.give_ups.clone()))?;
        registry.register(Box::new(WatchedCollector(me.state.clone())))?;
        Ok(me)
    }

    /// Reports `breaker`'s state at every scrape.
    pub fn watch_breaker(&self, breaker: &CircuitBreaker) {
        *self
            .state
            .breaker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(breaker.clone());
    }

    /// Reports `budget`'s level at every scrape.
    pub fn watch_budget(&self, budget: &RetryBudget) {
        *self
            .state
            .retry_budget
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(budget.clone());
    }

    pub(crate) fn gave_up(&self, reason: GiveUpReason) {
        self.give_ups.with_label_values(&[reason.as_str()]).inc();
    }
}

struct WatchedCollector(Arc<Watched>);

impl Collector for WatchedCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut d = self.0.circuit.desc();
        d.extend(self.0.budget.desc());
        d
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let w = &self.0;
        let mut out = Vec::new();
        if let Some(b) = w
            .breaker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let v = match b.state() {
                CircuitState::Closed => 0,
                CircuitState::Open => 1,
                CircuitState::HalfOpen => 2,
            };
            w.circuit.with_label_values::<&str>(&[]).set(v);
            out.extend(w.circuit.collect());
        }
        if let Some(b) = w
            .retry_budget
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            #[allow(clippy::cast_possible_truncation, reason = "a token count, floored")]
            w.budget
                .with_label_values::<&str>(&[])
                .set(b.tokens().floor() as i64);
            out.extend(w.budget.collect());
        }
        out
    }
}
