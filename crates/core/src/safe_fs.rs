//! Opening what a user or a hostile directory hands us: regular files only (a FIFO, device
//! or socket is refused at once instead of blocking or reading forever), links followed only
//! where the caller says so, reads bounded, and writes only onto regular files or new names.

use std::fs::{File, FileType, OpenOptions};
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Whether a symbolic link at the final path component may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it: the user named this path on purpose (a config file, an input file).
    Follow,
    /// Refuse it: the path is inside a directory someone else may have written (a run
    /// directory, a runs root, an export), where a link could point anywhere.
    Refuse,
}

/// What kind of file system object a [`FileType`] is, in words for an error message.
///
/// ```
/// let meta = std::fs::symlink_metadata(".")?;
/// assert_eq!(steadfast_core::describe_file_type(meta.file_type()), "a directory");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn describe_file_type(ft: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, found: &'static str) -> Error {
    Error::NotRegularFile {
        path: path.to_path_buf(),
        found,
    }
}

/// Opens `path` for reading if it is a regular file, without ever blocking on the open (a
/// FIFO with no writer would wait forever) and, with [`Links::Refuse`], without following a
/// symbolic link.
///
/// ```
/// use steadfast_core::{Links, open_regular};
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("a.ndjson");
/// std::fs::File::create(&file)?;
/// assert!(open_regular(&file, Links::Refuse).is_ok());
/// let err = open_regular(dir.path(), Links::Follow).unwrap_err();
/// assert!(err.to_string().contains("is a directory, expected a regular file"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::NotRegularFile`] naming what was found (a FIFO, a device, a directory, a link);
/// [`Error::Io`] when it cannot be opened.
pub fn open_regular(path: impl AsRef<Path>, links: Links) -> Result<File> {
    let path = path.as_ref();
    let mut options = OpenOptions::new();
    options.read(true);
    let file = open_checked(path, &mut options, links, "open")?;
    #[cfg(unix)]
    {
        // Reads from a regular file ignore O_NONBLOCK on Linux; clear it all the same so the
        // descriptor behaves as an ordinary one everywhere else.
        let flags =
            rustix::fs::fcntl_getfl(&file).map_err(|e| Error::io("inspect", path, e.into()))?;
        rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)
            .map_err(|e| Error::io("open", path, e.into()))?;
    }
    Ok(file)
}

/// Opens `path` with `options` plus `O_NONBLOCK` (a FIFO never blocks the open) and, with
/// [`Links::Refuse`], `O_NOFOLLOW`; then refuses anything that is not a regular file. The
/// one place the workspace opens a file it did not create itself.
pub(crate) fn open_checked(
    path: &Path,
    options: &mut OpenOptions,
    links: Links,
    op: &'static str,
) -> Result<File> {
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut flags = OFlags::NONBLOCK | OFlags::CLOEXEC;
        if links == Links::Refuse {
            flags |= OFlags::NOFOLLOW;
        }
        options.custom_flags(flags.bits().cast_signed());
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) => {
            // O_NOFOLLOW on a link fails with ELOOP; say what is there instead.
            if links == Links::Refuse
                && let Ok(meta) = std::fs::symlink_metadata(path)
                && !meta.is_file()
            {
                return Err(not_regular(path, describe_file_type(meta.file_type())));
            }
            return Err(Error::io(op, path, e));
        }
    };
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, describe_file_type(meta.file_type())));
    }
    Ok(file)
}

/// Opens `path` for appending (and reading), creating it if missing, only if it is (or
/// becomes) a regular file: never through a symbolic link, never a FIFO or device — the
/// append-only files of a run (`metrics.ndjson`, `deadletter.ndjson`, `disk-events.ndjson`).
///
/// ```
/// use std::io::Write as _;
///
/// let dir = tempfile::tempdir()?;
/// let mut file = steadfast_core::open_append(dir.path().join("events.ndjson"))?;
/// file.write_all(b"{}\n")?;
/// assert!(steadfast_core::open_append(dir.path()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::NotRegularFile`] naming what is there instead; [`Error::Io`] when it cannot be
/// opened.
pub fn open_append(path: impl AsRef<Path>) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    open_checked(
        path.as_ref(),
        &mut options,
        Links::Refuse,
        "open for appending",
    )
}

/// Reads a whole regular file of at most `limit` bytes (see [`open_regular`]).
///
/// ```
/// use steadfast_core::{Links, read_regular};
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("token");
/// std::fs::File::create(&file)?;
/// assert!(read_regular(&file, Links::Follow, 1024)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`open_regular`]; [`Error::FileTooLarge`] when the file holds more than `limit` bytes.
pub fn read_regular(path: impl AsRef<Path>, links: Links, limit: u64) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let file = open_regular(path, links)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::FileTooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Like [`read_regular`], as UTF-8 text.
///
/// ```
/// use steadfast_core::{Links, read_regular_to_string};
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("steadfast.toml");
/// steadfast_core::atomic_write(&file, "[disk]\n")?;
/// assert_eq!(read_regular_to_string(&file, Links::Follow, 1 << 20)?, "[disk]\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`read_regular`]; [`Error::Io`] with kind `InvalidData` when it is not UTF-8.
pub fn read_regular_to_string(path: impl AsRef<Path>, links: Links, limit: u64) -> Result<String> {
    let path = path.as_ref();
    let bytes = read_regular(path, links, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        Error::io(
            "read",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        )
    })
}

/// Checks that writing a whole file to `path` would replace a regular file or create a new
/// one — never write through or rename over a symbolic link, FIFO, device or directory.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert!(steadfast_core::check_write_target(dir.path().join("new.html")).is_ok());
/// assert!(steadfast_core::check_write_target(dir.path()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::NotRegularFile`] naming what is there; [`Error::Io`] when it cannot be inspected.
pub fn check_write_target(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => Err(not_regular(path, describe_file_type(meta.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("inspect", path, e)),
    }
}

/// A name no other process or thread uses at the same time: `<prefix>.<pid>.<random>`, for
/// probe and temporary files in a shared directory.
///
/// ```
/// let a = steadfast_core::unique_name(".steadfast-write-probe");
/// let b = steadfast_core::unique_name(".steadfast-write-probe");
/// assert_ne!(a, b);
/// assert!(a.starts_with(".steadfast-write-probe."));
/// ```
pub fn unique_name(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{prefix}.{}.{:016x}", std::process::id(), h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            path,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.toml");
        mkfifo(&fifo);
        let err = open_regular(&fifo, Links::Follow).unwrap_err();
        assert!(
            err.to_string()
                .contains("is a FIFO (named pipe), expected a regular file"),
            "{err}"
        );
        assert!(check_write_target(&fifo).is_err());
    }

    #[test]
    fn devices_are_refused() {
        let err = read_regular("/dev/zero", Links::Follow, 10).unwrap_err();
        assert!(err.to_string().contains("a character device"), "{err}");
        assert!(check_write_target("/dev/full").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_refused_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::File::create(&target).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_regular(&link, Links::Follow).is_ok());
        let err = open_regular(&link, Links::Refuse).unwrap_err();
        assert!(err.to_string().contains("a symbolic link"), "{err}");
        assert!(check_write_target(&link).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn appends_never_go_through_a_link_or_into_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        crate::atomic_write(&target, "keep").unwrap();
        let link = dir.path().join("metrics.ndjson");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = open_append(&link).unwrap_err();
        assert!(err.to_string().contains("a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let fifo = dir.path().join("events.ndjson");
        mkfifo(&fifo);
        assert!(open_append(&fifo).unwrap_err().to_string().contains("FIFO"));
    }

    #[test]
    fn reads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        crate::atomic_write(&file, vec![b'x'; 11]).unwrap();
        assert_eq!(read_regular(&file, Links::Follow, 11).unwrap().len(), 11);
        let err = read_regular(&file, Links::Follow, 10).unwrap_err();
        assert!(err.to_string().contains("larger than 10 bytes"), "{err}");
    }
}
