//! `cargo xtask release [--dry-run] [--no-verify] <version>`: bump the workspace version,
//! check the CHANGELOG, and package every crate in dependency order. It never publishes.

use anyhow::{Context, bail, ensure};

use crate::shell::{cargo, step};

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let no_verify = args.iter().any(|a| a == "--no-verify");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [version] = positional.as_slice() else {
        bail!("usage: cargo xtask release [--dry-run] [--no-verify] <version>, e.g. 0.2.0");
    };
    check_version(version)?;

    let root = crate::root();
    let changelog =
        std::fs::read_to_string(root.join("CHANGELOG.md")).context("reading CHANGELOG.md")?;
    ensure!(
        changelog
            .lines()
            .any(|l| l.starts_with("## ") && l.contains(&format!("[{version}]"))),
        "CHANGELOG.md has no `## [{version}]` entry; add one describing the release"
    );

    let manifest_path = root.join("Cargo.toml");
    let lock_path = root.join("Cargo.lock");
    let original = std::fs::read_to_string(&manifest_path)?;
    let original_lock = std::fs::read(&lock_path).ok();
    let bumped = bump(&original, version)?;
    std::fs::write(&manifest_path, &bumped)?;
    println!("bumped the workspace to {version}");

    let mut package = vec!["package", "--workspace", "--exclude", "xtask"];
    if dry_run {
        package.push("--allow-dirty");
    }
    if no_verify {
        package.push("--no-verify");
    }
    // cargo packages workspace members in dependency order, resolving our own crates
    // through a temporary local registry.
    let result = step("package every crate (dependency order)", cargo(&package));

    if dry_run {
        std::fs::write(&manifest_path, original)?;
        if let Some(lock) = original_lock {
            std::fs::write(&lock_path, lock)?;
        }
        println!("dry run: Cargo.toml and Cargo.lock restored; nothing was published");
    } else if result.is_ok() {
        println!("next: commit, tag v{version}, then `cargo publish --workspace --exclude xtask`");
    }
    result
}

fn check_version(v: &str) -> anyhow::Result<()> {
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let parts: Vec<&str> = core.split('.').collect();
    ensure!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "`{v}` is not a semantic version; expected MAJOR.MINOR.PATCH like 0.2.0"
    );
    Ok(())
}

/// Rewrites `[workspace.package] version` and the version of our own crates in
/// `[workspace.dependencies]`.
fn bump(manifest: &str, version: &str) -> anyhow::Result<String> {
    let mut section = String::new();
    let mut changed = 0;
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let new_line = if section == "[workspace.package]" && trimmed.starts_with("version =") {
            changed += 1;
            format!("version = \"{version}\"")
        } else if section == "[workspace.dependencies]"
            && trimmed.starts_with("steadfast")
            && trimmed.contains("path = \"crates/")
        {
            changed += 1;
            replace_version(line, version)
        } else {
            line.to_owned()
        };
        out.push_str(&new_line);
        out.push('\n');
    }
    ensure!(changed > 1, "found no versions to bump in Cargo.toml");
    Ok(out)
}

fn replace_version(line: &str, version: &str) -> String {
    let Some(start) = line.find("version = \"") else {
        return line.to_owned();
    };
    let value_start = start + "version = \"".len();
    let Some(len) = line[value_start..].find('"') else {
        return line.to_owned();
    };
    format!(
        "{}{version}{}",
        &line[..value_start],
        &line[value_start + len..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_package_and_own_dependencies_only() {
        let input = "[workspace.package]\nversion = \"0.1.0\"\n\n[workspace.dependencies]\nsteadfast-core = { path = \"crates/core\", version = \"0.1.0\" }\nserde = { version = \"1.0.1\" }\n";
        let out = bump(input, "0.2.0").unwrap();
        assert_eq!(
            out,
            "[workspace.package]\nversion = \"0.2.0\"\n\n[workspace.dependencies]\nsteadfast-core = { path = \"crates/core\", version = \"0.2.0\" }\nserde = { version = \"1.0.1\" }\n"
        );
    }

    #[test]
    fn rejects_non_semver() {
        assert!(check_version("1.2").is_err());
        assert!(check_version("1.2.x").is_err());
        assert!(check_version("1.2.3-rc.1").is_ok());
    }
}
