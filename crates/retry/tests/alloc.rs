//! The whole async policy — rate limiter, circuit breaker, retry budget, retry loop —
//! allocates nothing on a successful call. Its own binary, because it installs a counting
//! global allocator for the whole process.
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::time::Duration;

use std::sync::Arc;
use steadfast_perf_profiler::{CountingAlloc, Profiler, SampleRate};

use steadfast_retry::{
    AdaptiveRateLimiter, AlwaysRetry, BreakerRegistry, BudgetRegistry, CircuitBreaker,
    KeyedResilience, LimiterRegistry, ManualClock, RetryBudget, RetryPolicy,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn a_successful_call_through_the_full_async_policy_allocates_nothing() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential()
        .max_retries(3)
        .manual_clock(&clock)
        .circuit_breaker(CircuitBreaker::builder().clock(clock.clone()).build())
        .budget(RetryBudget::new(0.2, 10.0));
    let limiter = AdaptiveRateLimiter::new(100.0, 1.0, 1000.0).clock(clock.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let call = || async {
        limiter.acquire_async().await;
        clock.advance(Duration::from_secs(1)); // the next slot is due: no wait
        policy
            .retry_async(|_attempt| async { Ok::<u32, std::io::Error>(7) })
            .await
    };
    // Warm up: whatever is made once (thread-locals, the breaker's window) is made now.
    rt.block_on(async {
        for _ in 0..1000 {
            assert_eq!(call().await.unwrap(), 7);
        }
    });
    let profiler = Profiler::builder().sample_rate(SampleRate::Always).build();
    rt.block_on(async {
        let _span = profiler.span("calls");
        for _ in 0..10_000 {
            assert_eq!(call().await.unwrap(), 7);
        }
    });
    let stats = profiler.snapshot().component("calls").unwrap().clone();
    assert_eq!(
        stats.alloc_bytes, 0,
        "10,000 successful calls allocated {} bytes",
        stats.alloc_bytes
    );
}

#[test]
fn a_successful_keyed_call_through_the_full_async_policy_allocates_nothing() {
    let clock = ManualClock::new();
    let keyed = KeyedResilience::new()
        .breakers(Arc::new(BreakerRegistry::new(
            CircuitBreaker::builder()
                .slow_call_duration(Duration::from_secs(5))
                .time_window(Duration::from_secs(60))
                .clock(clock.clone()),
            64,
        )))
        .budgets(Arc::new(BudgetRegistry::new(
            RetryBudget::new(0.2, 10.0),
            64,
        )))
        .limiters(Arc::new(LimiterRegistry::new(
            AdaptiveRateLimiter::new(100.0, 1.0, 1000.0).clock(clock.clone()),
            64,
        )));
    let policy = RetryPolicy::exponential()
        .max_retries(3)
        .manual_clock(&clock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let keys = ["Patient", "Observation", "Encounter"];
    let call = |n: usize| {
        let key = keys[n % keys.len()];
        let (keyed, policy, clock) = (&keyed, &policy, &clock);
        async move {
            clock.advance(Duration::from_secs(1)); // the key's next slot is due: no wait
            policy
                .retry_async_if_keyed(keyed, &key, AlwaysRetry, |_attempt| async {
                    Ok::<u32, std::io::Error>(7)
                })
                .await
        }
    };
    // Warm up: the keys' breakers, budgets and limiters and this thread's caches are made.
    rt.block_on(async {
        for n in 0..1000 {
            assert_eq!(call(n).await.unwrap(), 7);
        }
    });
    let profiler = Profiler::builder().sample_rate(SampleRate::Always).build();
    rt.block_on(async {
        let _span = profiler.span("keyed calls");
        for n in 0..10_000 {
            assert_eq!(call(n).await.unwrap(), 7);
        }
    });
    let stats = profiler
        .snapshot()
        .component("keyed calls")
        .unwrap()
        .clone();
    assert_eq!(
        stats.alloc_bytes, 0,
        "10,000 successful keyed calls allocated {} bytes",
        stats.alloc_bytes
    );
}
