//! A one-line progress display on stderr, shown only when stderr is a terminal (never in
//! pipes, files, CI logs or JSON logs), redrawn at most ten times a second.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

pub(crate) struct Progress {
    enabled: bool,
    last: Option<Instant>,
}

impl Progress {
    /// A progress line, when stderr is a terminal.
    pub(crate) fn new() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            last: None,
        }
    }

    /// Redraws the line (throttled).
    pub(crate) fn show(&mut self, text: impl FnOnce() -> String) {
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{}", text());
        let _ = err.flush();
    }

    /// Clears the line.
    pub(crate) fn done(&mut self) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
        self.last = None;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done();
    }
}
