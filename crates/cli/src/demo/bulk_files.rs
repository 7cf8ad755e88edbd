//! The NDJSON files of the demo's mock Bulk Data server: each streamed line by line from
//! the seeded generator (never held whole in memory), with `Range` support (one range,
//! `bytes=N-` or `bytes=N-M`: `206` and `Content-Range`, `416` past the end; any other
//! `Range` ignored, answered `200`), a strong `ETag` and a `Last-Modified` so that
//! `If-Range` works (a validator naming another version gets the whole file, RFC 9110
//! §13.1.5), and a cut on request: half of the body, then the connection closed.

use std::io::{BufWriter, Write};
use std::net::{Shutdown, TcpStream};

/// When the mock's data were "exported": every file's `Last-Modified`.
pub(crate) const LAST_MODIFIED: &str = "Thu, 01 Jan 2026 00:00:00 GMT";

/// One file of an export.
pub(crate) struct NdjsonFile<'a> {
    pub(crate) seed: u64,
    pub(crate) kind: &'a str,
    pub(crate) lines: u64,
    /// Its bytes ([`file_size`]).
    pub(crate) size: u64,
}

/// What a download was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// 200: the whole file.
    Whole,
    /// 206: the bytes asked (to the end of the file, or to the range's last byte).
    Resumed,
    /// 200 announced, half sent, the connection closed.
    Cut,
    /// 416: a range starting past the end.
    Unsatisfiable,
}

impl NdjsonFile<'_> {
    /// Answers a GET of the file on `out`: whole, from a `Range` whose `If-Range` (if any)
    /// names this version, or — with `cut` and no range — cut halfway.
    pub(crate) fn send(
        &self,
        out: &mut TcpStream,
        range: Option<&str>,
        if_range: Option<&str>,
        cut: bool,
    ) -> std::io::Result<Sent> {
        let (seed, kind, n, size) = (self.seed, self.kind, self.lines, self.size);
        let etag = format!("\"{seed}-{kind}-{size}\"");
        let validators =
            format!("ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\nAccept-Ranges: bytes\r\n");
        let from = range
            .and_then(byte_range)
            .filter(|_| if_range.is_none_or(|v| v == etag || v == LAST_MODIFIED));
        let mut w = BufWriter::with_capacity(64 << 10, &*out);
        let sent = match from {
            Some((start, _)) if start >= size => {
                write!(
                    w,
                    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{size}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )?;
                Sent::Unsatisfiable
            }
            Some((start, last)) => {
                // A last byte past the end means the end (RFC 9110 §14.1.2).
                let end = last.map_or(size, |l| l.saturating_add(1).min(size));
                write!(
                    w,
                    "HTTP/1.1 206 Partial Content\r\nContent-Type: application/fhir+ndjson\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{size}\r\n{validators}Connection: close\r\n\r\n",
                    end - start,
                    end - 1
                )?;
                stream_lines(&mut w, seed, kind, n, start, end)?;
                Sent::Resumed
            }
            None => {
                write!(
                    w,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+ndjson\r\nContent-Length: {size}\r\n{validators}Connection: close\r\n\r\n"
                )?;
                if cut {
                    // Half of the body, then the connection closes: the client resumes.
                    stream_lines(&mut w, seed, kind, n, 0, size / 2)?;
                    w.flush()?;
                    drop(w);
                    out.shutdown(Shutdown::Both)?;
                    return Ok(Sent::Cut);
                }
                stream_lines(&mut w, seed, kind, n, 0, size)?;
                Sent::Whole
            }
        };
        w.flush()?;
        Ok(sent)
    }
}

/// Resources of `kind` the mock holds for `patients` patients.
pub(crate) fn count(kind: &str, patients: usize) -> u64 {
    let p = patients as u64;
    match kind {
        "Encounter" => p * 2,
        "Observation" => p * 3,
        _ => p,
    }
}

/// Line `i` of a `kind` file, with its newline.
fn line(seed: u64, kind: &str, i: u64) -> String {
    let mut l = steadfast::validation::data::synthetic::resource(seed, kind, i).unwrap_or_default();
    l.push('\n');
    l
}

/// The bytes of a `kind` file of `n` lines.
pub(crate) fn file_size(seed: u64, kind: &str, n: u64) -> u64 {
    (0..n).map(|i| line(seed, kind, i).len() as u64).sum()
}

/// Writes bytes `start..end` of a `kind` file of `n` lines, a line at a time.
fn stream_lines(
    w: &mut impl Write,
    seed: u64,
    kind: &str,
    n: u64,
    start: u64,
    end: u64,
) -> std::io::Result<()> {
    let mut at = 0u64;
    for i in 0..n {
        if at >= end {
            break;
        }
        let l = line(seed, kind, i);
        let next = at + l.len() as u64;
        if next > start {
            let from = usize::try_from(start.saturating_sub(at)).unwrap_or(0);
            let to = usize::try_from(end.min(next) - at).unwrap_or(l.len());
            w.write_all(&l.as_bytes()[from..to])?;
        }
        at = next;
    }
    Ok(())
}

/// `bytes=N-` or `bytes=N-M`: the first byte and the last one (if given). `None` — the
/// `Range` ignored, the whole file sent — for anything else: a suffix range (`bytes=-N`),
/// several ranges, `M < N`, another unit (RFC 9110 §14.2 lets a server ignore a `Range`).
fn byte_range(v: &str) -> Option<(u64, Option<u64>)> {
    let (first, last) = v.trim().strip_prefix("bytes=")?.split_once('-')?;
    let first = first.trim().parse().ok()?;
    match last.trim() {
        "" => Some((first, None)),
        last => {
            let last: u64 = last.parse().ok()?;
            (last >= first).then_some((first, Some(last)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_of_the_stream_is_the_same_bytes_as_the_whole() {
        let n = 7;
        let size = file_size(3, "Observation", n);
        let mut whole = Vec::new();
        stream_lines(&mut whole, 3, "Observation", n, 0, size).unwrap();
        assert_eq!(whole.len() as u64, size);
        let (mut head, mut tail) = (Vec::new(), Vec::new());
        stream_lines(&mut head, 3, "Observation", n, 0, size / 2).unwrap();
        stream_lines(&mut tail, 3, "Observation", n, size / 2, size).unwrap();
        head.extend(tail);
        assert_eq!(head, whole);
        assert_eq!(byte_range("bytes=120-"), Some((120, None)));
        assert_eq!(byte_range("bytes=120-199"), Some((120, Some(199))));
        for ignored in [
            "items=1-",
            "bytes=-50",
            "bytes=0-1,5-9",
            "bytes=9-1",
            "bytes=x-",
        ] {
            assert_eq!(byte_range(ignored), None, "{ignored}");
        }
        assert_eq!(count("Observation", 10), 30);
    }

    #[test]
    fn a_range_with_a_last_byte_gets_just_those_bytes() {
        let file = NdjsonFile {
            seed: 3,
            kind: "Patient",
            lines: 5,
            size: file_size(3, "Patient", 5),
        };
        let mut whole = Vec::new();
        stream_lines(&mut whole, 3, "Patient", 5, 0, file.size).unwrap();
        let get = |range: &str| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (mut server, _) = listener.accept().unwrap();
            let sent = file.send(&mut server, Some(range), None, false).unwrap();
            drop(server);
            let mut answer = Vec::new();
            std::io::Read::read_to_end(&mut client, &mut answer).unwrap();
            let at = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            let head = String::from_utf8_lossy(&answer[..at]).into_owned();
            (sent, head, answer[at + 4..].to_vec())
        };
        let (sent, head, body) = get("bytes=10-19");
        assert_eq!(sent, Sent::Resumed);
        assert!(head.starts_with("HTTP/1.1 206 "), "{head}");
        assert!(head.contains("Content-Length: 10\r\n"), "{head}");
        assert!(
            head.contains(&format!("Content-Range: bytes 10-19/{}", file.size)),
            "{head}"
        );
        assert_eq!(body, whole[10..20]);
        // A last byte past the end is the end.
        let (_, head, body) = get(&format!("bytes=10-{}", file.size + 50));
        assert!(
            head.contains(&format!(
                "Content-Range: bytes 10-{}/{}",
                file.size - 1,
                file.size
            )),
            "{head}"
        );
        assert_eq!(body, whole[10..]);
        // A range the mock does not serve is ignored: the whole file.
        let (sent, head, body) = get("bytes=-5");
        assert_eq!(sent, Sent::Whole);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert_eq!(body, whole);
    }
}
