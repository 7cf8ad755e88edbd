//! Retry overhead on the success path, the breaker's closed-state check and a keyed
//! breaker's lookup + check, against the `backon` crate in the same run (results in
//! docs/benchmarks.md).

use std::hint::black_box;
use std::time::Duration;

use backon::{BlockingRetryable, ExponentialBuilder};
use criterion::{Criterion, criterion_group, criterion_main};
use steadfast_retry::{BreakerRegistry, CircuitBreaker, RetryPolicy};

#[inline(never)]
fn work(x: u64) -> Result<u64, &'static str> {
    Ok(black_box(x).wrapping_mul(31))
}

#[allow(
    clippy::disallowed_methods,
    reason = "backon's blocking sleeper; never reached on the success path measured here"
)]
fn success_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("retry_success_path");
    g.bench_function("plain_call", |b| b.iter(|| work(black_box(7))));
    let policy = RetryPolicy::exponential().max_retries(5);
    g.bench_function("steadfast_retry", |b| {
        b.iter(|| policy.retry(|_| work(black_box(7))));
    });
    let breaker = CircuitBreaker::builder().failure_rate(2.0).build();
    let guarded = RetryPolicy::exponential()
        .max_retries(5)
        .circuit_breaker(breaker);
    g.bench_function("steadfast_retry_with_breaker", |b| {
        b.iter(|| guarded.retry(|_| work(black_box(7))));
    });
    g.bench_function("backon_blocking", |b| {
        b.iter(|| {
            (|| work(black_box(7)))
                .retry(ExponentialBuilder::default().with_max_times(5))
                .sleep(std::thread::sleep)
                .call()
        });
    });
    g.finish();
}

fn breaker_check(c: &mut Criterion) {
    let mut g = c.benchmark_group("breaker_closed");
    let breaker = CircuitBreaker::default();
    g.bench_function("try_acquire", |b| {
        b.iter(|| black_box(breaker.try_acquire()).is_some())
    });
    let counting = CircuitBreaker::builder().failure_rate(2.0).build();
    g.bench_function("try_acquire_and_success_consecutive_only", |b| {
        b.iter(|| counting.try_acquire().map(steadfast_retry::Permit::success));
    });
    g.bench_function("try_acquire_and_success_with_window", |b| {
        b.iter(|| breaker.try_acquire().map(steadfast_retry::Permit::success));
    });
    g.finish();
}

/// A keyed breaker as the FHIR client keys them — (resource type, interaction) — with 64
/// keys in the registry: the lookup of an existing key and its closed-state check.
fn keyed_breaker_check(c: &mut Criterion) {
    const TYPES: [&str; 16] = [
        "Patient",
        "Observation",
        "Encounter",
        "Condition",
        "Procedure",
        "MedicationRequest",
        "DiagnosticReport",
        "Immunization",
        "AllergyIntolerance",
        "CarePlan",
        "Claim",
        "Coverage",
        "Device",
        "DocumentReference",
        "Location",
        "Practitioner",
    ];
    const INTERACTIONS: [&str; 4] = ["read", "search", "create", "update"];
    let mut g = c.benchmark_group("keyed_breaker_try_acquire");
    let breakers = BreakerRegistry::new(CircuitBreaker::builder(), 256);
    for t in TYPES {
        for i in INTERACTIONS {
            breakers.get(&(t.to_owned(), i));
        }
    }
    let key = ("Observation".to_owned(), "search");
    g.bench_function("get_and_try_acquire_64_keys", |b| {
        b.iter(|| black_box(breakers.get(black_box(&key)).try_acquire().is_some()))
    });
    let unkeyed = CircuitBreaker::default();
    g.bench_function("unkeyed_try_acquire", |b| {
        b.iter(|| black_box(unkeyed.try_acquire()).is_some())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = success_path, breaker_check, keyed_breaker_check }
criterion_main!(benches);
