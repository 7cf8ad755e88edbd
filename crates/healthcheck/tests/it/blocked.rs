//! Nothing blocks a probe: a FIFO `run.json` under a runs root (as a hung NFS mount
//! behaves) is refused at once by the staleness check, and a read stuck for good fails its
//! own check by timeout while `/health/live` answers and shutdown completes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

use steadfast_core::{RunDir, RunManifest, RunState, Status, Timestamp};
use steadfast_healthcheck::{
    BlockingCheck, Check, CheckOutput, Group, HealthRegistry, Registration, ServerOptions,
    ShowDetails, StalenessCheck, serve,
};

use crate::{get, mkfifo};

/// A run of `pipeline` under `root` whose `run.json` is a FIFO with no writer.
fn fifo_run(root: &std::path::Path, pipeline: &str) -> bool {
    let run = RunDir::create(root, pipeline).unwrap();
    let _ = std::fs::remove_file(run.manifest_path());
    mkfifo(&run.manifest_path())
}

fn finished_run(root: &std::path::Path, pipeline: &str) {
    let run = RunDir::create(root, pipeline).unwrap();
    let mut m = RunManifest::new(run.id(), pipeline, Timestamp::now());
    m.state = RunState::Finished;
    m.finished = Some(Timestamp::now());
    run.write_manifest(&m).unwrap();
}

/// Runs `check` once on a thread and runtime of its own, waiting at most `limit`: a check
/// that blocks its thread makes this `None` instead of hanging the test.
fn on_its_own_thread(check: impl Check, limit: Duration) -> Option<CheckOutput> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = tx.send(rt.block_on(check.check()));
    });
    rx.recv_timeout(limit).ok()
}

/// The status of a GET over a plain blocking socket with a deadline, so a server whose
/// runtime is stuck fails the test instead of hanging it.
fn status_within(addr: std::net::SocketAddr, path: &str, limit: Duration) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, limit).ok()?;
    s.set_read_timeout(Some(limit)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn check_output(body: &str, name: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let r = &v["checks"][name][0];
    (
        r["status"].as_str().unwrap_or_default().to_owned(),
        r["output"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_run_json_is_skipped_at_once_and_never_blocks_a_probe() {
    let root = tempfile::tempdir().unwrap();
    if !fifo_run(root.path(), "epic") {
        return;
    }
    let check = StalenessCheck::new(root.path(), "epic", Duration::from_secs(3600));
    let started = Instant::now();
    let out = on_its_own_thread(check.clone(), Duration::from_secs(2))
        .expect("the FIFO is refused, not read");
    assert_eq!(
        (out.status, out.output),
        (Status::Fail, Some("no finished run"))
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    // Beside a finished run, the FIFO one is skipped.
    finished_run(root.path(), "epic");
    assert_eq!(check.check().await.status, Status::Pass);

    let only_fifo = tempfile::tempdir().unwrap();
    assert!(fifo_run(only_fifo.path(), "epic"));
    let health = HealthRegistry::new()
        .register(
            Registration::new("process:alive", || async { CheckOutput::pass() })
                .groups([Group::Live]),
        )
        .unwrap()
        .register(
            Registration::new(
                "pipeline:staleness",
                StalenessCheck::new(only_fifo.path(), "epic", Duration::from_secs(3600)),
            )
            .timeout(Duration::from_millis(300))
            .ttl(Duration::from_millis(100)),
        )
        .unwrap()
        .start();
    let options = ServerOptions {
        show_details: ShowDetails::Always,
        drain: Duration::ZERO,
        ..ServerOptions::default()
    };
    let server = serve(health.clone(), "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    for _ in 0..10 {
        let t = Instant::now();
        assert_eq!(get(server.addr, "/health/live", None).await.0, 200);
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let (status, _, body) = get(server.addr, "/health", None).await;
    assert_eq!(status, 503);
    assert_eq!(
        check_output(&body, "pipeline:staleness"),
        ("fail".into(), "no finished run".into())
    );
    server.shutdown().await;
}

/// Serves beside a check whose read of `fifo` never ends, on a runtime of its own as
/// `steadfast health serve` has, because a runtime's drop waits for every blocking task.
fn serve_beside_a_stuck_read(fifo: &std::path::Path) {
    let calls = Arc::new(AtomicU32::new(0));
    let (counted, path) = (Arc::clone(&calls), fifo.to_path_buf());
    // A plain blocking read, as an NFS mount that stopped answering does to any reader.
    let check = BlockingCheck::new(move || {
        counted.fetch_add(1, SeqCst);
        match std::fs::read(&path) {
            Ok(_) => CheckOutput::pass(),
            Err(_) => CheckOutput::fail("unreadable"),
        }
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let health = HealthRegistry::new()
            .register(
                Registration::new("process:alive", || async { CheckOutput::pass() })
                    .groups([Group::Live]),
            )
            .unwrap()
            .register(
                Registration::new("pipeline:staleness", check)
                    .timeout(Duration::from_millis(200))
                    .ttl(Duration::from_millis(50)),
            )
            .unwrap()
            .start();
        let t = Instant::now();
        health.first_round(Duration::from_secs(2)).await;
        assert!(
            t.elapsed() < Duration::from_millis(600),
            "{:?}",
            t.elapsed()
        );
        let options = ServerOptions {
            show_details: ShowDetails::Always,
            drain: Duration::ZERO,
            ..ServerOptions::default()
        };
        let server = serve(health.clone(), "127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap();
        for _ in 0..20 {
            let addr = server.addr;
            let live = tokio::task::spawn_blocking(move || {
                status_within(addr, "/health/live", Duration::from_millis(500))
            });
            assert_eq!(live.await.unwrap(), Some(200), "liveness answers at once");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let (status, _, body) = get(server.addr, "/health", None).await;
        assert_eq!(status, 503);
        let (state, output) = check_output(&body, "pipeline:staleness");
        assert_eq!(state, "fail");
        assert!(
            ["timed out", "previous run still blocked"].contains(&output.as_str()),
            "{output}"
        );
        assert_eq!(
            calls.load(SeqCst),
            1,
            "one stuck thread, not one per refresh"
        );
        let t = Instant::now();
        server.shutdown().await;
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    });
    let t = Instant::now();
    runtime.shutdown_timeout(Duration::from_millis(300));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn a_read_stuck_for_good_fails_its_check_and_holds_up_neither_probes_nor_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("run.json");
    if !mkfifo(&fifo) {
        return;
    }
    // On a thread of its own, so whatever blocks fails this test instead of hanging it.
    let (done, finished) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        serve_beside_a_stuck_read(&path);
        let _ = done.send(());
    });
    let outcome = finished.recv_timeout(Duration::from_secs(20));
    // Let the stuck reader go before the directory is removed.
    let (opened, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = opened.send(std::fs::OpenOptions::new().write(true).open(&fifo).is_ok());
    });
    let _ = wait.recv_timeout(Duration::from_secs(5));
    assert_eq!(
        outcome,
        Ok(()),
        "the server thread panicked (see above) or something blocked it"
    );
}
