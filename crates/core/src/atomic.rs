//! Whole-file writes that are all-or-nothing: temp file, fsync, rename, fsync of the directory.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `contents` to `path` so that a reader (or a crash) sees either the old file or the
/// whole new one, never a part.
///
/// The data goes to a temporary file in the same directory, is flushed to disk, renamed over
/// `path`, and the directory entry is flushed too. The parent directory must exist.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("run.json");
/// steadfast_core::atomic_write(&path, b"{}")?;
/// assert_eq!(std::fs::read(&path)?, b"{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Io`] naming `path` when any step fails; the temporary file is removed and `path`
/// keeps its old contents.
pub fn atomic_write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Result<()> {
    let contents = contents.as_ref();
    atomic_write_with(path, |w| w.write_all(contents))
}

/// Like [`atomic_write`], but the contents are produced by `write` into a buffered writer —
/// for reports and large files that should not be built in memory first.
///
/// ```
/// use std::io::Write;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("report.md");
/// steadfast_core::atomic_write_with(&path, |w| writeln!(w, "# Report"))?;
/// assert_eq!(std::fs::read_to_string(&path)?, "# Report\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::NotRegularFile`] when `path` exists and is not a regular file (a symbolic link,
/// FIFO, device or directory is never replaced); [`Error::Io`] naming `path` when `write` or
/// any file step fails; `path` is left as it was.
pub fn atomic_write_with(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    // Never rename over a link, FIFO or device node (as root, over /dev/full).
    crate::safe_fs::check_write_target(path)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".steadfast-tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file for", path, e))?;
    {
        let mut buffered = BufWriter::new(tmp.as_file_mut());
        write(&mut buffered).map_err(|e| Error::io("write", path, e))?;
        buffered.flush().map_err(|e| Error::io("write", path, e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("fsync", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename a temporary file onto", path, e.error))?;
    sync_dir(dir)
}

/// Flushes a directory's entries (a rename or a new file in it) to disk.
///
/// # Errors
/// [`Error::Io`] naming `dir` when it cannot be opened or synced.
pub fn sync_dir(dir: impl AsRef<Path>) -> Result<()> {
    let dir = dir.as_ref();
    // Directories can be opened read-only and fsynced on Unix; elsewhere this is a no-op.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        atomic_write(&path, "old").unwrap();
        atomic_write(&path, "new contents").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["a.json"]);
    }

    #[test]
    fn failed_writer_keeps_old_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        atomic_write(&path, "old").unwrap();
        let err = atomic_write_with(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("cannot write "), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_parent_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/a.json");
        let err = atomic_write(&path, "x").unwrap_err();
        assert!(err.to_string().contains("nope/a.json"), "{err}");
    }
}
