//! What to check: `.ndjson` and `.ndjson.gz` files, directories of them, FHIR Bulk Data
//! export manifests (`manifest.rs`), and standard input (`-`). Only regular files are read
//! (a FIFO or device is refused at once instead of blocking), and nothing outside a given
//! directory is reached through a link unless the caller allows it.

use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};

use steadfast_core::{Links, open_regular, read_regular};

use super::io_error;
use crate::Error;

#[path = "manifest.rs"]
mod manifest;

/// The most read of a `<file>.sha256` sidecar: a digest and a file name.
const SIDECAR_LIMIT: u64 = 4 << 10;

/// One file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    /// What is opened: the path as given, or, for a file found in a directory or named by a
    /// manifest, its canonical path (no link left to follow).
    pub(crate) path: PathBuf,
    /// Whether a link at `path` may be followed (only for a path the user named).
    pub(crate) links: Links,
    /// Standard input (`-`), read once as one stream.
    pub(crate) stdin: bool,
    /// The name reports use: the path as given or as the manifest resolved it.
    pub(crate) name: String,
    pub(crate) gzip: bool,
    pub(crate) size: u64,
    pub(crate) manifest_type: Option<String>,
    pub(crate) manifest_count: Option<u64>,
    /// Expected sha256 (lower-case hex) and where it came from.
    pub(crate) sha256: Option<(String, String)>,
}

impl Source {
    /// A source that is not read from disk (records in flight, standard input).
    pub(crate) fn stream(name: String, stdin: bool, gzip: bool) -> Self {
        Self {
            path: PathBuf::from(&name),
            links: Links::Refuse,
            stdin,
            name,
            gzip,
            size: 0,
            manifest_type: None,
            manifest_count: None,
            sha256: None,
        }
    }

    /// Opens the file for reading (never standard input).
    pub(crate) fn open(&self) -> Result<std::fs::File, Error> {
        open_regular(&self.path, self.links).map_err(Error::Run)
    }
}

/// The files to check, and what was found unusable but is data, not an error (a dangling
/// link): each becomes a finding of the `inputs` rule.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) sources: Vec<Source>,
    pub(crate) problems: Vec<String>,
}

fn is_data_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Where `path`, found inside `dir` (canonical), really is: `Ok(None)` for a dangling link,
/// an error when a link leads outside `dir` and `allow_outside` is off.
pub(crate) fn contained(
    path: &Path,
    dir: &Path,
    allow_outside: bool,
    refuse: impl FnOnce(&Path) -> Error,
) -> Result<Option<PathBuf>, Error> {
    match std::fs::canonicalize(path) {
        Ok(target) if allow_outside || target.starts_with(dir) => Ok(Some(target)),
        Ok(target) => Err(refuse(&target)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("resolve", path, e)),
    }
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

/// What a manifest says of one of its files.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub(crate) resource_type: Option<String>,
    pub(crate) count: Option<u64>,
    /// Expected sha256 and the field it came from.
    pub(crate) sha256: Option<(String, String)>,
}

/// A file to read: `open` is what is opened (with `links`), `listed` where it was found
/// (its sidecar `<listed>.sha256` is looked for there).
pub(crate) fn file_source(
    open: &Path,
    links: Links,
    listed: &Path,
    name: String,
    listing: Listing,
) -> Result<Source, Error> {
    let mut file = open_regular(open, links)?;
    let size = file
        .metadata()
        .map_err(|e| io_error("read", open, e))?
        .len();
    let mut magic = [0u8; 2];
    let gzip = file
        .read(&mut magic)
        .map_err(|e| io_error("read", open, e))?
        == 2
        && magic == [0x1f, 0x8b];
    let Listing {
        resource_type: manifest_type,
        count: manifest_count,
        sha256,
    } = listing;
    let sha256 = match sha256 {
        Some(s) => Some(s),
        None => sidecar(listed, links)?,
    };
    Ok(Source {
        path: open.to_path_buf(),
        links,
        stdin: false,
        name,
        gzip,
        size,
        manifest_type,
        manifest_count,
        sha256,
    })
}

/// The digest in `<listed>.sha256`, when there is one (read bounded; a link followed only
/// where the data file's own link would be).
fn sidecar(listed: &Path, links: Links) -> Result<Option<(String, String)>, Error> {
    let mut name = listed.as_os_str().to_owned();
    name.push(".sha256");
    let sidecar = PathBuf::from(name);
    if std::fs::symlink_metadata(&sidecar).is_err() {
        return Ok(None);
    }
    let text = read_regular(&sidecar, links, SIDECAR_LIMIT)?;
    let hex = String::from_utf8_lossy(&text)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Input {
            path: sidecar,
            message: "expected a sha256 sidecar: 64 hex digits, then optionally the file name (the output of sha256sum)".to_owned(),
        });
    }
    Ok(Some((hex, sidecar.display().to_string())))
}
