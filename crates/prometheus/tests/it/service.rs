//! The service rules read only series a real service exports: the health server (its
//! checks, its request metrics, the process's memory) and a pool's `PoolMetrics`, all under
//! one prefix in one registry, as `steadfast health serve` and an application do.

use std::io::{Read, Write};

use steadfast_core::Prefix;
use steadfast_healthcheck::{
    CheckOutput, HealthRegistry, PoolMetrics, PoolStats, PoolStatus, Registration, ServerOptions,
};
use steadfast_prometheus::{AlertInputs, watched_series};

struct Pool;

impl PoolStats for Pool {
    fn status(&self) -> PoolStatus {
        PoolStatus {
            size: 4,
            idle: 1,
            waiting: 0,
            max: 10,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn every_series_the_service_rules_read_is_exported_by_a_service() {
    let prefix = Prefix::new("acme").unwrap();
    let registry = prometheus::Registry::new();
    let health = HealthRegistry::new()
        .metrics(&registry, &prefix)
        .unwrap()
        .register(Registration::new("db:ping", || async {
            CheckOutput::pass()
        }))
        .unwrap()
        .start();
    let _pool = PoolMetrics::new("db", Pool)
        .register(&registry, &prefix)
        .unwrap();
    // A service with a response cache registers its series too.
    #[cfg(feature = "cache")]
    steadfast_cache::Cache::builder()
        .build()
        .unwrap()
        .register_prometheus(&registry, &prefix)
        .unwrap();
    let options = ServerOptions {
        metrics: Some(registry.clone()),
        prefix: prefix.clone(),
        drain: std::time::Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = steadfast_healthcheck::serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    // One request, so its route's latency histogram exists.
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    })
    .await
    .unwrap();

    let present: Vec<String> = registry
        .gather()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    let thresholds = steadfast_validation::Thresholds::default();
    let inputs = AlertInputs::new(&thresholds).prefix(prefix);
    let mut checked = 0;
    for watched in watched_series(&inputs) {
        if watched.group != "steadfast-service" {
            continue;
        }
        for names in &watched.families {
            assert!(
                names.iter().any(|n| present.contains(n)),
                "{} reads {names:?}; the service exports {present:?}",
                watched.alert
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} series checked");
    server.shutdown().await;
}
