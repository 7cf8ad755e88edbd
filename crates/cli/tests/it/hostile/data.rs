//! Hostile data inputs (issue 26) against `steadfast validate-data`: manifests that point
//! outside their directory, links out and dangling links, FIFOs and devices, a gzip bomb and
//! a 200 MB line, duplicate keys, lone surrogates, inputs with nothing to check, names that
//! would drive a terminal, standard input, and mutated NDJSON. Each answer is asserted,
//! with the exit code and bounded memory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use steadfast::run::atomic_write;

use crate::{assert_contained, assert_error, steadfast_measured};

const PATIENT: &str =
    r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1990-01-01"}"#;
/// What must never leave the file outside the export.
const SECRET: &str = "TOP-SECRET-VALUE";

/// `validate-data ARGS` under GNU time, asserted contained (exit 0..=2, no panic, bounded).
fn validate(args: &[&str]) -> Output {
    let mut all = vec!["validate-data"];
    all.extend_from_slice(args);
    let (out, rss) = steadfast_measured(&all);
    assert_contained(&out, rss);
    out
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A file outside any export, holding a value that must never be printed.
fn secret() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret.ndjson");
    let line =
        format!(r#"{{"resourceType":"Patient","id":"s1","gender":"{SECRET}","birthDate":"1990"}}"#);
    atomic_write(&file, format!("{line}\n")).unwrap();
    (dir, file)
}

fn manifest(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("manifest.json");
    let body = serde_json::json!({"output": [{"type": "Patient", "url": url}]});
    atomic_write(&path, body.to_string()).unwrap();
    path
}

/// The manifest is refused with exit 2 naming the field and the fix, and nothing of the
/// file it points at is printed, with or without `--show-values`.
fn assert_refused(manifest: &Path, says: &str) {
    for extra in [&[][..], &["--show-values", "--format", "json"][..]] {
        let mut args = vec![s(manifest)];
        args.extend_from_slice(extra);
        let out = validate(&args);
        assert_error(&out, 2, "manifest.json: output[0].url is '");
        assert_error(&out, 2, says);
        assert_error(&out, 2, "pass --allow-outside to read it on purpose");
        assert!(out.stdout.is_empty(), "{}", stdout(&out));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
    }
}

#[test]
fn a_manifest_url_to_an_absolute_path_is_refused() {
    let (_outside, file) = secret();
    let export = tempfile::tempdir().unwrap();
    let m = manifest(export.path(), s(&file));
    assert_refused(&m, "an absolute path outside the manifest's directory");
    // On purpose, it is read — and its values still only shown when asked.
    let out = validate(&[s(&m), "--allow-outside"]);
    assert!(stdout(&out).contains("1 records"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(SECRET));
}

#[test]
fn a_manifest_url_climbing_out_with_dotdot_is_refused() {
    let (outside, _file) = secret();
    let export = tempfile::tempdir().unwrap();
    let up = format!(
        "../{}/secret.ndjson",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    assert_refused(
        &manifest(export.path(), &up),
        "which leaves the manifest's directory",
    );
}

#[test]
fn a_manifest_file_url_is_refused() {
    let (_outside, file) = secret();
    let export = tempfile::tempdir().unwrap();
    let url = format!("file://{}", file.display());
    assert_refused(&manifest(export.path(), &url), "an absolute path outside");
}

#[test]
fn symlinks_out_of_the_export_are_refused() {
    let (_outside, file) = secret();
    let export = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&file, export.path().join("Patient.ndjson")).unwrap();
    let m = manifest(export.path(), "Patient.ndjson");
    assert_refused(&m, "which leads through a symbolic link to");
    std::fs::remove_file(&m).unwrap();
    // A directory input does not follow it either.
    let out = validate(&[s(export.path()), "--show-values"]);
    assert_error(&out, 2, "Patient.ndjson: a symbolic link to");
    assert_error(&out, 2, "outside the directory");
    assert!(!stdout(&out).contains(SECRET));
}

#[test]
fn a_dangling_link_is_a_finding_not_a_pass() {
    let export = tempfile::tempdir().unwrap();
    atomic_write(export.path().join("Patient.ndjson"), format!("{PATIENT}\n")).unwrap();
    std::os::unix::fs::symlink("missing", export.path().join("Observation.ndjson")).unwrap();
    let out = validate(&[s(export.path())]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains(" inputs ")).unwrap_or("");
    assert!(line.trim_start().starts_with("FAIL"), "{text}");
    assert!(
        line.contains("Observation.ndjson is a dangling symbolic link"),
        "{text}"
    );
}

/// Runs `validate-data ARGS`, killed and failed if it takes longer than `limit`.
fn within(limit: Duration, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .arg("validate-data")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("validate-data {args:?} hung for {limit:?}");
        }
    }
}

#[test]
fn a_fifo_input_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("Patient.ndjson");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    for input in [fifo.clone(), dir.path().to_path_buf()] {
        let out = within(Duration::from_secs(20), &[s(&input)]);
        assert_error(
            &out,
            2,
            "Patient.ndjson is a FIFO (named pipe), expected a regular file",
        );
    }
}

#[test]
fn dev_zero_and_dev_null_are_refused_at_once() {
    for device in ["/dev/zero", "/dev/null"] {
        let out = within(Duration::from_secs(20), &[device]);
        assert_error(&out, 2, &format!("{device} is a character device"));
    }
}

/// `bytes` of zeros without a newline, gzip-compressed by repeating one compressed block
/// (a gzip stream may hold many members): about 1 KiB per MiB.
fn gzip_bomb(path: &Path, mib: usize) {
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..16 {
        member.write_all(&zeros).unwrap();
    }
    let member = member.finish().unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for _ in 0..mib / 16 {
        file.write_all(&member).unwrap();
    }
    file.flush().unwrap();
}

#[test]
fn a_gzip_bomb_is_read_in_bounded_memory() {
    // 512 MiB of zeros in one line (2 GiB aborted with "memory allocation of 4294967296
    // bytes failed"): the default 64 MiB cap keeps the buffer small, the line is a finding.
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("Patient.ndjson.gz");
    gzip_bomb(&bomb, 512);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 2 << 20);
    let (out, rss) = steadfast_measured(&["validate-data", s(&bomb)]);
    assert_contained(&out, rss);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Patient.ndjson.gz:1 line longer than 67108864 bytes (536870912 bytes)"),
        "{text}"
    );
}

#[test]
fn a_200_mb_line_is_read_in_bounded_memory_and_the_file_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Patient.ndjson");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    w.write_all(br#"{"resourceType":"Patient","id":""#).unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        w.write_all(&block).unwrap();
    }
    writeln!(w, "\"}}\n{PATIENT}").unwrap();
    w.flush().unwrap();
    drop(w);
    let out = validate(&[s(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Patient.ndjson:1 line longer than 67108864 bytes"),
        "{text}"
    );
    assert!(text.contains("2 lines, 1 records, 1 invalid"), "{text}");
    // The cap is a setting: lowered, a short line is already too long.
    let out = validate(&[s(&file), "--max-line-bytes", "64B", "--threads", "1"]);
    assert!(stdout(&out).contains("2 lines, 0 records, 2 invalid"));
    let out = validate(&[s(&file), "--max-line-bytes", "2GiB"]);
    assert_error(&out, 2, "max_line_bytes 2GiB is out of range");
}

fn one_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    atomic_write(&file, text).unwrap();
    (dir, file)
}

#[test]
fn a_duplicate_key_makes_the_line_invalid() {
    let (_dir, file) = one_file(
        "Patient.ndjson",
        "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"BOGUS\",\"birthDate\":\"1990\",\"gender\":\"female\"}\n",
    );
    let out = validate(&[s(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Patient.ndjson:1:73 duplicate key \"gender\""));
}

#[test]
fn lone_surrogates_are_invalid_not_duplicates() {
    let line = |id: &str| {
        format!(
            "{{\"resourceType\":\"Patient\",\"id\":\"{id}\",\"gender\":\"female\",\"birthDate\":\"1990\"}}\n"
        )
    };
    let text = line("a\\ud800x") + &line("a\\ud800y") + &line("ok");
    let (_dir, file) = one_file("Patient.ndjson", &text);
    let out = validate(&[s(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Patient.ndjson:2:34 a lone UTF-16 surrogate escape"),
        "{text}"
    );
    assert!(!text.contains("duplicate of"), "{text}");
}

#[test]
fn nothing_to_check_fails_records_checked() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.ndjson");
    atomic_write(&empty, "").unwrap();
    let unknown = dir.path().join("unknown.ndjson");
    let lines: String = (0..1000)
        .map(|i| format!("{{\"resourceType\":\"Bogus{i}\",\"id\":\"{i}\"}}\n"))
        .collect();
    atomic_write(&unknown, lines).unwrap();
    let m = dir.path().join("manifest.json");
    atomic_write(&m, r#"{"output":[]}"#).unwrap();
    for input in [&empty, &unknown, &m] {
        let out = validate(&[s(input)]);
        assert_eq!(out.status.code(), Some(1), "{}", input.display());
        let text = stdout(&out);
        let rule = text
            .lines()
            .find(|l| l.contains("records_checked"))
            .unwrap_or("");
        assert!(rule.trim_start().starts_with("FAIL"), "{text}");
    }
}

#[test]
fn control_characters_in_names_are_escaped() {
    let name = "evil\u{1b}]0;pwned\u{7}\nFAIL fake.ndjson";
    let (dir, file) = one_file(
        name,
        "{\"resourceType\":\"Patient\",\"id\":\"1\",\"id\":\"2\"}\n",
    );
    let escaped = "evil\\u{1b}]0;pwned\\u{7}\\nFAIL fake.ndjson";
    for format in ["text", "markdown"] {
        let out = validate(&[s(&file), "--format", format]);
        let text = stdout(&out);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains(escaped), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("FAIL fake")), "{text}");
    }
    // In an error message too.
    std::fs::remove_file(&file).unwrap();
    let status = Command::new("mkfifo").arg(&file).status().unwrap();
    assert!(status.success());
    let out = within(Duration::from_secs(20), &[s(&file)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{1b}') && err.lines().count() == 1, "{err}");
    assert!(err.contains(escaped), "{err}");
    drop(dir);
}

/// `validate-data -` with `input` on standard input.
fn piped(input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["validate-data", "-", "--threads", "2"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn a_dash_reads_standard_input_on_purpose() {
    let text = format!("{PATIENT}\n{PATIENT}\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    for (input, gzip) in [(text.into_bytes(), ""), (gz.finish().unwrap(), " (gzip)")] {
        let out = piped(&input);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        let report = stdout(&out);
        assert!(report.contains("-:2 id: duplicate of -:1"), "{report}");
        assert!(
            report.contains(&format!("-{gzip}: 2 lines, 2 records")),
            "{report}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// Mutated NDJSON never makes the binary panic: exit 0, 1 or 2.
    #[test]
    fn mutated_ndjson_exits_0_1_or_2(
        edits in proptest::collection::vec((0usize..400, proptest::num::u8::ANY), 0..8),
        cut in 0usize..400,
        dup in proptest::bool::ANY,
    ) {
        let mut text = format!("{PATIENT}\n{PATIENT}\n").replace("\"id\":\"p1\"", "\"id\":\"a\\ud800\"");
        if dup {
            text = text.replacen("{", "{\"gender\":\"x\",", 1);
        }
        let mut bytes = text.into_bytes();
        for (at, b) in edits {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        bytes.truncate(cut.max(1));
        let (_dir, file) = one_file("Patient.ndjson", "");
        atomic_write(&file, &bytes).unwrap();
        let out = validate(&[s(&file), "--max-line-bytes", "100B"]);
        proptest::prop_assert!(matches!(out.status.code(), Some(0..=2)));
    }
}
