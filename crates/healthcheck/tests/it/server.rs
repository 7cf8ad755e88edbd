//! The server over real connections: bodies, headers, details, shutdown order.

use std::time::Duration;

use steadfast_healthcheck::{
    CheckOutput, External, Group, HealthRegistry, Registration, ServerOptions, ShowDetails, serve,
};

use crate::get;

fn registry() -> HealthRegistry {
    HealthRegistry::new()
        .version("0.1.0")
        .service_id("demo-worker")
        .register(
            Registration::new("process:alive", || async { CheckOutput::pass() })
                .groups([Group::Live]),
        )
        .unwrap()
        .register(Registration::new("disk:utilization", || async {
            CheckOutput::pass().observed(42.5, "percent")
        }))
        .unwrap()
        .register(
            Registration::new(
                "postgres:connections",
                External(|| async {
                    CheckOutput::fail("connection refused").observed(0.0, "connections")
                }),
            )
            .groups([Group::Ready]),
        )
        .unwrap()
}

fn redact(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let mut v = v;
    if let Some(checks) = v["checks"].as_object_mut() {
        for results in checks.values_mut() {
            for r in results.as_array_mut().unwrap() {
                if r.get("time").is_some() {
                    r["time"] = "<time>".into();
                }
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

#[tokio::test]
async fn bodies_headers_and_withheld_reasons() {
    let health = registry().start();
    health.first_round(Duration::from_secs(1)).await;
    let options = ServerOptions {
        show_details: ShowDetails::WhenAuthorized("s3cret".into()),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();

    let (status, headers, body) = get(server.addr, "/health", None).await;
    assert_eq!(status, 503);
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/health+json")
    );
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    // Seconds, as the layer an application uses writes it: `0.000029`.
    let took = header("x-response-time").unwrap();
    assert!(
        took.parse::<f64>().is_ok_and(|s| s < 10.0) && took.contains('.'),
        "{took}"
    );
    insta::assert_snapshot!("public_health", redact(&body));

    let (_, _, body) = get(server.addr, "/health", Some("s3cret")).await;
    insta::assert_snapshot!("authorized_health", redact(&body));
    let (_, _, body) = get(server.addr, "/health", Some("wrong")).await;
    assert!(body.contains("reason withheld"));

    assert_eq!(get(server.addr, "/health/live", None).await.0, 200);
    assert_eq!(get(server.addr, "/health/ready", None).await.0, 503);
    // Exact paths only.
    assert_eq!(get(server.addr, "/health/", None).await.0, 404);
    assert_eq!(get(server.addr, "/health/live/x", None).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_turns_readiness_first_then_closes() {
    let health = HealthRegistry::new()
        .register(
            Registration::new("process:alive", || async { CheckOutput::pass() })
                .groups([Group::Live, Group::Ready]),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    let options = ServerOptions {
        drain: Duration::from_millis(300),
        ..ServerOptions::default()
    };
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let addr = server.addr;
    assert_eq!(get(addr, "/health/ready", None).await.0, 200);
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Draining: not ready, still alive, still answering.
    let (status, _, body) = get(addr, "/health/ready", None).await;
    assert_eq!(status, 503);
    assert!(body.contains("shutting down"));
    assert_eq!(get(addr, "/health/live", None).await.0, 200);
    stopping.await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "closed after the drain"
    );
}

#[tokio::test]
async fn metrics_are_served_in_prometheus_text_format() {
    let registry = prometheus::Registry::new();
    let c = prometheus::IntCounter::new("steadfast_demo_total", "A demo counter.").unwrap();
    registry.register(Box::new(c.clone())).unwrap();
    c.inc();
    let health = HealthRegistry::new().start();
    let options = ServerOptions {
        metrics: Some(registry),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let (status, headers, body) = get(server.addr, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/plain; version=0.0.4"))
    );
    assert!(body.contains("steadfast_demo_total 1"));
    server.shutdown().await;
}

#[tokio::test]
async fn no_header_read_timeout_or_drain_can_overflow_the_clock() {
    let health = HealthRegistry::new()
        .register(
            Registration::new("process:alive", || async { CheckOutput::pass() })
                .groups([Group::Live])
                .timeout(Duration::MAX)
                .ttl(Duration::MAX)
                .max_stale(Duration::MAX),
        )
        .unwrap()
        .register(
            Registration::new("disk:utilization", || async { CheckOutput::pass() })
                .interval(Duration::MAX),
        )
        .unwrap()
        .start();
    health.first_round(Duration::MAX).await;
    let options = ServerOptions {
        header_read_timeout: Duration::MAX,
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/health/live", None).await.0, 200);
    }
    assert_eq!(get(server.addr, "/health", None).await.0, 200);
    server.shutdown().await;
}
