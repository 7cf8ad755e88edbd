//! The test origin (axum on 127.0.0.1, counting its fetches, answering as each request's
//! `x-*` headers ask), a tiny HTTP/1.1 client for the origin closures, and Redis helpers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use steadfast_cache::{Conditional, OriginError, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running origin.
#[derive(Clone)]
pub(crate) struct Origin {
    pub(crate) addr: SocketAddr,
    fetches: Arc<AtomicUsize>,
    by_path: Arc<Mutex<HashMap<String, usize>>>,
}

impl Origin {
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = Self {
            addr: listener.local_addr().unwrap(),
            fetches: Arc::default(),
            by_path: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(origin.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        origin
    }

    /// Fetches so far.
    pub(crate) fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A URL on this origin.
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }
}

/// Answers as asked: `x-status`, `x-cc` (Cache-Control), `x-etag` (304 when
/// `if-none-match` matches), `x-delay-ms`, `x-body`; the body says how many fetches the
/// path has had (`n=3`) unless `x-body` is given.
async fn answer(State(o): State<Origin>, uri: Uri, headers: HeaderMap) -> impl IntoResponse {
    o.fetches.fetch_add(1, Ordering::SeqCst);
    let n = {
        let mut map = o.by_path.lock().unwrap();
        let n = map.entry(uri.to_string()).or_default();
        *n += 1;
        *n
    };
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(ms) = h("x-delay-ms") {
        tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
    }
    let mut out = HeaderMap::new();
    if let Some(cc) = h("x-cc") {
        out.insert("cache-control", cc.parse().unwrap());
    }
    out.insert("content-type", "application/fhir+json".parse().unwrap());
    if let Some(etag) = h("x-etag") {
        out.insert("etag", etag.parse().unwrap());
        if h("if-none-match").as_deref() == Some(etag.as_str()) {
            return (StatusCode::NOT_MODIFIED, out, String::new());
        }
    }
    let status = h("x-status").map_or(200, |s| s.parse().unwrap());
    let body = h("x-body").unwrap_or_else(|| format!("n={n}"));
    (StatusCode::from_u16(status).unwrap(), out, body)
}

/// A GET to `url` with `headers` and the conditional's headers, over a fresh connection.
pub(crate) async fn get(
    url: String,
    headers: Vec<(&'static str, String)>,
    conditional: Conditional,
) -> Result<Response, OriginError> {
    let rest = url.strip_prefix("http://").ok_or("http only")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(authority).await?;
    let mut req = format!("GET {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n");
    for (n, v) in &headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    for (n, v) in conditional.headers() {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw)?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .ok_or("no status")?
        .parse()?;
    let mut response = Response::new(status, body.to_owned());
    let mut chunked = false;
    for line in lines {
        if let Some((n, v)) = line.split_once(':') {
            chunked |= n.eq_ignore_ascii_case("transfer-encoding");
            response = response.header(n.trim(), v.trim());
        }
    }
    if chunked {
        // axum chunks only streamed bodies; ours are whole.
        return Err("chunked answer".into());
    }
    Ok(response)
}

/// An origin closure for `url` asking the origin for `headers`.
pub(crate) fn fetcher(
    url: String,
    headers: &[(&'static str, &str)],
) -> impl FnOnce(
    Conditional,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Response, OriginError>> + Send>,
> + Send
+ 'static {
    let headers: Vec<(&'static str, String)> =
        headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
    move |c| Box::pin(get(url, headers, c))
}

/// A port nothing listens on.
pub(crate) async fn closed_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

/// A unique Redis key prefix for one test.
pub(crate) fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("sf-test:{test}:{}:{nanos}", std::process::id())
}

/// The machine's Redis for tests, or `None` after a skip (never when `CI` is set).
pub(crate) fn shared_redis() -> Option<String> {
    steadfast_testkit::require_service("STEADFAST_TEST_REDIS", "Redis")
}

/// Keys under `prefix` on the Redis at `url`.
pub(crate) async fn keys(url: &str, prefix: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut c)
        .await
        .unwrap()
}

/// Deletes this test's keys (only them).
pub(crate) async fn flush_prefix(url: &str, prefix: &str) {
    let keys = keys(url, prefix).await;
    if keys.is_empty() {
        return;
    }
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut c)
        .await
        .unwrap();
}

/// A redis-server of this test's own on a free port in a temporary directory; killed on
/// drop or by [`OwnRedis::kill`]. Never the machine's shared server.
pub(crate) struct OwnRedis {
    pub(crate) port: u16,
    child: Option<std::process::Child>,
    _dir: tempfile::TempDir,
}

impl OwnRedis {
    pub(crate) fn start() -> Option<Self> {
        let bin = steadfast_testkit::require_tool("redis-server", "apt-get install redis-server")?;
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < until,
                "redis-server did not listen"
            );
            std::thread::yield_now();
        }
        Some(Self {
            port,
            child: Some(child),
            _dir: dir,
        })
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
