//! Hostile data inputs through the library (issue 26): manifests that point outside their
//! directory, links out of a directory and dangling ones, FIFOs and devices, oversized
//! manifests and sidecars, lines over the cap (plain and gzip), duplicate keys, lone
//! surrogates, inputs with nothing to check, and names that would drive a terminal.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use steadfast_core::Status;
use steadfast_validation::Format;
use steadfast_validation::data::{DataCheck, DataReport, DataRules, render_data};

use crate::data::{check, rules, shipped_rules};

pub(crate) const PATIENT: &str =
    r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1990-01-01"}"#;

pub(crate) fn write(path: &Path, text: &str) {
    steadfast_core::atomic_write(path, text).unwrap();
}

fn manifest(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("manifest.json");
    let entry = serde_json::json!({"output": [{"type": "Patient", "url": url}]});
    write(&path, &entry.to_string());
    path
}

fn refused(inputs: &[PathBuf], allow_outside: bool) -> String {
    let err = DataCheck::new(&shipped_rules())
        .allow_outside(allow_outside)
        .run(inputs)
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    err.to_string()
}

#[test]
fn manifest_urls_stay_inside_the_manifest_directory() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.ndjson");
    write(&secret, &format!("{PATIENT}\n"));
    let export = tempfile::tempdir().unwrap();
    let sub = export.path().join("export");
    std::fs::create_dir(&sub).unwrap();
    std::os::unix::fs::symlink(&secret, sub.join("Patient.ndjson")).unwrap();
    std::os::unix::fs::symlink(outside.path(), sub.join("linked")).unwrap();
    let file_url = format!("file://{}", secret.display());
    for (url, says) in [
        (secret.display().to_string(), "an absolute path outside"),
        (file_url.clone(), "an absolute path outside"),
        ("../../x/secret.ndjson".to_owned(), "through '..'"),
        ("Patient.ndjson".to_owned(), "symbolic link to"),
        ("linked/secret.ndjson".to_owned(), "symbolic link to"),
    ] {
        let path = manifest(&sub, &url);
        let message = refused(std::slice::from_ref(&path), false);
        assert!(
            message.contains("manifest.json: output[0].url"),
            "{message}"
        );
        assert!(message.contains(says), "{url}: {message}");
        assert!(message.contains("--allow-outside"), "{message}");
    }
    // On purpose, the same urls are read.
    for url in [
        secret.display().to_string(),
        file_url,
        "Patient.ndjson".to_owned(),
    ] {
        let path = manifest(&sub, &url);
        let report = DataCheck::new(&shipped_rules())
            .allow_outside(true)
            .run(&[path])
            .unwrap();
        assert_eq!(report.records(), 1, "{url}");
    }
    // A link that stays inside is fine, and so is `..` that stays inside.
    std::fs::create_dir(sub.join("data")).unwrap();
    write(&sub.join("data/real.ndjson"), &format!("{PATIENT}\n"));
    std::os::unix::fs::symlink("data/real.ndjson", sub.join("inside.ndjson")).unwrap();
    for url in ["inside.ndjson", "data/../inside.ndjson"] {
        let report = check(&shipped_rules(), &[manifest(&sub, url)], 1);
        assert_eq!(report.status, Status::Pass, "{url}");
    }
}

#[test]
fn directories_do_not_follow_links_out_and_report_dangling_ones() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.ndjson");
    write(&secret, &format!("{PATIENT}\n"));
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Patient.ndjson"), &format!("{PATIENT}\n"));
    std::os::unix::fs::symlink(&secret, dir.path().join("Encounter.ndjson")).unwrap();
    let message = refused(&[dir.path().to_path_buf()], false);
    assert!(
        message.contains("Encounter.ndjson: a symbolic link to"),
        "{message}"
    );
    assert_eq!(
        DataCheck::new(&shipped_rules())
            .allow_outside(true)
            .run(&[dir.path()])
            .unwrap()
            .records(),
        2
    );

    std::fs::remove_file(dir.path().join("Encounter.ndjson")).unwrap();
    std::os::unix::fs::symlink("Patient.ndjson", dir.path().join("Alias.ndjson")).unwrap();
    std::os::unix::fs::symlink("missing", dir.path().join("Observation.ndjson")).unwrap();
    let report = check(&shipped_rules(), &[dir.path().to_path_buf()], 1);
    // The inside link is the same file as Patient.ndjson: read once.
    assert_eq!(report.records(), 1);
    let inputs = report
        .rule("inputs")
        .expect("the dangling link is a finding");
    assert_eq!(inputs.status, Status::Fail);
    assert!(
        inputs
            .message
            .contains("Observation.ndjson is a dangling symbolic link"),
        "{}",
        inputs.message
    );
    assert_eq!(report.exit_code(), 1);
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn only_regular_files_are_read_and_never_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("Patient.ndjson");
    mkfifo(&fifo);
    for input in [fifo.clone(), dir.path().to_path_buf(), "/dev/zero".into()] {
        let message = refused(&[input], false);
        assert!(message.contains("expected a regular file"), "{message}");
    }
    std::fs::remove_file(&fifo).unwrap();
    mkfifo(&dir.path().join("manifest.json"));
    let message = refused(&[dir.path().to_path_buf()], false);
    assert!(message.contains("manifest.json is a FIFO"), "{message}");
}

#[test]
fn manifests_and_sidecars_are_read_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("manifest.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    let message = refused(&[big], false);
    assert!(message.contains("larger than 67108864 bytes"), "{message}");

    let data = dir.path().join("Patient.ndjson");
    write(&data, &format!("{PATIENT}\n"));
    let sidecar = dir.path().join("Patient.ndjson.sha256");
    write(
        &sidecar,
        &format!("{}  Patient.ndjson\n{}", "0".repeat(64), " ".repeat(5000)),
    );
    let message = refused(&[data], false);
    assert!(
        message.contains("Patient.ndjson.sha256 is larger than 4096 bytes"),
        "{message}"
    );
}

fn zeros_gz(path: &Path, bytes: u64, then: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let block = vec![0u8; 1 << 20];
    for _ in 0..bytes >> 20 {
        gz.write_all(&block).unwrap();
    }
    gz.write_all(then).unwrap();
    gz.finish().unwrap();
}

#[test]
fn lines_over_the_cap_are_findings_and_the_file_goes_on() {
    let capped = DataRules {
        max_line_bytes: steadfast_core::ByteSize::kib(64),
        ..shipped_rules()
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("Patient.ndjson");
    let long = format!(
        r#"{{"resourceType":"Patient","id":"{}"}}"#,
        "x".repeat(100 << 10)
    );
    write(&plain, &format!("{long}\n{PATIENT}\n{long}"));
    let gz = dir.path().join("Bomb.ndjson.gz");
    zeros_gz(&gz, 8 << 20, format!("\n{PATIENT}\n").as_bytes());
    for (input, lines) in [(plain, vec![1, 3]), (gz, vec![1])] {
        for threads in [1, 3] {
            let report = check(&capped, std::slice::from_ref(&input), threads);
            let invalid = report.rule("invalid_lines").unwrap();
            let found: Vec<u64> = invalid.locations.iter().map(|l| l.line).collect();
            assert_eq!(found, lines, "{}", input.display());
            assert!(
                invalid.locations[0]
                    .message
                    .starts_with("line longer than 65536 bytes"),
                "{:?}",
                invalid.locations[0]
            );
            assert_eq!(
                report.rule("Patient.required:gender").unwrap().status,
                Status::Pass
            );
            assert_eq!(
                report.records(),
                1,
                "the record after the long line is read"
            );
        }
    }
}

#[test]
fn duplicate_keys_and_lone_surrogates_make_a_line_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Patient.ndjson");
    write(
        &file,
        concat!(
            r#"{"resourceType":"Patient","id":"p1","gender":"BOGUS","birthDate":"1990","gender":"female"}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"a\ud800x","gender":"female","birthDate":"1990"}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"a\ud800y","gender":"female","birthDate":"1990"}"#,
            "\n",
            r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"a"}]},"subject":{"reference":"Patient/p2","reference":"Patient/p1"}}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"p2","gender":"male","birthDate":"1990","meta":{"tag":1,"tag":2}}"#,
            "\n",
        ),
    );
    let report = check(&shipped_rules(), &[file], 1);
    let invalid = report.rule("invalid_lines").unwrap();
    let found: Vec<(u64, &str)> = invalid
        .locations
        .iter()
        .map(|l| (l.line, l.message.as_str()))
        .collect();
    let surrogate =
        "a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair) is not a character";
    assert_eq!(
        found,
        [
            (1, "duplicate key \"gender\""),
            (2, surrogate),
            (3, surrogate),
            (4, "duplicate key \"reference\""),
        ]
    );
    assert_eq!(report.violations("Patient.unique:id"), 0);
    assert_eq!(report.records(), 1);
}

#[test]
fn nothing_checked_fails_records_checked() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.ndjson");
    write(&empty, "\n\n");
    let unknown = dir.path().join("unknown.ndjson");
    write(
        &unknown,
        &(0..50)
            .map(|i| format!("{{\"resourceType\":\"Made{i}\",\"id\":\"{i}\"}}\n"))
            .collect::<String>(),
    );
    let manifest = dir.path().join("manifest.json");
    write(&manifest, r#"{"output":[]}"#);
    for (input, says) in [
        (empty, "the inputs hold no FHIR resources"),
        (manifest, "the inputs hold no FHIR resources"),
        (
            unknown.clone(),
            // Not R4 types: counted, their names (which could be anything) not shown.
            "50 records are of other types (unrecognised resourceType)",
        ),
    ] {
        let report = check(&shipped_rules(), std::slice::from_ref(&input), 2);
        let rule = report.rule("records_checked").unwrap();
        assert_eq!((rule.status, report.exit_code()), (Status::Fail, 1));
        assert!(rule.message.contains(says), "{}", rule.message);
    }
    // Rules that name no type check every resource's form: those count.
    let report = check(&DataRules::default(), &[unknown], 1);
    assert_eq!(report.rule("records_checked").unwrap().status, Status::Pass);
    // A good export passes it with its count.
    let good = rules("[resources.Patient]\n");
    let file = dir.path().join("Patient.ndjson");
    write(&file, &format!("{PATIENT}\n"));
    let report = check(&good, &[file], 1);
    assert_eq!(report.rule("records_checked").unwrap().observed, "1");
}

fn report_named(name: &str) -> (tempfile::TempDir, DataReport) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    write(
        &file,
        "{\"resourceType\":\"Patient\",\"id\":\"1\",\"id\":\"2\"}\n",
    );
    let report = check(&shipped_rules(), &[file], 1);
    (dir, report)
}

#[test]
fn names_are_escaped_for_the_terminal() {
    let (_dir, report) = report_named("evil\u{1b}]0;pwned\u{7}\nFAIL x.ndjson");
    for format in [Format::Text, Format::Markdown, Format::Junit] {
        let out = render_data(&report, format, false);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        assert!(
            out.contains("evil\\u{1b}]0;pwned\\u{7}\\nFAIL x.ndjson"),
            "{out}"
        );
        assert!(!out.lines().any(|l| l.starts_with("FAIL x")), "{out}");
    }
    let json = render_data(&report, Format::Json, false);
    assert!(
        json.contains("evil\\u001b]0;pwned\\u0007\\nFAIL x.ndjson"),
        "{json}"
    );
}
