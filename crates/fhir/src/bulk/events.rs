//! What an export tells its caller while it runs (`BulkEvent`): for a progress bar, a log,
//! or a test that wants to stop the export at a given point.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// One step of an export, handed to [`BulkExport::on_event`](crate::BulkExport::on_event).
/// File names are the local ones (`Patient.ndjson`); nothing here holds file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkEvent<'a> {
    /// A new job was started (kick-off accepted).
    KickedOff,
    /// The job of an earlier run (from the state file) is being resumed.
    Resumed,
    /// The job is still running: the server's `X-Progress` (printable, at most 100
    /// characters) and the wait before the next poll.
    Polled {
        /// The server's progress text, when it sent one.
        progress: Option<&'a str>,
        /// The wait before the next poll.
        next_in: Duration,
    },
    /// The job is done: files to fetch (those already complete not counted).
    Manifest {
        /// Files listed by the server.
        files: usize,
        /// Of those, files already complete and verified from an earlier run.
        reused: usize,
    },
    /// `bytes` more bytes of `file` arrived.
    Bytes {
        /// The local file name.
        file: &'a str,
        /// Bytes in this piece.
        bytes: u64,
    },
    /// A download restarted from the first byte (the server ignored `Range`).
    Restarted {
        /// The local file name.
        file: &'a str,
    },
    /// A file is complete, verified and in place.
    FileDone {
        /// The local file name.
        file: &'a str,
        /// Its size.
        bytes: u64,
        /// Its lines (resources).
        lines: u64,
    },
    /// The earlier run's job failed or is gone on the server (its status answered
    /// `status`): its state was dropped and a new job is started.
    JobDropped {
        /// The HTTP status the job's status URL answered.
        status: u16,
    },
    /// The job was deleted on the server.
    JobDeleted,
}

/// A caller's event handler.
pub(crate) type Handler = Arc<dyn Fn(&BulkEvent<'_>) + Send + Sync>;

/// The caller's event handler, if any.
#[derive(Clone, Default)]
pub(crate) struct Events(Option<Handler>);

impl Events {
    pub(crate) fn new(f: Handler) -> Self {
        Self(Some(f))
    }

    pub(crate) fn emit(&self, event: &BulkEvent<'_>) {
        if let Some(f) = &self.0 {
            f(event);
        }
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Events(handler)"
        } else {
            "Events(none)"
        })
    }
}
