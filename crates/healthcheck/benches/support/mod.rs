//! What the HTTP benches share: a server on its own one-worker runtime, and a keep-alive
//! load generator (32 connections, each sending a request and reading the answer in a loop).

#![allow(dead_code, reason = "each bench uses part of it")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub(crate) const CONNECTIONS: u64 = 32;

/// A server thread with a one-worker runtime; dropped, it stops.
pub(crate) struct Served {
    pub(crate) addr: SocketAddr,
    /// `/proc/…/task/<tid>/schedstat` of every thread serving (the runtime's and the one
    /// that started it), for [`Served::cpu_ns`].
    threads: std::sync::Arc<std::sync::Mutex<Vec<std::path::PathBuf>>>,
    _stop: std::sync::mpsc::Sender<()>,
}

/// The calling thread's `schedstat` file.
fn this_thread() -> Option<std::path::PathBuf> {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .map(|p| std::path::Path::new("/proc").join(p).join("schedstat"))
}

impl Served {
    /// Nanoseconds the server's threads have spent on a CPU (user and system; the
    /// scheduler's own count, which leaves out time the VM's vCPU was stolen), or `None`
    /// where `/proc/thread-self` does not exist (not Linux).
    pub(crate) fn cpu_ns(&self) -> Option<u64> {
        let threads = self
            .threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if threads.is_empty() {
            return None;
        }
        // A thread that has ended (a blocking-pool thread after its idle timeout) is
        // skipped: its time is in no later reading either, so deltas stay right.
        Some(
            threads
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .filter_map(|t| t.split_whitespace().next()?.parse::<u64>().ok())
                .sum(),
        )
    }
}

pub(crate) fn on_own_runtime<F, Fut>(start: F) -> Served
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = (SocketAddr, Box<dyn FnOnce() + Send>)>,
{
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let threads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let note = threads.clone();
    std::thread::spawn(move || {
        let add = move || {
            if let Some(p) = this_thread() {
                note.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(p);
            }
        };
        add();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .on_thread_start(add)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let (addr, keep) = start().await;
            addr_tx.send(addr).expect("send addr");
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            drop(keep);
        });
    });
    Served {
        addr: addr_rx.recv().expect("server started"),
        threads,
        _stop: stop_tx,
    }
}

/// `app` served by `axum::serve` on 127.0.0.1 (an ephemeral port) on its own one-worker
/// runtime.
pub(crate) fn serve_router(app: axum::Router) -> Served {
    on_own_runtime(move || async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        let keep: Box<dyn FnOnce() + Send> = Box::new(move || task.abort());
        (addr, keep)
    })
}

/// One keep-alive client: sends `n` GETs of `path`, reading each answer whole.
pub(crate) async fn client(addr: SocketAddr, path: &'static str, n: u64) -> Vec<u8> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    let mut line = String::new();
    let mut body = Vec::new();
    for _ in 0..n {
        write.write_all(request.as_bytes()).await.expect("write");
        let mut length = 0usize;
        loop {
            line.clear();
            read.read_line(&mut line).await.expect("read");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().expect("length");
            }
        }
        body.resize(length, 0);
        read.read_exact(&mut body).await.expect("body");
    }
    body
}

/// Runs `total` requests over `CONNECTIONS` connections; the wall time they took.
pub(crate) fn load(
    rt: &tokio::runtime::Runtime,
    addr: SocketAddr,
    path: &'static str,
    total: u64,
) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let per = total.div_ceil(CONNECTIONS);
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|_| tokio::spawn(client(addr, path, per)))
            .collect();
        for t in tasks {
            t.await.expect("client");
        }
        start
            .elapsed()
            .mul_f64(total as f64 / (per * CONNECTIONS) as f64)
    })
}

/// Throughput of `b` relative to `a` (1.0 = as fast), measured in `rounds` interleaved rounds
/// of `requests` each (which goes first alternates, so drift on a shared machine hits both),
/// printed as the median with the spread (lowest, highest), and returned as the median.
pub(crate) fn ratio_rounds(
    rt: &tokio::runtime::Runtime,
    label: &str,
    a: (SocketAddr, &'static str),
    b: (SocketAddr, &'static str),
    rounds: usize,
    requests: u64,
) -> f64 {
    let mut ratios = Vec::with_capacity(rounds);
    let mut per_a = Vec::with_capacity(rounds);
    let mut per_b = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (ta, tb) = if round % 2 == 0 {
            let ta = load(rt, a.0, a.1, requests);
            (ta, load(rt, b.0, b.1, requests))
        } else {
            let tb = load(rt, b.0, b.1, requests);
            (load(rt, a.0, a.1, requests), tb)
        };
        per_a.push(requests as f64 / ta.as_secs_f64());
        per_b.push(requests as f64 / tb.as_secs_f64());
        ratios.push(ta.as_secs_f64() / tb.as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mb, mr) = (median(&mut per_a), median(&mut per_b), median(&mut ratios));
    eprintln!(
        "{label}: {rounds} interleaved rounds of {requests} requests: {:.1} k vs {:.1} k req/s (medians), ratio {mr:.3} (spread {:.3}–{:.3})",
        ma / 1000.0,
        mb / 1000.0,
        ratios[0],
        ratios[ratios.len() - 1],
    );
    mr
}

/// Requests per second `wrk` (one thread, 32 connections, `secs` seconds) measured at
/// `addr` + `path`; `None` when wrk is not installed or printed no rate.
pub(crate) fn wrk(addr: SocketAddr, path: &str, secs: u32) -> Option<f64> {
    let out = std::process::Command::new("wrk")
        .args([
            "-t1",
            "-c32",
            &format!("-d{secs}s"),
            &format!("http://{addr}{path}"),
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

/// [`ratio_rounds`] with `wrk` as the load generator (its own process, so on a 2-core
/// machine client and server each get a core): `rounds` interleaved runs of `secs` seconds
/// per side; the ratio is `b`'s rate over `a`'s. Says so and returns `None` without wrk.
pub(crate) fn wrk_rounds(
    label: &str,
    a: (SocketAddr, &'static str),
    b: (SocketAddr, &'static str),
    rounds: usize,
    secs: u32,
) -> Option<f64> {
    let mut ratios = Vec::with_capacity(rounds);
    let (mut per_a, mut per_b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (ra, rb) = if round % 2 == 0 {
            let ra = wrk(a.0, a.1, secs)?;
            (ra, wrk(b.0, b.1, secs)?)
        } else {
            let rb = wrk(b.0, b.1, secs)?;
            (wrk(a.0, a.1, secs)?, rb)
        };
        per_a.push(ra);
        per_b.push(rb);
        ratios.push(rb / ra);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mb, mr) = (median(&mut per_a), median(&mut per_b), median(&mut ratios));
    eprintln!(
        "{label} (wrk -t1 -c32, {rounds} interleaved rounds of {secs} s): {:.1} k vs {:.1} k req/s (medians), ratio {mr:.3} (spread {:.3}–{:.3})",
        ma / 1000.0,
        mb / 1000.0,
        ratios[0],
        ratios[ratios.len() - 1],
    );
    Some(mr)
}

/// The servers' own CPU time per request, `a` against `b`: `rounds` interleaved rounds of
/// `requests` (which goes first alternates), each server's threads' on-CPU nanoseconds read
/// before and after. For a server bound by its CPU, throughput is the inverse, so
/// `a`'s CPU over `b`'s is `b`'s throughput relative to `a` — a figure that other tenants'
/// load on a shared VM moves far less than the wall-clock rate. Printed as medians with the
/// spread; `None` where threads' CPU time cannot be read.
pub(crate) fn cpu_rounds(
    rt: &tokio::runtime::Runtime,
    label: &str,
    a: (&Served, &'static str),
    b: (&Served, &'static str),
    rounds: usize,
    requests: u64,
) -> Option<f64> {
    let per_request = |s: &Served, path| -> Option<f64> {
        let before = s.cpu_ns()?;
        load(rt, s.addr, path, requests);
        Some((s.cpu_ns()? - before) as f64 / requests as f64)
    };
    let (mut ca, mut cb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = per_request(a.0, a.1)?;
            (x, per_request(b.0, b.1)?)
        } else {
            let y = per_request(b.0, b.1)?;
            (per_request(a.0, a.1)?, y)
        };
        ca.push(x);
        cb.push(y);
        ratios.push(x / y);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mb, mr) = (median(&mut ca), median(&mut cb), median(&mut ratios));
    eprintln!(
        "{label}, server CPU per request ({rounds} interleaved rounds of {requests}): {ma:.0} ns vs {mb:.0} ns (medians, spreads {:.0}–{:.0} and {:.0}–{:.0}), throughput ratio {mr:.3} (spread {:.3}–{:.3})",
        ca[0],
        ca[ca.len() - 1],
        cb[0],
        cb[cb.len() - 1],
        ratios[0],
        ratios[ratios.len() - 1],
    );
    Some(mr)
}
