//! Hostile configuration (issue 26): alias bombs, many unknown keys, deep nesting, FIFOs and
//! devices given as files, durations that would overflow a clock, non-UTF-8 overrides. Each
//! is refused with exit 2 and a located message, within bounded memory.

use std::path::Path;
use std::process::Command;

use crate::{assert_contained, steadfast_measured};

/// `config check FILE` under GNU time: the answer, asserted contained.
fn check(file: &Path) -> std::process::Output {
    let (out, rss) = steadfast_measured(&["config", "check", file.to_str().unwrap()]);
    assert_contained(&out, rss);
    out
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo failed");
}

#[test]
fn yaml_alias_bomb_is_refused_within_bounded_memory() {
    // 366 bytes that expand to 10^9 values: 1.2 GB before aliases had a budget.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bomb.yaml");
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    steadfast::run::atomic_write(&file, text).unwrap();
    let out = check(&file);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bomb.yaml:6:"), "{err}");
    assert!(err.contains("expands to more than 250000 values"), "{err}");
}

#[test]
fn many_unknown_keys_are_reported_without_blowing_up() {
    let dir = tempfile::tempdir().unwrap();
    for (name, line) in [
        ("wide.toml", "k{i} = 1\n"),
        ("wide.yaml", "k{i}: 1\n"),
        ("wide.json", ""),
    ] {
        let file = dir.path().join(name);
        let text = if name.ends_with(".json") {
            let body: Vec<String> = (0..64_000).map(|i| format!("\"k{i}\": 1")).collect();
            format!("{{{}}}", body.join(",\n"))
        } else {
            (0..64_000)
                .map(|i| line.replace("{i}", &i.to_string()))
                .collect()
        };
        steadfast::run::atomic_write(&file, text).unwrap();
        let out = check(&file);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(
            err.contains("unknown key 'k0'") || err.contains("unknown section"),
            "{name}: {err}"
        );
        // One load reports a bounded number of problems, not 64,000 lines.
        assert!(
            err.lines().count() < 200,
            "{name}: {} lines",
            err.lines().count()
        );
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let deep = 100_000;
    for (name, text) in [
        ("deep.yaml", format!("a: {}", "[".repeat(deep))),
        ("deep.json", format!("{{\"a\": {}", "[".repeat(deep))),
        ("deep.toml", format!("a = {}", "[".repeat(deep))),
    ] {
        let file = dir.path().join(name);
        steadfast::run::atomic_write(&file, text).unwrap();
        let out = check(&file);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(name), "{name}: {}", stderr(&out));
    }
}

#[test]
fn a_fifo_or_device_given_as_configuration_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("steadfast.toml");
    mkfifo(&fifo);
    // Without the check this open would wait forever for a writer.
    let out = check(&fifo);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a FIFO (named pipe), expected a regular file"),
        "{}",
        stderr(&out)
    );

    let out = check(Path::new("/dev/zero"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unsupported configuration file extension")
            || err.contains("a character device"),
        "{err}"
    );
}

#[test]
fn a_secret_file_that_is_a_device_or_fifo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("token");
    mkfifo(&fifo);
    for target in ["/dev/zero", fifo.to_str().unwrap()] {
        let file = dir.path().join("steadfast.toml");
        steadfast::run::atomic_write(
            &file,
            format!("[health]\nshow_details = \"when_authorized\"\ntoken_file = \"{target}\"\n"),
        )
        .unwrap();
        let out = check(&file);
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = stderr(&out);
        assert!(err.contains("steadfast.toml:3:"), "{err}");
        assert!(err.contains("expected a regular file"), "{err}");
    }
}

#[test]
fn durations_that_would_overflow_the_clock_fail_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("steadfast.toml");
    steadfast::run::atomic_write(
        &file,
        "[health]\nheader_read_timeout = \"300000000000years\"\n",
    )
    .unwrap();
    let out = check(&file);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("steadfast.toml:2:"), "{err}");
    assert!(err.contains("longer than 100 years"), "{err}");
}

#[test]
fn a_non_utf8_override_is_an_error_not_ignored() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("steadfast.toml");
    steadfast::run::atomic_write(&file, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["config", "check", file.to_str().unwrap()])
        .env(
            "STEADFAST_DISK__INTERVAL",
            std::ffi::OsStr::from_bytes(b"5\xffs"),
        )
        .output()
        .unwrap();
    assert_contained(&out, None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("STEADFAST_DISK__INTERVAL"), "{err}");
    assert!(err.contains("not valid UTF-8"), "{err}");
}
