//! The dead-letter queue on a real file system: nothing lost, replay keeps the failures.

use std::io::Write;
use std::time::Duration;

use steadfast_core::Timestamp;
use steadfast_retry::{CircuitBreaker, DeadLetterQueue, ManualClock, RetryError, RetryPolicy};

#[test]
fn push_from_threads_then_replay_keeps_only_failures() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    let policy = RetryPolicy::constant(std::time::Duration::from_secs(1))
        .max_retries(2)
        .manual_clock(&ManualClock::new());
    std::thread::scope(|s| {
        for t in 0..4 {
            let (dlq, policy) = (&dlq, &policy);
            s.spawn(move || {
                for i in 0..25 {
                    let err = policy
                        .retry(|_| Err::<(), _>("GET postgres://etl:hunter2@db/x failed"))
                        .unwrap_err();
                    dlq.push_failed(&serde_json::json!({"page": t * 100 + i}), &err)
                        .unwrap();
                }
            });
        }
    });
    let letters = dlq.read().unwrap();
    assert_eq!(letters.len(), 100);
    assert!(
        letters
            .iter()
            .all(|l| l.attempts == 3 && l.decision == "exhausted")
    );
    // No raw error text by default: the kind only.
    assert!(
        letters
            .iter()
            .all(|l| l.error.kind == "error" && l.error.message.is_none())
    );
    let text = std::fs::read_to_string(dlq.path()).unwrap();
    assert!(!text.contains("etl") && !text.contains("hunter2"), "{text}");

    // Replay: even pages succeed now, odd ones fail again (13 of each thread's 25 are even).
    let report = dlq
        .replay(|item| {
            if item["page"].as_u64().unwrap() % 2 == 0 {
                Ok(())
            } else {
                Err("HTTP 503 still")
            }
        })
        .unwrap();
    assert_eq!((report.succeeded, report.failed_again), (52, 48));
    let left = dlq.read().unwrap();
    assert_eq!(left.len(), 48);
    assert!(left.iter().all(|l| l.attempts == 4
        && l.error.status == Some(503)
        && l.error.kind == "http_5xx"
        && l.decision == "replay"
        && l.replays == 1));

    // Appends after a replay land in the rewritten file.
    let err = policy.retry(|_| Err::<(), _>("x")).unwrap_err();
    dlq.push_failed(&1, &err).unwrap();
    assert_eq!(dlq.read().unwrap().len(), 49);
}

#[test]
fn torn_tail_from_a_crash_is_repaired_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deadletter.ndjson");
    {
        let dlq = DeadLetterQueue::open(&path).unwrap();
        let err = RetryPolicy::constant(std::time::Duration::ZERO)
            .max_retries(0)
            .retry(|_| Err::<(), _>("x"))
            .unwrap_err();
        dlq.push_failed(&"a", &err).unwrap();
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"item\":")
        .unwrap();
    let dlq = DeadLetterQueue::open(&path).unwrap();
    assert_eq!(dlq.read().unwrap().len(), 1);
    let report = dlq.replay(|_| Err("again")).unwrap();
    assert_eq!(report.failed_again, 1);
}

#[test]
fn error_text_is_stored_only_when_opted_in() {
    let dir = tempfile::tempdir().unwrap();
    let item = serde_json::json!({"resourceType": "Patient", "id": "p-881", "name": "Ada Jones"});
    let err = RetryPolicy::constant(std::time::Duration::ZERO)
        .max_retries(0)
        .retry(|_| Err::<(), _>("HTTP 422: Patient Ada Jones (MRN 00412) already exists"))
        .unwrap_err();
    let started = steadfast_core::Timestamp::now();

    let plain = DeadLetterQueue::open(dir.path().join("plain.ndjson")).unwrap();
    plain.push_failed(&item, &err).unwrap();
    let stored = &plain.read().unwrap()[0];
    assert_eq!(stored.error.kind, "http_4xx");
    assert_eq!(stored.error.status, Some(422));
    assert_eq!(stored.error.resource_type.as_deref(), Some("Patient"));
    let hash = stored.error.resource_id_hash.clone().unwrap();
    assert_eq!(hash.len(), 16);
    assert!(stored.error.message.is_none());
    // The item is what the pipeline chose to keep; the error adds nothing of the patient.
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(plain.path()).unwrap().trim()).unwrap();
    let error_text = line["error"].to_string();
    for secret in ["Ada", "Jones", "00412", "p-881"] {
        assert!(!error_text.contains(secret), "{secret} in {error_text}");
    }

    let raw = DeadLetterQueue::open(dir.path().join("raw.ndjson"))
        .unwrap()
        .store_raw_errors(true);
    raw.push_failed(&item, &err).unwrap();
    let message = raw.read().unwrap()[0].error.message.clone().unwrap();
    assert!(message.contains("Ada Jones (MRN 00412)"), "{message}");

    // A letter built by hand keeps its text out unless the queue stores raw errors.
    let letter = steadfast_retry::DeadLetter::new(&item, &"Ada Jones", 1, started, "permanent")
        .unwrap()
        .with_raw_error(&"Ada Jones");
    plain.push(&letter).unwrap();
    assert!(!std::fs::read_to_string(plain.path()).unwrap()[..].contains("\"message\""));
}

#[test]
fn letters_written_before_summaries_still_read_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deadletter.ndjson");
    let old = r#"{"item":{"page":1},"error":"503 from EHR","attempts":3,"first_attempt":"2026-12-02T06:30:00.000Z","last_attempt":"2026-12-02T06:30:02.000Z","decision":"exhausted"}"#;
    steadfast_core::atomic_write(&path, format!("{old}\n{old}\n")).unwrap();
    let read = steadfast_retry::read_dead_letters(&path).unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.records[0].error.kind, "unknown");
    assert_eq!(
        read.records[0].error.message.as_deref(),
        Some("503 from EHR")
    );
    let dlq = DeadLetterQueue::open(&path).unwrap();
    let mut first = true;
    let report = dlq
        .replay(|_| {
            let ok = std::mem::take(&mut first);
            if ok { Ok(()) } else { Err("HTTP 503") }
        })
        .unwrap();
    assert_eq!((report.succeeded, report.failed_again), (1, 1));
    let left = dlq.read().unwrap();
    assert_eq!(left.len(), 1);
    assert!(!left[0].id.is_empty(), "a replay gives old letters ids");
    assert_eq!(
        left[0].error.message, None,
        "the replay's error is a summary"
    );
}

/// One attempt that fails after a tick of the wall clock (a [`Timestamp`] counts
/// milliseconds), so the first and the last attempt are told apart; the waits between
/// attempts are on the policy's manual clock. Records when it started and when it failed.
fn attempt(times: &mut Vec<(Timestamp, Timestamp)>) -> Result<(), &'static str> {
    let start = Timestamp::now();
    while Timestamp::now() <= start {
        std::thread::yield_now();
    }
    times.push((start, Timestamp::now()));
    Err("HTTP 503")
}

#[test]
fn a_dead_letter_dates_from_the_first_attempt_not_from_when_it_was_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    let clock = ManualClock::new();
    let policy = RetryPolicy::constant(Duration::from_secs(30))
        .max_retries(2)
        .manual_clock(&clock);
    let mut times = Vec::new();
    let err = policy.retry(|_| attempt(&mut times)).unwrap_err();
    assert_eq!((times.len(), clock.slept()), (3, Duration::from_secs(60)));
    dlq.push_failed(&"GET /Patient?_page=3", &err).unwrap();
    let letter = &dlq.read().unwrap()[0];
    assert_eq!(letter.first_attempt, err.first_attempt());
    // Read as the first attempt failed: before the second started, so before the last.
    let (first, second, last) = (times[0].0, times[1].0, times[2].0);
    assert!(first <= letter.first_attempt && letter.first_attempt <= second);
    assert!(letter.first_attempt < last && last <= letter.last_attempt);
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_call_dates_its_error_from_the_first_attempt() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::constant(Duration::from_secs(30))
        .max_retries(2)
        .manual_clock(&clock);
    let times = std::sync::Mutex::new(Vec::new());
    let err = policy
        .retry_async(|_| std::future::ready(attempt(&mut times.lock().unwrap())))
        .await
        .unwrap_err();
    let times = times.into_inner().unwrap();
    assert_eq!((times.len(), clock.slept()), (3, Duration::from_secs(60)));
    assert!(times[0].0 <= err.first_attempt() && err.first_attempt() <= times[1].0);
    assert!(err.first_attempt() < times[2].0);
}

#[test]
fn a_breaker_refusal_dates_from_the_first_attempt_or_the_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(2)
        .clock(clock.clone())
        .build();
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(5)
        .manual_clock(&clock)
        .circuit_breaker(breaker);
    // Refused after two attempts: the error dates from the first.
    let mut times = Vec::new();
    let err = policy.retry(|_| attempt(&mut times)).unwrap_err();
    assert!(matches!(err, RetryError::CircuitOpen { attempts: 2, .. }));
    assert!(times[0].0 <= err.first_attempt() && err.first_attempt() <= times[1].0);
    assert!(err.first_attempt() < times[1].1);
    // Refused before any attempt: it dates from the refusal.
    let before = Timestamp::now();
    let refused = policy.retry(|_| Ok::<(), &str>(())).unwrap_err();
    assert_eq!(refused.attempts(), 0);
    assert!(before <= refused.first_attempt() && refused.first_attempt() <= Timestamp::now());
    dlq.push_failed(&"GET /Patient/p1", &refused).unwrap();
    let letter = &dlq.read().unwrap()[0];
    assert_eq!(
        (letter.first_attempt, letter.decision.as_str()),
        (refused.first_attempt(), "circuit_open")
    );
}
