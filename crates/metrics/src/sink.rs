//! The file side of flushing: the run's `metrics.ndjson` writer, what each shard held at
//! the last successful write, and the write + fsync that reopens the file after a failure.

use std::path::PathBuf;
use std::sync::Arc;

use steadfast_core::NdjsonWriter;

use crate::error::Error;
use crate::record::MetricRecord;
use crate::shard::{HistSnapshot, Shard};

/// What one shard held at the last successful flush.
pub(crate) struct Seen {
    pub(crate) shard: Arc<Shard>,
    pub(crate) counters: Vec<f64>,
    pub(crate) hists: Vec<HistSnapshot>,
}

/// The file side of flushing: where to write, the open writer, and what each shard held
/// when last written.
pub(crate) struct FlushState {
    path: Option<PathBuf>,
    writer: Option<NdjsonWriter>,
    pub(crate) seen: Vec<Seen>,
    pub(crate) gauge_versions: Vec<u64>,
}

impl FlushState {
    pub(crate) fn open(path: Option<PathBuf>) -> Result<Self, Error> {
        let writer = match &path {
            Some(p) => Some(open_writer(p)?),
            None => None,
        };
        Ok(Self {
            path,
            writer,
            seen: Vec::new(),
            gauge_versions: Vec::new(),
        })
    }
}

fn open_writer(path: &PathBuf) -> Result<NdjsonWriter, Error> {
    let w = NdjsonWriter::open(path).map_err(|source| Error::Persist {
        path: path.clone(),
        source,
    })?;
    if let Some(torn) = w.repaired_tail() {
        #[cfg(feature = "tracing")]
        tracing::warn!(path = %path.display(), line = torn.line, bytes = torn.bytes, "cut a torn last line left by a crash");
        #[cfg(not(feature = "tracing"))]
        let _ = torn;
    }
    Ok(w)
}

/// Appends `records` and fsyncs; after a failure the writer is dropped, and the next
/// write reopens the file (repairing a torn tail).
pub(crate) fn write(st: &mut FlushState, records: &[MetricRecord]) -> Result<(), Error> {
    let Some(path) = st.path.clone() else {
        return Ok(());
    };
    let persist = |source| Error::Persist {
        path: path.clone(),
        source,
    };
    // An open handle to a file whose directory was removed still accepts writes that no
    // one will ever read: check the path is still there.
    if st.writer.is_some()
        && let Err(e) = std::fs::metadata(&path)
    {
        st.writer = None;
        return Err(persist(steadfast_core::Error::io("find", &path, e)));
    }
    let writer = match st.writer.as_mut() {
        Some(w) => w,
        // A previous failure dropped the writer; reopening repairs a torn tail.
        None => st.writer.insert(open_writer(&path)?),
    };
    let result = records
        .iter()
        .try_for_each(|r| writer.append(r))
        .and_then(|()| writer.sync());
    if let Err(e) = result {
        st.writer = None;
        return Err(persist(e));
    }
    Ok(())
}
