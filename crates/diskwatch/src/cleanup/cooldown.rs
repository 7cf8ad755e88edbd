//! The cooldown between cleanups under pressure: when one last deleted, in a file in the
//! runs root ([`files::CLEANUP_LAST`]), so separate processes sharing the root share it.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use steadfast_core::{Links, Timestamp, files};

use super::policy::CleanupPolicy;
use crate::error::Error;

/// The stamp file of `policy`'s scope: `.cleanup-last` for the whole root,
/// `.cleanup-last-<pipeline>` for one pipeline's runs.
pub(crate) fn stamp_path(root: &Path, policy: &CleanupPolicy) -> PathBuf {
    match &policy.pipeline {
        Some(p) => root.join(format!("{}-{p}", files::CLEANUP_LAST)),
        None => root.join(files::CLEANUP_LAST),
    }
}

/// Until when pressure deletions wait, if `now` is within the cooldown of the last one. A
/// stamp that is missing, unreadable or in the future (a clock set back) starts no wait:
/// a disk filling up must not stay full because of a bad file.
pub(crate) fn cooling_until(
    root: &Path,
    policy: &CleanupPolicy,
    now: SystemTime,
) -> Option<Timestamp> {
    let cooldown = policy.cooldown.get();
    if cooldown.is_zero() {
        return None;
    }
    let text = steadfast_core::read_regular_to_string(stamp_path(root, policy), Links::Refuse, 128)
        .ok()?;
    let last: Timestamp = text.trim().parse().ok()?;
    let until = last.system_time().checked_add(cooldown)?;
    (last.system_time() <= now && now < until).then_some(Timestamp::from_system(until))
}

/// Starts the cooldown at `now`.
pub(crate) fn start(root: &Path, policy: &CleanupPolicy, now: SystemTime) -> Result<(), Error> {
    let path = stamp_path(root, policy);
    steadfast_core::atomic_write(&path, format!("{}\n", Timestamp::from_system(now)))?;
    Ok(())
}
