//! `Health::router()` nested in a user's own axum application under `/api/v1/health`:
//! per-check routes, a custom group at its own path, kube-apiserver's `?exclude=` and
//! `?verbose` with reasons withheld from unauthorised callers, and the status → code map.

use std::net::SocketAddr;
use std::time::Duration;

use steadfast_healthcheck::{
    CheckOutput, External, Group, Health, HealthRegistry, Registration, RouterOptions, ShowDetails,
    StatusCodes,
};

use crate::get;

async fn health() -> Health {
    let health = HealthRegistry::new()
        .register(
            Registration::new("process:alive", || async { CheckOutput::pass() })
                .groups([Group::Live, Group::Ready]),
        )
        .unwrap()
        .register(Registration::new(
            "db:ping",
            External(|| async { CheckOutput::fail("connection refused") }),
        ))
        .unwrap()
        .register(
            Registration::new("cache:ping", || async {
                CheckOutput::warn("slow answer").observed(812.0, "ms")
            })
            .critical(false),
        )
        .unwrap()
        .register(
            Registration::new("pipeline:staleness", || async { CheckOutput::pass() })
                .groups([Group::Custom("batch".into())]),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    health
}

/// The user's application: their own routes, health nested under their prefix (and a
/// second mount whose warn answers 503).
async fn app(health: &Health) -> SocketAddr {
    let options = RouterOptions {
        show_details: ShowDetails::WhenAuthorized("t0ken".into()),
        ..RouterOptions::default()
    };
    let strict = RouterOptions {
        status_codes: StatusCodes::default().warn(503),
        ..RouterOptions::default()
    };
    let app = axum::Router::new()
        .route("/api/v1/patients", axum::routing::get(|| async { "[]" }))
        .nest("/api/v1/health", health.router_with(options))
        .nest("/strict", health.router_with(strict));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn nested_under_a_prefix_with_exclude_and_verbose() {
    let health = health().await;
    let addr = app(&health).await;
    let status = |path: &'static str| async move { get(addr, path, None).await.0 };

    assert_eq!(status("/api/v1/patients").await, 200);
    assert_eq!(status("/api/v1/health").await, 503);
    assert_eq!(status("/api/v1/health/live").await, 200);
    assert_eq!(status("/api/v1/health/ready").await, 503);
    // Excluding the failing dependency leaves a warning: 200 here, 503 where warn maps so.
    assert_eq!(status("/api/v1/health/ready?exclude=db:ping").await, 200);
    assert_eq!(status("/strict/ready?exclude=db%3Aping").await, 503);
    assert_eq!(
        status("/strict/ready?exclude=db:ping&exclude=cache:ping").await,
        200
    );
    // Per-check routes and a custom group at its own path.
    assert_eq!(status("/api/v1/health/checks/db:ping").await, 503);
    assert_eq!(status("/api/v1/health/checks/process:alive").await, 200);
    assert_eq!(status("/api/v1/health/checks/nope").await, 404);
    assert_eq!(status("/api/v1/health/batch").await, 200);
    assert_eq!(status("/api/v1/health/nogroup").await, 404);

    // An unknown name is reported in the body, not refused.
    let (code, _, body) = get(addr, "/api/v1/health/ready?exclude=nope", None).await;
    assert_eq!(code, 503);
    assert!(
        body.contains(r#""no check named \"nope\" to exclude""#),
        "{body}"
    );

    let verbose = "/api/v1/health/ready?verbose&exclude=process:alive&exclude=nope";
    let (code, headers, body) = get(addr, verbose, None).await;
    assert_eq!(code, 503);
    assert!(headers.contains(&("content-type".into(), "text/plain; charset=utf-8".into())));
    insta::assert_snapshot!(body, @r#"
    [+]cache:ping warn: reason withheld
    [-]db:ping failed: reason withheld
    [+]process:alive excluded: ok
    warn: some health checks cannot be excluded: no matches for "nope"
    readyz check failed
    "#);
    // Authorised callers see the fixed-vocabulary reasons.
    let (_, _, body) = get(addr, verbose, Some("t0ken")).await;
    assert!(
        body.contains("[-]db:ping failed: connection refused"),
        "{body}"
    );
    assert!(body.contains("[+]cache:ping warn: slow answer"), "{body}");

    let (_, _, body) = get(addr, "/api/v1/health/checks/cache:ping", None).await;
    assert!(
        !body.contains("812") && body.contains("reason withheld"),
        "{body}"
    );
    let (_, _, body) = get(addr, "/api/v1/health/checks/cache:ping", Some("t0ken")).await;
    assert!(body.contains("812"), "{body}");
    let (_, _, body) = get(addr, "/api/v1/health/checks/db:ping?verbose", None).await;
    assert_eq!(
        body,
        "[-]db:ping failed: reason withheld\ndb:ping check failed\n"
    );
}

#[tokio::test]
async fn the_server_serves_the_same_routes_and_labels_them_by_template() {
    let health = health().await;
    let prom = prometheus::Registry::new();
    let options = steadfast_healthcheck::ServerOptions {
        metrics: Some(prom),
        drain: Duration::ZERO,
        ..Default::default()
    };
    let server = steadfast_healthcheck::serve(health, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    assert_eq!(
        get(server.addr, "/health/checks/db:ping", None).await.0,
        503
    );
    assert_eq!(get(server.addr, "/health/batch", None).await.0, 200);
    assert_eq!(get(server.addr, "/health/nogroup", None).await.0, 404);
    assert_eq!(get(server.addr, "/health/", None).await.0, 404);
    let body = get(server.addr, "/metrics", None).await.2;
    for series in [
        r#"route="/health/checks/{name}",status="503"} 1"#,
        r#"route="/health/{group}",status="200"} 1"#,
        // A template that matched answers 404 for an unknown group under its template;
        // what no route matches is `unmatched`.
        r#"route="/health/{group}",status="404"} 1"#,
        r#"route="unmatched",status="404"} 1"#,
    ] {
        assert!(body.contains(series), "{series} not in {body}");
    }
    server.shutdown().await;
}
