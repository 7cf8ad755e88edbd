//! `--format json` of `metrics show`, `disk check`, `disk clean`, `profile report` and
//! `config check`: each prints one JSON document that parses, with the documented field names
//! (docs/cli-json.md), and the same exit code as text. Snapshots hold the documents with
//! what depends on the machine (sizes, paths, timings) replaced by its type.

use std::time::Duration;

use serde_json::Value;

use crate::{runs_in, steadfast};

/// `value` with numbers written as `<number>` and the strings of `volatile` keys as
/// `<string>`: the document's shape and its stable values.
fn shape(value: &Value, volatile: &[&str]) -> Value {
    match value {
        Value::Number(_) => Value::from("<number>"),
        Value::Array(items) => items.iter().map(|v| shape(v, volatile)).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(_) if volatile.contains(&k.as_str()) => Value::from("<string>"),
                    other => shape(other, volatile),
                };
                (k.clone(), v)
            })
            .collect(),
        other => other.clone(),
    }
}

/// Runs `steadfast args`, asserts the exit code and parses stdout as one JSON document.
fn json(args: &[&str], code: i32) -> Value {
    let out = steadfast(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A finished run with one counter, one gauge, one histogram and a profiled component.
fn run(root: &std::path::Path) -> std::path::PathBuf {
    let run = steadfast::Run::builder("nightly")
        .runs_root(root)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let m = run.metrics();
    m.counter("bronze", "records")
        .label("resource_type", "Patient")
        .add(1200);
    m.gauge("gold", "patients").set(42.0);
    for ms in [10.0, 30.0] {
        m.histogram("bronze", "page_seconds").observe(ms / 1000.0);
    }
    run.profiler()
        .record("silver.flatten", Duration::from_millis(3));
    let dir = run.dir().path().to_path_buf();
    let _ = run.finish().unwrap();
    dir
}

#[test]
fn metrics_show_and_profile_report_print_one_document() {
    let root = tempfile::tempdir().unwrap();
    let dir = run(root.path());
    let dir = dir.to_str().unwrap();
    let metrics = json(&["metrics", "show", dir, "--format", "json"], 0);
    insta::assert_snapshot!(serde_json::to_string_pretty(&shape(&metrics, &[])).unwrap());
    let page = &metrics["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "page_seconds")
        .unwrap()
        .clone();
    assert_eq!(page["count"], 2);
    assert!(
        (page["mean"].as_f64().unwrap() - 0.02).abs() < 1e-9,
        "{page}"
    );
    let p50 = page["p50"].as_f64().unwrap();
    assert!((0.01..=0.03).contains(&p50), "{page}");
    // The text table shows histograms apart: count, sum, mean and percentiles.
    let text = steadfast(&["metrics", "show", dir]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("HISTOGRAM") && text.contains("P95"), "{text}");

    let profile = json(&["profile", "report", dir, "--format", "json"], 0);
    let components = profile["profile"]["components"].as_array().unwrap();
    assert!(
        components.iter().any(|c| c["name"] == "silver.flatten"),
        "{profile}"
    );
    assert!(profile["bottlenecks"].is_array());
}

#[test]
fn disk_check_and_clean_print_one_document_with_their_exit_codes() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().to_str().unwrap();
    let ok = json(&["disk", "check", path, "--format", "json"], 0);
    let fail = json(
        &[
            "disk",
            "check",
            path,
            "--min-free",
            "1000PiB",
            "--format",
            "json",
        ],
        1,
    );
    assert_eq!(
        (ok["status"].as_str(), fail["status"].as_str()),
        (Some("pass"), Some("fail"))
    );
    insta::assert_snapshot!(
        "disk_check",
        serde_json::to_string_pretty(&shape(&fail, &["path"])).unwrap()
    );

    run(root.path());
    run(root.path());
    assert_eq!(runs_in(root.path()).len(), 2);
    let clean = json(
        &[
            "disk",
            "clean",
            path,
            "--keep",
            "1",
            "--older-than",
            "0s",
            "--dry-run",
            "--format",
            "json",
        ],
        0,
    );
    insta::assert_snapshot!(
        "disk_clean",
        serde_json::to_string_pretty(&shape(&clean, &["run_id"])).unwrap()
    );
    assert_eq!(runs_in(root.path()).len(), 2, "a dry run deletes nothing");
}

#[test]
fn config_check_prints_every_problem_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("steadfast.toml");
    steadfast::run::atomic_write(
        &file,
        "[retry]\nmax_retries = -1\n\n[validaton]\nrow_count_threshold = 0.9\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let bad = json(&["config", "check", file, "--format", "json"], 2);
    insta::assert_snapshot!(
        serde_json::to_string_pretty(&shape(&bad, &["file", "source"])).unwrap()
    );
    let good = dir.path().join("good.toml");
    steadfast::run::atomic_write(&good, "[retry]\nmax_retries = 3\n").unwrap();
    let ok = json(
        &[
            "config",
            "check",
            good.to_str().unwrap(),
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(ok["status"], "ok");
    assert_eq!(ok["problems"], serde_json::json!([]));
}

#[test]
fn deadletter_list_hides_items_and_errors_unless_revealed() {
    let root = tempfile::tempdir().unwrap();
    let dir = steadfast::run::RunDir::create(root.path(), "nightly").unwrap();
    steadfast::run::RunManifest::new(dir.id(), "nightly", steadfast::run::Timestamp::now())
        .write(dir.manifest_path())
        .unwrap();
    let letter = steadfast::retry::DeadLetter::new(
        &serde_json::json!({"resourceType": "Patient", "id": "p1", "name": "Ada Jones"}),
        &"422 from the EHR: Ada Jones already exists",
        3,
        steadfast::run::Timestamp::now(),
        "permanent",
    )
    .unwrap();
    let mut text = serde_json::to_string(&letter).unwrap();
    text.push_str("\n{\"mrn\": \"MRN00412\"\n");
    text.push_str(&serde_json::to_string(&letter).unwrap());
    text.push_str("\n\n");
    let odd = steadfast::retry::DeadLetter::new(
        &serde_json::json!({"resourceType": "Jones, Ada", "id": "p2"}),
        &"boom",
        1,
        steadfast::run::Timestamp::now(),
        "Ada Jones",
    )
    .unwrap();
    text.push_str(&serde_json::to_string(&odd).unwrap());
    text.push('\n');
    steadfast::run::atomic_write(dir.dead_letter_path(), text).unwrap();
    let path = dir.path().to_str().unwrap();

    let out = steadfast(&["deadletter", "list", path]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{listing}");
    for hidden in ["Ada", "Jones", "MRN00412", "already exists"] {
        assert!(!listing.contains(hidden), "{hidden} in {listing}");
    }
    assert!(listing.contains("line 2: not a dead letter"), "{listing}");
    assert!(listing.contains("3 dead letter(s)"), "{listing}");

    let hidden = json(&["deadletter", "list", path, "--format", "json"], 0);
    insta::assert_snapshot!(
        serde_json::to_string_pretty(&shape(
            &hidden,
            &["first_attempt", "last_attempt", "item_digest"]
        ))
        .unwrap()
    );
    let letters = hidden["letters"].as_array().unwrap();
    assert_eq!(letters[0]["item_digest"], letters[1]["item_digest"]);
    assert_eq!(letters[1]["index"], 2);
    // A resource type or decision that is not one cannot carry data out.
    assert_eq!(letters[2]["resource_type"], serde_json::Value::Null);
    assert_eq!(letters[2]["decision"], "(not a reason)");

    let shown = json(
        &["deadletter", "list", path, "--reveal", "--format", "json"],
        0,
    );
    assert_eq!(shown["letters"][0]["item"]["name"], "Ada Jones");
    // The error text was not stored (the default), so even --reveal has none to show.
    assert_eq!(shown["letters"][0].get("error"), None);
    assert_eq!(shown["letters"][0]["error_kind"], "http_4xx");
    assert_eq!(shown["letters"][0]["status"], 422);
}

#[test]
fn deadletter_show_prints_one_letter_and_hides_what_may_be_patient_data() {
    let root = tempfile::tempdir().unwrap();
    let dir = steadfast::run::RunDir::create(root.path(), "nightly").unwrap();
    steadfast::run::RunManifest::new(dir.id(), "nightly", steadfast::run::Timestamp::now())
        .write(dir.manifest_path())
        .unwrap();
    let policy = steadfast::retry::RetryPolicy::constant(Duration::ZERO).max_retries(1);
    let err = policy
        .retry(|_| Err::<(), _>("HTTP 503: Patient Ada Jones (MRN 00412) busy"))
        .unwrap_err();
    let item = serde_json::json!({"resourceType": "Patient", "id": "p1", "name": "Ada Jones"});
    steadfast::retry::DeadLetterQueue::in_run(&dir)
        .unwrap()
        .push_failed(&"first", &err)
        .unwrap();
    steadfast::retry::DeadLetterQueue::in_run(&dir)
        .unwrap()
        .store_raw_errors(true)
        .push_failed(&item, &err)
        .unwrap();
    let path = dir.path().to_str().unwrap();

    let hidden = json(&["deadletter", "show", path, "2", "--format", "json"], 0);
    insta::assert_snapshot!(
        serde_json::to_string_pretty(&shape(
            &hidden,
            &["id", "first_attempt", "last_attempt", "resource_id_hash"]
        ))
        .unwrap()
    );
    let text =
        String::from_utf8_lossy(&steadfast(&["deadletter", "show", path, "2"]).stdout).into_owned();
    for secret in ["Ada", "Jones", "00412", "p1"] {
        assert!(!text.contains(secret), "{secret} in {text}");
        assert!(!hidden.to_string().contains(secret), "{secret} in {hidden}");
    }
    assert!(text.contains("http_5xx 503"), "{text}");

    let shown = json(
        &[
            "deadletter",
            "show",
            path,
            "2",
            "--reveal",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(shown["item"]["name"], "Ada Jones");
    let message = shown["error"]["message"].as_str().unwrap();
    assert!(message.contains("Ada Jones (MRN 00412)"), "{message}");
    let first = json(
        &[
            "deadletter",
            "show",
            path,
            "1",
            "--reveal",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(
        first["error"]["message"],
        serde_json::Value::Null,
        "not stored"
    );

    let missing = steadfast(&["deadletter", "show", path, "3"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no dead letter 3"));
}
