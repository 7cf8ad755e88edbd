//! The demo's run page in a real browser: headless Chromium (Debian package `chromium`,
//! installed by `.ci/run`) loads it, takes a screenshot, and its DOM has every section and
//! the console no errors. Skips, saying so, where Chromium is absent.

use std::process::Command;

use crate::{assert_ok, demo, runs_in};

#[test]
fn the_demo_report_renders_in_headless_chromium() {
    let runs = tempfile::tempdir().unwrap();
    assert_ok(&demo(
        runs.path(),
        60,
        &["--set", "profiler.level=detailed"],
    ));
    let run = runs_in(runs.path()).remove(0);
    let page = run.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    // The CLI writes the same page on demand, and a comparison.
    let out = crate::steadfast(&[
        "report",
        run.to_str().unwrap(),
        "--out",
        runs.path().join("again.html").to_str().unwrap(),
    ]);
    assert_ok(&out);
    let Some(chromium) = steadfast_testkit::require_any_tool(
        &["chromium", "chromium-browser"],
        "apt-get install chromium",
    ) else {
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let shot = runs.path().join("report.png");
    let base = |c: &mut Command| {
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,2400",
        ]);
    };
    let mut dom = Command::new(&chromium);
    base(&mut dom);
    let dom = dom
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dumped = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "steps",
        "metrics",
        "reliability",
        "disk",
        "profile",
        "validation",
        "data-quality",
    ] {
        assert!(
            dumped.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing from the loaded page"
        );
    }
    assert!(dumped.contains("Flame graph"), "the flame graph is inline");
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(
        !log.lines()
            .any(|l| l.contains("CONSOLE") || l.contains("Uncaught")),
        "console errors: {log}"
    );
    let mut png = Command::new(&chromium);
    base(&mut png);
    let png = png
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        png.status.success(),
        "{}",
        String::from_utf8_lossy(&png.stderr)
    );
    let bytes = std::fs::read(&shot).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a real screenshot ({} bytes)",
        bytes.len()
    );
}
