//! `steadfast demo --cache`: the search GETs through a response cache — a second run
//! against the same mock data answered from Redis, the statistics in the run's
//! `metrics.ndjson` (read back through steadfast-cache's typed reader) and on its page;
//! Redis down never fails the demo; without `--cache` nothing is recorded.

use std::path::{Path, PathBuf};

use steadfast::cache::{RecordedCache, Tier};

use crate::{assert_error, assert_ok, demo, runs_in};

/// The cache's statistics as the run at `run` recorded them.
fn recorded(run: &Path) -> Option<RecordedCache> {
    let dir = steadfast::run::RunDir::open(run).unwrap();
    RecordedCache::read(&steadfast::metrics::read_run(&dir).unwrap().totals)
}

/// The page's cache section.
fn cache_section(run: &Path) -> String {
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    let start = page
        .find("<section id=\"cache\">")
        .expect("a cache section");
    let end = start + page[start..].find("</section>").unwrap();
    page[start..end].to_owned()
}

/// Runs the demo into `runs` and returns its stdout and the run it made.
fn demo_run(runs: &Path, patients: u32, extra: &[&str]) -> (String, PathBuf) {
    let before = if runs.exists() {
        runs_in(runs)
    } else {
        Vec::new()
    };
    let stdout = assert_ok(&demo(runs, patients, extra));
    let mut made: Vec<PathBuf> = runs_in(runs)
        .into_iter()
        .filter(|d| !before.contains(d))
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    (stdout, made.remove(0))
}

#[test]
fn a_second_run_against_the_same_mock_data_is_answered_from_redis() {
    let Some(redis) = steadfast_testkit::require_service("STEADFAST_TEST_REDIS", "Redis") else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    // Entries of this test only, whatever runs beside it against the same Redis.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!(
        "cache.key_prefix=\"steadfast-test:demo-cache:{}-{nanos}\"",
        std::process::id()
    );
    // A loaded machine must not turn a slow Redis write into a miss of the second run.
    let args = [
        "--cache",
        redis.as_str(),
        "--set",
        &prefix,
        "--set",
        "cache.redis_timeout=\"5s\"",
    ];
    let (first_out, first) = demo_run(&runs, 300, &args);
    assert!(
        first_out.contains("cache: search GETs through a response cache (memory, then Redis)"),
        "{first_out}"
    );
    let one = recorded(&first).expect("the first run recorded its cache");
    assert!(one.has(Tier::Memory) && one.has(Tier::Redis), "{one:?}");
    assert_eq!(one.stats.redis.hits, 0, "a fresh prefix holds nothing");
    // Every one of the 30 pages loaded (more: the faulted searches' retries load again).
    assert!(one.stats.loads >= 30, "{one:?}");

    let (second_out, second) = demo_run(&runs, 300, &args);
    let s = recorded(&second)
        .expect("the second run recorded its cache")
        .stats;
    let from_cache = s.memory.hits + s.memory.stale + s.redis.hits + s.redis.stale;
    // 300 patients: 30 pages of 10 Conditions, each a cacheable search GET asked once: from
    // Redis, or (the few misses the next assertion allows) the server's first searches,
    // which its schedule never faults — no retry. The bulk export's polls and files never
    // go through the cache.
    assert_eq!(s.requests, 30, "{s:?}");
    assert!(
        from_cache * 10 >= s.requests * 9,
        "{from_cache} of {} from the cache: {s:?}",
        s.requests
    );
    assert!(
        second_out.contains(&format!(
            "{from_cache} of {} search GETs from the cache",
            s.requests
        )),
        "{second_out}"
    );
    let section = cache_section(&second);
    assert!(
        section.contains(&format!(
            "{from_cache} of {} cacheable requests answered from the cache",
            s.requests
        )),
        "{section}"
    );
    assert!(section.contains("<tr><td>redis</td>"), "{section}");
    // The same data either way.
    let bronze = |run: &Path| std::fs::read(run.join("data/bronze/Condition.ndjson")).unwrap();
    assert_eq!(bronze(&first), bronze(&second));
}

#[test]
fn a_memory_cache_records_its_statistics_and_no_cache_records_none() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    let (stdout, run) = demo_run(&runs, 300, &["--cache", "memory"]);
    assert!(stdout.contains("  cache "), "{stdout}");
    let c = recorded(&run).expect("recorded");
    assert!(c.has(Tier::Memory) && !c.has(Tier::Redis), "{c:?}");
    let s = c.stats;
    // One run asks for each page once: nothing is answered from the cache, every answer
    // comes from the mock server, and only its 200s are stored — never the injected 503s
    // and 429s (not stored, by status) nor the dropped connections (failed loads).
    assert_eq!(s.loads, s.requests, "{s:?}");
    assert!(s.not_stored[0] >= 1 && s.load_errors >= 1, "{s:?}");
    assert_eq!(
        s.memory.inserts,
        s.requests - s.not_stored[0] - s.load_errors,
        "{s:?}"
    );
    assert!(cache_section(&run).contains("<tr><td>memory</td>"));

    // Off by default: no cache line, no cache series, and the page says so.
    let (stdout, run) = demo_run(&runs, 50, &[]);
    assert!(
        !stdout.contains("  cache ") && !stdout.contains("cache:"),
        "{stdout}"
    );
    assert!(recorded(&run).is_none());
    assert!(cache_section(&run).contains("Not recorded"));

    let out = demo(&runs, 5, &["--cache", "http://127.0.0.1:6379"]);
    assert_error(&out, 2, "expected `memory` or a Redis URL");
}

#[test]
fn redis_down_never_fails_the_demo_and_is_counted() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let url = format!("redis://{closed}");
    let (_, run) = demo_run(&root.path().join("runs"), 50, &["--cache", &url]);
    let s = recorded(&run).expect("recorded").stats;
    assert!(s.redis_errors >= 1, "{s:?}");
    assert_eq!(s.load_errors, 0, "{s:?}");
    let page = cache_section(&run);
    assert!(
        page.contains(&format!("(redis {}, decode", s.redis_errors)),
        "the errors on the page: {page}"
    );
}
