//! Keyed budgets and limiters, alone and bundled in `KeyedResilience`: a failing key spends
//! only its own retries and slows only its own pace, a kind left unkeyed falls back to the
//! policy's own, and `Keyed::from_fn` makes values that differ by key.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_retry::{
    AdaptiveRateLimiter, AlwaysRetry, BreakerRegistry, BudgetRegistry, CircuitBreaker,
    CircuitState, Classify, Decision, ErrorFacts, Keyed, KeyedResilience, LimiterRegistry,
    ManualClock, RetryBudget, RetryError, RetryPolicy,
};

/// Errors are HTTP statuses: every one is retried, and its facts say its status.
struct Statuses;

impl Classify<u16> for Statuses {
    fn classify(&self, _: &u16) -> Decision {
        Decision::Retry
    }

    fn facts(&self, status: &u16) -> ErrorFacts {
        ErrorFacts::http(*status)
    }
}

/// Ten rounds, a second apart, of an Observation call that always fails and a Patient call
/// that fails once and then succeeds: how many Patient calls succeeded.
fn ten_rounds(
    policy: &RetryPolicy,
    keyed: &KeyedResilience<&'static str>,
    clock: &ManualClock,
) -> usize {
    let mut patient_ok = 0;
    for _ in 0..10 {
        clock.advance(Duration::from_secs(1));
        let failed = policy.retry_if_keyed(keyed, &"Observation", Statuses, |_| Err::<(), _>(503));
        assert!(
            matches!(failed, Err(RetryError::BudgetExhausted { attempts: 2, .. })),
            "{failed:?}"
        );
        let patient = policy.retry_if_keyed(keyed, &"Patient", Statuses, |attempt| {
            if attempt == 1 { Err(503) } else { Ok(()) }
        });
        patient_ok += usize::from(patient.is_ok());
    }
    patient_ok
}

#[test]
fn a_key_that_exhausts_its_budget_takes_no_retries_from_another() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::constant(Duration::ZERO)
        .max_retries(5)
        .manual_clock(&clock);
    // No ratio, a floor of one retry a second.
    let template = RetryBudget::new(0.0, 1.0).clock(clock.clone());
    // One budget for both: every second's retry goes to the failing Observation.
    let shared = policy.clone().budget(template.clone());
    assert_eq!(ten_rounds(&shared, &KeyedResilience::new(), &clock), 0);
    // A budget per key: Observation spends its own; Patient keeps every retry it needs.
    let budgets = Arc::new(BudgetRegistry::new(template, 16));
    let keyed = KeyedResilience::new().budgets(budgets.clone());
    assert_eq!(ten_rounds(&policy, &keyed, &clock), 10);
    assert_eq!(budgets.len(), 2);
}

#[test]
fn a_throttled_key_slows_only_its_own_pace() {
    let clock = ManualClock::new();
    let limiters = Arc::new(LimiterRegistry::new(
        AdaptiveRateLimiter::new(10.0, 1.0, 10.0).clock(clock.clone()),
        16,
    ));
    let policy = RetryPolicy::constant(Duration::ZERO)
        .max_retries(3)
        .manual_clock(&clock);
    let keyed = KeyedResilience::new().limiters(limiters.clone());
    // Observation: 429 twice, then an answer. Each 429 halves its rate: 10 → 5 → 2.5.
    let got = policy.retry_if_keyed(&keyed, &"Observation", Statuses, |attempt| {
        if attempt <= 2 { Err(429) } else { Ok("Bundle") }
    });
    assert_eq!(got.unwrap(), "Bundle");
    // Attempts at 0, 100 ms (10/s), 300 ms (5/s); the success raises it by 0.1.
    assert_eq!(clock.slept(), Duration::from_millis(300));
    assert!((limiters.get(&"Observation").rate() - 2.6).abs() < 1e-9);
    // Patient keeps its pace: its first call waits for nothing.
    let before = clock.slept();
    policy
        .retry_if_keyed(&keyed, &"Patient", AlwaysRetry, |_| Ok::<_, &str>(()))
        .unwrap();
    assert_eq!(clock.slept(), before);
    assert_eq!(limiters.get(&"Patient").rate(), 10.0);
}

#[test]
fn a_kind_the_bundle_does_not_key_is_the_policys_own() {
    let clock = ManualClock::new();
    let shared = CircuitBreaker::builder().consecutive_failures(2).build();
    let policy = RetryPolicy::constant(Duration::ZERO)
        .max_retries(0)
        .manual_clock(&clock)
        .circuit_breaker(shared.clone());
    let budgets_only = KeyedResilience::new()
        .budgets(Arc::new(BudgetRegistry::new(RetryBudget::new(0.2, 1.0), 8)));
    for key in ["Observation", "Patient"] {
        let _ = policy.retry_if_keyed(&budgets_only, &key, AlwaysRetry, |_| Err::<(), _>("503"));
    }
    assert_eq!(
        shared.state(),
        CircuitState::Open,
        "the policy's breaker counted both"
    );
    // With breakers keyed too, the policy's breaker is not asked.
    let both = budgets_only
        .clone()
        .breakers(Arc::new(BreakerRegistry::new(CircuitBreaker::builder(), 8)));
    let ok = policy.retry_if_keyed(&both, &"Patient", AlwaysRetry, |_| Ok::<_, &str>(1));
    assert_eq!(ok.unwrap(), 1);
    let refused = policy.retry(|_| Ok::<_, &str>(1));
    assert!(matches!(refused, Err(RetryError::CircuitOpen { .. })));
}

#[test]
fn values_can_differ_by_key_and_hooks_add_up() {
    let limiters = Keyed::from_fn(8, |key: &(&str, &str)| {
        let rate = if key.1 == "create" { 2.0 } else { 20.0 };
        AdaptiveRateLimiter::new(rate, 1.0, 100.0)
    });
    assert_eq!(limiters.get(&("Patient", "create")).rate(), 2.0);
    assert_eq!(limiters.get(&("Patient", "read")).rate(), 20.0);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (seen.clone(), seen.clone());
    let breakers = BreakerRegistry::new(CircuitBreaker::builder(), 8)
        .on_state_change(move |k: &&str, _, to| a.lock().unwrap().push(("a", *k, to)))
        .on_state_change(move |k: &&str, _, to| b.lock().unwrap().push(("b", *k, to)));
    breakers.get(&"Observation").force_open();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("a", "Observation", CircuitState::Open),
            ("b", "Observation", CircuitState::Open)
        ]
    );
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn the_async_loop_uses_the_keys_budget_and_limiter() {
    let clock = ManualClock::new();
    let keyed = KeyedResilience::new()
        .budgets(Arc::new(BudgetRegistry::new(
            RetryBudget::new(0.0, 1.0).clock(clock.clone()),
            8,
        )))
        .limiters(Arc::new(LimiterRegistry::new(
            AdaptiveRateLimiter::new(4.0, 1.0, 4.0).clock(clock.clone()),
            8,
        )));
    let policy = RetryPolicy::constant(Duration::ZERO)
        .max_retries(5)
        .manual_clock(&clock);
    let failed = policy
        .retry_async_if_keyed(&keyed, &"Observation", AlwaysRetry, |_| async {
            Err::<(), _>("503")
        })
        .await;
    // The floor's one retry a second: one retry, 250 ms after the first attempt.
    assert!(
        matches!(failed, Err(RetryError::BudgetExhausted { attempts: 2, .. })),
        "{failed:?}"
    );
    assert_eq!(clock.slept(), Duration::from_millis(250));
    let ok = policy
        .retry_async_if_keyed(&keyed, &"Patient", AlwaysRetry, |attempt| async move {
            if attempt == 1 {
                Err("503")
            } else {
                Ok(attempt)
            }
        })
        .await;
    assert_eq!(ok.unwrap(), 2, "Patient's budget had its retry");
}
