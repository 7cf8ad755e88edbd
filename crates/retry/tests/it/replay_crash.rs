//! A dead-letter replay killed with SIGKILL at chosen points in a child process (this test
//! binary re-run on one test): after the next open, every item is in exactly one of queue,
//! quarantine or the server's log, and nothing is delivered twice but the documented
//! at-least-once case.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use steadfast_retry::{DeadLetterQueue, ManualClock, ReplayOptions, RetryPolicy};

fn policy(retries: u32) -> RetryPolicy {
    RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(retries)
        .manual_clock(&ManualClock::new())
}

const CHILD_DIR: &str = "STEADFAST_TEST_DLQ_CHILD_DIR";
const CHILD_BLOCK: &str = "STEADFAST_TEST_DLQ_BLOCK";

/// The "server" of the crash test: a file of the items delivered, one per line, fsynced.
fn deliver(dir: &Path, n: u64) {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    writeln!(log, "{n}").unwrap();
    log.sync_all().unwrap();
}

/// Not a test of its own: the child process of `kill_9_mid_replay_loses_no_item`, which
/// replays the queue in its directory and blocks (for the parent's SIGKILL) at one item,
/// before delivering it (`before:N`) or after (`after:N`). Without its variable it returns.
#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "the parent hands the child its directory"
)]
fn crash_child() {
    let (Some(dir), Some(block)) = (std::env::var_os(CHILD_DIR), std::env::var_os(CHILD_BLOCK))
    else {
        return;
    };
    let dir = Path::new(&dir);
    let block = block.into_string().unwrap();
    let (when, at) = block.split_once(':').unwrap();
    let at: u64 = at.parse().unwrap();
    let dlq = DeadLetterQueue::open(dir.join("deadletter.ndjson")).unwrap();
    let options = ReplayOptions::new(&policy(0)).max_replays(1);
    let _ = dlq.replay_with(&options, |item| {
        let n = item.as_u64().unwrap();
        if n == at && when == "after" {
            deliver(dir, n);
        }
        if n == at {
            println!("\nBLOCKED"); // libtest's "test … " has no newline yet
            std::io::stdout().flush().unwrap();
            let mut forever = String::new();
            let _ = std::io::stdin().read_line(&mut forever);
            panic!("the parent should have killed this process");
        }
        if n % 3 == 0 {
            return Err("HTTP 503"); // quarantined (max_replays 1)
        }
        deliver(dir, n);
        Ok(())
    });
}

fn delivered(dir: &Path) -> Vec<u64> {
    std::fs::read_to_string(dir.join("server.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

fn numbers(letters: &[steadfast_retry::DeadLetter]) -> Vec<u64> {
    letters.iter().map(|l| l.item.as_u64().unwrap()).collect()
}

/// Replays in a child process, SIGKILLs it while it is blocked at item `at`, reopens the
/// queue (recovery) and returns (queued, quarantined, delivered).
fn kill_at(block: &str, items: u64) -> (Vec<u64>, Vec<u64>, Vec<u64>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deadletter.ndjson");
    {
        let dlq = DeadLetterQueue::open(&path).unwrap();
        let err = policy(0).retry(|_| Err::<(), _>("503")).unwrap_err();
        for n in 0..items {
            dlq.push_failed(&n, &err).unwrap();
        }
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "replay_crash::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .env(CHILD_BLOCK, block)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.trim() == "BLOCKED" {
            break;
        }
        seen.push(line);
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "child ended by itself: {seen:?}");
    assert!(
        dir.path().join("deadletter.replay.ndjson").exists(),
        "{seen:?}"
    );

    let dlq = DeadLetterQueue::open(&path).unwrap();
    assert!(!dlq.journal_path().exists(), "the journal was applied");
    let queued = numbers(&dlq.read().unwrap());
    let quarantined = numbers(&dlq.read_quarantine().unwrap());
    (queued, quarantined, delivered(dir.path()), dir)
}

#[test]
fn kill_9_mid_replay_loses_no_item() {
    const ITEMS: u64 = 20;
    for at in [0, 7, 19] {
        let (queued, quarantined, delivered, dir) = kill_at(&format!("before:{at}"), ITEMS);
        let mut all: Vec<u64> = queued
            .iter()
            .chain(&quarantined)
            .chain(&delivered)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(
            all,
            (0..ITEMS).collect::<Vec<_>>(),
            "at {at}: each item in exactly one place"
        );
        // What was settled before the kill left the queue; the rest is still there.
        assert!(queued.iter().all(|&n| n >= at), "at {at}: {queued:?}");
        assert!(quarantined.iter().all(|&n| n % 3 == 0 && n < at));

        // A full replay afterwards finishes the job; nothing is delivered twice.
        let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
        let report = dlq
            .replay(|item| {
                deliver(dir.path(), item.as_u64().unwrap());
                Ok::<(), String>(())
            })
            .unwrap();
        assert_eq!(report.succeeded, queued.len());
        let twice: HashSet<u64> = self::delivered(dir.path()).into_iter().collect();
        assert_eq!(
            twice.len() + quarantined.len(),
            usize::try_from(ITEMS).unwrap()
        );
        assert_eq!(self::delivered(dir.path()).len(), twice.len());
    }
}

#[test]
fn kill_9_after_delivery_before_the_journal_replays_again() {
    // At-least-once: the success never reached the journal, so the item is still queued;
    // the idempotency key makes the second delivery harmless.
    let (queued, quarantined, delivered, _dir) = kill_at("after:4", 10);
    assert!(queued.contains(&4) && delivered.contains(&4));
    assert_eq!(queued.len() + quarantined.len() + delivered.len(), 11);
}
