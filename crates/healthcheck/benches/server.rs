//! The health server under load over loopback, against a bare axum handler returning the
//! same JSON, in one run (results in docs/benchmarks.md).
//!
//! Each server runs on its own tokio runtime with one worker thread; the load generator is a
//! Rust HTTP/1.1 client on another thread: 32 keep-alive connections, each sending a request
//! and reading the answer in a loop. Criterion's time per iteration is the time per request
//! at that concurrency, so its inverse is requests per second. `/health` carries five checks
//! answered from their cached results; one has a 5 s TTL and its runs are counted. With
//! `wrk` on the PATH (Debian package `wrk`) the same endpoints are also measured by wrk for
//! 3 s each and printed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steadfast_healthcheck::{
    CheckOutput, Group, Health, HealthRegistry, Registration, ServerOptions, serve,
};
mod support;
use support::{
    Served, client, cpu_rounds, load, on_own_runtime, ratio_rounds, serve_router, wrk_rounds,
};

fn ours(runs: Arc<AtomicU64>) -> (Served, Health) {
    let (health_tx, health_rx) = std::sync::mpsc::channel();
    let served = on_own_runtime(move || async move {
        let mut registry = HealthRegistry::new()
            .version("0.1.0")
            .service_id("bench")
            .register(
                Registration::new("process:alive", || async { CheckOutput::pass() })
                    .groups([Group::Live]),
            )
            .expect("register")
            .register(
                Registration::new("fhir:metadata", move || {
                    runs.fetch_add(1, Relaxed);
                    async { CheckOutput::pass().observed(12.0, "ms") }
                })
                .ttl(Duration::from_secs(5)),
            )
            .expect("register");
        for name in ["disk:utilization", "memory:available", "postgres:ping"] {
            registry = registry
                .register(Registration::new(name, || async {
                    CheckOutput::pass().observed(0.42, "ratio")
                }))
                .expect("register");
        }
        let prom = prometheus::Registry::new();
        let health = registry
            .metrics(&prom, &steadfast_core::Prefix::default())
            .expect("metrics")
            .start();
        health.first_round(Duration::from_secs(2)).await;
        health_tx.send(health.clone()).expect("send health");
        let options = ServerOptions {
            metrics: Some(prom),
            drain: Duration::ZERO,
            ..ServerOptions::default()
        };
        let server = serve(health, "127.0.0.1:0".parse().expect("addr"), options)
            .await
            .expect("serve");
        let addr = server.addr;
        let keep: Box<dyn FnOnce() + Send> = Box::new(move || drop(server));
        (addr, keep)
    });
    (served, health_rx.recv().expect("health"))
}

fn bare(live: String, all: String) -> Served {
    let json = |body: String| {
        move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/health+json")], body) }
        }
    };
    serve_router(
        Router::new()
            .route("/health/live", get(json(live)))
            .route("/health", get(json(all))),
    )
}

fn server(c: &mut Criterion) {
    let runs = Arc::new(AtomicU64::new(0));
    let (ours_served, _health) = ours(Arc::clone(&runs));
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    // The bare handler answers exactly our bodies.
    let body = |path| {
        String::from_utf8(client_rt.block_on(client(ours_served.addr, path, 1))).expect("utf-8")
    };
    let bare_served = bare(body("/health/live"), body("/health"));
    let started = Instant::now();
    let runs_before = runs.load(Relaxed);

    let mut g = c.benchmark_group("health_server_32_connections");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for (name, addr, path) in [
        ("bare_axum_live", bare_served.addr, "/health/live"),
        ("steadfast_live", ours_served.addr, "/health/live"),
        ("bare_axum_health_5_checks", bare_served.addr, "/health"),
        (
            "steadfast_health_5_cached_checks",
            ours_served.addr,
            "/health",
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| load(&client_rt, addr, path, iters))
        });
    }
    g.finish();

    for (label, path) in [
        ("steadfast / bare axum, /health/live", "/health/live"),
        ("steadfast / bare axum, /health", "/health"),
    ] {
        ratio_rounds(
            &client_rt,
            label,
            (bare_served.addr, path),
            (ours_served.addr, path),
            7,
            100_000,
        );
    }

    // Each server's own CPU per request: the measure least moved by other tenants' load.
    for (label, path) in [
        ("steadfast / bare axum, /health/live", "/health/live"),
        ("steadfast / bare axum, /health", "/health"),
    ] {
        if cpu_rounds(
            &client_rt,
            label,
            (&bare_served, path),
            (&ours_served, path),
            9,
            100_000,
        )
        .is_none()
        {
            eprintln!("server CPU: skipped — /proc/thread-self is not readable here");
            break;
        }
    }

    let elapsed = started.elapsed();
    let ran = runs.load(Relaxed) - runs_before;
    eprintln!(
        "the 5 s TTL check ran {ran} times in {:.1} s of load (at most {} allowed)",
        elapsed.as_secs_f64(),
        elapsed.as_secs() / 5 + 1
    );
    // The same ratios with wrk as the client, a process of its own.
    for (label, path) in [
        ("/health/live ours / bare axum", "/health/live"),
        ("/health ours / bare axum", "/health"),
    ] {
        let rounds = wrk_rounds(
            label,
            (bare_served.addr, path),
            (ours_served.addr, path),
            9,
            3,
        );
        if rounds.is_none() {
            eprintln!("wrk: skipped — not installed (apt-get install wrk)");
            break;
        }
    }
}

criterion_group!(benches, server);
criterion_main!(benches);
