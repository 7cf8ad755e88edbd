//! What to check: `.ndjson` and `.ndjson.gz` files, directories of them, FHIR Bulk Data
//! export manifests (`manifest.rs`), and standard input (`-`). Only regular files are read
//! (a FIFO or device is refused at once instead of blocking), and nothing outside a given
//! directory is reached through a link unless the caller allows it.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use steadfast_core::Links;

use super::manifest;
use super::source::{Listing, Source, contained, file_source};
use crate::Error;
use crate::error::io_error;

/// The files to check, and what was found unusable but is data, not an error (a dangling
/// link): each becomes a finding of the `inputs` rule.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) sources: Vec<Source>,
    pub(crate) problems: Vec<String>,
}

/// Whether a directory entry is NDJSON by its name, in any letter case (`Patient.NDJSON`
/// is read, not skipped).
fn is_data_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    [".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Resolves the paths a user gave into files, in a stable order, each once.
pub(crate) fn resolve(inputs: &[PathBuf], allow_outside: bool) -> Result<Inputs, Error> {
    let mut found = Inputs::default();
    for input in inputs {
        if input.as_os_str() == "-" {
            found.sources.push(stdin_source()?);
            continue;
        }
        let meta = std::fs::metadata(input).map_err(|e| io_error("read", input, e))?;
        if meta.is_dir() {
            directory(input, allow_outside, &mut found)?;
        } else if input.extension().is_some_and(|e| e == "json") {
            let parent = input.parent().unwrap_or(Path::new(""));
            let base = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            found.sources.extend(manifest::read(
                input,
                input,
                Links::Follow,
                base,
                allow_outside,
            )?);
        } else {
            let name = input.display().to_string();
            found.sources.push(file_source(
                input,
                Links::Follow,
                input,
                name,
                Listing::default(),
            )?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    // `-` twice is standard input once.
    found
        .sources
        .retain(|s| seen.insert(std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone())));
    Ok(found)
}

/// Standard input, on purpose (`-`): gzip is recognised by peeking at what is buffered.
fn stdin_source() -> Result<Source, Error> {
    use std::io::IsTerminal as _;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::Input {
            path: PathBuf::from("-"),
            message: "'-' reads NDJSON from standard input, which is a terminal; pipe the data in (`zcat export.ndjson.gz | steadfast validate-data -`)".to_owned(),
        });
    }
    let mut lock = stdin.lock();
    let head = lock
        .fill_buf()
        .map_err(|e| io_error("read", Path::new("-"), e))?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    Ok(Source::stream("-".to_owned(), true, gzip))
}

/// Every data file in `dir` (or its `manifest.json`), links included only when they lead
/// inside `dir`; a dangling link is a problem, not a silent skip.
fn directory(dir: &Path, allow_outside: bool, found: &mut Inputs) -> Result<(), Error> {
    let canonical = std::fs::canonicalize(dir).map_err(|e| io_error("resolve", dir, e))?;
    let outside = |path: &Path| {
        let path = path.to_path_buf();
        let dir = canonical.clone();
        move |target: &Path| Error::Input {
            message: format!(
                "a symbolic link to {}, outside the directory {}; a directory's files are read only inside it: copy the file in, or pass --allow-outside to follow the link on purpose",
                target.display(),
                dir.display()
            ),
            path,
        }
    };
    let manifest = dir.join("manifest.json");
    if std::fs::symlink_metadata(&manifest).is_ok() {
        let Some(target) = contained(&manifest, &canonical, allow_outside, outside(&manifest))?
        else {
            return Err(Error::Input {
                path: manifest,
                message: "a symbolic link whose target does not exist; restore the manifest or remove the link".to_owned(),
            });
        };
        found.sources.extend(manifest::read(
            &manifest,
            &target,
            Links::Refuse,
            dir,
            allow_outside,
        )?);
        return Ok(());
    }
    let mut entries: Vec<(PathBuf, bool)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error("list", dir, e))? {
        let entry = entry.map_err(|e| io_error("list", dir, e))?;
        let path = entry.path();
        if is_data_file(&path) {
            let link = entry.file_type().is_ok_and(|t| t.is_symlink());
            entries.push((path, link));
        }
    }
    entries.sort();
    if entries.is_empty() {
        return Err(Error::Input {
            path: dir.to_path_buf(),
            message: "the directory holds no .ndjson, .ndjson.gz or manifest.json; pass a directory of a bulk export or the files themselves".to_owned(),
        });
    }
    for (path, link) in entries {
        let name = path.display().to_string();
        let open = if link {
            match contained(&path, &canonical, allow_outside, outside(&path))? {
                Some(target) => target,
                None => {
                    let to = std::fs::read_link(&path)
                        .map(|t| t.display().to_string())
                        .unwrap_or_default();
                    found.problems.push(format!(
                        "{name} is a dangling symbolic link (to {to}, which does not exist): restore the file or remove the link"
                    ));
                    continue;
                }
            }
        } else {
            path.clone()
        };
        found.sources.push(file_source(
            &open,
            Links::Refuse,
            &path,
            name,
            Listing::default(),
        )?);
    }
    Ok(())
}
