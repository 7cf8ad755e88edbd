//! `steadfast validate-data --shard I/N --partial F` in N separate processes, then
//! `validate-data merge`: the same report, byte for byte in every format, and the same exit
//! code as one unsharded run; and the usage errors around them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use steadfast::validation::data::generate::{BulkSpec, Faults, generate_export};

use crate::{assert_error, steadfast};

const AT: &str = "2026-01-02T03:04:05Z";

/// An export with faults in exact numbers, a plain and a gzip file of duplicates of its
/// first patients (last in the input list: another shard than the originals), and a wrong
/// checksum sidecar for the gzip file.
fn export(root: &Path) -> Vec<String> {
    let export = root.join("export");
    let spec = BulkSpec {
        patients: 400,
        faults: Faults {
            duplicates: 2,
            missing_fields: 3,
            dangling_references: 4,
            invalid_lines: 5,
            torn_last_line: true,
        },
        ..BulkSpec::default()
    };
    generate_export(&export, &spec).unwrap();
    let patients = std::fs::read_to_string(export.join("Patient.ndjson")).unwrap();
    let lines: Vec<&str> = patients.lines().collect();
    let plain = root.join("zz-dups.ndjson");
    steadfast::run::atomic_write(&plain, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let gz = root.join("zz-dups.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    writeln!(enc, "{}", lines[2]).unwrap();
    steadfast::run::atomic_write(&gz, enc.finish().unwrap()).unwrap();
    steadfast::run::atomic_write(root.join("zz-dups.ndjson.gz.sha256"), "0".repeat(64)).unwrap();
    [export, plain, gz]
        .iter()
        .map(|p| p.to_str().unwrap().to_owned())
        .collect()
}

fn args<'a>(first: &[&'a str], inputs: &'a [String]) -> Vec<&'a str> {
    let mut all = first.to_vec();
    all.extend(inputs.iter().map(String::as_str));
    all
}

#[test]
fn four_shard_processes_and_merge_print_the_report_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = export(dir.path());
    let n = 4;
    // N shards at once, each its own process, as N machines would run them.
    let parts: Vec<PathBuf> = (1..=n)
        .map(|i| dir.path().join(format!("part-{i}.json")))
        .collect();
    let children: Vec<_> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            Command::new(env!("CARGO_BIN_EXE_steadfast"))
                .args(["validate-data", "--threads", "2", "--checked-at", AT])
                .arg("--shard")
                .arg(format!("{}/{n}", i + 1))
                .arg("--partial")
                .arg(part)
                .args(&inputs)
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for (i, out) in outputs.iter().enumerate() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "shard {}: {stdout}{}",
            i + 1,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(&format!("shard {}/{n}", i + 1)), "{stdout}");
    }
    // The big plain file is split by byte range across shards.
    let starts: Vec<u64> = parts
        .iter()
        .flat_map(|p| {
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            json["chunks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["source"] == 3)
                .map(|c| c["start"].as_u64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        starts.len() >= 2 && starts.iter().any(|&s| s > 0),
        "{starts:?}"
    );

    let part_args: Vec<&str> = parts.iter().rev().map(|p| p.to_str().unwrap()).collect();
    for format in ["text", "json", "markdown", "junit"] {
        let single = steadfast(&args(
            &[
                "validate-data",
                "--threads",
                "2",
                "--checked-at",
                AT,
                "--format",
                format,
            ],
            &inputs,
        ));
        let mut merge = vec!["validate-data", "merge", "--format", format];
        merge.extend(&part_args);
        let merged = steadfast(&merge);
        let (a, b) = (
            String::from_utf8_lossy(&single.stdout),
            String::from_utf8_lossy(&merged.stdout),
        );
        assert_eq!(
            b,
            a,
            "{format}: {}",
            String::from_utf8_lossy(&merged.stderr)
        );
        assert_eq!(single.status.code(), Some(1), "{format}");
        assert_eq!(merged.status.code(), single.status.code(), "{format}");
        if format == "markdown" {
            assert!(a.contains("checked 2026-01-02T03:04:05"), "{a}");
        }
        if format == "json" {
            let report: serde_json::Value = serde_json::from_str(&a).unwrap();
            let rule = |name: &str| {
                report["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["name"] == name)
                    .map(|r| r["violations"].as_u64().unwrap())
            };
            // p0 and p1 again in the plain file, p2 in the gzip one: across shards.
            assert_eq!(rule("Patient.unique:id"), Some(3));
            assert_eq!(rule("Observation.unique:id"), Some(2));
            assert_eq!(rule("invalid_lines"), Some(6));
        }
    }

    // A missing shard is named, exit 2.
    let out = steadfast(&[
        "validate-data",
        "merge",
        part_args[0],
        part_args[1],
        part_args[3],
    ]);
    assert_error(&out, 2, "shard 2/4 is missing"); // parts 4, 3 and 1 given
}

#[test]
fn shard_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.ndjson");
    steadfast::run::atomic_write(&file, "{\"resourceType\":\"Patient\",\"id\":\"1\"}\n").unwrap();
    let file = file.to_str().unwrap();
    let out = steadfast(&["validate-data", "--shard", "1/2", file]);
    assert_error(&out, 2, "--partial");
    let part = dir.path().join("part.json");
    let part = part.to_str().unwrap();
    for bad in ["0/2", "3/2", "two"] {
        let out = steadfast(&["validate-data", "--shard", bad, "--partial", part, file]);
        assert_error(&out, 2, "1-based");
    }
    let out = steadfast(&["validate-data", "merge", file]);
    assert_error(&out, 2, "not a partial result");
    let out = steadfast(&["validate-data", "merge"]);
    assert_error(&out, 2, "PART");
}
