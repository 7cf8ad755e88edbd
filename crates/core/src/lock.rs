//! The `.active` lock: an OS advisory lock held for a run's lifetime, so a crashed run's
//! leftover lock file is recognisable as stale and cleanup never touches a live run.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::safe_fs::Links;
use crate::time::Timestamp;

/// Whether a run is held by a live process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// No `.active` file: the run ended normally (or never took the lock).
    Unlocked,
    /// A live process holds the lock.
    Active,
    /// An `.active` file exists but nobody holds its lock: the run's process died.
    Stale,
}

impl LockState {
    /// Whether a live process holds the run.
    pub fn is_active(self) -> bool {
        self == Self::Active
    }
}

/// The held `.active` lock of a run. Dropping it (or [`ActiveLock::release`]) removes the
/// file and releases the lock; if the process dies instead, the OS releases the lock and the
/// file stays behind as [`LockState::Stale`].
#[derive(Debug)]
pub struct ActiveLock {
    path: PathBuf,
    file: Option<File>,
}

impl ActiveLock {
    pub(crate) fn acquire(run_dir: &Path, lock_path: PathBuf) -> Result<Self> {
        let mut file = open_lock_file(&lock_path, true)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::RunActive {
                    path: run_dir.to_path_buf(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", &lock_path, e)),
        }
        // Who holds it, for a person looking at a stale lock later.
        let holder = format!(
            "pid={} host={} since={}\n",
            std::process::id(),
            crate::manifest::hostname(),
            Timestamp::now()
        );
        file.set_len(0)
            .and_then(|()| file.write_all(holder.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io("write", &lock_path, e))?;
        Ok(Self {
            path: lock_path,
            file: Some(file),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run directory was renamed while this lock was held: the lock file moved with it.
    pub(crate) fn moved_to(&mut self, lock_path: PathBuf) {
        self.path = lock_path;
    }

    /// Removes the lock file and releases the lock.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be removed; the lock is released all the same.
    pub fn release(mut self) -> Result<()> {
        self.release_inner()
    }

    fn release_inner(&mut self) -> Result<()> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        // Remove while still holding the lock, so nobody sees a stale file in between.
        let removed = std::fs::remove_file(&self.path);
        drop(file);
        match removed {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("remove", &self.path, e)),
        }
    }
}

impl Drop for ActiveLock {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

/// Opens (or, with `create`, creates) a lock file without following a symbolic link and
/// without blocking: a `.active` that is a link (its target would be overwritten) or a FIFO
/// (the open would hang) is refused as not a regular file.
fn open_lock_file(lock_path: &Path, create: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    if create {
        options.write(true).create(true).truncate(false);
    }
    crate::safe_fs::open_checked(lock_path, &mut options, Links::Refuse, "open the lock file")
}

/// Reads the lock state of `lock_path` without taking the lock for longer than a probe.
pub(crate) fn probe(lock_path: &Path) -> Result<LockState> {
    let file = match open_lock_file(lock_path, false) {
        Ok(f) => f,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LockState::Unlocked);
        }
        Err(e) => return Err(e),
    };
    match file.try_lock() {
        // We got it, so nobody holds it; dropping `file` releases it again.
        Ok(()) => Ok(LockState::Stale),
        Err(TryLockError::WouldBlock) => Ok(LockState::Active),
        Err(TryLockError::Error(e)) => Err(Error::io("probe the lock", lock_path, e)),
    }
}
