//! The instrumented client's cost (results in docs/benchmarks.md): a `SELECT 1` round trip
//! to PostgreSQL on 127.0.0.1 through the bare `tokio-postgres` 0.7 client and through
//! `InstrumentedClient` over the same connection, in the same run; and the instrumentation
//! alone (statement lookup by text, two clock reads, the counters) without the network,
//! which the round-trip medians' noise can hide. Runs against `STEADFAST_TEST_PG` when set,
//! else a PostgreSQL the bench starts in a temporary directory (testkit); skipped when
//! neither is there.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    missing_docs,
    clippy::cast_precision_loss,
    reason = "a bench: set-up failures panic; the server URL comes from the environment"
)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use steadfast_db::DbObserver;
use tokio_postgres::NoTls;

/// Interleaved bare/instrumented pairs after the criterion groups.
const PAIRS: usize = 20_000;

fn bench(c: &mut Criterion) {
    let ca = steadfast_testkit::tls::TestCa::new();
    let mut server = None;
    let url = match std::env::var("STEADFAST_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => url,
        None => {
            let Some(s) = steadfast_testkit::servers::postgres(&ca) else {
                return;
            };
            let url = format!(
                "host=127.0.0.1 port={} user=postgres dbname=postgres",
                s.port
            );
            server = Some(s);
            url
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    });
    let observer = DbObserver::default();
    let db = observer.wrap(&client);

    let mut g = c.benchmark_group("select1");
    g.bench_function("bare", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(client.query("SELECT 1", &[]).await.unwrap()) });
    });
    g.bench_function("instrumented", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(db.query("SELECT 1", &[]).await.unwrap()) });
    });
    g.finish();

    // The instrumentation alone, as `InstrumentedClient::query` does it around the call.
    c.bench_function("instrumentation_only", |b| {
        b.iter(|| {
            let sql = black_box("SELECT 1");
            let start = Instant::now();
            let took = start.elapsed();
            observer.observe(sql, took, 1, None);
        });
    });
    // Interleaved pairs: the machine's drift between the two groups above is larger than
    // the cost sought, so each bare call is paired with an instrumented one.
    // The order alternates, so neither side always runs on a warmer cache.
    let (bare, instrumented) = rt.block_on(async {
        let mut bare = Vec::with_capacity(PAIRS);
        let mut instrumented = Vec::with_capacity(PAIRS);
        for i in 0..PAIRS {
            for first in [i % 2 == 0, i % 2 == 1] {
                let t = Instant::now();
                if first {
                    black_box(client.query("SELECT 1", &[]).await.unwrap());
                    bare.push(t.elapsed().as_nanos() as f64);
                } else {
                    black_box(db.query("SELECT 1", &[]).await.unwrap());
                    instrumented.push(t.elapsed().as_nanos() as f64);
                }
            }
        }
        (bare, instrumented)
    });
    let median = |mut v: Vec<f64>| {
        v.sort_unstable_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let diffs: Vec<f64> = instrumented.iter().zip(&bare).map(|(i, b)| i - b).collect();
    let (b, i, d) = (median(bare), median(instrumented), median(diffs));
    println!(
        "select1/paired ({PAIRS} interleaved pairs): median bare {:.2} µs, instrumented {:.2} µs; difference of medians {:+.2} µs, median of pair differences {:+.2} µs",
        b / 1e3,
        i / 1e3,
        (i - b) / 1e3,
        d / 1e3
    );
    drop(db);
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
