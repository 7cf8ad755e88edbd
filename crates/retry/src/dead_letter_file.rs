//! The dead-letter files under an OS advisory lock: appending a line so that a compaction in
//! this or another process never drops it, rewriting the queue atomically, and the names of
//! the quarantine and replay-journal files beside it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use steadfast_core::{atomic_write, files, open_append};

use crate::dead_letter_entry::DeadLetter;
use crate::error::Error;

/// How often a lock is retaken when the file was replaced under it before giving up.
const REOPEN_TRIES: usize = 16;

/// The file beside the queue `path` named `run_dir_name` when the queue has the run
/// directory's name, else `<stem>.<suffix>.ndjson`.
pub(crate) fn sibling(path: &Path, run_dir_name: &str, suffix: &str) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == files::DEAD_LETTER {
        return path.with_file_name(run_dir_name);
    }
    let stem = name.strip_suffix(".ndjson").unwrap_or(name);
    path.with_file_name(format!("{stem}.{suffix}.ndjson"))
}

/// An exclusive advisory lock on a file, released on drop.
pub(crate) struct Locked<'a>(&'a File);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Closing the descriptor releases it too; an error here has nowhere to go.
        let _ = self.0.unlock();
    }
}

/// Whether `file` is still the file at `path` (a compaction replaces the queue's inode).
pub(crate) fn is_current(file: &File, path: &Path) -> bool {
    let (Ok(open), Ok(named)) = (file.metadata(), std::fs::symlink_metadata(path)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        open.dev() == named.dev() && open.ino() == named.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (open, named);
        true
    }
}

/// Locks the file in `slot` (opening it when empty), reopening it when it was replaced
/// meanwhile, and returns the lock on the file that is now at `path`.
pub(crate) fn lock_current<'a>(
    slot: &'a mut Option<File>,
    path: &Path,
) -> Result<Locked<'a>, Error> {
    for _ in 0..REOPEN_TRIES {
        let file = match slot.take() {
            Some(f) => f,
            None => open_append(path)?,
        };
        file.lock().map_err(|e| io_err("lock", path, e))?;
        if is_current(&file, path) {
            let file: &'a File = slot.insert(file);
            return Ok(Locked(file));
        }
        // Replaced between open and lock: this descriptor points at the old file.
        let _ = file.unlock();
    }
    Err(io_err(
        "lock",
        path,
        io::Error::other("the file kept being replaced"),
    ))
}

/// Appends `line` (with its newline) under the lock and fsyncs it; a torn tail that a crash
/// left is cut first so the line never glues onto it.
pub(crate) fn append_line(slot: &mut Option<File>, path: &Path, line: &[u8]) -> Result<(), Error> {
    let result = (|| {
        let lock = lock_current(slot, path)?;
        let mut file = lock.0;
        repair_tail(file).map_err(|e| io_err("repair the tail of", path, e))?;
        file.write_all(line)
            .map_err(|e| io_err("append to", path, e))?;
        file.sync_data().map_err(|e| io_err("fsync", path, e))
    })();
    if result.is_err() {
        // Start from a fresh descriptor next time.
        *slot = None;
    }
    result
}

/// Cuts a last line that has no newline (a writer died mid-line under the lock).
fn repair_tail(mut file: &File) -> io::Result<()> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(());
    }
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut byte)?;
    if byte[0] == b'\n' {
        return Ok(());
    }
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    file.set_len(keep)
}

/// What a rewrite does with one letter.
pub(crate) enum Fate {
    /// Leave its line as it is.
    Keep,
    /// Take it out of the queue.
    Drop,
    /// Write this instead.
    Replace(Box<DeadLetter>),
}

/// What a rewrite left.
pub(crate) struct Rewritten {
    /// The letters now in the queue, in order (unreadable lines are kept but not here).
    pub letters: Vec<DeadLetter>,
    /// Whether a torn last line was cut.
    pub torn_tail: bool,
}

/// Rewrites the queue under its lock: `fate` decides each readable letter; an unreadable
/// line is kept as it is (never dropped unread), a blank line and a torn tail go. The file
/// is replaced atomically only when something changed; `slot` (the append descriptor) is
/// emptied, since the inode it points at is gone.
pub(crate) fn rewrite(
    slot: &mut Option<File>,
    path: &Path,
    mut fate: impl FnMut(&DeadLetter) -> Fate,
) -> Result<Rewritten, Error> {
    let mut own = None;
    let lock = lock_current(&mut own, path)?;
    let mut bytes = Vec::new();
    let mut file = lock.0;
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|e| io_err("read", path, e))?;
    let torn_tail = bytes.last().is_some_and(|&b| b != b'\n');
    let mut changed = torn_tail;
    let mut out = Vec::with_capacity(bytes.len());
    let mut letters = Vec::new();
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if last {
            break; // after the final newline, or the torn tail
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            changed = true;
            continue;
        }
        let Ok(letter) = serde_json::from_slice::<DeadLetter>(line) else {
            out.extend_from_slice(line);
            out.push(b'\n');
            continue;
        };
        match fate(&letter) {
            Fate::Keep => {
                out.extend_from_slice(line);
                out.push(b'\n');
                letters.push(letter);
            }
            Fate::Drop => changed = true,
            Fate::Replace(new) => {
                serde_json::to_writer(&mut out, &new).map_err(|source| Error::Serialize {
                    path: path.to_path_buf(),
                    source,
                })?;
                out.push(b'\n');
                letters.push(*new);
                changed = true;
            }
        }
    }
    if changed {
        atomic_write(path, &out)?;
        *slot = None;
    }
    drop(lock);
    Ok(Rewritten { letters, torn_tail })
}

pub(crate) fn io_err(op: &'static str, path: &Path, e: io::Error) -> Error {
    Error::Core(steadfast_core::Error::io(op, path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_is_cut_before_an_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.ndjson");
        steadfast_core::atomic_write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        let mut slot = None;
        append_line(&mut slot, &path, b"{\"c\":3}\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"c\":3}\n"
        );
        steadfast_core::atomic_write(&path, "{\"b\":").unwrap();
        append_line(&mut slot, &path, b"{\"d\":4}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"d\":4}\n");
    }

    #[test]
    fn siblings_use_the_run_directory_names() {
        let q = Path::new("/r/deadletter.ndjson");
        assert_eq!(
            sibling(q, files::DEAD_LETTER_QUARANTINE, "quarantine"),
            Path::new("/r/deadletter.quarantine.ndjson")
        );
        assert_eq!(
            sibling(
                Path::new("/r/dlq.ndjson"),
                files::DEAD_LETTER_REPLAY,
                "replay"
            ),
            Path::new("/r/dlq.replay.ndjson")
        );
    }
}
