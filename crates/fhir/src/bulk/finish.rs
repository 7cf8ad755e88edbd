//! The end of an export: the job deleted on the server and the state file removed — the
//! state marked complete first, so that a run killed in between finds the export done —
//! and a directory's export recognised as finished or still in progress.

use std::io::Read as _;
use std::path::Path;

use steadfast_core::bulk_manifest::{BulkManifest, MANIFEST_FILE};
use steadfast_http::reqwest::Url;
use steadfast_retry::Classify as _;

use super::events::BulkEvent;
use super::export::{BulkExport, ExportSummary, ExportedFile};
use super::request::send;
use super::state::{ExportState, url_digest};
use crate::error::FhirError;
use crate::method::{Idempotency, Method};
use crate::transport::status_error;

impl BulkExport<'_> {
    /// Deletes the finished job and removes the state file; whether the job was deleted.
    /// A state file that cannot be removed is left: it says the export is complete.
    pub(crate) async fn finish(&self, status: &Url) -> bool {
        let job_deleted = self.delete_job(status).await;
        if job_deleted {
            self.events.emit(&BulkEvent::JobDeleted);
        }
        let _ = ExportState::remove(&self.out);
        job_deleted
    }

    /// The summary of this request's export when an earlier run finished it (its state
    /// marked complete, its manifest in place) and only the job's `DELETE` was left.
    pub(crate) async fn finished_earlier(&self, kickoff: &Url) -> Option<ExportSummary> {
        let out = self.out.as_path();
        let state = ExportState::read(out)
            .filter(|s| s.complete && s.request_sha256 == url_digest(kickoff.as_str()))?;
        let files = listed_files(out, &state)?;
        let job_deleted = match self.client.base.join(&state.status_url) {
            Some(status) => self.finish(&status).await,
            None => {
                let _ = ExportState::remove(out);
                false
            }
        };
        Some(ExportSummary {
            files,
            manifest: out.join(MANIFEST_FILE),
            resumed: true,
            polls: 0,
            job_deleted,
        })
    }

    /// `DELETE` of the status URL: the server may drop the job's files. Whether it was
    /// done (a failure is not the export's: its files are already safe).
    async fn delete_job(&self, status: &Url) -> bool {
        let client = self.client;
        let classify = |e: &FhirError| Idempotency::Idempotent.classify(e);
        let path = client.base.shown(status);
        client
            .policy()
            .retry_async_if(classify.with_facts(), |_| async {
                let response = send(client, Method::Delete, status, &[], true).await?;
                match response.status().as_u16() {
                    200..=299 | 404 | 410 => Ok(()),
                    _ => Err(status_error(Method::Delete, path.clone(), response).await),
                }
            })
            .await
            .is_ok()
    }
}

/// An exclusive advisory lock on `dir`, or an error saying another export holds it.
pub(crate) fn lock_dir(dir: &Path) -> Result<std::fs::File, FhirError> {
    let io = |source| FhirError::Io {
        action: "lock",
        path: dir.to_path_buf(),
        source,
    };
    let handle = std::fs::File::open(dir).map_err(io)?;
    match handle.try_lock() {
        Ok(()) => Ok(handle),
        Err(std::fs::TryLockError::WouldBlock) => Err(io(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            "another export is running into this directory",
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Whether `dir` holds an export that has not finished (a state file not marked
/// complete).
pub fn export_in_progress(dir: &Path) -> bool {
    ExportState::read(dir).is_some_and(|s| !s.complete)
}

/// The files of a finished export as its local manifest lists them, each still in place
/// with the size the state file recorded; `None` when anything is missing.
fn listed_files(dir: &Path, state: &ExportState) -> Option<Vec<ExportedFile>> {
    let mut text = Vec::new();
    steadfast_core::open_regular(dir.join(MANIFEST_FILE), steadfast_core::Links::Refuse)
        .ok()?
        .take(64 << 20)
        .read_to_end(&mut text)
        .ok()?;
    let manifest: BulkManifest = serde_json::from_slice(&text).ok()?;
    let lists = [
        (true, &manifest.output),
        (false, &manifest.error),
        (false, &manifest.deleted),
    ];
    let mut files = Vec::new();
    for (is_data, list) in lists {
        for entry in list.iter().flatten() {
            let name = entry.url.clone()?;
            let done = state.files.get(&name)?;
            let size = std::fs::symlink_metadata(dir.join(&name)).ok()?.len();
            if size != done.bytes {
                return None;
            }
            files.push(ExportedFile {
                name,
                resource_type: entry.resource_type.clone().unwrap_or_default(),
                is_data,
                bytes: done.bytes,
                lines: done.lines,
                sha256: done.sha256.clone(),
                reused: true,
            });
        }
    }
    Some(files)
}
