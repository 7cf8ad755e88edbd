//! `Preflight`: "this step needs 12 GiB on /data and 4 GiB of memory" — checked before the
//! work starts, with an error that says what is needed, what is there, and what would free
//! enough.

use std::path::{Path, PathBuf};

use steadfast_core::ByteSize;

use crate::cleanup::{CleanupPolicy, clean_runs};
use crate::error::Error;
use crate::space::{SpaceSource, Statvfs};

/// Requirements checked before a step.
///
/// ```
/// use steadfast_core::ByteSize;
/// use steadfast_diskwatch::Preflight;
///
/// let dir = tempfile::tempdir()?;
/// Preflight::new().disk(dir.path(), ByteSize::new(1)).check()?; // 1 byte: surely there
/// let err = Preflight::new().disk(dir.path(), ByteSize::gib(1 << 20)).check().unwrap_err();
/// assert!(err.to_string().starts_with("not enough disk space on "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Preflight {
    disks: Vec<(PathBuf, ByteSize)>,
    memory: Option<ByteSize>,
    runs_root: Option<(PathBuf, CleanupPolicy)>,
}

impl Preflight {
    /// No requirements yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Needs `need` available on the filesystem of `path`.
    #[must_use]
    pub fn disk(mut self, path: impl AsRef<Path>, need: ByteSize) -> Self {
        self.disks.push((path.as_ref().to_path_buf(), need));
        self
    }

    /// Needs `need` of available memory (`MemAvailable`, bounded by the cgroup limit).
    #[must_use]
    pub fn memory(mut self, need: ByteSize) -> Self {
        self.memory = Some(need);
        self
    }

    /// When space is short, name the old runs under `root` that `policy` would delete.
    #[must_use]
    pub fn suggest_cleanup(mut self, root: impl AsRef<Path>, policy: CleanupPolicy) -> Self {
        self.runs_root = Some((root.as_ref().to_path_buf(), policy));
        self
    }

    /// Checks with the real filesystem.
    ///
    /// # Errors
    /// [`Error::Insufficient`] for the first requirement not met.
    pub fn check(&self) -> Result<(), Error> {
        self.check_with(&Statvfs)
    }

    /// Checks with `source` for disk space.
    ///
    /// # Errors
    /// [`Error::Insufficient`] for the first requirement not met.
    pub fn check_with(&self, source: &dyn SpaceSource) -> Result<(), Error> {
        for (path, need) in &self.disks {
            let space = source.space(path)?;
            if space.available < need.bytes() {
                return Err(Error::Insufficient {
                    what: format!("disk space on {}", path.display()),
                    needed: *need,
                    available: ByteSize::new(space.available),
                    hint: self.disk_hint(source, need.bytes() - space.available, need.bytes()),
                });
            }
        }
        if let Some(need) = self.memory {
            let available = available_memory().map_err(|source| Error::Check {
                path: "/proc/meminfo".into(),
                source,
            })?;
            if available < need.bytes() {
                return Err(Error::Insufficient {
                    what: "memory".to_owned(),
                    needed: need,
                    available: ByteSize::new(available),
                    hint: "; stop other work on this host or lower the step's batch size"
                        .to_owned(),
                });
            }
        }
        Ok(())
    }

    fn disk_hint(&self, source: &dyn SpaceSource, missing: u64, need: u64) -> String {
        let Some((root, policy)) = &self.runs_root else {
            return "; free space or point the step at a larger filesystem".to_owned();
        };
        let plan = CleanupPolicy {
            dry_run: true,
            target_free: Some(ByteSize::new(need)),
            ..policy.clone()
        };
        match clean_runs(root, &plan, source, std::time::SystemTime::now()) {
            Ok(r) if r.bytes_freed >= missing => format!(
                "; deleting the {} oldest runs under {} would free {} (`steadfast disk clean {} --keep {} --target-free {}`)",
                r.deleted.len(),
                root.display(),
                ByteSize::new(r.bytes_freed).human(),
                root.display(),
                policy.keep_newest,
                ByteSize::new(need)
            ),
            Ok(r) => format!(
                "; old runs under {} hold only {} that may be deleted: free space elsewhere",
                root.display(),
                ByteSize::new(r.bytes_freed).human()
            ),
            Err(_) => "; free space or point the step at a larger filesystem".to_owned(),
        }
    }
}

/// Available memory: `MemAvailable` from `/proc/meminfo`, capped by the cgroup v2 limit
/// minus current use when one is set.
///
/// # Errors
/// The I/O error of reading `/proc/meminfo`.
pub fn available_memory() -> std::io::Result<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    let kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or_else(|| std::io::Error::other("no MemAvailable line in /proc/meminfo"))?;
    let host = kib.saturating_mul(1024);
    let cgroup = || -> Option<u64> {
        let max = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
        let max: u64 = max.trim().parse().ok()?; // "max" = no limit
        let current: u64 = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Some(max.saturating_sub(current))
    };
    Ok(cgroup().map_or(host, |c| c.min(host)))
}
