//! The plain HTTP/1.1 of `bulk_server.rs`: a request read, an answer written (always
//! `connection: close`), an `OperationOutcome` body, a real pause.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// A request: method, target and headers (names lower case).
pub(crate) fn read_request(conn: &TcpStream) -> Option<(String, String, HashMap<String, String>)> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return None,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {
                if let Some((k, v)) = header.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
        }
    }
    Some((method, target, headers))
}

pub(crate) fn outcome(code: &str) -> Vec<u8> {
    serde_json::json!({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": "Ada Jones, MRN 12345"}]})
    .to_string()
    .into_bytes()
}

pub(crate) fn respond(conn: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body);
    let _ = conn.flush();
}

/// A real pause in what the server sends: the client's read timeouts are on real time
/// (the network's), not the tests' manual clock.
#[allow(
    clippy::disallowed_methods,
    reason = "a download's idle timeout is measured on real time"
)]
pub(crate) fn real_pause(d: Duration) {
    std::thread::sleep(d);
}
