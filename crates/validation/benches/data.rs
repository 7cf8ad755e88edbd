//! Data-quality throughput against DuckDB, in one run on the same file (results in
//! docs/benchmarks.md): count per resourceType, duplicate id per type and missing required
//! fields over a ~175 MB generated FHIR NDJSON file, 2 threads each. DuckDB runs through its
//! Python package (`pip install duckdb`); without it the peer is skipped with a message.
//! Also our checks on a 1 GB file, and each side's peak memory. DuckDB is given the seven
//! columns the query reads (`columns = {…}`), so it parses what we parse and infers no
//! schema: without it, it samples the file and types twenty columns on every query, which
//! is more work than ours (issue 25's equal-work comparison).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steadfast_validation::data::generate::generate_mixed;
use steadfast_validation::data::{DataReport, DataRules};

/// The rules the SQL below is equivalent to.
const RULES: &str = r#"
verify_checksums = false
[resources.Patient]
required = ["gender", "birthDate"]
[resources.Encounter]
required = ["status", "subject.reference"]
[resources.Condition]
required = ["code.coding[0].system", "subject.reference"]
[resources.Observation]
required = ["status", "code.coding[0].system", "subject.reference"]
"#;

const DUCKDB: &str = r#"
import sys, time, resource, duckdb
path, iters = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute("SET threads = 2")
q = f"""
SELECT resourceType, count(*) AS records, count(*) - count(DISTINCT id) AS duplicate_ids,
  count(*) FILTER (WHERE resourceType = 'Patient' AND gender IS NULL) AS p_gender,
  count(*) FILTER (WHERE resourceType = 'Patient' AND birthDate IS NULL) AS p_birth,
  count(*) FILTER (WHERE resourceType = 'Encounter' AND status IS NULL) AS e_status,
  count(*) FILTER (WHERE resourceType = 'Encounter' AND subject.reference IS NULL) AS e_subject,
  count(*) FILTER (WHERE resourceType = 'Condition' AND code.coding[1].system IS NULL) AS c_system,
  count(*) FILTER (WHERE resourceType = 'Condition' AND subject.reference IS NULL) AS c_subject,
  count(*) FILTER (WHERE resourceType = 'Observation' AND status IS NULL) AS o_status,
  count(*) FILTER (WHERE resourceType = 'Observation' AND code.coding[1].system IS NULL) AS o_system,
  count(*) FILTER (WHERE resourceType = 'Observation' AND subject.reference IS NULL) AS o_subject
FROM read_json('{path}', format = 'newline_delimited', columns = {{
  resourceType: 'VARCHAR', id: 'VARCHAR', gender: 'VARCHAR', birthDate: 'VARCHAR',
  status: 'VARCHAR', subject: 'STRUCT(reference VARCHAR)',
  code: 'STRUCT(coding STRUCT(system VARCHAR)[])'}})
GROUP BY resourceType ORDER BY resourceType
"""
rows = None
start = time.perf_counter()
for _ in range(iters):
    rows = con.execute(q).fetchall()
elapsed = time.perf_counter() - start
print(int(elapsed * 1e9))
print(rows, file=sys.stderr)
print("peak_rss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"#;

fn data_file(mib: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    let path = dir.join(format!("fhir-mixed-{mib}mib-seed1.ndjson"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("create target/bench-data");
        let tmp = path.with_extension("tmp");
        generate_mixed(&tmp, 1, mib << 20).expect("generate bench data");
        std::fs::rename(&tmp, &path).expect("rename bench data");
    }
    path
}

fn summarize(report: &DataReport) -> String {
    let missing: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.check == "required" || r.check == "unique")
        .map(|r| format!("{}={}", r.name, r.violations.unwrap_or(0)))
        .collect();
    format!("{:?} {}", report.resource_types, missing.join(" "))
}

fn duckdb(path: &Path, iters: u64) -> Option<(Duration, String)> {
    let out = Command::new("python3")
        .args(["-c", DUCKDB])
        .arg(path)
        .arg(iters.to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let ns: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some((
        Duration::from_nanos(ns),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The bench file of `mib`, checked once outside the timing to print what was found and the
/// peak memory of the check; its path, size and the rules.
fn checked_once(mib: u64, label: &str) -> (PathBuf, u64, DataRules) {
    let path = data_file(mib);
    let bytes = std::fs::metadata(&path).expect("bench data").len();
    let rules = common::rules(RULES);
    common::reset_peak_rss();
    let before = common::peak_rss_mib().unwrap_or(0.0);
    let report = common::check(&rules, &path);
    let peak = common::peak_rss_mib().unwrap_or(0.0);
    eprintln!(
        "{label}: {} records, {} ; peak RSS {peak:.0} MiB ({:.0} MiB above the process before)",
        report.records(),
        summarize(&report),
        peak - before
    );
    (path, bytes, rules)
}

fn against_duckdb(c: &mut Criterion) {
    let (path, bytes, rules) = checked_once(175, "steadfast");
    let mut g = c.benchmark_group("data_quality_175mb");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("steadfast_2_threads", |b| {
        b.iter(|| common::check(&rules, &path))
    });
    match duckdb(&path, 1) {
        Some((_, result)) => {
            eprintln!("duckdb: {}", result.trim().replace('\n', " ; "));
            g.bench_function("duckdb_read_json_2_threads", |b| {
                b.iter_custom(|iters| duckdb(&path, iters).map_or(Duration::ZERO, |(d, _)| d));
            });
        }
        None => {
            eprintln!("duckdb: skipped — the Python package is not installed (pip install duckdb)")
        }
    }
    g.finish();
}

fn one_gigabyte(c: &mut Criterion) {
    let (path, bytes, rules) = checked_once(1024, "steadfast 1 GiB");
    let mut g = c.benchmark_group("data_quality_1gib");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("steadfast_2_threads", |b| {
        b.iter(|| common::check(&rules, &path))
    });
    g.finish();
}

criterion_group!(benches, against_duckdb, one_gigabyte);
criterion_main!(benches);
