//! Properties of the backoff: caps, deadlines and jitter bounds hold for any parameters.

use std::time::Duration;

use proptest::prelude::*;
use steadfast_retry::{Jitter, ManualClock, RetryPolicy};

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
        (0.0f64..=1.0).prop_map(Jitter::Randomized),
    ]
}

proptest! {
    #[test]
    fn delays_never_exceed_max_interval(
        initial_ms in 1u64..5_000,
        multiplier in 1.0f64..10.0,
        max_ms in 1u64..120_000,
        j in jitter(),
        seed in any::<u64>(),
    ) {
        let max = Duration::from_millis(max_ms);
        let p = RetryPolicy::exponential()
            .initial_interval(Duration::from_millis(initial_ms))
            .multiplier(multiplier)
            .max_interval(max)
            .jitter(j)
            .seed(seed)
            .max_retries(40);
        for d in p.delays() {
            prop_assert!(d <= max, "{d:?} > {max:?}");
        }
    }

    #[test]
    fn total_wait_never_passes_the_deadline(
        initial_ms in 1u64..5_000,
        deadline_ms in 0u64..60_000,
        j in jitter(),
        seed in any::<u64>(),
    ) {
        let clock = ManualClock::new();
        let deadline = Duration::from_millis(deadline_ms);
        let p = RetryPolicy::exponential()
            .initial_interval(Duration::from_millis(initial_ms))
            .max_elapsed(Some(deadline))
            .jitter(j)
            .seed(seed)
            .manual_clock(&clock);
        let err = p.retry(|_| Err::<(), _>("x")).unwrap_err();
        prop_assert!(clock.slept() <= deadline, "{:?} > {deadline:?}", clock.slept());
        prop_assert_eq!(err.reason(), steadfast_retry::GiveUpReason::DeadlineExceeded);
    }

    #[test]
    fn jitter_stays_in_its_bounds(initial_ms in 1u64..2_000, seed in any::<u64>()) {
        let initial = Duration::from_millis(initial_ms);
        let max = Duration::from_secs(3600);
        let base = |n: i32| initial.mul_f64(2f64.powi(n)).min(max);
        let run = |j: Jitter| -> Vec<Duration> {
            RetryPolicy::exponential()
                .initial_interval(initial)
                .multiplier(2.0)
                .max_interval(max)
                .jitter(j)
                .seed(seed)
                .max_retries(12)
                .delays()
                .collect()
        };
        for (n, d) in run(Jitter::Full).into_iter().enumerate() {
            prop_assert!(d <= base(i32::try_from(n).unwrap()));
        }
        for (n, d) in run(Jitter::Equal).into_iter().enumerate() {
            let b = base(i32::try_from(n).unwrap());
            prop_assert!(d >= b / 2 && d <= b);
        }
        for (n, d) in run(Jitter::Randomized(0.5)).into_iter().enumerate() {
            let b = base(i32::try_from(n).unwrap());
            prop_assert!(d >= b.mul_f64(0.5) && d <= b.mul_f64(1.5).min(max));
        }
        let mut prev = initial;
        for d in run(Jitter::Decorrelated) {
            prop_assert!(d >= initial && d <= prev.max(initial) * 3);
            prev = d;
        }
    }
}
