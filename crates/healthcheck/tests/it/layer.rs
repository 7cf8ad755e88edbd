//! The request-metrics layer inside an application — the example app's own wiring
//! (`examples/app.rs`, compiled here as a module): route templates, never raw paths, as
//! labels; `unmatched` and `OTHER` for what no route or standard method names;
//! `X-Response-Time` in seconds; `?exclude=` under the application's prefix; and an
//! exposition `promtool check metrics` accepts.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::get;

#[path = "../../examples/app.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod example_app;

async fn serve_example() -> SocketAddr {
    let app = example_app::app(prometheus::Registry::new()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    // The checks' first results: liveness passes once they are in.
    for _ in 0..200 {
        if get(addr, "/api/v1/health/live", None).await.0 == 200 {
            return addr;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the example's checks never passed");
}

/// A request with an unusual method, its status code.
async fn custom_method(addr: SocketAddr, method: &str, path: &str) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    raw.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_example_app_labels_templates_times_answers_and_excludes() {
    let addr = serve_example().await;
    for id in ["42", "7", "1234567890"] {
        let (status, headers, body) = get(addr, &format!("/api/v1/patients/{id}"), None).await;
        assert_eq!((status, body.as_str()), (200, id));
        let took = headers
            .iter()
            .find(|(k, _)| k == "x-response-time")
            .map(|(_, v)| v.clone())
            .expect("X-Response-Time on every answer");
        let seconds: f64 = took.parse().expect("seconds, a plain decimal");
        assert!(
            (0.0..10.0).contains(&seconds) && took.contains('.'),
            "{took}"
        );
    }
    assert_eq!(get(addr, "/api/v1/no/such/thing", None).await.0, 404);
    assert_eq!(custom_method(addr, "BREW", "/api/v1/patients/3").await, 405);

    // `?exclude=` under the application's prefix.
    let (_, _, body) = get(addr, "/api/v1/health/ready?verbose&exclude=db:ping", None).await;
    assert!(body.contains("[+]db:ping excluded: ok"), "{body}");
    let (_, _, body) = get(addr, "/api/v1/health/ready?exclude=nope", None).await;
    assert!(
        body.contains(r#"no check named \"nope\" to exclude"#),
        "{body}"
    );

    let (status, _, metrics) = get(addr, "/metrics", None).await;
    assert_eq!(status, 200);
    let line = |needle: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(needle))
            .map(str::to_owned)
    };
    let count = |labels: &str| {
        line(&format!("steadfast_http_requests_total{{{labels}}} "))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
    };
    assert_eq!(
        count(r#"listener="api",method="GET",route="/api/v1/patients/{id}",status="200""#),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        count(r#"listener="api",method="GET",route="unmatched",status="404""#),
        Some(1.0)
    );
    assert_eq!(
        count(r#"listener="api",method="OTHER",route="/api/v1/patients/{id}",status="405""#),
        Some(1.0)
    );
    let ready: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with(r#"steadfast_http_requests_total{listener="api",method="GET",route="/api/v1/health/ready","#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(
        ready, 2.0,
        "the nested router's template, whatever the query: {metrics}"
    );
    assert!(
        !metrics.contains("patients/42") && !metrics.contains("1234567890"),
        "raw paths never become labels"
    );
    assert!(line(r#"steadfast_http_request_duration_seconds_bucket{listener="api",method="GET",route="/api/v1/patients/{id}",le="10"}"#).is_some());
    // The scrape itself is in flight while it renders.
    assert!(
        line(r#"steadfast_http_requests_in_flight{listener="api"} 1"#).is_some(),
        "{metrics}"
    );
    assert!(line("steadfast_process_resident_memory_bytes ").is_some());

    let Some(promtool) = steadfast_testkit::require_tool("promtool", "apt-get install prometheus")
    else {
        return;
    };
    steadfast_testkit::assert_promtool_clean(&promtool, &metrics);
}

/// The example stays an example: at most 40 lines (the issue's promise).
#[test]
fn the_example_app_fits_in_40_lines() {
    let lines = include_str!("../../examples/app.rs").lines().count();
    assert!(lines <= 40, "examples/app.rs has {lines} lines");
}

/// The samples of `name` in a text exposition: each one's labels (sorted) and value.
fn samples(text: &str, name: &str) -> Vec<(Vec<(String, String)>, f64)> {
    text.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix('{'))
        .map(|rest| {
            let (labels, value) = rest.rsplit_once("} ").unwrap();
            let mut labels: Vec<(String, String)> = labels
                .split("\",")
                .map(|pair| {
                    let (k, v) = pair.split_once("=\"").unwrap();
                    (k.to_owned(), v.trim_end_matches('"').to_owned())
                })
                .collect();
            labels.sort();
            (labels, value.parse().unwrap())
        })
        .collect()
}

/// With `Router::layer`, each route's series are resolved once, in the service axum makes
/// for that route: every answer still lands under its own route, method and status —
/// past the (method, status) pairs a route keeps resolved, and for two routes.
#[tokio::test]
async fn every_answer_is_counted_under_its_own_labels() {
    use axum::extract::Path;
    use axum::http::StatusCode;
    use axum::routing::get as on_get;
    use tower_service::Service as _;

    let prom = prometheus::Registry::new();
    let layer = steadfast_healthcheck::RequestMetrics::default()
        .register(&prom, &steadfast_core::Prefix::default())
        .unwrap();
    let app: axum::Router = axum::Router::new()
        .route(
            "/a/{code}",
            on_get(|Path(code): Path<u16>| async move { StatusCode::from_u16(code).unwrap() })
                .post(|| async { "posted" }),
        )
        .route("/b", on_get(|| async { "b" }))
        .layer(layer);
    let call = |method: &str, path: String| {
        let mut app = app.clone();
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        async move { app.call(request).await.unwrap().status().as_u16() }
    };
    // 40 statuses on one route: more than a route keeps resolved.
    let codes: Vec<u16> = (200..220).chain(400..420).collect();
    for _ in 0..3 {
        for &code in &codes {
            assert_eq!(call("GET", format!("/a/{code}")).await, code);
        }
        assert_eq!(call("POST", "/a/1".to_owned()).await, 200);
        assert_eq!(call("GET", "/b".to_owned()).await, 200);
    }
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&prom.gather())
        .unwrap();
    let requests = samples(&text, "steadfast_http_requests_total");
    let count = |method: &str, route: &str, status: &str| {
        let want: Vec<(String, String)> = [
            ("listener", "main"),
            ("method", method),
            ("route", route),
            ("status", status),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        requests
            .iter()
            .find(|(labels, _)| *labels == want)
            .map(|(_, v)| *v)
    };
    for code in &codes {
        assert_eq!(
            count("GET", "/a/{code}", &code.to_string()),
            Some(3.0),
            "{code}"
        );
    }
    assert_eq!(count("POST", "/a/{code}", "200"), Some(3.0));
    assert_eq!(count("GET", "/b", "200"), Some(3.0));
    assert_eq!(requests.len(), codes.len() + 2, "{text}");
    let durations = samples(&text, "steadfast_http_request_duration_seconds_count");
    let total: f64 = durations.iter().map(|(_, v)| v).sum();
    assert_eq!(total, 3.0 * (codes.len() as f64 + 2.0), "{text}");
}
