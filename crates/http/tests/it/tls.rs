//! https against 127.0.0.1 with a test CA: trusted through `ca_file`, refused without it
//! with a typed "certificate not trusted", and the other failures classified; a client
//! certificate goes to the origin named, never through a redirect to another host.

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
        .send(client.get(format!(
            "http://127.0.0.1:{port}/Patient?name=Ada&sig=s3cr3t"
        )))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    assert!(err.is_transient());
    // Query values may be patient data or a signature: never in the message.
    let text = err.to_string();
    assert!(text.contains("/Patient?name=…&sig=…"), "{text}");
    // A server that accepts and hangs up: whatever the class, reqwest's own message
    // (which names the URL) loses the query too.
    let rude = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let rude_addr = rude.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in rude.incoming().take(4) {
            drop(stream);
        }
    });
    let err = client
        .send(client.get(format!("http://{rude_addr}/Patient?name=Ada&sig=s3cr3t")))
        .await
        .unwrap_err();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains("Ada") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
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

/// An https server on 127.0.0.1 (the test CA's certificate) that asks for a client
/// certificate without requiring one, records whether one came, and answers `302` to
/// `location` when given, else `200 ok`; its port.
fn mtls_server(
    ca: &TestCa,
    location: Option<String>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<bool>>>,
) -> u16 {
    use std::io::{Read as _, Write as _};
    use std::sync::Arc;
    use steadfast_http::rustls;
    use steadfast_http::rustls::pki_types::CertificateDer;
    use steadfast_http::rustls::pki_types::pem::PemObject as _;

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()
            .unwrap();
    let plain = ca.server_config();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(plain.crypto_provider().clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(plain.cert_resolver.clone()),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            seen.lock()
                .unwrap()
                .push(tls.conn.peer_certificates().is_some());
            let answer = match &location {
                Some(to) => format!(
                    "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                ),
                None => {
                    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned()
                }
            };
            let _ = tls.write_all(answer.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    port
}

#[tokio::test]
async fn the_client_certificate_never_follows_a_redirect_to_another_host() {
    use std::sync::{Arc, Mutex};
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let (origin_seen, cdn_seen) = (Arc::<Mutex<Vec<bool>>>::default(), Arc::default());
    let cdn = mtls_server(&ca, None, Arc::clone(&cdn_seen));
    let cdn_url = format!("https://localhost:{cdn}/file");
    let origin = mtls_server(&ca, Some(cdn_url.clone()), Arc::clone(&origin_seen));
    let client = HttpSettings::default()
        .ca_file(&files.ca)
        // The test CA's leaf has no extended key usage, so it serves as a client's too.
        .client_certificate(&files.cert, &files.key)
        .allow_redirect_host("localhost".parse().unwrap())
        .no_proxy()
        .build()
        .unwrap();
    // Named directly, the CDN gets the certificate; through the redirect it does not,
    // while the origin the caller named does.
    let response = client.send(client.get(&cdn_url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let url = format!("https://localhost:{origin}/in.json");
    let response = client.send_following(client.get(&url)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.url().as_str(), cdn_url);
    assert_eq!(*origin_seen.lock().unwrap(), [true]);
    assert_eq!(*cdn_seen.lock().unwrap(), [true, false]);
}
