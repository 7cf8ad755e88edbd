//! https against 127.0.0.1 with a test CA: trusted through `ca_file`, refused without it
//! with a typed "certificate not trusted", and the other failures classified.

use std::time::Duration;

use steadfast_http::{Error, HttpClient, HttpSettings};
use steadfast_testkit::tls::{TestCa, serve_https};

async fn server(ca: &TestCa) -> String {
    let addr = serve_https(ca.server_config(), 200, "text/plain", "ok".to_owned()).await;
    format!("https://localhost:{}/", addr.port())
}

#[tokio::test]
async fn the_extra_ca_is_trusted() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let url = server(&ca).await;
    let client = HttpSettings::default()
        .ca_file(&files.ca)
        .no_proxy()
        .build()
        .unwrap();
    let response = client.send(client.get(&url)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(HttpClient::body(response, 1024).await.unwrap(), b"ok");
}

#[tokio::test]
async fn an_unknown_issuer_is_certificate_not_trusted() {
    let ca = TestCa::new();
    let url = server(&ca).await;
    let client = HttpSettings::default().no_proxy().build().unwrap();
    let err = client.send(client.get(&url)).await.unwrap_err();
    assert!(err.is_certificate_not_trusted(), "{err:?}");
    assert_eq!(err.reason(), "certificate not trusted");
    let text = err.to_string();
    assert!(
        text.contains("UnknownIssuer") && text.contains("ca_file"),
        "{text}"
    );
}

#[tokio::test]
async fn another_ca_does_not_help() {
    let (ca, other) = (TestCa::new(), TestCa::new());
    let dir = tempfile::tempdir().unwrap();
    let files = other.write(dir.path());
    let url = server(&ca).await;
    let client = HttpSettings::default()
        .without_system_roots()
        .ca_file(&files.ca)
        .no_proxy()
        .build()
        .unwrap();
    let err = client.send(client.get(&url)).await.unwrap_err();
    assert!(err.is_certificate_not_trusted(), "{err:?}");
}

#[tokio::test]
async fn refused_and_timeouts_are_typed() {
    let client = HttpSettings::default()
        .timeout(Duration::from_millis(200))
        .no_proxy()
        .build()
        .unwrap();
    // A port nobody listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let err = client
        .send(client.get(format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    assert!(err.is_transient());
    // A black hole: accepts, never answers.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://u:s3cret@{}/", hole.local_addr().unwrap());
    let err = client.send(client.get(&url)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn bad_settings_are_reported_at_build() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    steadfast_core::atomic_write(&junk, "not pem").unwrap();
    let err = HttpSettings::default().ca_file(&junk).build().unwrap_err();
    assert!(matches!(err, Error::InvalidPem { .. }), "{err}");
    let err = HttpSettings::default()
        .without_system_roots()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::NoRoots), "{err}");
    let half = HttpSettings {
        client_cert_file: Some(junk),
        ..HttpSettings::default()
    };
    let err = half.build().unwrap_err();
    assert!(matches!(err, Error::HalfClientCertificate { .. }), "{err}");
}
