//! Retry loops on a `ManualClock`: exact delays, deadlines, Retry-After, hooks, errors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_retry::{
    CircuitBreaker, Decision, GiveUpReason, Jitter, ManualClock, RetryBudget, RetryError,
    RetryPolicy,
};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn exponential_without_jitter_waits_exactly() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential()
        .initial_interval(secs(1))
        .multiplier(2.0)
        .max_interval(secs(5))
        .jitter(Jitter::None)
        .max_retries(4)
        .manual_clock(&clock);
    let delays = Arc::new(Mutex::new(Vec::new()));
    let seen = delays.clone();
    let policy = policy.on_retry(move |e| seen.lock().unwrap().push(e.delay.as_secs()));
    let err = policy.retry(|_| Err::<(), _>("down")).unwrap_err();
    assert_eq!(*delays.lock().unwrap(), [1, 2, 4, 5]);
    assert_eq!(clock.slept(), secs(12));
    assert!(matches!(err, RetryError::Exhausted { attempts: 5, .. }));
    assert_eq!(err.to_string(), "gave up after 5 attempts in 12.0s: down");
}

#[test]
fn deadline_is_never_slept_past() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::constant(secs(4))
        .max_retries(100)
        .max_elapsed(Some(secs(10)))
        .manual_clock(&clock);
    let err = policy.retry(|_| Err::<(), _>("slow")).unwrap_err();
    // Waits at 0→4, 4→8; a third wait would end at 12 > 10, so it is not started.
    assert_eq!(clock.slept(), secs(8));
    assert_eq!(err.reason(), GiveUpReason::DeadlineExceeded);
    assert_eq!(
        err.to_string(),
        "deadline of 10.0s reached after 3 attempts (next wait 4.0s): slow"
    );
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential()
        .initial_interval(Duration::from_millis(10))
        .max_interval(secs(30))
        .max_retries(5)
        .manual_clock(&clock);
    let mut asks = [Some(7), Some(3), None].into_iter();
    let out = policy.retry_if(
        |w: &Wait| {
            w.0.map_or(Decision::Stop, |s| Decision::RetryAfter(secs(s)))
        },
        |_| match asks.next().unwrap() {
            None => Ok("ok"),
            some => Err(Wait(some)),
        },
    );
    assert_eq!(out.unwrap(), "ok");
    assert_eq!(clock.slept(), secs(10));

    let err = policy
        .retry_if(
            |_: &&str| Decision::RetryAfter(secs(120)),
            |_| Err::<(), _>("429"),
        )
        .unwrap_err();
    assert_eq!(err.reason(), GiveUpReason::RetryAfterTooLong);
    insta::assert_snapshot!(err.to_string(), @"server asked to retry after 2m 00s, more than the allowed 30.0s, after 1 attempts: 429");
}

/// An error carrying the server's Retry-After, in seconds.
#[derive(Debug)]
struct Wait(Option<u64>);

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "429 (retry after {:?})", self.0)
    }
}

#[test]
fn permanent_errors_stop_at_once() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential().manual_clock(&clock);
    let mut calls = 0;
    let err = policy
        .retry_if(
            |s: &u16| steadfast_retry::classify_http(*s, None),
            |_| {
                calls += 1;
                Err::<(), _>(404u16)
            },
        )
        .unwrap_err();
    assert_eq!(calls, 1);
    assert_eq!(clock.slept(), Duration::ZERO);
    assert_eq!(
        err.to_string(),
        "stopped at attempt 1 on a permanent error: 404"
    );
    assert_eq!(err.into_last_error(), Some(404));
}

#[test]
fn attempt_numbers_and_give_up_hook() {
    let clock = ManualClock::new();
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let r = reasons.clone();
    let policy = RetryPolicy::constant(secs(1))
        .max_retries(2)
        .manual_clock(&clock)
        .on_give_up(move |e| r.lock().unwrap().push((e.attempts, e.reason)));
    let mut seen = Vec::new();
    let _ = policy.retry(|attempt| {
        seen.push(attempt);
        Err::<(), _>("x")
    });
    assert_eq!(seen, [1, 2, 3]);
    assert_eq!(*reasons.lock().unwrap(), [(3, GiveUpReason::Exhausted)]);
}

#[test]
fn budget_refuses_retries_beyond_its_ratio() {
    let clock = ManualClock::new();
    let budget = RetryBudget::new(0.5, 0.0).clock(clock.clone());
    let policy = RetryPolicy::constant(secs(1))
        .max_retries(10)
        .manual_clock(&clock)
        .budget(budget.clone());
    // Two successful calls bank one token; the failing call may retry once.
    for _ in 0..2 {
        policy.retry(|_| Ok::<_, &str>(())).unwrap();
    }
    let err = policy.retry(|_| Err::<(), _>("down")).unwrap_err();
    assert_eq!(err.reason(), GiveUpReason::BudgetExhausted);
    // 3 deposits of 0.5 = 1.5 tokens: one retry, then refused.
    assert_eq!(err.attempts(), 2);
}

#[test]
fn open_circuit_refuses_without_calling() {
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(3)
        .open_duration(secs(60))
        .clock(clock.clone())
        .build();
    let policy = RetryPolicy::constant(secs(1))
        .max_retries(10)
        .manual_clock(&clock)
        .circuit_breaker(breaker.clone());
    let mut calls = 0;
    let err = policy
        .retry(|_| {
            calls += 1;
            Err::<(), _>("503")
        })
        .unwrap_err();
    assert_eq!(calls, 3, "the breaker opened after 3 failures");
    assert_eq!(err.reason(), GiveUpReason::CircuitOpen);
    assert_eq!(
        err.to_string(),
        "circuit open: call refused after 3 attempts; last error: 503"
    );
    let err = policy.retry(|_| Ok::<_, &str>(())).unwrap_err();
    assert_eq!(err.attempts(), 0);
}

#[test]
fn seeded_jitter_is_reproducible_and_varies_per_call() {
    let p = RetryPolicy::exponential().seed(7).max_retries(6);
    let a: Vec<_> = p.delays().collect();
    let b: Vec<_> = p.delays().collect();
    assert_ne!(a, b, "each call draws its own jitter");
    let q = RetryPolicy::exponential().seed(7).max_retries(6);
    assert_eq!(
        q.delays().collect::<Vec<_>>(),
        a,
        "same seed, same sequence"
    );
}

#[cfg(feature = "tokio")]
#[tokio::test(start_paused = true)]
async fn async_attempt_timeout_is_retried_then_reported() {
    let policy = RetryPolicy::constant(Duration::from_millis(100))
        .max_retries(2)
        .attempt_timeout(secs(1))
        .clock(steadfast_retry::TokioClock);
    let start = tokio::time::Instant::now();
    let err = policy
        .retry_async(|_| async {
            std::future::pending::<()>().await;
            Ok::<(), &str>(())
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "gave up after 3 attempts in 2.2s: attempt timed out after 1.0s"
    );
    // 3 timeouts of 1 s and 2 waits of 100 ms on tokio's (paused, auto-advancing) clock.
    assert_eq!(start.elapsed(), Duration::from_millis(3200));
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_cancellation_releases_the_half_open_probe() {
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .open_duration(secs(1))
        .clock(clock.clone())
        .build();
    breaker.force_open();
    clock.advance(secs(1));
    let policy = RetryPolicy::constant(secs(1)).circuit_breaker(breaker.clone());
    let fut = policy.retry_async(|_| std::future::pending::<Result<(), &str>>());
    // Poll once (takes the only half-open probe), then drop: cancellation.
    let _ = tokio::time::timeout(Duration::from_millis(1), fut).await;
    assert!(
        breaker.try_acquire().is_some(),
        "the probe permit was released on drop"
    );
}

#[cfg(feature = "prometheus")]
#[test]
fn prometheus_series_follow_the_calls() {
    let clock = ManualClock::new();
    let registry = prometheus::Registry::new();
    let prefix = steadfast_core::Prefix::default();
    let metrics =
        steadfast_retry::RetryMetrics::register_prometheus(&registry, &prefix, "ehr").unwrap();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(3)
        .clock(clock.clone())
        .build();
    let budget = RetryBudget::new(5.0, 0.0); // one call banks 5 retries
    let policy = RetryPolicy::constant(secs(1))
        .max_retries(5)
        .manual_clock(&clock)
        .circuit_breaker(breaker)
        .budget(budget)
        .metrics(metrics);
    let _ = policy.retry(|_| Err::<(), _>("503"));
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    let series: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    insta::assert_snapshot!(series.join("\n"), @r#"
    steadfast_retry_attempts_total{dependency="ehr"} 3
    steadfast_retry_budget_tokens{dependency="ehr"} 2
    steadfast_retry_circuit_state{dependency="ehr"} 1
    steadfast_retry_give_ups_total{dependency="ehr",reason="budget_exhausted"} 0
    steadfast_retry_give_ups_total{dependency="ehr",reason="circuit_open"} 1
    steadfast_retry_give_ups_total{dependency="ehr",reason="deadline_exceeded"} 0
    steadfast_retry_give_ups_total{dependency="ehr",reason="exhausted"} 0
    steadfast_retry_give_ups_total{dependency="ehr",reason="permanent"} 0
    steadfast_retry_give_ups_total{dependency="ehr",reason="retry_after_too_long"} 0
    steadfast_retry_retries_total{dependency="ehr"} 3
    "#);
}

#[test]
fn config_section_builds_policy_and_rejects_bad_values() {
    let cfg: steadfast_retry::RetryConfig = toml::from_str(
        "initial_interval = \"1s\"\nmultiplier = 2.0\njitter = \"none\"\nmax_retries = 3\n",
    )
    .unwrap();
    let delays: Vec<u64> = cfg
        .policy()
        .unwrap()
        .delays()
        .map(|d| d.as_secs())
        .collect();
    assert_eq!(delays, [1, 2, 4]);
    assert!(cfg.breaker().is_some() && cfg.budget().is_some());

    let unknown = toml::from_str::<steadfast_retry::RetryConfig>("max_retrys = 3").unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `max_retrys`"),
        "{unknown}"
    );
    let bad = toml::from_str::<steadfast_retry::RetryConfig>("multiplier = 0.5\n").unwrap();
    insta::assert_snapshot!(bad.policy().unwrap_err().to_string(), @"invalid [retry] multiplier = 0.5: a number ≥ 1");
}
