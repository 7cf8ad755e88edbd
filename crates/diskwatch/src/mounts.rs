//! Which mount a path is on, from `/proc/self/mountinfo` (Linux); `None` elsewhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// A mount: where, what filesystem type, from which source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountInfo {
    /// The mount point.
    pub mount_point: PathBuf,
    /// The filesystem type (`ext4`, `xfs`, `tmpfs`, `nfs4` …).
    pub fs_type: String,
    /// The mount source (device or server path).
    pub source: String,
}

/// Undoes the octal escapes mountinfo uses for spaces, tabs, newlines and backslashes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(char::from(v));
            i += 4;
        } else {
            out.push(char::from(b[i]));
            i += 1;
        }
    }
    out
}

/// Parses mountinfo text into (device `(major, minor)`, mount) pairs.
pub(crate) fn parse_with_dev(text: &str) -> Vec<((u32, u32), Arc<MountInfo>)> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut l = left.split(' ');
            let dev = l.nth(2)?;
            let mount_point = l.nth(1)?;
            let mut r = right.split(' ');
            let fs_type = r.next()?;
            let source = r.next().unwrap_or("");
            let (major, minor) = dev.split_once(':')?;
            Some((
                (major.parse().ok()?, minor.parse().ok()?),
                Arc::new(MountInfo {
                    mount_point: PathBuf::from(unescape(mount_point)),
                    fs_type: fs_type.to_owned(),
                    source: unescape(source),
                }),
            ))
        })
        .collect()
}

/// The mount table, cached; re-read when a device it does not know shows up.
type Table = Vec<((u32, u32), Arc<MountInfo>)>;
static TABLE: std::sync::Mutex<Table> = std::sync::Mutex::new(Vec::new());

/// The mount `path` is on, found by its device number in the (cached) mount table; among
/// mounts of the same device (bind mounts), the longest mount point above `path` wins, and a
/// later mount shadows an earlier one.
pub(crate) fn mount_of(path: &Path, st_dev: u64) -> Option<Arc<MountInfo>> {
    let dev = (rustix::fs::major(st_dev), rustix::fs::minor(st_dev));
    let mut table = TABLE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !table.iter().any(|(d, _)| *d == dev) {
        let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        *table = parse_with_dev(&text);
    }
    // Usually one mount per device; bind mounts share one.
    best(
        table.iter().filter(|(d, _)| *d == dev).map(|(_, m)| m),
        path,
    )
    .cloned()
}

/// Of `mounts`, the one `path` is on: the longest mount point above it, a later mount
/// winning a tie (it shadows the earlier); if none is above it, the last.
pub(crate) fn best<'a>(
    mounts: impl Iterator<Item = &'a Arc<MountInfo>>,
    path: &Path,
) -> Option<&'a Arc<MountInfo>> {
    let mut found: Option<&Arc<MountInfo>> = None;
    let mut last = None;
    for m in mounts {
        last = Some(m);
        if path.starts_with(&m.mount_point)
            && found.is_none_or(|f| {
                m.mount_point.components().count() >= f.mount_point.components().count()
            })
        {
            found = Some(m);
        }
    }
    found.or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:26 / /data rw,relatime shared:2 - xfs /dev/sdb1 rw
31 30 0:27 / /data/my\\040runs rw - tmpfs tmpfs rw,size=4096k
32 22 0:28 / /data rw - nfs4 server:/export rw";

    #[test]
    fn longest_prefix_and_shadowing_and_escapes() {
        let parsed = parse_with_dev(SAMPLE);
        assert_eq!(parsed[2].0, (0, 27));
        let mounts: Vec<Arc<MountInfo>> = parsed.into_iter().map(|(_, m)| m).collect();
        let best = |p: &str| best(mounts.iter(), Path::new(p)).cloned();
        assert_eq!(mounts.len(), 4);
        let m = best("/data/my runs/r1").unwrap();
        assert_eq!(
            (m.fs_type.as_str(), m.mount_point.to_str().unwrap()),
            ("tmpfs", "/data/my runs")
        );
        // Two mounts on /data: the later shadows the earlier.
        assert_eq!(best("/data/x").unwrap().fs_type, "nfs4");
        assert_eq!(best("/home").unwrap().fs_type, "ext4");
        // /database is not under /data.
        assert_eq!(best("/database").unwrap().fs_type, "ext4");
    }
}
