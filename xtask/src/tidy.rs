//! In-process tidy checks: file headers, file length, stray snapshots, architecture
//! headings, and that every shipped config parses.

use std::path::{Path, PathBuf};

use anyhow::bail;
use walkdir::WalkDir;

/// Longest a source file may be before it is probably two ideas.
const MAX_LINES: usize = 400;

/// Files allowed past [`MAX_LINES`], each with its reason.
const LONG_FILE_ALLOWLIST: &[(&str, &str)] = &[];

/// The only files that may allow `unsafe_code` (the workspace denies it), each with its
/// reason. Allowing the lint anywhere else is a tidy error.
const UNSAFE_ALLOWLIST: &[(&str, &str)] = &[(
    "crates/perf-profiler/src/alloc.rs",
    "a global allocator is an `unsafe impl GlobalAlloc`; it only forwards to `System`",
)];

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let files = project_files(root);

    for path in &files {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if rel_str.ends_with(".snap.new") || rel_str.ends_with(".pending-snap") {
            problems.push(format!(
                "{rel_str}: unreviewed insta snapshot; review it with `cargo insta review` or delete it"
            ));
            continue;
        }
        if path.extension().is_some_and(|e| e == "rs") {
            let Ok(text) = std::fs::read_to_string(path) else {
                problems.push(format!("{rel_str}: not UTF-8"));
                continue;
            };
            if !text.starts_with("//!") {
                problems.push(format!(
                    "{rel_str}:1: every .rs file opens with a `//!` line saying what it holds"
                ));
            }
            if text.contains(concat!("allow(", "unsafe_code"))
                && !UNSAFE_ALLOWLIST.iter().any(|(p, _)| *p == rel_str)
            {
                problems.push(format!(
                    "{rel_str}: allows unsafe_code; the workspace denies it outside UNSAFE_ALLOWLIST \
                     in xtask/src/tidy.rs (add it there with a reason, or do without)"
                ));
            }
            let lines = text.lines().count();
            if lines > MAX_LINES && !LONG_FILE_ALLOWLIST.iter().any(|(p, _)| *p == rel_str) {
                problems.push(format!(
                    "{rel_str}: {lines} lines, over {MAX_LINES}; split it by idea, or add it to \
                     LONG_FILE_ALLOWLIST in xtask/src/tidy.rs with a reason"
                ));
            }
        }
    }

    check_architecture(root, &mut problems);
    check_configs(root, &files, &mut problems);
    crate::doc_checks::check(root, &mut problems);
    crate::cycles::check(root, &mut problems);
    crate::string_errors::check(root, &mut problems);

    if problems.is_empty() {
        println!("tidy: {} files checked, all tidy", files.len());
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    bail!("{} tidy problem(s)", problems.len())
}

/// Every file of the project, skipping build output and version control.
fn project_files(root: &Path) -> Vec<PathBuf> {
    WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.depth() > 0 && (name == "target" || name == ".git" || name == "runs"))
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Every crate under `crates/` has a heading in docs/ARCHITECTURE.md.
fn check_architecture(root: &Path, problems: &mut Vec<String>) {
    let arch_path = root.join("docs/ARCHITECTURE.md");
    let Ok(arch) = std::fs::read_to_string(&arch_path) else {
        problems.push("docs/ARCHITECTURE.md is missing".into());
        return;
    };
    let headings: Vec<&str> = arch.lines().filter(|l| l.starts_with('#')).collect();
    let Ok(crates) = std::fs::read_dir(root.join("crates")) else {
        return;
    };
    for entry in crates.filter_map(Result::ok) {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let Some(name) = package_name(&text) else {
            problems.push(format!("{}: no package name", manifest.display()));
            continue;
        };
        if !headings.iter().any(|h| h.contains(&format!("`{name}`"))) {
            problems.push(format!(
                "docs/ARCHITECTURE.md: no heading for crate `{name}`; add one (`### \\`{name}\\``)"
            ));
        }
    }
}

fn package_name(cargo_toml: &str) -> Option<String> {
    let value: toml::Table = cargo_toml.parse().ok()?;
    Some(value.get("package")?.get("name")?.as_str()?.to_owned())
}

/// Every file in `configs/` parses in its format.
fn check_configs(root: &Path, files: &[PathBuf], problems: &mut Vec<String>) {
    let configs = root.join("configs");
    for path in files.iter().filter(|p| p.starts_with(&configs)) {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(text) = std::fs::read_to_string(path) else {
            problems.push(format!("{rel}: not UTF-8"));
            continue;
        };
        let result = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => text
                .parse::<toml::Table>()
                .map(drop)
                .map_err(|e| e.to_string()),
            Some("json") => serde_json::from_str::<serde_json::Value>(&text)
                .map(drop)
                .map_err(|e| e.to_string()),
            // YAML (alert rules) is checked by promtool in its own test.
            _ => Ok(()),
        };
        if let Err(e) = result {
            problems.push(format!("{rel}: does not parse: {e}"));
        }
    }
}
