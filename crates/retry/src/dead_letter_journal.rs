//! The journal of a dead-letter replay (`deadletter.replay.ndjson`): one fsynced line per
//! settled letter, under an advisory lock held for the whole replay, so a crash leaves
//! outcomes the next open applies.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use steadfast_core::{Timestamp, open_append, read_ndjson_lenient, sync_dir};

use crate::dead_letter_error::ErrorSummary;
use crate::dead_letter_file::{io_err, is_current};
use crate::error::Error;

/// How one letter's replay ended, as the journal keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Done,
    Failed,
    Quarantined,
}

/// One journal line. A failed letter's new counts and error ride along (absolute values,
/// so applying a record twice changes nothing); never the item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) id: String,
    pub(crate) outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replays: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_attempt: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorSummary>,
}

/// The replay journal, locked for as long as this value lives (closing the descriptor
/// releases the lock).
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Takes the journal's lock; `None` when another replay holds it.
    pub(crate) fn try_acquire(path: &Path) -> Result<Option<Self>, Error> {
        for _ in 0..16 {
            let file = open_append(path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err("lock", path, e)),
            }
            if is_current(&file, path) {
                return Ok(Some(Self {
                    path: path.to_path_buf(),
                    file,
                }));
            }
        }
        Err(io_err(
            "lock",
            path,
            io::Error::other("the file kept being replaced"),
        ))
    }

    pub(crate) fn read(&self) -> Result<Vec<Record>, Error> {
        Ok(read_ndjson_lenient::<Record>(&self.path)?.records)
    }

    pub(crate) fn append(&mut self, record: &Record) -> Result<(), Error> {
        let mut line = serde_json::to_vec(record).map_err(|source| Error::Serialize {
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_err("append to", &self.path, e))
    }

    pub(crate) fn clear(&mut self) -> Result<(), Error> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_err("truncate", &self.path, e))
    }

    /// Removes the journal (still locked, so no replay starts on it meanwhile).
    pub(crate) fn remove(self) -> Result<(), Error> {
        std::fs::remove_file(&self.path).map_err(|e| io_err("remove", &self.path, e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

pub(crate) fn record(id: &str, outcome: Outcome) -> Record {
    Record {
        id: id.to_owned(),
        outcome,
        attempts: None,
        replays: None,
        last_attempt: None,
        error: None,
    }
}
