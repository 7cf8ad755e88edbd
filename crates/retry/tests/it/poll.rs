//! `Decision::Poll`: an async job's "not ready yet" is waited out for as long as the server
//! asks, without spending retries, the retry budget or the breaker — and only the policy's
//! deadline bounds it.

use std::time::Duration;

use steadfast_retry::{
    CircuitBreaker, CircuitState, Decision, ManualClock, RetryBudget, RetryError, RetryPolicy,
};

/// An operation that is "pending" `pending` times, then done.
fn job(pending: u32) -> impl FnMut(u32) -> Result<&'static str, &'static str> {
    let mut polls = 0;
    move |_| {
        polls += 1;
        if polls <= pending {
            Err("pending")
        } else {
            Ok("done")
        }
    }
}

fn classify(e: &&str) -> Decision {
    match *e {
        "pending" => Decision::Poll(Duration::from_secs(10)),
        _ => Decision::Stop,
    }
}

#[test]
fn polls_spend_no_retries_budget_or_breaker() {
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .clock(clock.clone())
        .build();
    let budget = RetryBudget::new(0.0, 0.0); // no retry allowed at all
    let policy = RetryPolicy::exponential()
        .max_retries(0)
        .max_elapsed(Some(Duration::from_secs(3600)))
        .manual_clock(&clock)
        .circuit_breaker(breaker.clone())
        .budget(budget.clone());
    let tokens = budget.tokens();
    assert_eq!(policy.retry_if(classify, job(6)).unwrap(), "done");
    // Six polls, each after the 10 s the "server" asked for.
    assert_eq!(clock.slept(), Duration::from_secs(60));
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(budget.tokens(), tokens);
}

#[test]
fn the_deadline_bounds_polling() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential()
        .max_elapsed(Some(Duration::from_secs(35)))
        .manual_clock(&clock);
    let err = policy.retry_if(classify, job(1000)).unwrap_err();
    assert!(
        matches!(err, RetryError::DeadlineExceeded { .. }),
        "{err:?}"
    );
    // Polls at 0, 10, 20, 30 s; a fourth wait would pass 35 s.
    assert_eq!(clock.slept(), Duration::from_secs(30));
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_polls_are_free_too() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential()
        .max_retries(0)
        .max_elapsed(Some(Duration::from_secs(3600)))
        .manual_clock(&clock);
    let mut op = job(3);
    let out = policy
        .retry_async_if(classify, |n| std::future::ready(op(n)))
        .await;
    assert_eq!(out.unwrap(), "done");
    assert_eq!(clock.slept(), Duration::from_secs(30));
}
