//! Bulk export download throughput against `curl -o` (the peer the issue names), in the
//! same run, on exactly the same work: one 1 GiB NDJSON file served from 127.0.0.1 by a
//! plain HTTP/1.1 server in this process. Ours runs the whole export — kick-off, one poll,
//! the manifest, the file streamed while hashed (sha256) and line-counted, fsynced,
//! renamed, the local manifest, the job's DELETE; curl only writes the bytes (no fsync).
//! The peer: the system's `curl` (its version printed at start; 7.88.1 when the numbers in
//! docs/benchmarks.md were taken). Without curl, only ours is measured, saying so.
//!
//! `cargo bench -p steadfast-fhir --bench download`
#![allow(clippy::unwrap_used, reason = "a benchmark fails by panicking")]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steadfast_fhir::{BulkExport, FhirClient};
use steadfast_http::HttpSettings;
use steadfast_retry::RetryPolicy;

/// Blocks of the file: 1,024 × 1 MiB.
const BLOCKS: u64 = 1024;

/// One MiB of NDJSON Patient lines (the last padded so the block is exactly 1 MiB).
fn block() -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(1 << 20);
    let mut lines = 0;
    let mut n = 0u64;
    loop {
        let line = format!(
            "{{\"resourceType\":\"Patient\",\"id\":\"p{n:08}\",\"gender\":\"female\",\"birthDate\":\"1970-01-01\"}}\n"
        );
        if out.len() + line.len() + 200 > 1 << 20 {
            let pad = (1 << 20) - out.len() - 1;
            let mut last = String::from("{\"resourceType\":\"Patient\",\"id\":\"pad\",\"x\":\"");
            while last.len() + 3 < pad {
                last.push('x');
            }
            last.push_str("\"}");
            while last.len() < pad {
                last.push(' ');
            }
            out.extend_from_slice(last.as_bytes());
            out.push(b'\n');
            lines += 1;
            break;
        }
        out.extend_from_slice(line.as_bytes());
        lines += 1;
        n += 1;
    }
    assert_eq!(out.len(), 1 << 20);
    (out, lines)
}

fn serve(addr: SocketAddr, mut conn: TcpStream, block: &[u8], lines: u64) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => return,
            Ok(_) if h == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head = |status: u16, len: u64, extra: &str| {
        format!("HTTP/1.1 {status} X\r\ncontent-length: {len}\r\nconnection: close\r\n{extra}\r\n")
    };
    if path.starts_with("/fhir/$export") {
        let loc = format!("content-location: http://{addr}/fhir/status/1\r\n");
        let _ = conn.write_all(head(202, 0, &loc).as_bytes());
    } else if path == "/fhir/status/1" && method == "DELETE" {
        let _ = conn.write_all(head(202, 0, "").as_bytes());
    } else if path == "/fhir/status/1" {
        let body = format!(
            "{{\"transactionTime\":\"2026-12-02T10:00:00Z\",\"request\":\"http://{addr}/fhir/$export\",\"requiresAccessToken\":false,\"output\":[{{\"type\":\"Patient\",\"url\":\"http://{addr}/fhir/files/big\",\"count\":{}}}],\"error\":[]}}",
            lines * BLOCKS
        );
        let _ = conn.write_all(head(200, body.len() as u64, "").as_bytes());
        let _ = conn.write_all(body.as_bytes());
    } else {
        let total = block.len() as u64 * BLOCKS;
        let _ = conn
            .write_all(head(200, total, "content-type: application/fhir+ndjson\r\n").as_bytes());
        for _ in 0..BLOCKS {
            if conn.write_all(block).is_err() {
                return;
            }
        }
    }
}

fn curl_version() -> Option<String> {
    let out = Command::new("curl").arg("--version").output().ok()?;
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .next()
        .map(str::to_owned)
}

fn bench(c: &mut Criterion) {
    let (block, lines) = block();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    {
        let block = block.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let block = block.clone();
                std::thread::spawn(move || serve(addr, conn, &block, lines));
            }
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let client = FhirClient::new(
        &format!("http://{addr}/fhir"),
        &HttpSettings::default().no_proxy(),
        RetryPolicy::exponential().max_retries(2),
    )
    .unwrap();
    let mut group = c.benchmark_group("bulk_download_1GiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(block.len() as u64 * BLOCKS));
    let ours = dir.path().join("ours");
    group.bench_function("steadfast_bulk_export", |b| {
        b.iter(|| {
            let summary = BulkExport::new(&client, &ours).run().unwrap();
            assert_eq!(summary.files[0].lines, lines * BLOCKS);
        });
    });
    match curl_version() {
        Some(version) => {
            eprintln!("peer: {version}");
            let target = dir.path().join("curl.ndjson");
            let url = format!("http://{addr}/fhir/files/big");
            group.bench_function("curl_o", |b| b.iter(|| curl(&url, &target)));
        }
        None => eprintln!("curl is not installed: only steadfast's export was measured"),
    }
    group.finish();
}

fn curl(url: &str, target: &Path) {
    let status = Command::new("curl")
        .args(["-s", "-f", "--noproxy", "*", "-o"])
        .arg(target)
        .arg(url)
        .status()
        .unwrap();
    assert!(status.success());
}

criterion_group!(benches, bench);
criterion_main!(benches);
