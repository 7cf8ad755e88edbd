//! Steadfast against the real Prometheus tools (Debian packages `prometheus` and
//! `prometheus-pushgateway`, installed by `.ci/run`): the demo's exposition passes
//! `promtool check metrics`, and a real Prometheus server scrapes it and answers queries with
//! the values the run recorded. Without the tools a test skips locally and fails in CI.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An executable on the PATH.
pub(crate) fn tool(name: &str, install: &str) -> Option<PathBuf> {
    steadfast_testkit::require_tool(name, install)
}

/// A child process killed when the test ends, however it ends.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP GET; the body of a 200 answer.
pub(crate) fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| {
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        }
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Polls `f` until it gives a value or `limit` passes (each try is a real request).
pub(crate) fn poll<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(v) = f() {
            return Some(v);
        }
        // Wait without sleeping: a bounded connect to a closed port.
        let _ = std::net::TcpStream::connect_timeout(
            &"127.0.0.1:9".parse().unwrap(),
            Duration::from_millis(200),
        );
        std::thread::yield_now();
    }
    None
}

/// Starts the demo serving health and metrics until killed; its address and the run dir.
fn serving_demo(runs: &Path) -> (Killed, SocketAddr, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args([
            "demo",
            "--runs-root",
            runs.to_str().unwrap(),
            "--patients",
            "100",
        ])
        .args(["--serve", "127.0.0.1:0", "--keep-serving"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let child = Killed(child);
    let mut addr = None;
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the demo ended before serving"
        );
        if let Some(rest) = line.strip_prefix("health: http://") {
            addr = rest.split('/').next().and_then(|a| a.parse().ok());
        }
        if line.starts_with("still serving") {
            break;
        }
    }
    (child, addr.expect("the demo printed its address"), out)
}

#[test]
fn the_demo_exposition_is_promtool_clean_and_a_real_prometheus_scrapes_it() {
    let (Some(promtool), Some(prometheus)) = (
        tool("promtool", "apt-get install prometheus"),
        tool("prometheus", "apt-get install prometheus"),
    ) else {
        return;
    };
    let runs = tempfile::tempdir().unwrap();
    let (_demo, addr, _out) = serving_demo(runs.path());
    let body = http_get(addr, "/metrics").expect("/metrics answers");
    assert!(body.contains("steadfast_records_total"), "{body}");

    steadfast_testkit::assert_promtool_clean(&promtool, &body);

    // A real Prometheus, scraping every second into temporary storage.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    steadfast::run::atomic_write(
        &config,
        format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: steadfast-demo\n    static_configs:\n      - targets: [\"{addr}\"]\n"),
    )
    .unwrap();
    let port = free_port();
    let server = Command::new(&prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Killed(server);
    let api: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let query = |q: &str| -> Option<f64> {
        let encoded: String = q
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'_' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let body = http_get(api, &format!("/api/v1/query?query={encoded}"))?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
    let patients = poll(Duration::from_secs(40), || {
        query(
            r#"steadfast_records_total{step="bronze",resource_type="Patient",job="steadfast-demo"}"#,
        )
    });
    assert_eq!(
        patients,
        Some(100.0),
        "Prometheus has the run's Patient count"
    );
    // 100 patients: 100 + 200 + 300 exported, 100 Conditions by search.
    assert_eq!(
        query(r#"sum(steadfast_records_total{step="bronze"})"#),
        Some(700.0)
    );
    assert_eq!(
        query(r#"steadfast_health_check_status{check="process:alive",status="pass"}"#),
        Some(1.0)
    );
    assert_eq!(query(r#"up{job="steadfast-demo"}"#), Some(1.0));
}

#[test]
fn shipped_alert_rules_are_current_promtool_clean_and_unit_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = root.join("configs/alerts/steadfast.rules.yml");
    let out = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["alerts", "generate", "--config"])
        .arg(root.join("configs/alerts/example.toml"))
        .arg("--thresholds")
        .arg(root.join("configs/thresholds.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        std::fs::read_to_string(&rules).unwrap(),
        "configs/alerts/steadfast.rules.yml is stale: regenerate it (command in configs/alerts/example.toml)"
    );
    let Some(promtool) = tool("promtool", "apt-get install prometheus") else {
        return;
    };
    for args in [
        vec![
            "check".into(),
            "rules".into(),
            rules.clone().into_os_string(),
        ],
        vec![
            "test".into(),
            "rules".into(),
            root.join("configs/alerts/tests/steadfast.test.yml")
                .into_os_string(),
        ],
    ] {
        let out = Command::new(&promtool).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_demo_exports_every_series_its_alert_rules_read() {
    let runs = tempfile::tempdir().unwrap();
    let (_demo, addr, _out) = serving_demo(runs.path());
    // Twice: the request series of the first scrape appear in the second.
    let _ = http_get(addr, "/metrics").expect("/metrics answers");
    let body = http_get(addr, "/metrics").expect("/metrics answers");
    let families: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();

    // The rules `steadfast alerts generate` writes for the demo's own configuration.
    let loader = steadfast::run::config::Loader::new()
        .toml_str("demo.toml", include_str!("../../src/demo/demo.toml"))
        .env_vars::<_, String, String>([]);
    let settings = steadfast::Settings::load(&loader).unwrap();
    let s = settings.value();
    let inputs = steadfast::prometheus::AlertInputs::new(&s.validation)
        .prefix(s.metrics.prefix().unwrap())
        .disk_horizon(s.disk.horizon.get())
        .slos(&s.profiler.slos);
    let pools = [
        steadfast::healthcheck::series::POOL_CONNECTIONS,
        steadfast::healthcheck::series::POOL_MAX_CONNECTIONS,
    ]
    .map(|series| inputs.prefix.name(series));
    let mut checked = 0;
    for watched in steadfast::prometheus::watched_series(&inputs) {
        for names in &watched.families {
            // The demo has no connection pool: its pool series exist only in an
            // application that registers a `PoolMetrics`.
            if names.iter().any(|n| pools.contains(n)) {
                continue;
            }
            // Nor a response cache (unless asked), nor a database client.
            if watched.alert == "SteadfastCacheHitRatioLow" || watched.group == "steadfast-db" {
                continue;
            }
            assert!(
                names.iter().any(|n| families.contains(&n.as_str())),
                "{} reads {names:?}, which the demo's /metrics does not carry:\n{body}",
                watched.alert
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} series checked");
}
