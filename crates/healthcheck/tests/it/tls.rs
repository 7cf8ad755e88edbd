//! https checks against a local TLS server whose certificate comes from a CA generated in
//! the test: pass with the CA configured, "certificate not trusted" without it — in the
//! output's fixed phrase and the log, never the URL or rustls's words in a body.

use steadfast_core::Status;
use steadfast_healthcheck::{Check, FhirCheck, HttpCheck, HttpSettings};
use steadfast_testkit::tls::{TestCa, serve_https};

const METADATA: &str = r#"{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1"}"#;

#[tokio::test]
async fn https_checks_pass_with_the_ca_and_fail_untrusted_without() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let addr = serve_https(
        ca.server_config(),
        200,
        "application/fhir+json",
        METADATA.to_owned(),
    )
    .await;
    let base = format!("https://localhost:{}/fhir", addr.port());
    let trusting = HttpSettings::default()
        .ca_file(&files.ca)
        .no_proxy()
        .build()
        .unwrap();
    let untrusting = HttpSettings::default().no_proxy().build().unwrap();

    let fhir = FhirCheck::new(&base).unwrap().bearer_token("t0ken");
    let out = fhir.clone().client(trusting.clone()).check().await;
    assert_eq!((out.status, out.observed_value), (Status::Pass, Some(4.01)));
    let out = fhir.client(untrusting.clone()).check().await;
    assert_eq!(
        (out.status, out.output),
        (Status::Fail, Some("certificate not trusted"))
    );

    let http = HttpCheck::new(&base).unwrap();
    assert_eq!(
        http.clone().client(trusting).check().await.status,
        Status::Pass
    );
    let out = http.client(untrusting).check().await;
    assert_eq!(out.output, Some("certificate not trusted"));
    // The public body carries the fixed phrase only: no URL, no rustls detail.
    let body = serde_json::to_string(&out).unwrap();
    assert!(
        !body.contains("localhost") && !body.contains("UnknownIssuer"),
        "{body}"
    );
}

#[tokio::test]
async fn a_declared_https_check_takes_its_ca_file() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let addr = serve_https(
        ca.server_config(),
        200,
        "application/fhir+json",
        METADATA.to_owned(),
    )
    .await;
    let toml = format!(
        "[[health.checks]]\nname = \"ehr:metadata\"\nkind = \"fhir\"\nurl = \"https://localhost:{}/fhir\"\nca_file = \"{}\"\ntoken = \"t0ken\"\n",
        addr.port(),
        files.ca.display()
    );
    let cfg = steadfast_core::config::Loader::new()
        .toml_str("s.toml", &toml)
        .load_section::<steadfast_healthcheck::HealthConfig>("health")
        .unwrap();
    assert!(!format!("{:?}", cfg.value().checks[0]).contains("t0ken"));
    let health = steadfast_healthcheck::HealthRegistry::from_config(cfg.value())
        .declare(&cfg.value().checks)
        .unwrap()
        .start();
    health.first_round(std::time::Duration::from_secs(5)).await;
    let report = health.report(None);
    assert_eq!(report.status, Status::Pass, "{report:?}");
}
