//! Tidy checks that keep the docs true: `docs/configuration.md` is what `cargo xtask docs`
//! writes, and `docs/ARCHITECTURE.md`'s code map names every source file.

use std::path::Path;

use walkdir::WalkDir;

use crate::docs;

/// Both checks, each problem pushed as one line.
pub(crate) fn check(root: &Path, problems: &mut Vec<String>) {
    match docs::reference(root) {
        Ok(reference) => check_generated(root, &reference, problems),
        Err(e) => problems.push(format!(
            "{}: cannot generate the reference: {e:#}",
            docs::CONFIG_DOC
        )),
    }
    check_code_map(root, problems);
}

/// `docs/configuration.md` holds exactly `reference` in its generated region.
pub(crate) fn check_generated(root: &Path, reference: &str, problems: &mut Vec<String>) {
    let Ok(current) = std::fs::read_to_string(root.join(docs::CONFIG_DOC)) else {
        problems.push(format!(
            "{} is missing; run `cargo xtask docs`",
            docs::CONFIG_DOC
        ));
        return;
    };
    match docs::splice(&current, reference) {
        Ok(wanted) if wanted == current => {}
        Ok(_) => problems.push(format!(
            "{} is stale; run `cargo xtask docs`",
            docs::CONFIG_DOC
        )),
        Err(e) => problems.push(format!("{e:#}")),
    }
}

/// Every `.rs` file under `crates/*/src` and `xtask/src` is named in its crate's section of
/// the code map: by its path below `src/` or its file name (`policy.rs`), by its directory
/// for a `mod.rs` (`config/`), or by a pattern (`clock*.rs`). The crate root (`lib.rs`,
/// `main.rs`) is the section itself. A crate with no section is left to the heading check.
pub(crate) fn check_code_map(root: &Path, problems: &mut Vec<String>) {
    let Ok(arch) = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")) else {
        return; // tidy's heading check reports the missing file
    };
    let sections = sections(&arch);
    let mut crates: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(root.join("crates"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| {
            (
                format!("crates/{}", e.file_name().to_string_lossy()),
                e.path(),
            )
        })
        .collect();
    crates.push(("xtask".to_owned(), root.join("xtask")));
    crates.sort();
    for (dir, path) in crates {
        let Some((_, text)) = sections.iter().find(|(d, _)| *d == dir) else {
            continue;
        };
        let src = path.join("src");
        let mut files: Vec<_> = WalkDir::new(&src)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
            .filter_map(|e| {
                Some(
                    e.path()
                        .strip_prefix(&src)
                        .ok()?
                        .to_string_lossy()
                        .replace('\\', "/"),
                )
            })
            .collect();
        files.sort();
        for file in files.iter().filter(|f| !named(text, f)) {
            problems.push(format!(
                "docs/ARCHITECTURE.md: {dir}/src/{file} is not in the code map; name it in the \
                 section of {dir} with what it holds"
            ));
        }
    }
}

/// The code map's sections by crate directory (`crates/retry`, `xtask`), with their text.
fn sections(arch: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in arch.lines() {
        if line.starts_with('#') {
            current = None;
            if line.starts_with("### ") {
                let dir = line
                    .split("(`")
                    .nth(1)
                    .and_then(|rest| rest.split("`)").next())
                    .filter(|d| d.starts_with("crates/"))
                    .map(str::to_owned)
                    .or_else(|| line.contains("`xtask`").then(|| "xtask".to_owned()));
                if let Some(dir) = dir {
                    out.push((dir, String::new()));
                    current = Some(out.len() - 1);
                }
            }
            continue;
        }
        if let Some(i) = current {
            out[i].1.push_str(line);
            out[i].1.push('\n');
        }
    }
    out
}

/// Whether `file` (a path below `src/`) is named in `text`.
fn named(text: &str, file: &str) -> bool {
    let (dir, name) = file.rsplit_once('/').map_or(("", file), |(d, n)| (d, n));
    if dir.is_empty() && matches!(name, "lib.rs" | "main.rs") {
        return true;
    }
    if name == "mod.rs" {
        let dir_name = dir.rsplit('/').next().unwrap_or(dir);
        return mentions(text, &format!("{dir_name}/")) || mentions(text, file);
    }
    mentions(text, file) || mentions(text, name) || pattern_matches(text, name)
}

/// Whether `word` occurs in `text` not glued to a longer name (`clock.rs` is not in
/// `myclock.rs`).
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// Whether a pattern like `clock*.rs` in `text` covers `name`.
fn pattern_matches(text: &str, name: &str) -> bool {
    text.match_indices("*.rs").any(|(i, _)| {
        let head = &text[..i];
        let start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |j| j + 1);
        let prefix = &head[start..];
        !prefix.is_empty() && name.starts_with(prefix)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_stale_or_unmarked_configuration_doc_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let doc = |body: &str| {
            format!(
                "# Configuration\n\nprose\n\n{}\n{body}{}\n",
                docs::BEGIN,
                docs::END
            )
        };
        let mut problems = Vec::new();

        write(root, docs::CONFIG_DOC, &doc("## Reference\nold\n"));
        check_generated(root, "## Reference\nnew\n", &mut problems);
        assert_eq!(
            problems,
            ["docs/configuration.md is stale; run `cargo xtask docs`"]
        );

        problems.clear();
        write(root, docs::CONFIG_DOC, &doc("## Reference\nnew\n"));
        check_generated(root, "## Reference\nnew\n", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");

        write(root, docs::CONFIG_DOC, "# Configuration\n\nno region\n");
        check_generated(root, "x", &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("no `<!-- BEGIN GENERATED"),
            "{problems:?}"
        );
    }

    #[test]
    fn files_missing_from_the_code_map_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "crates/retry/src/lib.rs",
            "crates/retry/src/policy.rs",
            "crates/retry/src/clock.rs",
            "crates/retry/src/clock_async.rs",
            "crates/retry/src/schedule.rs",
            "crates/retry/src/config/mod.rs",
            "crates/retry/src/config/parse.rs",
            "crates/retry/src/demo/server.rs",
            "crates/unmapped/src/anything.rs",
            "xtask/src/main.rs",
            "xtask/src/tidy.rs",
            "xtask/src/docs.rs",
        ] {
            write(root, file, "//! x\n");
        }
        write(
            root,
            "docs/ARCHITECTURE.md",
            "# Architecture\n\n## Code map\n\n### `steadfast-retry` (`crates/retry`)\n\
             - `policy.rs` — policies; `clock*.rs` — time; `config/` with `parse.rs`;\n\
             `demo/server.rs`; `myschedule.rs` is not `schedule.rs`'s name… and \
             `xtask.rs`\n\n### `xtask`\n`tidy.rs`\n\n## Invariants\n\n`docs.rs`\n",
        );
        let mut problems = Vec::new();
        check_code_map(root, &mut problems);
        assert_eq!(
            problems,
            [
                "docs/ARCHITECTURE.md: xtask/src/docs.rs is not in the code map; name it in the \
                 section of xtask with what it holds"
            ]
        );

        write(root, "crates/retry/src/jitter.rs", "//! x\n");
        problems.clear();
        check_code_map(root, &mut problems);
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].contains("crates/retry/src/jitter.rs"),
            "{problems:?}"
        );
    }

    #[test]
    fn names_glued_to_longer_names_do_not_count() {
        assert!(mentions("`clock.rs` —", "clock.rs"));
        assert!(!mentions("`myclock.rs`", "clock.rs"));
        assert!(!mentions("`clock.rsx`", "clock.rs"));
        assert!(pattern_matches("`clock*.rs` — time", "clock_async.rs"));
        assert!(!pattern_matches("`clock*.rs`", "schedule.rs"));
    }
}
