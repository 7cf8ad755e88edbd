//! What the server tells Prometheus, and how it protects itself: check series updated when
//! checks finish (never by a scrape), request series by route/method/status, the
//! header-read timeout, the runtime stall check, pool details, the internal listener.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use steadfast_core::Status;
use steadfast_healthcheck::{
    Check, CheckOutput, Group, HealthRegistry, PoolCheck, PoolStats, PoolStatus, Registration,
    RuntimeStallCheck, ServerOptions, ShowDetails, serve,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::get;

/// The value of the series `name{labels}` in a text exposition (labels as printed).
pub(crate) fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn scrapes_never_run_checks_and_series_follow_finished_checks() {
    let prom = prometheus::Registry::new();
    let runs = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&runs);
    let health = HealthRegistry::new()
        .metrics(&prom, &steadfast_core::Prefix::default())
        .unwrap()
        .register(
            Registration::new("db:ping", move || {
                let n = counted.fetch_add(1, Relaxed);
                async move {
                    if n == 0 {
                        CheckOutput::fail("connection refused")
                    } else {
                        CheckOutput::pass()
                    }
                }
            })
            .ttl(Duration::from_secs(3600)),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(2)).await;
    let options = ServerOptions {
        metrics: Some(prom),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health.clone(), "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let mut body = String::new();
    for _ in 0..20 {
        body = get(server.addr, "/metrics", None).await.2;
    }
    assert_eq!(runs.load(Relaxed), 1, "twenty scrapes ran no check");
    assert_eq!(
        sample(
            &body,
            r#"steadfast_health_check_status{check="db:ping",status="fail"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"steadfast_health_check_status{check="db:ping",status="pass"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"steadfast_health_check_runs_total{check="db:ping",outcome="completed"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"steadfast_health_check_runs_total{check="db:ping",outcome="timeout"}"#
        ),
        Some(0.0)
    );
    assert!(
        sample(
            &body,
            r#"steadfast_health_check_duration_seconds_count{check="db:ping"}"#
        ) == Some(1.0),
        "{body}"
    );
    // Twenty scrapes, counted by route, method and status on this listener.
    assert_eq!(
        sample(
            &body,
            r#"steadfast_http_requests_total{listener="main",method="GET",route="/metrics",status="200"}"#
        ),
        Some(19.0),
        "the 20th is counted after its body was rendered: {body}"
    );
    let _ = get(server.addr, "/no/such/path", None).await;
    let _ = get(server.addr, "/health/ready", None).await;
    let body = get(server.addr, "/metrics", None).await.2;
    assert_eq!(
        sample(
            &body,
            r#"steadfast_http_requests_total{listener="main",method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"steadfast_http_requests_total{listener="main",method="GET",route="/health/ready",status="503"}"#
        ),
        Some(1.0)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn slow_clients_are_cut_off_at_the_header_read_timeout() {
    let health = HealthRegistry::new().start();
    let options = ServerOptions {
        header_read_timeout: Duration::from_millis(200),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Meanwhile others are served.
    assert_eq!(get(server.addr, "/health/live", None).await.0, 200);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the half-sent request was cut off");
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    server.shutdown().await;
}

#[test]
fn a_blocked_runtime_is_seen_by_the_stall_check() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let check = RuntimeStallCheck::start(
            Duration::from_millis(10),
            Duration::from_millis(100),
            Duration::from_millis(250),
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(check.check().await.status, Status::Pass);
        // Blocking code on the only runtime thread: the probe cannot wake for 300 ms.
        tokio::spawn(async {
            let start = std::time::Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                std::hint::spin_loop();
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The probe and this task woke together; give the probe its turn.
        tokio::time::sleep(Duration::from_millis(25)).await;
        let out = check.check().await;
        assert_eq!(out.status, Status::Fail, "{out:?}");
        assert!(out.observed_value.unwrap() >= 250.0, "{out:?}");
        // The window restarts after each check.
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(check.check().await.status, Status::Pass);
    });
}

struct Busy;
impl PoolStats for Busy {
    fn status(&self) -> PoolStatus {
        PoolStatus {
            size: 9,
            idle: 1,
            waiting: 2,
            max: 10,
        }
    }
}

#[tokio::test]
async fn pool_details_reach_authorised_callers_only_and_the_internal_listener() {
    let prom = prometheus::Registry::new();
    let health = HealthRegistry::new()
        .register(Registration::new("db:pool", PoolCheck::new(Busy)).groups([Group::Ready]))
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(2)).await;
    let main = ServerOptions {
        show_details: ShowDetails::WhenAuthorized("s3cret".into()),
        metrics: Some(prom.clone()),
        serve_metrics: false,
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let internal = ServerOptions {
        show_details: ShowDetails::Always,
        metrics: Some(prom),
        listener: "internal".into(),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let public = serve(health.clone(), "127.0.0.1:0".parse().unwrap(), main)
        .await
        .unwrap();
    let private = serve(health, "127.0.0.1:0".parse().unwrap(), internal)
        .await
        .unwrap();

    let (status, _, body) = get(public.addr, "/health/ready", None).await;
    assert_eq!(
        status, 200,
        "a waiting pool warns, it does not fail readiness"
    );
    assert!(
        !body.contains("pool_waiting") && body.contains("reason withheld"),
        "{body}"
    );
    let (_, _, body) = get(public.addr, "/health/ready", Some("s3cret")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["checks"]["db:pool"][0]["details"]["pool_waiting"], 2.0);
    assert_eq!(
        v["checks"]["db:pool"][0]["output"],
        "pool exhausted: callers waiting"
    );
    assert_eq!(
        get(public.addr, "/metrics", None).await.0,
        404,
        "the public listener serves probes only"
    );

    let (_, _, body) = get(private.addr, "/health", None).await;
    assert!(body.contains("\"pool_in_use\": 8.0"), "{body}");
    let (status, _, metrics) = get(private.addr, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"listener="main""#) && metrics.contains(r#"listener="internal""#),
        "{metrics}"
    );
    public.shutdown().await;
    private.shutdown().await;
}

#[derive(Debug)]
struct SreGroup;
impl steadfast_healthcheck::Authorizer for SreGroup {
    fn may_see_details(&self, headers: &axum::http::HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer sre")
    }
}

#[tokio::test]
async fn a_custom_authorizer_decides_who_sees_details() {
    let health = HealthRegistry::new()
        .register(Registration::new("db:pool", PoolCheck::new(Busy)))
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(2)).await;
    let options = ServerOptions {
        show_details: ShowDetails::With(Arc::new(SreGroup)),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    assert!(!format!("{:?}", ShowDetails::WhenAuthorized("tok".into())).contains("tok"));
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    assert!(
        !get(server.addr, "/health", None)
            .await
            .2
            .contains("pool_waiting")
    );
    assert!(
        !get(server.addr, "/health", Some("other"))
            .await
            .2
            .contains("pool_waiting")
    );
    assert!(
        get(server.addr, "/health", Some("sre"))
            .await
            .2
            .contains("pool_waiting")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_result_too_old_turns_its_status_series_fail_at_the_next_scrape() {
    let prom = prometheus::Registry::new();
    let calls = Arc::new(AtomicU64::new(0));
    let check = move || {
        let n = calls.fetch_add(1, Relaxed);
        async move {
            if n > 0 {
                std::future::pending::<()>().await; // a stuck refresher
            }
            CheckOutput::pass()
        }
    };
    let health = HealthRegistry::new()
        .metrics(&prom, &steadfast_core::Prefix::default())
        .unwrap()
        .register(
            Registration::new("db:ping", check)
                .interval(Duration::from_millis(50))
                .timeout(Duration::from_secs(3600))
                .max_stale(Duration::from_millis(200)),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(2)).await;
    let options = ServerOptions {
        metrics: Some(prom),
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let fail = r#"steadfast_health_check_status{check="db:ping",status="fail"}"#;
    assert_eq!(
        sample(&get(server.addr, "/metrics", None).await.2, fail),
        Some(0.0)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = get(server.addr, "/metrics", None).await.2;
    assert_eq!(sample(&body, fail), Some(1.0), "{body}");
    server.shutdown().await;
}
