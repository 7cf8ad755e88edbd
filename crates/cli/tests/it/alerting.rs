//! Alerts end to end, with the real Debian tools `.ci/run` installs: a run that fails
//! validation pushes its series to a real Pushgateway, a real Prometheus scrapes it and
//! evaluates the rules `steadfast alerts generate` writes, fires `SteadfastValidationFailed`
//! to a real Alertmanager, which delivers it to a webhook receiver on 127.0.0.1 — the path
//! of the seed's "notifications on critical failures" (Slack and e-mail receivers are the
//! same route with another receiver: docs/operations.md).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::prometheus::{Killed, free_port, http_get, poll, tool};

/// A webhook receiver on 127.0.0.1: every POST body arrives on the channel.
fn webhook() -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if tx
                .send(String::from_utf8_lossy(&body).into_owned())
                .is_err()
            {
                return;
            }
        }
    });
    (addr, rx)
}

/// Starts `program args`, killed when the test ends.
fn start(program: &std::path::Path, args: &[String]) -> Killed {
    Killed(
        Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn a_failed_run_reaches_a_webhook_through_prometheus_and_alertmanager() {
    let (Some(prometheus), Some(pushgateway), Some(alertmanager)) = (
        tool("prometheus", "apt-get install prometheus"),
        steadfast_testkit::pushgateway::start(),
        tool(
            "prometheus-alertmanager",
            "apt-get install prometheus-alertmanager",
        ),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (hook, alerts) = webhook();

    let gateway = pushgateway.addr;
    let manager: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    steadfast::run::atomic_write(
        path("alertmanager.yml"),
        format!(
            "route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: http://{hook}/alerts\n"
        ),
    )
    .unwrap();
    let _manager = start(
        &alertmanager,
        &[
            format!("--config.file={}", path("alertmanager.yml")),
            format!("--storage.path={}", path("am-data")),
            format!("--web.listen-address={manager}"),
            "--cluster.listen-address=".to_owned(),
        ],
    );
    assert!(
        poll(Duration::from_secs(20), || http_get(manager, "/-/ready")).is_some(),
        "Alertmanager did not get ready"
    );

    // A run that fails validation (no Patient was extracted), pushed when it finishes.
    let config = format!(
        "[metrics]\npushgateway = \"http://{gateway}\"\n\n[[validation.rules]]\nname = \"patients-extracted\"\nmetric = \"bronze.records{{resource_type=Patient}}\"\nmin = 1\n"
    );
    let runs = tempfile::tempdir().unwrap();
    let run = steadfast::Run::builder("nightly")
        .runs_root(runs.path())
        .config_text("steadfast.toml", &config)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let settings = run.settings().clone();
    let report = run.finish().unwrap();
    assert_eq!(report.exit_code(), 1, "the run failed validation");
    assert!(
        matches!(report.exported, Some(Ok(()))),
        "{:?}",
        report.exported
    );

    // Prometheus evaluates the generated rules over what the gateway holds.
    let inputs = steadfast::prometheus::AlertInputs::new(&settings.validation)
        .prefix(settings.metrics.prefix().unwrap());
    steadfast::run::atomic_write(
        path("rules.yml"),
        steadfast::prometheus::alert_rules(&inputs),
    )
    .unwrap();
    steadfast::run::atomic_write(
        path("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [\"{}\"]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"{manager}\"]\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: [\"{gateway}\"]\n",
            path("rules.yml")
        ),
    )
    .unwrap();
    let _prometheus = start(
        &prometheus,
        &[
            format!("--config.file={}", path("prometheus.yml")),
            format!("--storage.tsdb.path={}", path("prom-data")),
            format!("--web.listen-address=127.0.0.1:{}", free_port()),
        ],
    );

    let delivered = alerts
        .recv_timeout(Duration::from_secs(90))
        .expect("no alert reached the webhook within 90 s");
    let payload: serde_json::Value = serde_json::from_str(&delivered).unwrap();
    let fired: Vec<&serde_json::Value> = payload["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["labels"]["alertname"] == "SteadfastValidationFailed")
        .collect();
    assert_eq!(fired.len(), 1, "{delivered}");
    let alert = fired[0];
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["labels"]["job"], "nightly");
    let run_id = report.run_dir.file_name().unwrap().to_string_lossy();
    assert!(
        !delivered.contains(&*run_id),
        "the run id never becomes a label"
    );
}
