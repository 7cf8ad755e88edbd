//! `steadfast fetch` through the binary against testkit's `FileServer` on 127.0.0.1: a file
//! cut halfway resumed with `Range`, a wrong `--sha256` (exit 1, nothing at `--out`), and
//! `--toc` with a table of contents listing three files — one name twice, one that would
//! climb out of the directory — then a rerun that fetches no file again.

use std::path::Path;

use sha2::{Digest as _, Sha256};
use steadfast_testkit::files::FileServer;

use crate::{assert_error, assert_ok, steadfast};

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn bytes(n: u32, seed: u32) -> Vec<u8> {
    (0..n)
        .map(|i| u8::try_from((i ^ seed).wrapping_mul(2_654_435_761) >> 24).unwrap())
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    found.sort();
    found
}

#[test]
fn fetch_resumes_a_cut_download_and_checks_the_sha256() {
    let server = FileServer::start();
    let data = bytes(600_000, 1);
    server.put("/in-network.json.gz", data.clone());
    server.cut_once("/in-network.json.gz", 250_000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mrf.json.gz");
    let url = server.url("/in-network.json.gz");
    let stdout = assert_ok(&steadfast(&[
        "fetch",
        &url,
        "--out",
        out.to_str().unwrap(),
        "--sha256",
        &sha(&data),
    ]));
    assert!(stdout.starts_with(&sha(&data)), "{stdout}");
    assert_eq!(std::fs::read(&out).unwrap(), data);
    let ranges: Vec<_> = server.log().iter().map(|s| (s.range, s.status)).collect();
    assert_eq!(ranges, [(None, 200), (Some(250_000), 206)]);
    assert_eq!(names(dir.path()), ["mrf.json.gz"]);

    // A wrong checksum: exit 1, expected and got named, nothing left behind.
    let other = dir.path().join("other.json.gz");
    let wrong = "ab".repeat(32);
    let out = steadfast(&[
        "fetch",
        &url,
        "--out",
        other.to_str().unwrap(),
        "--sha256",
        &wrong,
    ]);
    assert_error(&out, 1, &format!("expected {wrong}, got {}", sha(&data)));
    assert_eq!(names(dir.path()), ["mrf.json.gz"]);

    // Usage errors: exit 2.
    let out = steadfast(&[
        "fetch",
        &url,
        "--out",
        other.to_str().unwrap(),
        "--sha256",
        "xyz",
    ]);
    assert_error(&out, 2, "64 hex digits");
    let out = steadfast(&[
        "fetch",
        "file:///etc/passwd",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert_error(&out, 2, "only http and https");
}

#[test]
fn fetch_toc_queues_each_listed_file_once_and_a_rerun_fetches_nothing() {
    let server = FileServer::start();
    let (a, b, c) = (bytes(70_000, 2), bytes(50_000, 3), bytes(9_000, 4));
    server.put("/plans/a/in-network.json", a.clone());
    server.put("/plans/b/in-network.json", b.clone());
    server.put("/allowed-amounts.json", c.clone());
    server.put("/etc/passwd", b"root:x:0:0".to_vec());
    server.cut_once("/plans/b/in-network.json", 20_000);
    let file = |path: &str| serde_json::json!({"description": "in-network file", "location": server.url(path)});
    let toc = serde_json::json!({
        "reporting_entity_name": "Example Health",
        "reporting_entity_type": "health insurance issuer",
        "last_updated_on": "2026-11-01",
        "version": "2.1.0",
        "reporting_structure": [
            {
                "reporting_plans": [{"plan_name": "P", "plan_id_type": "hios", "plan_id": "1",
                                     "plan_market_type": "individual", "issuer_name": "E"}],
                "in_network_files": [file("/plans/a/in-network.json"), file("/plans/b/in-network.json")],
                "allowed_amount_file": file("/allowed-amounts.json"),
            },
            {
                "reporting_plans": [{"plan_name": "Q", "plan_id_type": "hios", "plan_id": "2",
                                     "plan_market_type": "group", "issuer_name": "E"}],
                // The same file as the first plan's: fetched once.
                "in_network_files": [file("/plans/a/in-network.json"), file("/x/..%2F..%2Fetc%2Fpasswd")],
            }
        ]
    });
    server.put("/index.json", serde_json::to_vec(&toc).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("mrf");
    let args = [
        "fetch",
        "--toc",
        &server.url("/index.json"),
        "--out",
        out_dir.to_str().unwrap(),
        "--parallel",
        "2",
    ];
    // The `../` name is refused: exit 1, the other files all in place.
    let out = steadfast(&args);
    assert_error(&out, 1, "would leave the output directory");
    assert_eq!(
        names(&out_dir),
        [
            ".steadfast-fetch.json",
            "allowed-amounts.json",
            "in-network-2.json",
            "in-network.json",
            "index.json"
        ]
    );
    assert_eq!(std::fs::read(out_dir.join("in-network.json")).unwrap(), a);
    assert_eq!(std::fs::read(out_dir.join("in-network-2.json")).unwrap(), b);
    assert_eq!(
        std::fs::read(out_dir.join("allowed-amounts.json")).unwrap(),
        c
    );
    assert!(!dir.path().join("passwd").exists());
    assert_eq!(server.hits("/etc/passwd"), 0);
    assert_eq!(server.hits("/plans/a/in-network.json"), 1);
    // b was cut at 20 000 bytes and resumed from there.
    let b_ranges: Vec<_> = server
        .log()
        .iter()
        .filter(|s| s.path == "/plans/b/in-network.json")
        .map(|s| s.range)
        .collect();
    assert_eq!(b_ranges, [None, Some(20_000)]);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join(".steadfast-fetch.json")).unwrap())
            .unwrap();
    assert_eq!(
        state["files"]["in-network-2.json"]["sha256"].as_str(),
        Some(sha(&b).as_str())
    );
    assert_eq!(state["files"]["in-network-2.json"]["bytes"], 50_000);

    // A rerun fetches the table of contents again and no listed file.
    let before = server.log().len();
    let out = steadfast(&args);
    assert_error(&out, 1, "would leave the output directory");
    let again: Vec<_> = server.log()[before..]
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(again, ["/index.json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("3 skipped as complete"), "{stdout}");
}
