//! JSON-document (MRF) validation throughput against the peers issue 24 names, in one run on
//! the same files (results in docs/benchmarks.md): our streaming check of the CMS
//! in-network schema (2.1.0) against the Rust `jsonschema` crate (whole file parsed into a
//! `serde_json::Value`, then `iter_errors`, one thread — it has no streaming mode) on a
//! compact ~128 MB and a pretty-printed ~48 MB generated in-network file (seeds 24 and 7,
//! `document::tic::generate`); the same check with the TiC checks beside the schema; the
//! `.gz` of the compact file against `zcat` to /dev/null; and, outside criterion (it is too
//! slow for repeated samples), Python `jsonschema` (Draft7Validator with its format
//! checker) on the largest file it finishes in reasonable time, printed as one line.
//! Both sides do the same work: the schema only, every error counted; each file is valid,
//! and each side is asserted to say so before it is timed.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steadfast_core::Timestamp;
use steadfast_validation::document::RuleSet;
use steadfast_validation::document::tic::generate::{InNetworkSpec, write_in_network};

const COMPACT_BYTES: u64 = 128 << 20;
const PRETTY_BYTES: u64 = 48 << 20;
const PYTHON_BYTES: u64 = 8 << 20;

fn generate(dir: &Path, name: &str, seed: u64, target_bytes: u64, pretty: bool) -> PathBuf {
    let path = dir.join(name);
    let spec = InNetworkSpec {
        seed,
        target_bytes,
        pretty,
        ..InNetworkSpec::default()
    };
    let mut out = BufWriter::new(File::create(&path).expect("bench file"));
    write_in_network(&mut out, &spec).expect("generate");
    out.flush().expect("flush");
    path
}

fn gzip(path: &Path) -> PathBuf {
    let gz = path.with_extension("json.gz");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "gzip -1 -c '{}' > '{}'",
            path.display(),
            gz.display()
        ))
        .status()
        .expect("gzip");
    assert!(status.success(), "gzip failed");
    gz
}

fn rules() -> RuleSet {
    RuleSet::named("tic-in-network").expect("built in")
}

fn ours(path: &Path, threads: usize) -> u64 {
    let rules = rules();
    let schema = rules.compile().expect("schema");
    let report = rules
        .document_check(&schema)
        .threads(threads)
        .run(path)
        .expect("check");
    assert_eq!(report.exit_code(), 0, "the bench file must be valid");
    report.total_records()
}

fn ours_with_checks(path: &Path, threads: usize) -> u64 {
    let rules = rules();
    let schema = rules.compile().expect("schema");
    let today: Timestamp = "2026-01-01T00:00:00Z".parse().expect("date");
    let run = rules
        .run(
            &rules.document_check(&schema).threads(threads),
            path,
            today,
            false,
        )
        .expect("check");
    run.report.total_records()
}

fn peer(validator: &jsonschema::Validator, path: &Path) -> usize {
    let bytes = std::fs::read(path).expect("read");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("parse");
    let errors = validator.iter_errors(&value).count();
    assert_eq!(errors, 0, "the bench file must be valid for the peer too");
    errors
}

fn peer_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(steadfast_validation::document::tic::IN_NETWORK_SCHEMA)
            .expect("schema");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("peer schema")
}

const PYTHON: &str = r"
import json, sys, time, importlib.metadata as m
from jsonschema import Draft7Validator
schema = json.load(open(sys.argv[1]))
start = time.perf_counter()
doc = json.load(open(sys.argv[2]))
v = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
n = sum(1 for _ in v.iter_errors(doc))
print(m.version('jsonschema'), n, time.perf_counter() - start)
";

/// Python jsonschema on a small file, timed once, beside ours on the same file.
fn python_once(dir: &Path) {
    let path = generate(dir, "python.json", 11, PYTHON_BYTES, false);
    let schema = dir.join("schema.json");
    steadfast_core::atomic_write(
        &schema,
        steadfast_validation::document::tic::IN_NETWORK_SCHEMA,
    )
    .expect("schema");
    let out = Command::new("python3")
        .args(["-c", PYTHON])
        .arg(&schema)
        .arg(&path)
        .stderr(Stdio::inherit())
        .output();
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let mut ours_best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        ours(&path, 2);
        ours_best = ours_best.min(start.elapsed());
    }
    match out {
        Ok(out) if out.status.success() => {
            let line = String::from_utf8_lossy(&out.stdout);
            println!(
                "python jsonschema on {bytes} bytes: version, errors, seconds = {}; ours (2 threads, best of 3): {:.3} s",
                line.trim(),
                ours_best.as_secs_f64()
            );
        }
        _ => println!("python jsonschema: not run (python3 -c 'import jsonschema' failed)"),
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let compact = generate(dir.path(), "compact.json", 24, COMPACT_BYTES, false);
    let pretty = generate(dir.path(), "pretty.json", 7, PRETTY_BYTES, true);
    let gz = gzip(&compact);
    let validator = peer_validator();

    for (name, path) in [("compact", &compact), ("pretty", &pretty)] {
        let bytes = std::fs::metadata(path).expect("size").len();
        let mut g = c.benchmark_group(format!("document_{name}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(20))
            .throughput(Throughput::Bytes(bytes));
        g.bench_function("steadfast_2_threads", |b| b.iter(|| ours(path, 2)));
        g.bench_function("steadfast_1_thread", |b| b.iter(|| ours(path, 1)));
        g.bench_function("jsonschema_crate", |b| b.iter(|| peer(&validator, path)));
        if name == "compact" {
            g.bench_function("steadfast_with_tic_checks_2_threads", |b| {
                b.iter(|| ours_with_checks(path, 2));
            });
        }
        g.finish();
    }

    let mut g = c.benchmark_group("document_gz");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(
            std::fs::metadata(&compact).expect("size").len(),
        ));
    g.bench_function("steadfast_2_threads", |b| b.iter(|| ours(&gz, 2)));
    g.bench_function("zcat_to_dev_null", |b| {
        b.iter(|| {
            let status = Command::new("zcat")
                .arg(&gz)
                .stdout(Stdio::null())
                .status()
                .expect("zcat");
            assert!(status.success());
        });
    });
    g.finish();

    python_once(dir.path());
}

criterion_group!(benches, bench);
criterion_main!(benches);
