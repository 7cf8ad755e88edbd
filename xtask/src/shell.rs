//! Running commands with a visible header, timing, and an error on non-zero exit.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// Prints a section header, runs `cmd` in the workspace root, and fails on non-zero exit.
pub(crate) fn step(title: &str, mut cmd: Command) -> anyhow::Result<()> {
    println!("\n== {title}");
    println!("$ {}", render(&cmd));
    let started = Instant::now();
    let status = cmd
        .current_dir(crate::root())
        .status()
        .with_context(|| format!("cannot start `{}`", render(&cmd)))?;
    let secs = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("step `{title}` failed ({status}) after {secs:.1}s");
    }
    println!("== {title}: ok in {secs:.1}s");
    Ok(())
}

/// `cargo` with the given arguments.
pub(crate) fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    cmd
}

/// Whether `cargo <sub> --version` works (an optional cargo plugin is installed).
pub(crate) fn has_cargo_plugin(sub: &str) -> bool {
    cargo(&[sub, "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn render(cmd: &Command) -> String {
    let envs: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, v?.to_str()?)))
        .collect();
    let mut parts = envs;
    parts.push(cmd.get_program().to_string_lossy().into_owned());
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}
