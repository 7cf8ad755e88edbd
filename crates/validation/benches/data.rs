//! Data-quality throughput against DuckDB, in one run on the same file (results in
//! docs/benchmarks.md): count per resourceType, duplicate id per type and missing required
//! fields over a ~175 MB generated FHIR NDJSON file, 2 threads each. DuckDB runs through its
//! Python package (`pip install duckdb`); without it the peer is skipped with a message.
//! Also our checks on a 1 GB file, and each side's peak memory. DuckDB is given the seven
//! columns the query reads (`columns = {…}`), so it parses what we parse and infers no
//! schema: without it, it samples the file and types twenty columns on every query, which
//! is more work than ours (issue 25's equal-work comparison). Before the criterion groups,
//! the issue's own method on the 175 MB file: ours a cold process (this bench started again
//! as a child that checks the file once), DuckDB its best of three warm runs, interleaved
//! over seven rounds.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
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
each = []
for _ in range(iters):
    start = time.perf_counter()
    rows = con.execute(q).fetchall()
    each.append(int((time.perf_counter() - start) * 1e9))
print(" ".join(map(str, each)))
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

/// `iters` runs of the SQL in one DuckDB connection: each run's time, and what it printed.
fn duckdb_runs(path: &Path, iters: u64) -> Option<(Vec<Duration>, String)> {
    let out = Command::new("python3")
        .args(["-c", DUCKDB])
        .arg(path)
        .arg(iters.to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let each = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|ns| ns.parse().map(Duration::from_nanos))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some((each, String::from_utf8_lossy(&out.stderr).into_owned()))
}

/// `iters` runs of the SQL: their total time, and what DuckDB printed.
fn duckdb(path: &Path, iters: u64) -> Option<(Duration, String)> {
    duckdb_runs(path, iters).map(|(each, text)| (each.iter().sum(), text))
}

/// The argument a child process of this bench is started with: check the file after it
/// once and exit.
const ONE_CHECK: &str = "--steadfast-one-check";

/// Issue 25's method: ours a cold process (this bench run again as a child that checks the
/// file once, timed from spawn to exit), DuckDB the best of three warm runs (one more run
/// first, discarded), interleaved round by round; medians of the rounds.
fn cold_against_warm_duckdb(path: &Path) {
    const ROUNDS: usize = 7;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for _ in 0..3 {
            let start = std::time::Instant::now();
            let status = Command::new(std::env::current_exe().expect("the bench's path"))
                .arg(ONE_CHECK)
                .arg(path)
                .status()
                .expect("run the bench as a child");
            assert!(status.success(), "the cold check failed");
            ours.push(start.elapsed());
        }
        let Some((runs, _)) = duckdb_runs(path, 4) else {
            eprintln!("cold process vs DuckDB: skipped — no DuckDB (pip install duckdb)");
            return;
        };
        theirs.extend(runs.iter().skip(1).min());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    eprintln!(
        "cold process vs DuckDB (best of 3 warm), {ROUNDS} interleaved rounds, medians: \
         steadfast {:.1} ms, DuckDB {:.1} ms, {:.2}x",
        ours.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3,
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
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
            cold_against_warm_duckdb(&path);
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

fn main() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == ONE_CHECK)
        && let Some(path) = args.next()
    {
        common::check(&common::rules(RULES), Path::new(&path));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
