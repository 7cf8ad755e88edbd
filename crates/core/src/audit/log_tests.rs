//! Tests of appending to an audit trail: torn and damaged tails refused with the fix,
//! overlong records, links, and appends from many threads and many handles on one file.

use std::sync::Arc;

use super::tests::{config, lines, rewrite, trail};
use super::*;

#[test]
fn a_torn_tail_is_a_break_and_is_never_chained_onto() {
    use std::io::Write as _;
    let (_dir, log) = trail(3);
    let intact = std::fs::metadata(log.path()).unwrap().len();
    std::fs::OpenOptions::new()
        .append(true)
        .open(log.path())
        .unwrap()
        .write_all(br#"{"seq":3,"at":"2026-"#)
        .unwrap();
    let report = verify(log.path()).unwrap();
    assert_eq!(report.lines, 4);
    let b = report.broken.unwrap();
    assert_eq!(
        (b.line, b.reason.clone(), b.edited),
        (4, BreakReason::TornTail, false)
    );
    assert_eq!(
        report.last_hash,
        Some(sha256_hex(lines(log.path())[2].as_bytes()))
    );

    let err = log.append(&config(9)).unwrap_err();
    let Error::AuditDamaged { line, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*line, 4);
    let shown = err
        .to_string()
        .replace(&log.path().display().to_string(), "<trail>")
        .replace(&format!("-s {intact} "), "-s <intact> ");
    insta::assert_snapshot!(shown);
    assert_eq!(lines(log.path()).len(), 4, "nothing appended");

    // The fix the error gives: cut the fragment off, and the chain goes on.
    std::fs::OpenOptions::new()
        .write(true)
        .open(log.path())
        .unwrap()
        .set_len(intact)
        .unwrap();
    assert_eq!(log.append(&config(3)).unwrap().seq, 3);
    assert_eq!(verify(log.path()).unwrap().broken, None);
}

#[test]
fn a_last_line_that_is_not_a_record_is_not_chained_onto() {
    let (_dir, log) = trail(2);
    let mut l = lines(log.path());
    l.push("not json".into());
    rewrite(log.path(), &l);
    let err = AuditLog::open(log.path())
        .unwrap()
        .append(&config(2))
        .unwrap_err();
    assert!(matches!(err, Error::AuditDamaged { line: 3, .. }), "{err}");
    assert!(
        err.to_string().contains("it is not an audit record"),
        "{err}"
    );
}

#[test]
fn a_record_longer_than_a_line_may_be_is_refused_whole() {
    let (_dir, log) = trail(1);
    let before = std::fs::read(log.path()).unwrap();
    let huge = AuditEvent::Kept {
        run: "r".into(),
        reason: "x".repeat(usize::try_from(MAX_LINE_BYTES).unwrap()),
    };
    let err = log.append(&huge).unwrap_err();
    assert!(matches!(err, Error::AuditRecordTooLong { .. }), "{err}");
    assert_eq!(std::fs::read(log.path()).unwrap(), before);
}

#[test]
fn handles_and_threads_appending_together_keep_one_chain() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AuditLog>();

    let dir = tempfile::tempdir().unwrap();
    let a = AuditLog::in_root(dir.path()).unwrap();
    let b = AuditLog::in_root(dir.path()).unwrap();
    // Interleaved: each handle reads what the other wrote from the file.
    for i in 0..10 {
        let log = if i % 2 == 0 { &a } else { &b };
        assert_eq!(log.append(&config(i)).unwrap().seq, i as u64);
    }
    let shared = Arc::new(a);
    std::thread::scope(|s| {
        for t in 0..4 {
            let log = Arc::clone(&shared);
            s.spawn(move || {
                for i in 0..25 {
                    log.append(&config(t * 100 + i)).unwrap();
                }
            });
        }
        // Other open files of the same trail, as other processes would have.
        for t in 4..6 {
            let path = shared.path().to_path_buf();
            s.spawn(move || {
                let own = AuditLog::open(path).unwrap();
                for i in 0..25 {
                    own.append(&config(t * 100 + i)).unwrap();
                }
            });
        }
    });
    let report = verify(shared.path()).unwrap();
    assert_eq!((report.lines, report.broken), (160, None));
}

#[test]
fn a_link_in_place_of_the_trail_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    std::fs::File::create(&target).unwrap();
    let link = dir.path().join(files::AUDIT);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = AuditLog::in_root(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotRegularFile { .. }), "{err}");
    assert!(matches!(verify(&link), Err(Error::NotRegularFile { .. })));
}

#[test]
fn an_empty_trail_verifies_and_a_missing_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::in_root(dir.path()).unwrap();
    let report = verify(log.path()).unwrap();
    assert_eq!(
        (report.lines, report.broken, report.last_hash),
        (0, None, None)
    );
    let missing = dir.path().join("nope.ndjson");
    assert!(matches!(verify(&missing), Err(Error::Io { .. })));
}
