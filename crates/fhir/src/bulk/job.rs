//! One export from start to end: resume the state file's job while the server still
//! answers for it (else kick off a new one), wait for it, fetch the files not already
//! complete and verified — in parallel, the state file rewritten after each — write the
//! local manifest, mark the state complete (the job's `DELETE` and the state file's
//! removal are in `finish.rs`). A job that failed on the server is not resumed: its state
//! is dropped and a new job started.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use steadfast_core::bulk_manifest::{BulkManifest, MANIFEST_FILE, ManifestEntry};
use steadfast_http::reqwest::Url;
use steadfast_retry::{Classify as _, parse_retry_after};

use super::bounded::for_each_bounded;
use super::download::fetch;
use super::events::BulkEvent;
use super::export::{BulkExport, ExportSummary, ExportedFile};
use super::finish::lock_dir;
use super::plan::{Kind, Planned, parse, plan};
use super::poll::{MAX_RETRY_AFTER, job_failed, wait_for_job};
use super::request::{header, send};
use super::state::{DoneFile, ExportState, file_sha256, file_url_digest, url_digest};
use crate::error::FhirError;
use crate::location::{elide_query_values, same_origin};
use crate::method::{Idempotency, Method};
use crate::transport::status_error;

impl BulkExport<'_> {
    /// Runs the export.
    ///
    /// # Errors
    /// The kick-off refused or given up on; the job failed (its status answered with an
    /// error, [`FhirError::GaveUp`] carrying the status and outcome codes) or outlived the
    /// polling deadline ([`FhirError::PollDeadline`]; the state file stays, a rerun waits
    /// for the same job); a manifest outside the IG ([`FhirError::BulkProtocol`]); files
    /// that failed ([`FhirError::FilesFailed`], the others kept and recorded); a local
    /// write ([`FhirError::Io`]).
    pub async fn run_async(&self) -> Result<ExportSummary, FhirError> {
        let out = self.out.as_path();
        std::fs::create_dir_all(out).map_err(|source| FhirError::Io {
            action: "create",
            path: out.to_path_buf(),
            source,
        })?;
        // One export per directory at a time: an advisory lock on the directory itself
        // (released when this returns or the process dies; nothing left behind).
        let _lock = lock_dir(out)?;
        let kickoff = self.kickoff_url()?;
        if let Some(done) = self.finished_earlier(&kickoff).await {
            return Ok(done);
        }
        let (mut state, status, body, polls, resumed) = self.resume_or_start(&kickoff).await?;
        let manifest = parse(&body)?;
        let files = plan(&manifest, &self.client.base, self.gzip)?;
        let reused: HashSet<String> = files
            .iter()
            .filter(|f| {
                state.files.get(&f.name).is_some_and(|done| {
                    done.url_sha256 == file_url_digest(&f.url)
                        && file_sha256(&out.join(&f.name)).as_deref() == Some(&done.sha256)
                })
            })
            .map(|f| f.name.clone())
            .collect();
        state.files.retain(|name, _| reused.contains(name));
        (state.next_poll_at_ms, state.complete) = (None, false);
        state.write(out)?;
        self.events.emit(&BulkEvent::Manifest {
            files: files.len(),
            reused: reused.len(),
        });
        self.fetch_all(&files, &reused, manifest.requires_access_token, &mut state)
            .await?;
        let summary_files = self.write_manifest(&manifest, &files, &state, &reused)?;
        // Complete before the job is deleted: a run killed in between finds the export
        // done, never a job the server no longer knows (which would start a new one
        // over the finished files).
        state.complete = true;
        state.write(out)?;
        let job_deleted = self.finish(&status).await;
        Ok(ExportSummary {
            files: summary_files,
            manifest: out.join(MANIFEST_FILE),
            resumed,
            polls,
            job_deleted,
        })
    }

    /// The state file's job when the server still answers for it, else a new job: its
    /// state, status URL, manifest bytes, polls, and whether it was resumed.
    async fn resume_or_start(
        &self,
        kickoff: &Url,
    ) -> Result<(ExportState, Url, Vec<u8>, u32, bool), FhirError> {
        let out = self.out.as_path();
        let earlier = ExportState::read(out)
            .filter(|s| s.request_sha256 == url_digest(kickoff.as_str()))
            .and_then(|s| Some((self.client.base.join(&s.status_url)?, s)));
        if let Some((status, mut state)) = earlier {
            self.events.emit(&BulkEvent::Resumed);
            let first_wait = state.poll_wait();
            match self.wait(&status, &mut state, first_wait).await {
                Ok((body, polls)) => return Ok((state, status, body, polls, true)),
                // The server no longer knows the job (404, 410, …) or says it failed
                // (a 5xx not transient): its state is dropped and a new job started.
                Err(e) if job_failed(&e) => {
                    self.events.emit(&BulkEvent::JobDropped {
                        status: e.status().unwrap_or(0),
                    });
                    ExportState::remove(out)?;
                }
                Err(e) => return Err(e),
            }
        }
        let (status, retry_after) = self.kick_off(kickoff).await?;
        let mut state = ExportState::new(kickoff.as_str(), status.to_string());
        state.write(out)?;
        self.events.emit(&BulkEvent::KickedOff);
        // A `Retry-After` on the kick-off's 202 is the first wait, bounded as a poll's is
        // (at least `min_interval`, at most a week); its end is kept in the state file, so
        // a run killed meanwhile waits out the rest. Without one, the first poll is at once.
        let first_wait = match retry_after {
            Some(d) => {
                let wait = d.max(self.timing.min_interval_value()).min(MAX_RETRY_AFTER);
                state.poll_later(out, wait)?;
                wait
            }
            None => Duration::ZERO,
        };
        match self.wait(&status, &mut state, first_wait).await {
            Ok((body, polls)) => Ok((state, status, body, polls, false)),
            Err(e) => {
                // A job that failed is not resumed: the next run starts a new one.
                if job_failed(&e) {
                    let _ = ExportState::remove(out);
                }
                Err(e)
            }
        }
    }

    /// Waits for the job at `status`, each wait's end kept in `state` (a resumed run
    /// waits as long as the server asked).
    async fn wait(
        &self,
        status: &Url,
        state: &mut ExportState,
        first_wait: Duration,
    ) -> Result<(Vec<u8>, u32), FhirError> {
        let out = self.out.as_path();
        let on_wait = |wait| state.poll_later(out, wait);
        let (client, time) = (self.client, &self.time.0);
        wait_for_job(
            client,
            status,
            &self.timing,
            time,
            &self.events,
            first_wait,
            on_wait,
        )
        .await
    }

    /// Kick-off: `202 Accepted`, the job's status URL in `Content-Location` and the wait
    /// its `Retry-After` asks for before the first poll (if any). A kick-off starts a job,
    /// so it is retried only when the server cannot have seen it (connect errors) or said
    /// 429 — like a POST.
    async fn kick_off(&self, url: &Url) -> Result<(Url, Option<Duration>), FhirError> {
        let client = self.client;
        let path = client.base.shown(url);
        let headers = [
            ("accept", "application/fhir+json".to_owned()),
            ("prefer", "respond-async".to_owned()),
        ];
        let classify = |e: &FhirError| Idempotency::Unsafe.classify(e);
        client
            .policy()
            .retry_async_if(classify.with_facts(), |_| async {
                let response = send(client, Method::Get, url, &headers, true).await?;
                match response.status().as_u16() {
                    202 => {
                        let location = header(&response, "content-location").ok_or_else(|| {
                            FhirError::BulkProtocol {
                                step: "kick-off",
                                problem: "202 Accepted without a Content-Location".to_owned(),
                            }
                        })?;
                        let retry_after = header(&response, "retry-after")
                            .and_then(|v| parse_retry_after(v, SystemTime::now()));
                        // Relative to the kick-off's URL (RFC 9110 §8.7), on the base's origin.
                        url.join(location)
                            .ok()
                            .filter(|status| same_origin(status, client.base.url()))
                            .map(|status| (status, retry_after))
                            .ok_or_else(|| FhirError::BulkProtocol {
                                step: "kick-off",
                                problem: "the status URL is on another origin than the server; not followed".to_owned(),
                            })
                    }
                    s if (200..300).contains(&s) => Err(FhirError::BulkProtocol {
                        step: "kick-off",
                        problem: format!("HTTP {s} where 202 Accepted was expected (Prefer: respond-async)"),
                    }),
                    _ => Err(status_error(Method::Get, path.clone(), response).await),
                }
            })
            .await
            .map_err(|err| super::gave_up(path.clone(), err))
    }

    /// Downloads every file not in `reused`, at most `concurrency` at once; each one done
    /// is recorded in the state file at once.
    async fn fetch_all(
        &self,
        files: &[Planned],
        reused: &HashSet<String>,
        bearer: bool,
        state: &mut ExportState,
    ) -> Result<(), FhirError> {
        let (client, out, gzip, events) =
            (self.client, self.out.as_path(), self.gzip, &self.events);
        let idle = self.read_idle;
        let todo = files.iter().filter(|f| !reused.contains(&f.name));
        let mut failures = Vec::new();
        for_each_bounded(
            todo.map(
                |f| async move { (f, fetch(client, out, f, bearer, gzip, idle, events).await) },
            ),
            self.concurrency,
            |(f, got)| match got {
                Ok(fetched) => {
                    state.files.insert(
                        f.name.clone(),
                        DoneFile {
                            url_sha256: file_url_digest(&f.url),
                            sha256: fetched.sha256,
                            bytes: fetched.bytes,
                            lines: fetched.lines,
                        },
                    );
                    if let Err(e) = state.write(out) {
                        failures.push(e);
                    }
                    events.emit(&BulkEvent::FileDone {
                        file: &f.name,
                        bytes: fetched.bytes,
                        lines: fetched.lines,
                    });
                }
                Err(e) => failures.push(e),
            },
        )
        .await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(FhirError::FilesFailed {
                failed: failures.len(),
                first: Box::new(failures.swap_remove(0)),
            })
        }
    }

    /// The local `manifest.json` (the format `validate-data` reads), written atomically;
    /// the files as the summary lists them.
    fn write_manifest(
        &self,
        manifest: &super::plan::ServerManifest,
        files: &[Planned],
        state: &ExportState,
        reused: &HashSet<String>,
    ) -> Result<Vec<ExportedFile>, FhirError> {
        let mut local = BulkManifest {
            transaction_time: Some(manifest.transaction_time.clone()),
            // Query values elided: a `_typeFilter` may name a patient.
            request: Some(elide_query_values(&manifest.request)),
            requires_access_token: Some(false),
            output: Some(Vec::new()),
            error: Some(Vec::new()),
            deleted: None,
        };
        let mut listed = Vec::new();
        for f in files {
            let Some(done) = state.files.get(&f.name) else {
                continue;
            };
            let entry = ManifestEntry {
                resource_type: Some(f.resource_type.clone()),
                url: Some(f.name.clone()),
                count: Some(done.lines),
                sha256: Some(done.sha256.clone()),
                bytes: Some(done.bytes),
            };
            let list = match f.kind {
                Kind::Output => &mut local.output,
                Kind::Error => &mut local.error,
                Kind::Deleted => &mut local.deleted,
            };
            list.get_or_insert_with(Vec::new).push(entry);
            listed.push(ExportedFile {
                name: f.name.clone(),
                resource_type: f.resource_type.clone(),
                is_data: f.kind == Kind::Output,
                bytes: done.bytes,
                lines: done.lines,
                sha256: done.sha256.clone(),
                reused: reused.contains(&f.name),
            });
        }
        let path = self.out.join(MANIFEST_FILE);
        let text = serde_json::to_vec_pretty(&local).unwrap_or_default();
        steadfast_core::atomic_write(&path, text).map_err(|e| FhirError::Io {
            action: "write",
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        Ok(listed)
    }
}
