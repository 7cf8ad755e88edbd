//! `cargo xtask ci`: tidy, fmt, clippy, tests, rustdoc and the pick-and-choose proof, in
//! that order, stopping at the first failure.

use std::time::Instant;

use crate::shell::{cargo, has_cargo_plugin, step};

/// The library crates that must build alone, with and without their default features.
pub(crate) const LIBRARY_CRATES: &[&str] = &[
    "steadfast-core",
    "steadfast-metrics",
    "steadfast-retry",
    "steadfast-diskwatch",
    "steadfast-validation",
    "steadfast-perf-profiler",
    "steadfast-healthcheck",
    "steadfast-http",
    "steadfast-report",
    "steadfast-prometheus",
    "steadfast-run",
    "steadfast-fhir",
    "steadfast-cache",
    "steadfast-db",
    "steadfast",
];

pub(crate) fn run() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut steps = 0;

    println!("== tidy");
    crate::tidy::run(&crate::root())?;
    steps += 1;

    step("rustfmt", cargo(&["fmt", "--all", "--", "--check"]))?;
    steps += 1;

    step(
        "clippy (all targets, all features, warnings denied)",
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    steps += 1;

    if has_cargo_plugin("nextest") {
        step(
            "tests (cargo-nextest)",
            cargo(&[
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "--locked",
                "--no-fail-fast",
            ]),
        )?;
        step(
            "doc tests",
            cargo(&["test", "--workspace", "--all-features", "--locked", "--doc"]),
        )?;
    } else {
        println!("(cargo-nextest not installed: using cargo test)");
        step(
            "tests (cargo test)",
            cargo(&["test", "--workspace", "--all-features", "--locked"]),
        )?;
    }
    steps += 1;

    let mut doc = cargo(&[
        "doc",
        "--workspace",
        "--no-deps",
        "--all-features",
        "--locked",
    ]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    step("rustdoc (warnings denied)", doc)?;
    steps += 1;

    for krate in LIBRARY_CRATES {
        step(
            &format!("pick-and-choose: {krate} alone, no default features"),
            cargo(&["check", "-p", krate, "--no-default-features", "--locked"]),
        )?;
        step(
            &format!("pick-and-choose: {krate} alone, default features"),
            cargo(&["check", "-p", krate, "--locked"]),
        )?;
        // The library alone with every feature: dev-dependencies enable features of shared
        // dependencies in test builds, which can hide a feature the library forgot to ask for.
        step(
            &format!("pick-and-choose: {krate} alone, all features"),
            cargo(&["check", "-p", krate, "--lib", "--all-features", "--locked"]),
        )?;
    }
    steps += 1;

    println!(
        "\n== xtask ci: all {steps} stages green in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
