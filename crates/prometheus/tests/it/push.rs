//! Batch runs end before a scrape: pushes to a real `prometheus-pushgateway` on 127.0.0.1
//! (Debian package; `.ci/run` installs it), from async code and from inside a runtime; and
//! over https, trusting only the CA given.

use std::time::{Duration, Instant};

use steadfast_prometheus::prometheus;
use steadfast_prometheus::{Error, push_blocking, push_to_gateway};
use steadfast_testkit::pushgateway::{get, start as gateway};

fn registry(records: u64) -> prometheus::Registry {
    let registry = prometheus::Registry::new();
    let c = prometheus::IntCounterVec::new(
        prometheus::Opts::new("steadfast_records_total", "Records."),
        &["step"],
    )
    .unwrap();
    registry.register(Box::new(c.clone())).unwrap();
    c.with_label_values(&["bronze"]).inc_by(records);
    registry
}

#[test]
fn pushes_replace_the_group_and_run_ids_are_refused() {
    let Some(gw) = gateway() else {
        return;
    };
    let url = format!("http://{}", gw.addr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(push_to_gateway(
        &url,
        "epic-fhir",
        &[("instance", "worker/3")],
        &registry(5),
    ))
    .unwrap();
    // Inside a runtime: the blocking form must neither block a worker nor panic.
    rt.block_on(async {
        push_blocking(&url, "epic-fhir", &[("instance", "worker/3")], &registry(7))
    })
    .unwrap();
    let body = get(gw.addr, "/metrics").unwrap();
    let line = body
        .lines()
        .find(|l| l.starts_with("steadfast_records_total{") && l.contains(r#"job="epic-fhir""#))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        line.contains(r#"instance="worker/3""#) && line.ends_with(" 7"),
        "{line}"
    );
    let err = push_blocking(&url, "epic-fhir", &[("run_id", "r-1")], &registry(1)).unwrap_err();
    assert!(matches!(err, Error::PerRunGrouping(_)), "{err}");
}

/// https: a gateway behind a CA generated here is reached with that CA, and without it the
/// push stops at once (no retries) saying the certificate is not trusted.
#[test]
fn https_pushes_trust_the_given_ca_only() {
    use steadfast_http::HttpSettings;
    use steadfast_retry::RetryPolicy;
    use steadfast_testkit::tls::{TestCa, serve_https};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    rt.block_on(async {
        let addr = serve_https(ca.server_config(), 200, "text/plain", String::new()).await;
        let url = format!("https://localhost:{}", addr.port());
        let policy = RetryPolicy::exponential().max_retries(4);
        let trusting = HttpSettings::default()
            .ca_file(&files.ca)
            .no_proxy()
            .build()
            .unwrap();
        steadfast_prometheus::push_with_client(
            &trusting,
            &url,
            "epic-fhir",
            &[],
            &registry(1),
            &policy,
        )
        .await
        .unwrap();
        let untrusting = HttpSettings::default().no_proxy().build().unwrap();
        let started = Instant::now();
        let err = steadfast_prometheus::push_with_client(
            &untrusting,
            &url,
            "epic-fhir",
            &[],
            &registry(1),
            &policy,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("certificate not trusted"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "retried an untrusted certificate"
        );
    });
}
