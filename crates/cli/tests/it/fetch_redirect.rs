//! `steadfast fetch` through a redirect to another origin: a server on 127.0.0.1 answering
//! `302` to testkit's `FileServer` on another port. Without `--allow-redirect-host` the
//! download fails naming the host and the flag (no query value shown); with it the file
//! arrives byte-identical, a cut download resumed through the redirect — for `--toc`'s
//! files too; a pattern that is not a host is a usage error.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;

use steadfast_testkit::files::FileServer;

use crate::{assert_error, assert_ok, steadfast};

/// A server on 127.0.0.1 answering every request with `302` to `to`; its base URL.
fn redirector(to: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && !line.ends_with("\r\n\r\n") {}
            let _ = write!(
                conn,
                "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    base
}

fn bytes(n: u32) -> Vec<u8> {
    (0..n)
        .map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24).unwrap())
        .collect()
}

#[test]
fn fetch_follows_a_redirect_to_another_host_only_when_allowed() {
    let cdn = FileServer::start();
    let data = bytes(400_000);
    cdn.put("/files/in-network.json", data.clone());
    cdn.cut_once("/files/in-network.json", 150_000);
    let first = redirector(cdn.url("/files/in-network.json?Signature=s3cr3t"));
    let url = format!("{first}/in-network.json");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("in.json");
    let out_arg = out.to_str().unwrap();

    let failed = steadfast(&["fetch", &url, "--out", out_arg]);
    assert_error(&failed, 1, "was not followed");
    assert_error(&failed, 1, "--allow-redirect-host 127.0.0.1");
    assert!(!String::from_utf8_lossy(&failed.stderr).contains("s3cr3t"));
    assert!(!out.exists() && cdn.log().is_empty());

    let bad = steadfast(&[
        "fetch",
        &url,
        "--out",
        out_arg,
        "--allow-redirect-host",
        "*.com",
    ]);
    assert_error(&bad, 2, "two labels");

    let args = [
        "fetch",
        &url,
        "--out",
        out_arg,
        "--allow-redirect-host",
        "127.0.0.1",
    ];
    assert_ok(&steadfast(&args));
    assert_eq!(std::fs::read(&out).unwrap(), data);
    let ranges: Vec<_> = cdn.log().iter().map(|s| (s.range, s.status)).collect();
    assert_eq!(ranges, [(None, 200), (Some(150_000), 206)]);

    // --toc: the flag applies to every listed file.
    let toc = serde_json::json!({
        "reporting_entity_name": "Example Health",
        "reporting_structure": [{"in_network_files": [{"location": url}]}]
    });
    cdn.put("/index.json", serde_json::to_vec(&toc).unwrap());
    let toc_dir = dir.path().join("toc");
    let toc_args = |extra: &'static [&'static str]| {
        let mut a = vec![
            "fetch".to_owned(),
            "--toc".to_owned(),
            cdn.url("/index.json"),
            "--out".to_owned(),
            toc_dir.to_str().unwrap().to_owned(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |a: Vec<String>| steadfast(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_error(&run(toc_args(&[])), 1, "--allow-redirect-host 127.0.0.1");
    assert!(!toc_dir.join("in-network.json").exists());
    assert_ok(&run(toc_args(&["--allow-redirect-host", "127.0.0.1"])));
    assert_eq!(
        std::fs::read(toc_dir.join("in-network.json")).unwrap(),
        data
    );
}
