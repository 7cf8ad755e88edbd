//! What the run's retry policies and circuit breaker did, into its `metrics.ndjson` under
//! the retry crate's names (`steadfast_retry::series::RUN_*`): a [`RetryListener`] on every
//! policy from `Run::retry` and on the run's breaker, so the run's page shows true numbers
//! after the process has gone.

use std::sync::Arc;

use steadfast_metrics::Recorder;
use steadfast_retry::series::{
    LABEL_REASON, LABEL_STATUS, LABEL_TO, RUN_BREAKER_STATE, RUN_BREAKER_TRANSITIONS, RUN_GIVE_UPS,
    RUN_HTTP_ERRORS, RUN_POLICIES, RUN_RETRIES, RUN_STEP, state_value, status_label,
};
use steadfast_retry::{
    CircuitBreaker, CircuitBreakerBuilder, CircuitState, FailedAttempt, GiveUpEvent, RetryEvent,
    RetryListener,
};

/// Records retries, give-ups by reason, failed attempts by status and breaker transitions.
pub(crate) struct RetryRecord {
    recorder: Recorder,
}

impl RetryRecord {
    /// A listener for a policy handed out by `Run::retry`; counts it in
    /// [`RUN_POLICIES`], the mark that this run records its retries.
    pub(crate) fn for_policy(recorder: &Recorder) -> Arc<dyn RetryListener> {
        if let Ok(policies) = recorder.gauge_handle(RUN_STEP, RUN_POLICIES, &[]) {
            policies.add(1.0);
        }
        Arc::new(Self {
            recorder: recorder.clone(),
        })
    }

    /// The run's breaker, its transitions recorded and its state (closed) set now.
    pub(crate) fn breaker(builder: CircuitBreakerBuilder, recorder: &Recorder) -> CircuitBreaker {
        let breaker = builder
            .listener(Arc::new(Self {
                recorder: recorder.clone(),
            }))
            .build();
        recorder
            .gauge(RUN_STEP, RUN_BREAKER_STATE)
            .set(state_value(breaker.state()));
        breaker
    }
}

impl RetryListener for RetryRecord {
    fn attempt_failed(&self, event: &FailedAttempt<'_>) {
        let status = status_label(event.status, event.kind);
        self.recorder
            .counter(RUN_STEP, RUN_HTTP_ERRORS)
            .label(LABEL_STATUS, &status)
            .add(1);
    }

    fn retrying(&self, _: &RetryEvent<'_>) {
        self.recorder.counter(RUN_STEP, RUN_RETRIES).add(1);
    }

    fn gave_up(&self, event: &GiveUpEvent<'_>) {
        self.recorder
            .counter(RUN_STEP, RUN_GIVE_UPS)
            .label(LABEL_REASON, event.reason.as_str())
            .add(1);
    }

    fn breaker_changed(&self, _: CircuitState, to: CircuitState) {
        self.recorder
            .counter(RUN_STEP, RUN_BREAKER_TRANSITIONS)
            .label(LABEL_TO, to.as_str())
            .add(1);
        self.recorder
            .gauge(RUN_STEP, RUN_BREAKER_STATE)
            .set(state_value(to));
    }
}
