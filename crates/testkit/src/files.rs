//! A static file server on 127.0.0.1 for download tests: `GET /<path>` (any query) answers
//! the bytes put there, with a strong `ETag`, `Accept-Ranges: bytes` and `Range: bytes=N-` honoured
//! (206 with `Content-Range`, unless `If-Range` names another version); a path can be set
//! to drop its first answer after some bytes, and the whole server to ignore `Range`
//! (answering 200 with the whole file). It logs every request (path, range, status).
//!
//! ```
//! use std::io::{Read as _, Write as _};
//! use steadfast_testkit::files::FileServer;
//!
//! let server = FileServer::start();
//! server.put("/a.txt", b"hello world".to_vec());
//! let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
//! write!(s, "GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=6-\r\n\r\n").unwrap();
//! let mut raw = String::new();
//! s.read_to_string(&mut raw).unwrap();
//! assert!(raw.starts_with("HTTP/1.1 206"));
//! assert!(raw.ends_with("world"));
//! assert_eq!(server.log()[0].range, Some(6));
//! ```

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};

use crate::acceptor::Acceptor;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The request's path.
    pub path: String,
    /// The first byte `Range` asked for, if any.
    pub range: Option<u64>,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
struct Shared {
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// Path → bytes after which its next answer is cut (once).
    cuts: Mutex<HashMap<String, usize>>,
    ignore_range: AtomicBool,
    log: Mutex<Vec<Served>>,
}

/// The running server; stopped when dropped.
pub struct FileServer {
    acceptor: Acceptor,
    shared: Arc<Shared>,
}

impl FileServer {
    /// Starts serving (no files yet).
    ///
    /// # Panics
    /// When no port on 127.0.0.1 can be bound.
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        Self {
            acceptor: Acceptor::start(Arc::clone(&shared), answer),
            shared,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.acceptor.addr()
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.acceptor.addr())
    }

    /// Serves `bytes` at `path` (replacing what was there: a new `ETag`).
    ///
    /// # Panics
    /// When a lock is poisoned.
    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        self.shared
            .files
            .lock()
            .expect("files")
            .insert(path.to_owned(), bytes);
    }

    /// The next answer for `path` announces the whole file but closes after `after` bytes.
    ///
    /// # Panics
    /// When a lock is poisoned.
    pub fn cut_once(&self, path: &str, after: usize) {
        self.shared
            .cuts
            .lock()
            .expect("cuts")
            .insert(path.to_owned(), after);
    }

    /// Answers every request whole (200), `Range` or not.
    pub fn ignore_range(&self, ignore: bool) {
        self.shared.ignore_range.store(ignore, SeqCst);
    }

    /// Every request answered so far, in order.
    ///
    /// # Panics
    /// When a lock is poisoned.
    pub fn log(&self) -> Vec<Served> {
        self.shared.log.lock().expect("log").clone()
    }

    /// Requests answered for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.log().iter().filter(|s| s.path == path).count()
    }
}

/// A strong `ETag` of `bytes` (FNV-1a).
fn etag(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("\"{h:016x}-{}\"", bytes.len())
}

fn answer(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    // The query is not part of the file's name (a pre-signed URL's signature).
    let target = first.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let (mut range, mut if_range) = (None, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "range" => {
                    range = value
                        .strip_prefix("bytes=")
                        .and_then(|r| r.strip_suffix('-'))
                        .and_then(|r| r.parse::<u64>().ok());
                }
                "if-range" => if_range = Some(value.to_owned()),
                _ => {}
            }
        }
    }
    let file = shared.files.lock().ok().and_then(|f| f.get(&path).cloned());
    let mut out = stream;
    let Some(data) = file else {
        log(shared, &path, range, 404);
        return write!(
            out,
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
    };
    let tag = etag(&data);
    let len = data.len() as u64;
    let start = range.filter(|_| {
        !shared.ignore_range.load(SeqCst) && if_range.as_ref().is_none_or(|v| *v == tag)
    });
    let (status, start, extra) = match start {
        Some(s) if s >= len => {
            log(shared, &path, range, 416);
            return write!(
                out,
                "HTTP/1.1 416 Range Not Satisfiable\r\ncontent-range: bytes */{len}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
        Some(s) => (
            206,
            s,
            format!("content-range: bytes {s}-{}/{len}\r\n", len - 1),
        ),
        None => (200, 0, String::new()),
    };
    log(shared, &path, range, status);
    let body = &data[usize::try_from(start).unwrap_or(0)..];
    write!(
        out,
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\naccept-ranges: bytes\r\netag: {tag}\r\n{extra}connection: close\r\n\r\n",
        body.len()
    )?;
    let cut = shared.cuts.lock().ok().and_then(|mut c| c.remove(&path));
    match cut {
        Some(after) => {
            out.write_all(&body[..after.min(body.len())])?;
            out.flush()?;
            out.shutdown(std::net::Shutdown::Both)
        }
        None => out.write_all(body),
    }
}

fn log(shared: &Shared, path: &str, range: Option<u64>, status: u16) {
    if let Ok(mut l) = shared.log.lock() {
        l.push(Served {
            path: path.to_owned(),
            range,
            status,
        });
    }
}
