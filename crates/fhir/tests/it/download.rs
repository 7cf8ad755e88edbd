//! `Download` against testkit's `FileServer` on 127.0.0.1: a file cut halfway resumed with
//! `Range` (one 206 from the cut on), a server ignoring `Range` started over, a wrong
//! expected sha256 leaving nothing at the target, a missing file given up on; and, on a raw
//! 127.0.0.1 server with no validator, a resume onto a file whose size changed started over.

use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};
use steadfast_fhir::{Download, DownloadEvent, FhirError};
use steadfast_http::HttpSettings;
use steadfast_retry::{ManualClock, RetryPolicy};
use steadfast_testkit::files::{FileServer, Served};

/// 1 MiB of bytes no two runs of the same offset share with a neighbour.
pub(crate) fn data() -> Vec<u8> {
    (0u32..1 << 20)
        .map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24).unwrap())
        .collect()
}

pub(crate) fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn download() -> Download {
    download_with(HttpSettings::default())
}

/// A `Download` through a client of `settings` (no proxy), three retries on a manual clock.
pub(crate) fn download_with(settings: HttpSettings) -> Download {
    let policy = RetryPolicy::exponential()
        .max_retries(3)
        .manual_clock(&ManualClock::new());
    Download::new(settings.no_proxy().build().unwrap(), policy)
}

pub(crate) fn run<T>(f: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The directory holds only `names`.
fn only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    found.sort();
    assert_eq!(found, names);
}

fn served(path: &str, range: Option<u64>, status: u16) -> Served {
    Served {
        path: path.to_owned(),
        range,
        status,
    }
}

#[test]
fn a_download_cut_halfway_resumes_with_range_and_its_sha256_is_right() {
    let server = FileServer::start();
    let data = data();
    server.put("/mrf/in-network.json", data.clone());
    server.cut_once("/mrf/in-network.json", data.len() / 2);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("in-network.json");
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let got = run(download()
        .expect_sha256(&sha(&data).to_uppercase())
        .unwrap()
        .on_event(move |e| {
            if !matches!(e, DownloadEvent::Bytes { .. }) {
                seen.lock().unwrap().push(e);
            }
        })
        .to_file(&server.url("/mrf/in-network.json"), &out))
    .unwrap();
    assert_eq!(got.sha256, sha(&data));
    assert_eq!(got.bytes, data.len() as u64);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    let half = (data.len() / 2) as u64;
    assert_eq!(
        server.log(),
        [
            served("/mrf/in-network.json", None, 200),
            served("/mrf/in-network.json", Some(half), 206)
        ]
    );
    let total = data.len() as u64;
    assert_eq!(
        *events.lock().unwrap(),
        [
            DownloadEvent::Size { bytes: total },
            DownloadEvent::Size { bytes: total }
        ]
    );
    only(dir.path(), &["in-network.json"]);
}

#[test]
fn a_server_ignoring_range_gets_the_file_started_over() {
    let server = FileServer::start();
    let data = data();
    server.put("/f.bin", data.clone());
    server.cut_once("/f.bin", 300_000);
    server.ignore_range(true);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.bin");
    let restarts = Arc::new(Mutex::new(0));
    let counted = restarts.clone();
    let got = run(download()
        .on_event(move |e| {
            if e == DownloadEvent::Restarted {
                *counted.lock().unwrap() += 1;
            }
        })
        .to_file(&server.url("/f.bin"), &out))
    .unwrap();
    assert_eq!(got.sha256, sha(&data));
    assert_eq!(std::fs::read(&out).unwrap(), data);
    assert_eq!(
        server.log(),
        [
            served("/f.bin", None, 200),
            served("/f.bin", Some(300_000), 200)
        ]
    );
    assert_eq!(*restarts.lock().unwrap(), 1);
    only(dir.path(), &["f.bin"]);
}

#[test]
fn a_wrong_sha256_leaves_no_file_and_says_expected_and_got() {
    let server = FileServer::start();
    server.put("/f.json", b"{\"a\":1}\n".to_vec());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.json");
    let wrong = "0".repeat(64);
    let err = run(download()
        .expect_sha256(&wrong)
        .unwrap()
        .to_file(&server.url("/f.json?sig=secret"), &out))
    .unwrap_err();
    let FhirError::ChecksumMismatch {
        expected, found, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*expected, wrong);
    assert_eq!(*found, sha(b"{\"a\":1}\n"));
    let text = err.to_string();
    assert!(
        text.contains(&wrong) && text.contains(found.as_str()),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
    only(dir.path(), &[]);
}

#[test]
fn a_missing_file_is_given_up_on_and_bad_requests_are_refused() {
    let server = FileServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.json");
    let err = run(download().to_file(&server.url("/none.json"), &out)).unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    only(dir.path(), &[]);
    let err = run(download().to_file("ftp://127.0.0.1/f.json", &out)).unwrap_err();
    assert!(matches!(err, FhirError::InvalidDownload { .. }), "{err}");
    assert!(download().expect_sha256("abc").is_err());
}

/// A server with no validator (no `ETag`, no `Last-Modified`) whose file grows between the
/// cut first answer and the resume: the 206's `Content-Range` total differs from the
/// first `Content-Length`, so the file starts over instead of splicing two versions.
#[test]
fn a_resume_onto_a_file_whose_size_changed_starts_over() {
    use std::io::{BufRead as _, BufReader, Write as _};
    let old = vec![b'a'; 1000];
    let new = vec![b'b'; 1200];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answers = {
        let new = new.clone();
        std::thread::spawn(move || {
            let mut ranges = Vec::new();
            for n in 0..3 {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut range = None;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("range:") {
                        range = Some(v.trim().to_owned());
                    }
                }
                ranges.push(range);
                let mut s = stream;
                let (head, body): (String, &[u8]) = match n {
                    0 => ("200 OK\r\nContent-Length: 1000".into(), &old[..500]),
                    1 => (
                        "206 Partial Content\r\nContent-Length: 700\r\nContent-Range: bytes 500-1199/1200"
                            .into(),
                        &new[500..],
                    ),
                    _ => ("200 OK\r\nContent-Length: 1200".into(), &new[..]),
                };
                let _ = write!(s, "HTTP/1.1 {head}\r\nConnection: close\r\n\r\n");
                let _ = s.write_all(body);
            }
            ranges
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.bin");
    let restarts = Arc::new(Mutex::new(0));
    let counted = restarts.clone();
    let got = run(download()
        .on_event(move |e| {
            if e == DownloadEvent::Restarted {
                *counted.lock().unwrap() += 1;
            }
        })
        .to_file(&format!("http://127.0.0.1:{port}/f.bin"), &out))
    .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), new);
    assert_eq!(got.sha256, sha(&new));
    assert_eq!(*restarts.lock().unwrap(), 1);
    let ranges = answers.join().unwrap();
    assert_eq!(ranges, [None, Some("bytes=500-".to_owned()), None]);
    only(dir.path(), &["f.bin"]);
}
