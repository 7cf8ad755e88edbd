//! `--log-format json` and `RUST_LOG`: structured logs that carry the run id.

use std::process::Command;

use crate::{assert_error, assert_ok, runs_in};

#[test]
fn json_logs_carry_the_run_id_on_every_line() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    let out = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args([
            "demo",
            "--runs-root",
            runs.to_str().unwrap(),
            "--patients",
            "200",
            "--log-format",
            "json",
            "-v",
        ])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_ok(&out);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3, "{stderr}");
    let run = runs_in(&runs).remove(0);
    let run_id = run.file_name().unwrap().to_str().unwrap();
    assert!(
        lines.iter().all(|l| l["span"]["run_id"] == run_id),
        "{stderr}"
    );

    let bad = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["demo", "--runs-root", runs.to_str().unwrap()])
        .env("RUST_LOG", "steadfast=loud")
        .output()
        .unwrap();
    assert_error(&bad, 2, "invalid RUST_LOG \"steadfast=loud\"");
}
