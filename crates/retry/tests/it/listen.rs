//! What hooks and listeners see: the failed attempt's HTTP status, `Retry-After` and kind
//! (from the classifier's facts), every failure, retry and give-up, and every breaker
//! transition — a hook set later replacing no listener.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_retry::{
    CircuitBreaker, CircuitState, Decision, ErrorFacts, FailedAttempt, GiveUpEvent, GiveUpReason,
    IoErrors, ManualClock, RetryConfig, RetryEvent, RetryListener, RetryPolicy, WhenOpen,
    WithFacts,
};

#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Log {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl RetryListener for Log {
    fn attempt_failed(&self, e: &FailedAttempt<'_>) {
        self.push(format!(
            "failed {} {:?} {:?} {:?}",
            e.attempt, e.status, e.kind, e.decision
        ));
    }
    fn retrying(&self, e: &RetryEvent<'_>) {
        self.push(format!("retry {} {:?}", e.attempt, e.retry_after));
    }
    fn gave_up(&self, e: &GiveUpEvent<'_>) {
        self.push(format!("gave up {} {:?}", e.reason, e.status));
    }
    fn breaker_changed(&self, from: CircuitState, to: CircuitState) {
        self.push(format!("{} -> {}", from.as_str(), to.as_str()));
    }
}

#[test]
fn io_errors_reach_hooks_with_their_kind() {
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let k = kinds.clone();
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(2)
        .manual_clock(&ManualClock::new())
        .on_retry(move |e| {
            k.lock()
                .unwrap()
                .push((e.kind.map(str::to_owned), e.status))
        });
    let err = policy
        .retry_if(IoErrors, |_| {
            Err::<(), _>(io::Error::from(io::ErrorKind::ConnectionRefused))
        })
        .unwrap_err();
    assert_eq!(err.reason(), GiveUpReason::Exhausted);
    let kinds = kinds.lock().unwrap();
    assert_eq!(kinds.len(), 2);
    assert!(
        kinds
            .iter()
            .all(|k| *k == (Some("io_connection_refused".to_owned()), None)),
        "{kinds:?}"
    );
}

/// A status code as the error: its facts come from a closure-made classifier.
struct Status(u16);
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl steadfast_retry::Facts for Status {
    fn facts(&self) -> ErrorFacts {
        ErrorFacts::http(self.0)
    }
}

#[test]
fn listeners_see_every_failure_retry_and_give_up_and_hooks_do_not_replace_them() {
    let log = Arc::new(Log::default());
    let hooked = Arc::new(Mutex::new(0));
    let h = hooked.clone();
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(5)
        .manual_clock(&ManualClock::new())
        .listener(log.clone())
        .on_retry(move |_| *h.lock().unwrap() += 1)
        .on_give_up(|_| {});
    let answers = [503, 429, 404];
    let classify = WithFacts(|s: &Status| match s.0 {
        429 => Decision::RetryAfter(Duration::from_secs(3)),
        503 => Decision::Retry,
        _ => Decision::Stop,
    });
    let err = policy
        .retry_if(classify, |n| Err::<(), _>(Status(answers[n as usize - 1])))
        .unwrap_err();
    assert_eq!(err.reason(), GiveUpReason::Permanent);
    assert_eq!(*hooked.lock().unwrap(), 2);
    assert_eq!(
        log.lines(),
        [
            "failed 1 Some(503) Some(\"http_5xx\") Retry",
            "retry 1 None",
            "failed 2 Some(429) Some(\"http_4xx\") RetryAfter(3s)",
            "retry 2 Some(3s)",
            "failed 3 Some(404) Some(\"http_4xx\") Stop",
            "gave up permanent Some(404)",
        ]
    );
}

#[test]
fn a_breaker_tells_its_listeners_and_its_hook_every_transition() {
    let clock = ManualClock::new();
    let log = Arc::new(Log::default());
    let hook = Arc::new(Mutex::new(0));
    let h = hook.clone();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(2)
        .open_duration(Duration::from_secs(5))
        .clock(clock.clone())
        .on_state_change(move |_, _| *h.lock().unwrap() += 1)
        .listener(log.clone())
        .build();
    assert_eq!(breaker.when_open(), WhenOpen::FailFast);
    for _ in 0..2 {
        breaker.try_acquire().unwrap().record(Decision::Retry);
    }
    assert!(breaker.is_open());
    assert_eq!(breaker.half_open_in(), Some(Duration::from_secs(5)));
    clock.advance(Duration::from_secs(5));
    assert_eq!(breaker.half_open_in(), Some(Duration::ZERO));
    breaker.try_acquire().unwrap().success();
    assert!(!breaker.is_open());
    assert_eq!(
        log.lines(),
        ["closed -> open", "open -> half_open", "half_open -> closed"]
    );
    assert_eq!(*hook.lock().unwrap(), 3);
}

#[test]
fn when_open_is_configured_under_retry_breaker() {
    let cfg: RetryConfig = toml::from_str("[breaker]\nwhen_open = \"wait\"").unwrap();
    assert_eq!(cfg.breaker.when_open, WhenOpen::Wait);
    assert_eq!(cfg.breaker().unwrap().when_open(), WhenOpen::Wait);
    assert_eq!(RetryConfig::default().breaker.when_open, WhenOpen::FailFast);
    let bad = toml::from_str::<RetryConfig>("[breaker]\nwhen_open = \"block\"").unwrap_err();
    assert!(bad.to_string().contains("fail_fast"), "{bad}");
}
