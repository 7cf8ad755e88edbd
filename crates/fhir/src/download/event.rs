//! [`DownloadEvent`]: what a download tells its caller while it runs.

/// What a download reports while it runs: for a progress bar or a log. Never file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadEvent {
    /// `bytes` more bytes arrived.
    Bytes {
        /// Bytes in this piece.
        bytes: u64,
    },
    /// An answer announced the whole file's size (`Content-Length` of a 200, the total of
    /// a 206's `Content-Range`): for a progress bar's ETA.
    Size {
        /// The file's size in bytes.
        bytes: u64,
    },
    /// The download restarted from the first byte (the server ignored `Range`, or the file
    /// changed on the server): what came so far is discarded.
    Restarted,
}
