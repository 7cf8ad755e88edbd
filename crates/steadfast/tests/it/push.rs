//! `Run::finish` pushes the run's metrics to a real `prometheus-pushgateway` on 127.0.0.1
//! (Debian package; `.ci/run` installs it) and writes the textfile — and a gateway that is
//! down never fails the run. The push itself is tested in steadfast-prometheus.

use steadfast_testkit::pushgateway::{get, start as gateway};

#[test]
fn run_finish_pushes_and_a_dead_gateway_never_fails_the_run() {
    let Some(gw) = gateway() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let textfile = root.path().join("steadfast.prom");
    let config = format!(
        "[metrics]\npushgateway = \"http://{}\"\ntextfile = \"{}\"\n",
        gw.addr,
        textfile.display()
    );
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .config_text("steadfast.toml", &config)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    run.metrics().counter("bronze", "records").add(42);
    let report = run.finish().unwrap();
    assert!(
        matches!(report.exported, Some(Ok(()))),
        "{:?}",
        report.exported
    );
    let body = get(gw.addr, "/metrics").unwrap();
    assert!(
        body.lines()
            .any(|l| l.starts_with("steadfast_records_total{")
                && l.contains(r#"job="nightly""#)
                && l.ends_with(" 42")),
        "{body}"
    );
    assert!(!body.contains("run_id"), "the run id never becomes a label");
    assert!(
        std::fs::read_to_string(&textfile)
            .unwrap()
            .contains("steadfast_records_total")
    );

    // The gateway is gone: the run still finishes, with the failure reported.
    let dead = format!("[metrics]\npushgateway = \"http://{}\"\n", gw.addr);
    drop(gw);
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .config_text("steadfast.toml", &dead)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let report = run.finish().unwrap();
    assert!(
        matches!(&report.exported, Some(Err(e)) if e.to_string().contains("failed")),
        "{:?}",
        report.exported
    );
}
