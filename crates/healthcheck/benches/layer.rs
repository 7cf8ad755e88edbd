//! The request-metrics layer's cost: one axum handler served bare and with
//! `RequestMetricsLayer` (series by route template, in-flight gauge, `X-Response-Time`), in
//! the same run, over loopback (results in docs/benchmarks.md). Peer: axum 0.8.9 with hyper
//! 1.x (`Cargo.lock` pins them), the same router, handler and body (`{"id":42}`), path
//! `/api/v1/patients/42` matching the template `/api/v1/patients/{id}`.
//!
//! In process first: the router called as a tower `Service` on one thread, bare and layered,
//! so the layer's own cost per request is the difference (no sockets, far less noise on a
//! shared machine). Then over loopback: each server on its own one-worker tokio runtime, the
//! load generator 32 keep-alive connections on another thread; criterion's time per
//! iteration is the time per request at that concurrency, and seven interleaved rounds of
//! 100 000 requests give the ratio of throughputs as a median with its spread. With `wrk`
//! installed (Debian `wrk`), nine interleaved 3 s rounds with wrk as the client give the
//! same ratio without the client sharing the server's core. And nine interleaved rounds read
//! each server's own on-CPU time (`/proc/…/schedstat` of its threads) per request: for a
//! CPU-bound server the inverse of its throughput, and the figure least moved by other
//! tenants on a shared VM.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steadfast_healthcheck::RequestMetrics;

mod support;
use support::{Served, cpu_rounds, load, ratio_rounds, serve_router, wrk_rounds};

const PATH: &str = "/api/v1/patients/42";

fn router() -> Router {
    Router::new().route(
        "/api/v1/patients/{id}",
        get(|Path(id): Path<u64>| async move { format!("{{\"id\":{id}}}") }),
    )
}

/// The router served bare (`None`), or with the layer, with or without `X-Response-Time`.
fn served(layer: Option<bool>) -> Served {
    let app = if let Some(header) = layer {
        let prom = prometheus::Registry::new();
        let layer = RequestMetrics::default()
            .response_time_header(header)
            .register(&prom, &steadfast_core::Prefix::default())
            .expect("register");
        router().layer(layer)
    } else {
        router()
    };
    serve_router(app)
}

/// The router as a service: `n` requests answered in process, one after another.
fn in_process(rt: &tokio::runtime::Runtime, app: &Router, n: u64) -> Duration {
    use tower_service::Service;
    rt.block_on(async {
        let mut app = app.clone();
        let start = std::time::Instant::now();
        for _ in 0..n {
            let request = axum::http::Request::get(PATH)
                .body(axum::body::Body::empty())
                .expect("request");
            let response = app.call(request).await.expect("infallible");
            std::hint::black_box(response);
        }
        start.elapsed()
    })
}

fn layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bare_app = router();
    let layered = |header: bool| {
        router().layer(
            RequestMetrics::default()
                .response_time_header(header)
                .register(
                    &prometheus::Registry::new(),
                    &steadfast_core::Prefix::default(),
                )
                .expect("register"),
        )
    };
    let (series_app, layered_app) = (layered(false), layered(true));
    // What any `Router::layer` costs (axum boxes the layered route again), for comparison.
    let identity_app = router().layer(tower_layer::Identity::new());
    let mut g = c.benchmark_group("request_metrics_in_process");
    g.throughput(Throughput::Elements(1));
    for (name, app) in [
        ("bare_router", &bare_app),
        ("identity_layer", &identity_app),
        ("with_layer_series_only", &series_app),
        ("with_layer_and_header", &layered_app),
    ] {
        g.bench_function(name, |b| b.iter_custom(|n| in_process(&rt, app, n)));
    }
    g.finish();
    // Paired: each round times the bare router and a layered one back to back (alternating
    // which goes first), so load from other processes hits both alike.
    for (label, app) in [
        ("series only", &series_app),
        ("series and header", &layered_app),
    ] {
        let mut extra = Vec::new();
        let mut ratios = Vec::new();
        for round in 0..9 {
            let n = 100_000;
            let (b, l) = if round % 2 == 0 {
                let b = in_process(&rt, &bare_app, n);
                (b, in_process(&rt, app, n))
            } else {
                let l = in_process(&rt, app, n);
                (in_process(&rt, &bare_app, n), l)
            };
            extra.push((l.as_secs_f64() - b.as_secs_f64()) / n as f64 * 1e9);
            ratios.push(b.as_secs_f64() / l.as_secs_f64());
        }
        extra.sort_by(f64::total_cmp);
        ratios.sort_by(f64::total_cmp);
        eprintln!(
            "in process, layer ({label}) / bare router: 9 paired rounds of 100000 calls: +{:.0} ns per request (spread {:.0}–{:.0}), ratio {:.3} (spread {:.3}–{:.3})",
            extra[4], extra[0], extra[8], ratios[4], ratios[0], ratios[8]
        );
    }

    let bare = served(None);
    let measured = served(Some(true));
    let series_only = served(Some(false));
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let mut g = c.benchmark_group("request_metrics_32_connections");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for (name, addr) in [
        ("bare_axum_handler", bare.addr),
        ("with_request_metrics_layer", measured.addr),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| load(&client_rt, addr, PATH, iters))
        });
    }
    g.finish();
    // The servers' own CPU per request: the measure least moved by other tenants' load.
    for (label, server) in [
        ("layer (series only) / bare axum handler", &series_only),
        ("layer (series and header) / bare axum handler", &measured),
    ] {
        if cpu_rounds(&client_rt, label, (&bare, PATH), (server, PATH), 9, 100_000).is_none() {
            eprintln!("server CPU: skipped — /proc/thread-self is not readable here");
        }
    }
    ratio_rounds(
        &client_rt,
        "layer / bare axum handler",
        (bare.addr, PATH),
        (measured.addr, PATH),
        7,
        100_000,
    );
    // The same ratio with wrk as the client: a process of its own, so client and server
    // do not share one core's time slices (the in-process client above does).
    if wrk_rounds(
        "layer / bare axum handler",
        (bare.addr, PATH),
        (measured.addr, PATH),
        9,
        3,
    )
    .is_none()
    {
        eprintln!("wrk: skipped — not installed (apt-get install wrk)");
    }
}

criterion_group!(benches, layer);
criterion_main!(benches);
