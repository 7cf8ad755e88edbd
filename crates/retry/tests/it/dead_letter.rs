//! The dead-letter queue on a real file system: nothing lost, replay keeps the failures.

use std::io::Write;

use steadfast_retry::{DeadLetterQueue, ManualClock, RetryPolicy};

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
                    let started = steadfast_core::Timestamp::now();
                    let err = policy
                        .retry(|_| Err::<(), _>("GET postgres://etl:hunter2@db/x failed"))
                        .unwrap_err();
                    dlq.push_failed(&serde_json::json!({"page": t * 100 + i}), &err, started)
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
    assert!(
        letters[0].error.contains("etl:***@db"),
        "{}",
        letters[0].error
    );
    assert!(!letters[0].error.contains("hunter2"));

    // Replay: even pages succeed now, odd ones fail again (13 of each thread's 25 are even).
    let report = dlq
        .replay(|item| {
            if item["page"].as_u64().unwrap() % 2 == 0 {
                Ok(())
            } else {
                Err("still 503")
            }
        })
        .unwrap();
    assert_eq!((report.succeeded, report.failed_again), (52, 48));
    let left = dlq.read().unwrap();
    assert_eq!(left.len(), 48);
    assert!(
        left.iter()
            .all(|l| l.attempts == 4 && l.error == "still 503" && l.decision == "replay")
    );

    // Appends after a replay land in the rewritten file.
    let err = policy.retry(|_| Err::<(), _>("x")).unwrap_err();
    dlq.push_failed(&1, &err, steadfast_core::Timestamp::now())
        .unwrap();
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
        dlq.push_failed(&"a", &err, steadfast_core::Timestamp::now())
            .unwrap();
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
