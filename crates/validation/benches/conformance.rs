//! FHIR R4 base conformance throughput (issue 25; results in docs/benchmarks.md): our
//! `DataCheck` with `conformance = "r4"`, in process, 2 threads, over 1 GiB of mixed R4 NDJSON
//! from `conformance_gen::write_records` (seed 25, no faults), in resources/s, with the peak
//! memory of the check; then `@medplum/core`'s `validateResource` (node,
//! `tests/medplum/validate.mjs --time`) over the first 20,000 records of the same file, its
//! records/s and the ratio. Without node or the oracle's node_modules
//! (`npm ci --prefix crates/validation/tests/medplum`) the peer is skipped with a message.

mod common;

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steadfast_validation::data::DataReport;
use steadfast_validation::data::conformance_gen::{ConformanceSpec, write_records};

const RULES: &str = r#"
verify_checksums = false
conformance = "r4"
"#;

/// The generator's seed and the file's target size.
const SEED: u64 = 25;
const BYTES: u64 = 1 << 30;
/// Records of the file given to Medplum (it runs at a few thousand records/s).
const MEDPLUM_RECORDS: usize = 20_000;

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
}

/// Writes `path` through a temporary file, fsynced and renamed.
fn write_atomically(path: &Path, fill: impl FnOnce(&mut BufWriter<std::fs::File>)) {
    std::fs::create_dir_all(bench_dir()).expect("create target/bench-data");
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).expect("create bench data");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    fill(&mut out);
    let file = out.into_inner().expect("flush bench data");
    file.sync_all().expect("fsync bench data");
    std::fs::rename(&tmp, path).expect("rename bench data");
}

/// The records that make about [`BYTES`]: the generator's mean line length over its first
/// 10,000 records (the same seed gives the same records, whatever the count).
fn records_for_size() -> usize {
    let sample = 10_000;
    let spec = ConformanceSpec {
        seed: SEED,
        records: sample,
        faulted_percent: 0,
    };
    let seeded = write_records(std::io::sink(), &spec).expect("sample");
    usize::try_from(BYTES * sample as u64 / seeded.bytes).expect("records")
}

/// The 1 GiB file and its record count.
fn data_file() -> (PathBuf, usize) {
    let records = records_for_size();
    let path = bench_dir().join(format!("fhir-r4-conformance-{records}-seed{SEED}.ndjson"));
    if !path.exists() {
        let spec = ConformanceSpec {
            seed: SEED,
            records,
            faulted_percent: 0,
        };
        write_atomically(&path, |out| {
            write_records(out, &spec).expect("generate bench data");
        });
    }
    (path, records)
}

/// The first [`MEDPLUM_RECORDS`] lines of `big`.
fn prefix_file(big: &Path) -> PathBuf {
    let name = big.file_stem().and_then(|s| s.to_str()).unwrap_or("data");
    let path = bench_dir().join(format!("{name}-first{MEDPLUM_RECORDS}.ndjson"));
    if !path.exists() {
        let input = BufReader::new(std::fs::File::open(big).expect("open bench data"));
        write_atomically(&path, |out| {
            for line in input.split(b'\n').take(MEDPLUM_RECORDS) {
                out.write_all(&line.expect("read bench data"))
                    .expect("write");
                out.write_all(b"\n").expect("write");
            }
        });
    }
    path
}

/// The `fhir.*` rules and their violations (all 0 on this fault-free file).
fn summarize(report: &DataReport) -> String {
    let found: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.check == "conformance")
        .map(|r| format!("{}={}", r.name, r.violations.unwrap_or(0)))
        .collect();
    format!("{:?} {}", report.resource_types, found.join(" "))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Medplum's records/s over `path`, or why it was skipped.
fn medplum(path: &Path) -> Result<f64, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/medplum");
    if !dir.join("node_modules/@medplum/core").exists() {
        return Err("its node_modules are missing \
             (npm ci --prefix crates/validation/tests/medplum)"
            .into());
    }
    let out = Command::new("node")
        .arg(dir.join("validate.mjs"))
        .arg("--time")
        .arg(path)
        .output()
        .map_err(|e| format!("node did not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable output: {e}"))?;
    let records = json["records"].as_f64().ok_or("no records")?;
    let seconds = json["seconds"].as_f64().ok_or("no seconds")?;
    Ok(records / seconds)
}

fn conformance(c: &mut Criterion) {
    let (path, records) = data_file();
    let bytes = std::fs::metadata(&path).expect("bench data").len();
    let rules = common::rules(RULES);
    eprintln!(
        "input: {} ({records} records, {bytes} bytes, seed {SEED}, no faults)",
        path.display()
    );

    // Timed outside criterion too, three times, for the ratio printed below.
    let mut rates = Vec::new();
    for run in 1..=3 {
        common::reset_peak_rss();
        let before = common::peak_rss_mib().unwrap_or(0.0);
        let start = Instant::now();
        let report = common::check(&rules, &path);
        let secs = start.elapsed().as_secs_f64();
        let peak = common::peak_rss_mib().unwrap_or(0.0);
        assert_eq!(report.records(), records as u64, "records checked");
        let rate = records as f64 / secs;
        eprintln!(
            "steadfast run {run}: {secs:.3} s, {rate:.0} resources/s; peak RSS {peak:.0} MiB \
             ({:.0} MiB above the process before); {}",
            peak - before,
            summarize(&report)
        );
        rates.push(rate);
    }
    let ours = median(rates);
    eprintln!("steadfast median: {ours:.0} resources/s");

    let prefix = prefix_file(&path);
    let mut peer = Vec::new();
    for run in 1..=3 {
        match medplum(&prefix) {
            Ok(rate) => {
                eprintln!("medplum run {run}: {rate:.0} records/s ({MEDPLUM_RECORDS} records)");
                peer.push(rate);
            }
            Err(why) => {
                eprintln!("medplum: skipped — {why}");
                break;
            }
        }
    }
    if !peer.is_empty() {
        let theirs = median(peer);
        eprintln!(
            "medplum median: {theirs:.0} records/s; ratio steadfast / medplum: {:.1}×",
            ours / theirs
        );
    }

    let mut g = c.benchmark_group("conformance_r4_1gib");
    g.throughput(Throughput::Elements(records as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(60));
    g.bench_function("steadfast_2_threads", |b| {
        b.iter(|| common::check(&rules, &path))
    });
    g.finish();
}

criterion_group!(benches, conformance);
criterion_main!(benches);
