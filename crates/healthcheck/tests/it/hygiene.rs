//! Check hygiene: a timed-out check is aborted (its task and socket go with it) so a
//! black-hole dependency holds at most one socket however long it is probed; a result
//! older than `max_stale` is a `fail`; a bound on checks running at once; dropping or
//! closing a `Health` aborts what is in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use steadfast_core::Status;
use steadfast_healthcheck::{CheckOutput, Group, HealthRegistry, HttpCheck, Registration};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A server that accepts, reads and never answers, counting the connections the client
/// still holds open (it sees the client's close as end of file).
async fn counting_black_hole() -> (std::net::SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (open, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (o, p) = (Arc::clone(&open), Arc::clone(&peak));
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let now = o.fetch_add(1, SeqCst) + 1;
            p.fetch_max(now, SeqCst);
            let o = Arc::clone(&o);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
                o.fetch_sub(1, SeqCst);
            });
        }
    });
    (addr, open, peak)
}

/// Open file descriptors of this process (Linux), for the report; other tests share it.
fn open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(Iterator::count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_check_is_aborted_with_its_socket() {
    let (addr, open, peak) = counting_black_hole().await;
    let health = HealthRegistry::new()
        .register(
            Registration::new(
                "ehr:metadata",
                HttpCheck::new(&format!("http://{addr}/metadata")).unwrap(),
            )
            .timeout(Duration::from_millis(200))
            .ttl(Duration::from_millis(100)),
        )
        .unwrap()
        .start();
    let metrics = tokio::runtime::Handle::current().metrics();
    health.first_round(Duration::from_secs(2)).await;
    let (tasks_before, fds_before) = (metrics.num_alive_tasks(), open_fds());
    let mut most_tasks = tasks_before;
    let mut most_open = 0;
    // 60 s of probing (the figure): a refresh every ~300 ms, each one timing out.
    // Real time on purpose: the sockets and tasks a leak would pile up are real.
    for _ in 0..6_000 {
        let report = health.report(Some(&Group::Ready));
        assert_ne!(report.status, Status::Pass);
        most_open = most_open.max(open.load(SeqCst));
        most_tasks = most_tasks.max(metrics.num_alive_tasks());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let runs = health.runs("ehr:metadata");
    eprintln!(
        "black hole: {runs} runs; server-side sockets now {}, peak {}; alive tasks {tasks_before} -> {} (peak {most_tasks}); fds {fds_before:?} -> {:?}",
        open.load(SeqCst),
        peak.load(SeqCst),
        metrics.num_alive_tasks(),
        open_fds()
    );
    assert!(runs >= 100, "the check kept being refreshed: {runs} runs");
    assert!(
        most_open <= 2 && peak.load(SeqCst) <= 2,
        "timed-out runs left sockets open: {most_open} seen, peak {}",
        peak.load(SeqCst)
    );
    assert!(
        most_tasks <= tasks_before + 6,
        "timed-out runs left tasks alive: {tasks_before} -> {most_tasks}"
    );
    // Descriptors are flat too (other tests in this process open files: a margin, not a
    // leak of one per refresh, which would be ~200 here; under cargo test other tests share
    // the process).
    if let (Some(before), Some(after)) = (fds_before, open_fds()) {
        assert!(
            after <= before + 64,
            "descriptors grew: {before} -> {after}"
        );
    }
}

/// A check that passes on its first run and then never finishes (a stuck refresher).
fn passes_once_then_hangs()
-> impl Fn() -> steadfast_healthcheck::BoxFuture<'static, CheckOutput> + Send + Sync + 'static {
    let calls = Arc::new(AtomicU32::new(0));
    move || {
        let n = calls.fetch_add(1, SeqCst);
        Box::pin(async move {
            if n > 0 {
                std::future::pending::<()>().await;
            }
            CheckOutput::pass()
        })
    }
}

fn output(health: &steadfast_healthcheck::Health, name: &str) -> (Status, Option<&'static str>) {
    let r = &health.report(None).checks[name][0].result;
    (r.status, r.output)
}

#[tokio::test(start_paused = true)]
async fn a_stuck_interval_refresher_reports_result_too_old_within_max_stale() {
    let health = HealthRegistry::new()
        .register(
            Registration::new("db:ping", passes_once_then_hangs())
                .interval(Duration::from_millis(100))
                .timeout(Duration::from_secs(3600))
                .max_stale(Duration::from_millis(300)),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    assert_eq!(output(&health, "db:ping"), (Status::Pass, None));
    let generation = health.generation();
    tokio::time::advance(Duration::from_millis(250)).await;
    assert_eq!(output(&health, "db:ping").0, Status::Pass);
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(
        output(&health, "db:ping"),
        (Status::Fail, Some("result too old"))
    );
    assert_eq!(health.report(None).status, Status::Fail);
    assert_ne!(
        health.generation(),
        generation,
        "a server re-renders when a result expires"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stuck_ttl_refresher_is_too_old_but_a_quiet_one_is_not() {
    let health = HealthRegistry::new()
        .register(
            Registration::new("db:ping", passes_once_then_hangs())
                .ttl(Duration::from_millis(100))
                .timeout(Duration::from_secs(3600))
                .max_stale(Duration::from_millis(300)),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    // Nobody asked for 10 s: the result is old, but no refresh was due, so it stands.
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(output(&health, "db:ping"), (Status::Pass, None));
    // That probe started a refresh, which hangs: too old max_stale − ttl later.
    tokio::time::advance(Duration::from_millis(150)).await;
    assert_eq!(output(&health, "db:ping").0, Status::Pass);
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(
        output(&health, "db:ping"),
        (Status::Fail, Some("result too old"))
    );
}

#[tokio::test(start_paused = true)]
async fn closed_checks_go_too_old_after_three_times_their_interval() {
    let health = HealthRegistry::new()
        .register(
            Registration::new("disk:utilization", || async { CheckOutput::pass() })
                .interval(Duration::from_secs(1))
                .timeout(Duration::from_millis(200)),
        )
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(1)).await;
    health.close();
    tokio::time::advance(Duration::from_millis(2900)).await;
    assert_eq!(output(&health, "disk:utilization").0, Status::Pass);
    tokio::time::advance(Duration::from_millis(200)).await;
    assert_eq!(
        output(&health, "disk:utilization"),
        (Status::Fail, Some("result too old"))
    );
    assert_eq!(health.runs("disk:utilization"), 1, "no run after close");
}

#[tokio::test(start_paused = true)]
async fn no_more_checks_run_at_once_than_the_bound() {
    let (running, peak) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let mut registry = HealthRegistry::new().max_concurrent(2);
    for i in 0..6 {
        let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
        let check = move || {
            let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
            async move {
                peak.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                running.fetch_sub(1, SeqCst);
                CheckOutput::pass()
            }
        };
        registry = registry
            .register(Registration::new(format!("dep:{i}"), check).ttl(Duration::from_secs(60)))
            .unwrap();
    }
    let health = registry.start();
    health.first_round(Duration::from_secs(5)).await;
    assert_eq!(health.report(None).status, Status::Pass, "every check ran");
    assert_eq!(peak.load(SeqCst), 2);
}

/// Counts how many check futures were dropped before they finished.
struct DropCounter(Arc<AtomicU32>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_last_health_aborts_runs_in_flight() {
    let dropped = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&dropped);
    let check = move || {
        let guard = DropCounter(Arc::clone(&counter));
        async move {
            let _guard = guard;
            std::future::pending::<CheckOutput>().await
        }
    };
    let health = HealthRegistry::new()
        .register(Registration::new("ehr:metadata", check).timeout(Duration::from_secs(3600)))
        .unwrap()
        .start();
    let clone = health.clone();
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(health);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(dropped.load(SeqCst), 0, "a clone still holds the checks");
    drop(clone);
    for _ in 0..100 {
        if dropped.load(SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(dropped.load(SeqCst), 1, "the hung run was aborted");
}
