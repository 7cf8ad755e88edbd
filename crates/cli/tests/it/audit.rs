//! `steadfast audit verify`: an intact trail exits 0; one byte edited in a run's
//! `audit.ndjson` exits 1 naming the line; a removed line, a torn tail, a runs root and a
//! file named directly; exit 2 when there is no trail; `--format json`.

use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;

use serde_json::Value;
use steadfast::run::audit::{AuditEvent, AuditLog};
use steadfast::run::{RunDir, RunState, Status};

use crate::{assert_error, steadfast};

/// A run directory whose trail holds four lines.
fn run_with_trail(root: &Path) -> RunDir {
    let run = RunDir::create(root, "nightly").unwrap();
    let log = AuditLog::in_run(&run).unwrap();
    for event in [
        AuditEvent::Started {
            pipeline: "nightly".into(),
            config_sha256: None,
        },
        AuditEvent::Step {
            step: "bronze".into(),
            kind: Some(steadfast::run::StepKind::Extract),
            status: Status::Pass,
        },
        AuditEvent::Step {
            step: "silver".into(),
            kind: None,
            status: Status::Warn,
        },
        AuditEvent::State {
            from: RunState::Running,
            to: RunState::Finished,
        },
    ] {
        log.append(&event).unwrap();
    }
    run
}

/// Overwrites the byte at `offset` of `path` in place.
fn poke(path: &Path, offset: u64, byte: u8) {
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    file.write_all(&[byte]).unwrap();
}

/// The offset of the first `needle` in `path`.
fn offset_of(path: &Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap();
    text.find(needle).unwrap() as u64
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn one_edited_byte_exits_1_naming_the_line() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with_trail(root.path());
    let dir = run.path().to_str().unwrap();
    let trail = run.join("audit.ndjson");

    let out = steadfast(&["audit", "verify", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with(": ok: 4 lines, chain intact\n"),
        "{}",
        stdout(&out)
    );

    // "bronze" → "bronzf" on line 2.
    poke(&trail, offset_of(&trail, "bronze") + 5, b'f');
    let out = steadfast(&["audit", "verify", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "{}: chain broken: line 2: edited:",
            trail.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("line 3 records") && text.contains("as the previous-line hash"),
        "{text}"
    );
}

#[test]
fn a_removed_line_and_a_torn_tail_exit_1() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with_trail(root.path());
    let trail = run.join("audit.ndjson");
    let text = std::fs::read_to_string(&trail).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(2);
    steadfast::run::atomic_write(&trail, format!("{}\n", lines.join("\n"))).unwrap();
    // The file named directly.
    let out = steadfast(&["audit", "verify", trail.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("line 3: seq 3 where 2 was expected: a line before it was removed"),
        "{}",
        stdout(&out)
    );

    let run = run_with_trail(root.path());
    let trail = run.join("audit.ndjson");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&trail)
        .unwrap();
    file.write_all(br#"{"seq":4,"at""#).unwrap();
    let out = steadfast(&["audit", "verify", run.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("line 5: the last line is incomplete"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_runs_root_is_verified_and_no_trail_is_exit_2() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().to_str().unwrap();
    assert_error(
        &steadfast(&["audit", "verify", path]),
        2,
        "cannot verify the audit trail",
    );
    let log = AuditLog::in_root(root.path()).unwrap();
    log.append(&AuditEvent::Deleted {
        run: "nightly-20260101T000000Z-a1b2c3".into(),
        bytes: 4096,
        reason: "older than 30d".into(),
    })
    .unwrap();
    let out = steadfast(&["audit", "verify", path]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("ok: 1 lines, chain intact"));
}

/// `value` with the strings of `volatile` keys written as `<string>`.
fn shape(mut value: Value, volatile: &[&str]) -> Value {
    if let Value::Object(map) = &mut value {
        for (k, v) in map.iter_mut() {
            if volatile.contains(&k.as_str()) && v.is_string() {
                *v = Value::from("<string>");
            } else if v.is_object() {
                *v = shape(v.take(), volatile);
            }
        }
    }
    value
}

#[test]
fn json_names_the_status_the_break_and_the_last_hash() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with_trail(root.path());
    let dir = run.path().to_str().unwrap();
    let trail = run.join("audit.ndjson");
    let json = |code| {
        let out = steadfast(&["audit", "verify", dir, "--format", "json"]);
        assert_eq!(out.status.code(), Some(code), "{}", stdout(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let ok = json(0);
    assert_eq!(ok["status"], "intact");
    assert_eq!(ok["file"], trail.to_str().unwrap());
    assert_eq!(ok["last_hash"].as_str().unwrap().len(), 64);
    assert_eq!(ok["break"], Value::Null);

    poke(&trail, offset_of(&trail, "bronze") + 1, b'X');
    let broken = json(1);
    let volatile = ["file", "last_hash", "expected", "found", "message"];
    insta::assert_snapshot!(
        serde_json::to_string_pretty(&shape(broken.clone(), &volatile)).unwrap()
    );
    assert!(
        broken["break"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2: edited:"),
        "{broken}"
    );
}

/// A chain cannot see an edit to its last line; the seal a run keeps in run.json can: a
/// finished demo run whose last audit line is edited, or removed, exits 1.
#[test]
fn an_edited_or_removed_last_line_of_a_finished_run_exits_1() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    crate::assert_ok(&crate::demo(&runs, 3, &[]));
    let run = crate::runs_in(&runs).remove(0);
    let dir = run.to_str().unwrap();
    crate::assert_ok(&steadfast(&["audit", "verify", dir]));
    let trail = run.join(steadfast::run::files::AUDIT);
    let text = std::fs::read_to_string(&trail).unwrap();

    // The last line says the run finished; say it aborted instead.
    let edited = text.replace("\"to\":\"finished\"", "\"to\":\"aborted\"");
    assert_ne!(edited, text);
    steadfast::run::atomic_write(&trail, &edited).unwrap();
    let out = steadfast(&["audit", "verify", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("it was edited"), "{}", stdout(&out));

    // Remove the last line altogether.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    steadfast::run::atomic_write(&trail, lines.join("\n") + "\n").unwrap();
    let out = steadfast(&["audit", "verify", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("last lines were removed"),
        "{}",
        stdout(&out)
    );
}
