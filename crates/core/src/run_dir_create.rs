//! Creating a run directory with its lock already held: made under a hidden temporary
//! name, locked, then renamed into place, so no cleanup or second run ever sees it
//! unlocked; and finding what a crash between those steps left behind.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::lock::ActiveLock;
use crate::run_dir::{
    RunDir, check_root, files, parse_name, random_hex6, subdirectories, validate_pipeline_name,
};
use crate::time::Timestamp;

impl RunDir {
    /// Creates a new run directory with its `.active` lock already held, so that no other
    /// process (a cleanup, a second run) ever sees it unlocked: the directory is made under
    /// a temporary hidden name ([`files::CREATING_PREFIX`]), locked, then renamed into place.
    ///
    /// ```
    /// use steadfast_core::{LockState, RunDir};
    ///
    /// let root = tempfile::tempdir()?;
    /// let (run, lock) = RunDir::create_locked(root.path(), "epic-fhir")?;
    /// assert_eq!(run.lock_state()?, LockState::Active);
    /// assert_eq!(lock.path(), run.active_lock_path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`RunDir::create`]; [`Error::Io`] when the lock cannot be taken or the directory
    /// cannot be renamed into place (the temporary directory is removed again).
    pub fn create_locked(root: impl AsRef<Path>, pipeline: &str) -> Result<(Self, ActiveLock)> {
        let root = root.as_ref();
        validate_pipeline_name(pipeline)?;
        if !check_root(root)? {
            std::fs::create_dir_all(root)
                .map_err(|e| Error::io("create the runs root", root, e))?;
        }
        let stamp = Timestamp::now().compact();
        let mut last_err = None;
        for _ in 0..8 {
            let id = format!("{pipeline}-{stamp}-{}", random_hex6());
            let temp = root.join(format!("{}{id}", files::CREATING_PREFIX));
            match std::fs::create_dir(&temp) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    last_err = Some(e);
                    continue;
                }
                Err(e) => return Err(Error::io("create the run directory", temp, e)),
            }
            let placed =
                ActiveLock::acquire(&temp, temp.join(files::ACTIVE)).and_then(|mut lock| {
                    let path = root.join(&id);
                    rename_no_replace(&temp, &path).map_err(|e| {
                        Error::io("move the new run directory into place at", &path, e)
                    })?;
                    lock.moved_to(path.join(files::ACTIVE));
                    Ok((
                        Self {
                            path,
                            id: id.clone(),
                        },
                        lock,
                    ))
                });
            match placed {
                Ok(run) => {
                    crate::atomic::sync_dir(root)?;
                    return Ok(run);
                }
                Err(Error::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists =>
                {
                    let _ = std::fs::remove_dir_all(&temp);
                    last_err = Some(source);
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&temp);
                    return Err(e);
                }
            }
        }
        Err(Error::io(
            "create a uniquely named run directory in",
            root,
            last_err.unwrap_or_else(|| std::io::Error::other("name collision")),
        ))
    }

    /// Directories under `root` that a run creation left behind under its temporary name
    /// ([`files::CREATING_PREFIX`]): a crash between `mkdir` and the rename. Links are
    /// skipped; a missing root has none.
    ///
    /// # Errors
    /// [`Error::RunRootIsFile`], or [`Error::Io`] if the root cannot be read.
    pub fn list_creating(root: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let mut found: Vec<PathBuf> = subdirectories(root.as_ref())?
            .into_iter()
            .filter(|(name, _)| {
                name.strip_prefix(files::CREATING_PREFIX)
                    .and_then(parse_name)
                    .is_some()
            })
            .map(|(_, path)| path)
            .collect();
        found.sort();
        Ok(found)
    }
}

/// Renames `from` to `to`, failing with `AlreadyExists` instead of replacing an empty
/// directory that happens to be there.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        match rustix::fs::renameat_with(
            rustix::fs::CWD,
            from,
            rustix::fs::CWD,
            to,
            rustix::fs::RenameFlags::NOREPLACE,
        ) {
            Ok(()) => return Ok(()),
            // File systems without RENAME_NOREPLACE: check, then rename.
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
    }
    std::fs::rename(from, to)
}
