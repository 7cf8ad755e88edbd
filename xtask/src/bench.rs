//! `cargo xtask bench`: runs the criterion benches and prints each one's median.

use std::path::Path;

use anyhow::Context;
use walkdir::WalkDir;

use crate::shell::{cargo, step};

pub(crate) fn run(extra: &[String]) -> anyhow::Result<()> {
    let mut args = vec!["bench", "--locked"];
    if !extra
        .iter()
        .any(|a| a == "-p" || a.starts_with("--package"))
    {
        args.push("--workspace");
    }
    args.extend(extra.iter().map(String::as_str));
    step("criterion benches", cargo(&args))?;
    summary(&crate::root().join("target/criterion"))
}

/// Prints `group/bench  median` for every criterion result under `dir`.
fn summary(dir: &Path) -> anyhow::Result<()> {
    println!("\n== bench summary (median of the latest run)");
    if !dir.exists() {
        println!("no criterion results yet: no crate has benches under benches/");
        return Ok(());
    }
    let mut rows = Vec::new();
    for entry in WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        if path.file_name().is_none_or(|n| n != "estimates.json")
            || path
                .parent()
                .and_then(Path::file_name)
                .is_none_or(|n| n != "new")
        {
            continue;
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)?;
        let Some(median_ns) = json["median"]["point_estimate"].as_f64() else {
            continue;
        };
        let id = path
            .parent()
            .and_then(Path::parent)
            .and_then(|p| p.strip_prefix(dir).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        rows.push((id, median_ns));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (id, ns) in rows {
        println!("{id:width$}  {}", format_ns(ns));
    }
    Ok(())
}

fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:>9.2} ns")
    } else if ns < 1e6 {
        format!("{:>9.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:>9.2} ms", ns / 1e6)
    } else {
        format!("{:>9.2} s", ns / 1e9)
    }
}
