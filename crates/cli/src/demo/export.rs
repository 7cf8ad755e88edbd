//! The demo's bulk extraction: a FHIR Bulk Data `$export` of Patient, Encounter and
//! Observation from the mock server through steadfast-fhir's `BulkExport` — the run's
//! retry policy (its retries, give-ups and HTTP errors recorded by the run), the demo's
//! rate limiter — into the run's bronze directory: NDJSON files and the local
//! `manifest.json` `validate-data` reads. What the export went through is recorded in the
//! run's metrics (step `bronze`, names in `series.rs`): the client's polls, files and
//! retries, and what the mock server saw — the first status request answered 429, every
//! poll no sooner than the `Retry-After` before it (the kick-off's too), the download cut
//! and resumed with `Range`, the file that answered 503 and was asked again after its
//! `Retry-After`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast::Run;
use steadfast::fhir::{BulkEvent, BulkExport, FhirClient, PollTiming};
use steadfast::http::HttpSettings;
use steadfast::retry::AdaptiveRateLimiter;
use steadfast::run::ByteSize;

use super::bulk_server::BulkFaults;
use super::series::{self, BRONZE};

/// The types the demo exports (`_type`); Conditions come by search.
pub(crate) const EXPORT_TYPES: [&str; 3] = ["Patient", "Encounter", "Observation"];

/// What the export did.
#[derive(Debug, Default)]
pub(crate) struct Exported {
    pub(crate) resources: u64,
    pub(crate) files: usize,
    pub(crate) bytes: u64,
    pub(crate) polls: u32,
    pub(crate) retries: u64,
    pub(crate) job_deleted: bool,
    /// Why it failed, when it did (no patient data: steadfast-fhir's errors hold none).
    pub(crate) failed: Option<String>,
}

/// Exports the mock server at `addr` into `bronze`.
pub(crate) fn export(
    run: &Run,
    addr: std::net::SocketAddr,
    bronze: &Path,
    limiter: AdaptiveRateLimiter,
) -> anyhow::Result<Exported> {
    let retries = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&retries);
    let policy = run.retry().on_retry(move |event| {
        counted.fetch_add(1, Relaxed);
        tracing::warn!(attempt = event.attempt, delay_ms = u64::try_from(event.delay.as_millis()).unwrap_or(u64::MAX), error = %event.error, "retrying an export request");
    });
    let http = HttpSettings::default()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .no_proxy();
    let client = FhirClient::new(&format!("http://{addr}/"), &http, policy)?
        .rate_limiter(limiter)
        .dead_letters(Arc::clone(run.dead_letters()));
    let progress = Arc::new(Mutex::new(crate::progress::Progress::new()));
    let shown = Arc::clone(&progress);
    // The mock's job asks for 1 s between polls; the demo's own floor is lower than the
    // default's 1 s only so that nothing but the server's `Retry-After` sets the pace.
    let timing = PollTiming::default()
        .initial_interval(Duration::from_millis(200))
        .min_interval(Duration::from_millis(100))
        .deadline(Duration::from_secs(120));
    let span = run.profiler().component("bronze.export");
    let result = {
        let _span = span.span();
        BulkExport::new(&client, bronze)
            .types(EXPORT_TYPES)
            .concurrency(3)
            .read_idle_timeout(Duration::from_secs(10))
            .poll_timing(timing)
            .on_event(move |e| show(&shown, e))
            .run()
    };
    if let Ok(mut p) = progress.lock() {
        p.done();
    }
    let metrics = run.metrics();
    let mut out = Exported {
        retries: retries.load(Relaxed),
        ..Exported::default()
    };
    metrics
        .counter(BRONZE, series::EXPORT_RETRIES)
        .add(out.retries);
    match result {
        Ok(summary) => {
            for f in summary.files.iter().filter(|f| f.is_data) {
                metrics
                    .counter(BRONZE, series::RECORDS)
                    .label(series::RESOURCE_TYPE, &f.resource_type)
                    .add(f.lines);
                out.resources += f.lines;
            }
            out.files = summary.files.len();
            out.bytes = summary.bytes();
            out.polls = summary.polls;
            out.job_deleted = summary.job_deleted;
            metrics.counter(BRONZE, series::BYTES).add(out.bytes);
            metrics
                .counter(BRONZE, series::EXPORT_POLLS)
                .add(u64::from(out.polls));
            metrics
                .counter(BRONZE, series::EXPORT_FILES)
                .add(out.files as u64);
        }
        Err(e) => {
            tracing::error!(error = %e, "the bulk export failed");
            metrics.counter(BRONZE, series::ERRORS).add(1);
            out.failed = Some(e.to_string());
        }
    }
    Ok(out)
}

/// Records what the mock server's Bulk Data side went through into the run.
pub(crate) fn record_mock(run: &Run, f: &BulkFaults) {
    let m = run.metrics();
    for (name, n) in [
        (series::MOCK_POLLS, &f.polls),
        (series::MOCK_THROTTLED_POLLS, &f.throttled),
        (series::MOCK_EARLY_POLLS, &f.early_polls),
        (series::MOCK_CUT_DOWNLOADS, &f.cut),
        (series::MOCK_RESUMED_DOWNLOADS, &f.resumed),
        (series::MOCK_UNAVAILABLE_FILES, &f.unavailable),
        (series::MOCK_RETRIES_AFTER_WAIT, &f.waited),
        (series::MOCK_JOBS_DELETED, &f.deleted),
    ] {
        m.counter(BRONZE, name).add(n.load(Relaxed));
    }
}

/// The summary line's words for the export and what the mock saw: counts only, each
/// claim ("after the wait", "retried after its Retry-After") as the mock checked it.
pub(crate) fn summary(e: &Exported, f: &BulkFaults) -> String {
    if let Some(why) = &e.failed {
        return format!("bulk export failed: {why}");
    }
    let n = |c: &AtomicU64| c.load(Relaxed);
    let pace = match n(&f.early_polls) {
        0 => "each no sooner than Retry-After asked".to_owned(),
        early => format!("{early} sooner than Retry-After asked"),
    };
    format!(
        "{:>6} resources by bulk export in {} files ({}): {} polls ({} answered 429, {pace}), {} download cut and {} resumed with Range, {} file answered 503 and {} retried after its Retry-After; job {}",
        e.resources,
        e.files,
        ByteSize::new(e.bytes).human(),
        e.polls,
        n(&f.throttled),
        n(&f.cut),
        n(&f.resumed),
        n(&f.unavailable),
        n(&f.waited),
        if e.job_deleted { "deleted" } else { "kept" },
    )
}

/// The progress line while the export runs.
fn show(progress: &Mutex<crate::progress::Progress>, event: &BulkEvent<'_>) {
    let text = match event {
        BulkEvent::KickedOff => "  bronze  $export: job started".to_owned(),
        BulkEvent::Polled { progress, next_in } => format!(
            "  bronze  $export: job running ({}); next poll in {:.1}s",
            progress.unwrap_or("no progress given"),
            next_in.as_secs_f64()
        ),
        BulkEvent::Manifest { files, .. } => format!("  bronze  $export: {files} files"),
        BulkEvent::FileDone { file, lines, .. } => {
            format!("  bronze  $export: {file} ({lines} resources)")
        }
        _ => return,
    };
    if let Ok(mut p) = progress.lock() {
        p.show(|| text);
    }
}
