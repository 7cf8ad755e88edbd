//! `Download` through a redirect to another origin: a server on 127.0.0.1 that answers
//! every request with a `302` to testkit's `FileServer` on another port. Without the
//! opt-in the download fails saying where the redirect went and how to allow it (no query
//! value shown); with the host allowed the file arrives byte-identical, and a cut download
//! resumes through the redirect with `Range` and `If-Range`, checked as ever. A URL with
//! user info never leaves its origin, and the message says so.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use steadfast_fhir::FhirError;
use steadfast_http::HttpSettings;
use steadfast_testkit::files::{FileServer, Served};

use crate::download::{data, download_with as download, run, sha};

/// The `range` and `if-range` headers of each request a [`Redirector`] got.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;

/// A server on 127.0.0.1 answering every request with `302` to `to` (the query kept).
struct Redirector {
    base: String,
    seen: Seen,
}

impl Redirector {
    fn start(to: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen: Seen = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let (mut range, mut if_range) = (None, None);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = h.split_once(':') {
                        let value = Some(value.trim().to_owned());
                        match name.to_ascii_lowercase().as_str() {
                            "range" => range = value,
                            "if-range" => if_range = value,
                            _ => {}
                        }
                    }
                }
                log.lock().unwrap().push((range, if_range));
                let _ = write!(
                    conn,
                    "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Self { base, seen }
    }
}

fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn a_redirect_to_another_origin_fails_clearly_without_the_opt_in() {
    let cdn = FileServer::start();
    cdn.put("/files/in.json", data());
    let first = Redirector::start(cdn.url("/files/in.json?X-Amz-Signature=s3cr3t"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("in.json");
    let url = format!("{}/in.json?token=t0k3n", first.base);
    let err = run(download(HttpSettings::default()).to_file(&url, &out)).unwrap_err();
    let FhirError::GaveUp {
        last: Some(last), ..
    } = &err
    else {
        panic!("{err}");
    };
    assert!(matches!(**last, FhirError::InvalidDownload { .. }), "{err}");
    let text = err.to_string();
    let cdn_origin = cdn.url("/files/in.json");
    assert!(
        text.contains(&format!("{cdn_origin}?X-Amz-Signature=…")),
        "{text}"
    );
    assert!(
        text.contains("was not followed") && text.contains("--allow-redirect-host 127.0.0.1"),
        "{text}"
    );
    assert!(
        !text.contains("s3cr3t") && !text.contains("t0k3n"),
        "{text}"
    );
    // Not retried: one request, the file server never asked.
    assert_eq!(first.seen.lock().unwrap().len(), 1);
    assert!(cdn.log().is_empty());
    assert_eq!(files(dir.path()), 0);
}

#[test]
fn with_the_host_allowed_a_cut_download_resumes_through_the_redirect() {
    let cdn = FileServer::start();
    let data = data();
    cdn.put("/files/in.json", data.clone());
    cdn.cut_once("/files/in.json", 250_000);
    let first = Redirector::start(cdn.url("/files/in.json?sig=abc"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("in.json");
    let allowed = HttpSettings::default().allow_redirect_host("127.0.0.1".parse().unwrap());
    let got = run(download(allowed)
        .expect_sha256(&sha(&data))
        .unwrap()
        .to_file(&format!("{}/in.json", first.base), &out))
    .unwrap();
    assert_eq!(got.sha256, sha(&data));
    assert_eq!(std::fs::read(&out).unwrap(), data);
    assert_eq!(files(dir.path()), 1);
    let served: Vec<Served> = cdn.log();
    let ranges: Vec<_> = served.iter().map(|s| (s.range, s.status)).collect();
    assert_eq!(ranges, [(None, 200), (Some(250_000), 206)]);
    // The resume went through the first server, Range and If-Range (the CDN's ETag) kept.
    let seen = first.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], (None, None));
    assert_eq!(seen[1].0.as_deref(), Some("bytes=250000-"));
    assert!(seen[1].1.is_some(), "{seen:?}");
}

#[test]
fn credentials_in_the_url_keep_a_download_on_its_origin_and_say_so() {
    let cdn = FileServer::start();
    cdn.put("/files/in.json", data());
    let first = Redirector::start(cdn.url("/files/in.json"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("in.json");
    let url = first.base.replacen("http://", "http://user:pa55word@", 1) + "/in.json";
    let allowed = HttpSettings::default().allow_redirect_host("127.0.0.1".parse().unwrap());
    let err = run(download(allowed).to_file(&url, &out)).unwrap_err();
    let text = err.to_string();
    // The host is allowed already: the message names the credentials, not the flag.
    assert!(
        text.contains("was not followed because the request carries credentials"),
        "{text}"
    );
    assert!(!text.contains("--allow-redirect-host"), "{text}");
    assert!(!text.contains("pa55word"), "{text}");
    assert!(cdn.log().is_empty());
    assert_eq!(files(dir.path()), 0);
}
