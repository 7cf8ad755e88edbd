//! One file to check (`Source`) and how a listed file becomes one: its size, whether it
//! is gzip, the manifest's `Listing` of it and its `.sha256` sidecar; `contained` keeps
//! what a directory or manifest names inside it.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use steadfast_core::{Links, open_regular, read_regular};

use crate::Error;
use crate::error::io_error;

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
