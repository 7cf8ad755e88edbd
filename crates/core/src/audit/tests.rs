//! Tests of the audit trail's chain: the chain as written and every kind of tampering
//! `verify` names, with its message.

use std::path::Path;

use super::*;

pub(super) fn config(n: usize) -> AuditEvent {
    AuditEvent::Config {
        sha256: format!("digest-{n}"),
    }
}

/// A trail of `n` lines in a fresh directory.
pub(super) fn trail(n: usize) -> (tempfile::TempDir, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::in_root(dir.path()).unwrap();
    for i in 0..n {
        log.append(&config(i)).unwrap();
    }
    (dir, log)
}

pub(super) fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub(super) fn rewrite(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    crate::atomic_write(path, text).unwrap();
}

fn broken(path: &Path) -> ChainBreak {
    verify(path).unwrap().broken.expect("a break")
}

#[test]
fn each_line_chains_onto_the_one_before() {
    let (_dir, log) = trail(3);
    let written = lines(log.path());
    assert_eq!(written.len(), 3);
    let records: Vec<AuditRecord> = written
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0].prev, GENESIS_PREV);
    for i in 1..3 {
        assert_eq!(records[i].seq, i as u64);
        assert_eq!(records[i].prev, sha256_hex(written[i - 1].as_bytes()));
        assert_eq!(records[i].event, config(i));
    }
    assert!(!records[0].user.is_empty() && !records[0].host.is_empty());
    let report = verify(log.path()).unwrap();
    assert_eq!(report.lines, 3);
    assert_eq!(report.broken, None);
    assert_eq!(report.last_hash, Some(sha256_hex(written[2].as_bytes())));
    // The chain fields come first, the event's after.
    assert!(
        written[0].starts_with(r#"{"seq":0,"at":""#),
        "{}",
        written[0]
    );
    assert!(
        written[0].ends_with(r#""event":"config","sha256":"digest-0"}"#),
        "{}",
        written[0]
    );
}

#[test]
fn an_edited_byte_names_the_edited_line() {
    let (_dir, log) = trail(4);
    let mut l = lines(log.path());
    l[1] = l[1].replace("digest-1", "digest-X");
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.detected_at, b.edited), (2, 3, true));
    let BreakReason::HashMismatch { expected, found } = &b.reason else {
        panic!("{b:?}")
    };
    assert_eq!(expected, &sha256_hex(l[1].as_bytes()));
    assert_ne!(expected, found);
    assert!(
        b.to_string().starts_with("line 2: edited: its hash is now"),
        "{b}"
    );

    // Line 3 is the last: no line 4 tells whether line 2 or line 3's prev changed.
    let (_dir, log) = trail(3);
    let mut l = lines(log.path());
    l[1] = l[1].replace("digest-1", "digest-X");
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.detected_at, b.edited), (3, 3, false));
    assert!(
        b.to_string()
            .ends_with("line 2 was edited, or this line's prev field"),
        "{b}"
    );
}

#[test]
fn an_edited_prev_names_its_own_line() {
    let (_dir, log) = trail(3);
    let mut l = lines(log.path());
    let record: AuditRecord = serde_json::from_str(&l[1]).unwrap();
    let flipped: String = record
        .prev
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 && c != 'f' {
                'f'
            } else if i == 0 {
                'e'
            } else {
                c
            }
        })
        .collect();
    l[1] = l[1].replace(&record.prev, &flipped);
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.detected_at, b.edited), (2, 2, true), "{b}");

    // On the last line there is no next line to tell: the break is where it shows.
    let (_dir, log) = trail(2);
    let mut l = lines(log.path());
    let record: AuditRecord = serde_json::from_str(&l[1]).unwrap();
    l[1] = l[1].replace(&record.prev, &"0".repeat(64));
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.detected_at, b.edited), (2, 2, false), "{b}");
    assert!(
        b.to_string()
            .ends_with("line 1 was edited, or this line's prev field")
    );
}

#[test]
fn an_edited_seq_and_a_line_that_is_not_json_are_named() {
    let (_dir, log) = trail(3);
    let mut l = lines(log.path());
    l[1] = l[1].replacen(r#""seq":1"#, r#""seq":7"#, 1);
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.edited), (2, true));
    assert_eq!(
        b.reason,
        BreakReason::SeqGap {
            expected: 1,
            found: 7
        }
    );

    let (_dir, log) = trail(3);
    let mut l = lines(log.path());
    l[2].insert(0, 'x');
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.edited), (3, true));
    assert_eq!(b.reason, BreakReason::NotJson { column: 1 });

    let (_dir, log) = trail(2);
    let mut l = lines(log.path());
    l[0] = l[0].replacen(r#""seq":0"#, r#""seq":"0""#, 1);
    rewrite(log.path(), &l);
    assert_eq!(
        broken(log.path()).reason,
        BreakReason::NotAuditRecord { field: "seq" }
    );
}

#[test]
fn a_removed_line_breaks_the_chain_at_the_line_after_it() {
    let (_dir, log) = trail(4);
    let mut l = lines(log.path());
    l.remove(1);
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.edited), (2, false));
    assert_eq!(
        b.reason,
        BreakReason::SeqGap {
            expected: 1,
            found: 2
        }
    );
    assert!(
        b.to_string().ends_with("a line before it was removed"),
        "{b}"
    );

    // The first line too: the new first line has seq 1 and a prev that is not zeros.
    let (_dir, log) = trail(3);
    let mut l = lines(log.path());
    l.remove(0);
    rewrite(log.path(), &l);
    let b = broken(log.path());
    assert_eq!((b.line, b.detected_at, b.edited), (1, 1, false));
}

#[test]
fn a_removed_last_line_shows_only_against_a_kept_count_and_hash() {
    let (_dir, log) = trail(3);
    let before = verify(log.path()).unwrap();
    let mut l = lines(log.path());
    l.pop();
    rewrite(log.path(), &l);
    let after = verify(log.path()).unwrap();
    assert_eq!(after.broken, None, "the chain alone cannot tell");
    assert_eq!(after.lines, 2);
    assert_ne!(after.last_hash, before.last_hash);
}

#[test]
fn break_messages_are_stable() {
    let hash = |c: char| c.to_string().repeat(64);
    let cases = [
        ChainBreak {
            line: 2,
            detected_at: 3,
            edited: true,
            reason: BreakReason::HashMismatch {
                expected: hash('a'),
                found: hash('b'),
            },
        },
        ChainBreak {
            line: 3,
            detected_at: 3,
            edited: true,
            reason: BreakReason::HashMismatch {
                expected: hash('a'),
                found: hash('b'),
            },
        },
        ChainBreak {
            line: 7,
            detected_at: 7,
            edited: false,
            reason: BreakReason::HashMismatch {
                expected: hash('a'),
                found: hash('b'),
            },
        },
        ChainBreak {
            line: 2,
            detected_at: 2,
            edited: false,
            reason: BreakReason::SeqGap {
                expected: 1,
                found: 3,
            },
        },
        ChainBreak {
            line: 2,
            detected_at: 2,
            edited: false,
            reason: BreakReason::SeqGap {
                expected: 1,
                found: 0,
            },
        },
        ChainBreak {
            line: 2,
            detected_at: 2,
            edited: true,
            reason: BreakReason::SeqGap {
                expected: 1,
                found: 9,
            },
        },
        ChainBreak {
            line: 5,
            detected_at: 5,
            edited: true,
            reason: BreakReason::NotJson { column: 12 },
        },
        ChainBreak {
            line: 5,
            detected_at: 5,
            edited: true,
            reason: BreakReason::NotAuditRecord { field: "prev" },
        },
        ChainBreak {
            line: 9,
            detected_at: 9,
            edited: false,
            reason: BreakReason::TornTail,
        },
        ChainBreak {
            line: 9,
            detected_at: 9,
            edited: true,
            reason: BreakReason::TooLong { limit: 1 << 20 },
        },
    ];
    let shown: Vec<String> = cases.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));
}
