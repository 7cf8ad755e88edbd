//! `check(path)`: total, free, available and inode counts of the filesystem a path is on,
//! by a direct `statvfs` — and the `SpaceSource` seam that lets tests inject any numbers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::Error;
use crate::mounts::{MountInfo, mount_of};

/// The space of the filesystem a path is on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DiskSpace {
    /// The path asked about.
    pub path: PathBuf,
    /// The path actually checked: `path`, or its nearest existing ancestor if it is missing.
    pub checked: PathBuf,
    /// Bytes in the filesystem.
    pub total: u64,
    /// Bytes free (including those reserved for root).
    pub free: u64,
    /// Bytes available to this (unprivileged) user.
    pub available: u64,
    /// Inodes in the filesystem (0 where the filesystem has no fixed count).
    pub inodes_total: u64,
    /// Inodes free.
    pub inodes_free: u64,
    /// The mount the path is on, when `/proc/self/mountinfo` says.
    pub mount: Option<Arc<MountInfo>>,
}

impl DiskSpace {
    /// A space with the given byte counts (for tests and injected sources).
    pub fn new(path: impl Into<PathBuf>, total: u64, available: u64) -> Self {
        let path = path.into();
        Self {
            checked: path.clone(),
            path,
            total,
            free: available,
            available,
            inodes_total: 0,
            inodes_free: 0,
            mount: None,
        }
    }

    /// The same, with inode counts.
    #[must_use]
    pub fn with_inodes(mut self, total: u64, free: u64) -> Self {
        self.inodes_total = total;
        self.inodes_free = free;
        self
    }

    /// Used share of the space a user can have: `1 − available / (used + available)`, as
    /// `df` computes "Use%" (reserved blocks do not count as free).
    pub fn used_ratio(&self) -> f64 {
        let used = self.total.saturating_sub(self.free);
        let denom = used + self.available;
        if denom == 0 {
            0.0
        } else {
            used as f64 / denom as f64
        }
    }

    /// Used share of inodes (0 when the filesystem has no fixed inode count).
    pub fn inodes_used_ratio(&self) -> f64 {
        if self.inodes_total == 0 {
            0.0
        } else {
            self.inodes_total.saturating_sub(self.inodes_free) as f64 / self.inodes_total as f64
        }
    }

    /// Whether the path itself was missing and an ancestor was checked.
    pub fn is_ancestor(&self) -> bool {
        self.path != self.checked
    }
}

/// Where space numbers come from: the real filesystem, or a test's script.
pub trait SpaceSource: Send + Sync {
    /// The space of the filesystem `path` is on.
    ///
    /// # Errors
    /// [`Error::Check`] or [`Error::NoAncestor`].
    fn space(&self, path: &Path) -> Result<DiskSpace, Error>;
}

/// The real filesystem, through `statvfs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Statvfs;

impl SpaceSource for Statvfs {
    fn space(&self, path: &Path) -> Result<DiskSpace, Error> {
        check(path)
    }
}

impl<F: Fn(&Path) -> Result<DiskSpace, Error> + Send + Sync> SpaceSource for F {
    fn space(&self, path: &Path) -> Result<DiskSpace, Error> {
        self(path)
    }
}

/// The nearest existing ancestor of `path` (itself if it exists), with its `stat`.
fn existing(path: &Path) -> Option<(&Path, rustix::fs::Stat)> {
    path.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .find_map(|p| rustix::fs::stat(p).ok().map(|st| (p, st)))
}

/// Checks the filesystem `path` is on. A missing path checks its nearest existing ancestor
/// and says so in [`DiskSpace::checked`].
///
/// ```
/// let space = steadfast_diskwatch::check("/tmp/steadfast-surely-missing/data")?;
/// assert!(space.is_ancestor());
/// assert!(space.total >= space.available);
/// # Ok::<(), steadfast_diskwatch::Error>(())
/// ```
///
/// # Errors
/// [`Error::NoAncestor`] if nothing along the path exists, [`Error::Check`] if `statvfs`
/// fails.
pub fn check(path: impl AsRef<Path>) -> Result<DiskSpace, Error> {
    let path = path.as_ref();
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| Error::Check {
                path: path.to_path_buf(),
                source,
            })?
            .join(path)
    };
    let (checked, stat) = existing(&absolute).ok_or_else(|| Error::NoAncestor {
        path: path.to_path_buf(),
    })?;
    let st = rustix::fs::statvfs(checked).map_err(|e| Error::Check {
        path: checked.to_path_buf(),
        source: e.into(),
    })?;
    let frsize = st.f_frsize.max(1);
    Ok(DiskSpace {
        path: path.to_path_buf(),
        checked: checked.to_path_buf(),
        total: st.f_blocks.saturating_mul(frsize),
        free: st.f_bfree.saturating_mul(frsize),
        available: st.f_bavail.saturating_mul(frsize),
        inodes_total: st.f_files,
        inodes_free: st.f_ffree,
        mount: mount_of(checked, stat.st_dev),
    })
}

/// Every mounted disk, as sysinfo enumerates them (feature `sysinfo`).
///
/// # Errors
/// [`Error::Check`] if the disks cannot be listed.
#[cfg(feature = "sysinfo")]
pub fn all_disks() -> Result<Vec<DiskSpace>, Error> {
    let disks = sysinfo::Disks::new_with_refreshed_list().map_err(|e| Error::Check {
        path: "/".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok((&disks)
        .into_iter()
        .map(|d| {
            let mut s = DiskSpace::new(d.mount_point(), d.total_space(), d.available_space());
            s.mount = Some(Arc::new(MountInfo {
                mount_point: d.mount_point().to_path_buf(),
                fs_type: d.file_system().to_string_lossy().into_owned(),
                source: d.name().to_string_lossy().into_owned(),
            }));
            s
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_check_of_a_temp_dir() {
        let dir = tempfile::tempdir().unwrap();
        let s = check(dir.path()).unwrap();
        assert!(!s.is_ancestor());
        assert!(s.total > 0 && s.available <= s.total && s.free >= s.available);
        assert!((0.0..=1.0).contains(&s.used_ratio()));
        let missing = check(dir.path().join("a/b/c")).unwrap();
        assert_eq!(missing.checked, dir.path());
    }

    #[test]
    fn ratios() {
        let s = DiskSpace::new("/d", 100, 25).with_inodes(10, 1);
        assert_eq!(s.used_ratio(), 0.75);
        assert!((s.inodes_used_ratio() - 0.9).abs() < 1e-12);
    }
}
