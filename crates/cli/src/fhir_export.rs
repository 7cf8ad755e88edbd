//! `steadfast fhir export BASE_URL --out DIR`: a FHIR Bulk Data v2 `$export` into a local
//! directory through steadfast-fhir's `BulkExport` — the `[retry]` policy of the
//! configuration for every request, SMART Backend Services auth from `--auth FILE`, a
//! progress line on a terminal (files, bytes, rate), a summary on stdout. Kill -9 safe: run
//! it again with the same `--out` to resume. Exit 0 when every file is in and verified, 1
//! when the export failed (server, job, files), 2 on a usage or configuration error.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use serde::Deserialize;
use steadfast::fhir::{
    BulkEvent, BulkExport, ExportLevel, FhirClient, FhirError, PrivateKey, SmartAuth,
};
use steadfast::http::HttpSettings;
use steadfast::run::{ByteSize, Links, escape_terminal};

use crate::progress::Progress;
use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// Arguments of `fhir export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The FHIR server's base URL (`https://ehr.example/fhir/r4`).
    #[arg(value_name = "BASE_URL")]
    base: String,
    /// The output directory (created if missing): NDJSON files, manifest.json, and while
    /// the export runs, its state file (run again with the same directory to resume).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only these resource types (`_type`), comma-separated: `Patient,Observation`.
    #[arg(long = "type", value_name = "T,…", value_delimiter = ',')]
    types: Vec<String>,
    /// Only resources changed after this FHIR instant (`_since`): `2026-01-01T00:00:00Z`.
    #[arg(long, value_name = "INSTANT")]
    since: Option<String>,
    /// A `_typeFilter` search (repeatable): `Observation?category=laboratory`.
    #[arg(long = "type-filter", value_name = "SEARCH")]
    type_filters: Vec<String>,
    /// Export a group's members (`Group/{id}/$export`).
    #[arg(long, value_name = "ID", conflicts_with = "patient")]
    group: Option<String>,
    /// Export all patients' data (`Patient/$export`) instead of the whole system.
    #[arg(long)]
    patient: bool,
    /// SMART Backend Services settings (JSON: client_id, kid, key_file or key_env, and
    /// optionally scope, token_url); key_file is relative to this file.
    #[arg(long, value_name = "FILE")]
    auth: Option<PathBuf>,
    /// Files downloaded at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// Write each file gzip-compressed (`.ndjson.gz`).
    #[arg(long)]
    gzip: bool,
    #[command(flatten)]
    config: crate::ConfigArgs,
}

/// The `--auth` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    client_id: String,
    kid: String,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    scope: Option<String>,
    token_url: Option<String>,
}

fn smart_auth(path: &Path) -> anyhow::Result<SmartAuth> {
    // A regular file only (never a FIFO or device), read bounded.
    let text = steadfast::run::read_regular_to_string(path, Links::Follow, 64 << 10)
        .map_err(|e| anyhow::anyhow!("--auth: {e}"))?;
    let file: AuthFile = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("--auth {}: {e}", crate::shown(path)))?;
    let key = match (&file.key_file, &file.key_env) {
        (Some(k), None) => {
            let dir = path.parent().unwrap_or_else(|| Path::new("."));
            PrivateKey::from_file(dir.join(k))?
        }
        (None, Some(var)) => PrivateKey::from_env(var)?,
        _ => anyhow::bail!(
            "--auth {}: give exactly one of key_file and key_env",
            crate::shown(path)
        ),
    };
    let mut builder = SmartAuth::builder(file.client_id).kid(file.kid).key(key);
    if let Some(scope) = file.scope {
        builder = builder.scope(scope);
    }
    if let Some(url) = file.token_url {
        builder = builder.token_url(url);
    }
    Ok(builder.build()?)
}

/// What the progress line shows.
struct Shown {
    progress: Progress,
    started: Instant,
    files_done: usize,
    files: usize,
    bytes: u64,
    status: String,
}

fn on_event(shown: &Mutex<Shown>, event: &BulkEvent<'_>) {
    let Ok(mut s) = shown.lock() else { return };
    match event {
        BulkEvent::Polled { progress, next_in } => {
            s.status = format!(
                "export running{}; next poll in {}s",
                progress
                    .map(|p| format!(" ({})", escape_terminal(p)))
                    .unwrap_or_default(),
                next_in.as_secs()
            );
        }
        BulkEvent::Manifest { files, reused } => {
            s.files = *files;
            s.files_done = *reused;
        }
        BulkEvent::Bytes { bytes, .. } => s.bytes += bytes,
        BulkEvent::FileDone { .. } => s.files_done += 1,
        BulkEvent::JobDropped { status } => {
            eprintln!(
                "warning: the earlier run's job failed or is gone on the server (HTTP {status}); its state was dropped and a new job started"
            );
        }
        _ => {}
    }
    if s.files > 0 {
        let secs = s.started.elapsed().as_secs_f64().max(0.001);
        #[allow(clippy::cast_possible_truncation, reason = "a display rate")]
        let rate = ByteSize::new((s.bytes as f64 / secs) as u64).human();
        s.status = format!(
            "files {}/{}, {}, {rate}/s",
            s.files_done,
            s.files,
            ByteSize::new(s.bytes).human()
        );
    }
    let text = s.status.clone();
    s.progress.show(|| text);
}

pub(crate) fn export(args: &ExportArgs) -> anyhow::Result<u8> {
    let Some(settings) = args.config.settings() else {
        return Ok(EXIT_USAGE);
    };
    let policy = settings.retry.policy()?;
    let mut client = match FhirClient::new(&args.base, &HttpSettings::default(), policy) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    if let Some(path) = &args.auth {
        match smart_auth(path) {
            Ok(auth) => client = client.auth(auth),
            Err(e) => {
                eprintln!("error: {}", escape_terminal(&format!("{e:#}")));
                return Ok(EXIT_USAGE);
            }
        }
    }
    let level = match (&args.group, args.patient) {
        (Some(id), _) => ExportLevel::Group(id.clone()),
        (None, true) => ExportLevel::Patient,
        (None, false) => ExportLevel::System,
    };
    let shown = std::sync::Arc::new(Mutex::new(Shown {
        progress: Progress::new(),
        started: Instant::now(),
        files_done: 0,
        files: 0,
        bytes: 0,
        status: "kick-off".to_owned(),
    }));
    let mut export = BulkExport::new(&client, &args.out)
        .level(level)
        .types(args.types.iter().filter(|t| !t.is_empty()))
        .concurrency(args.concurrency)
        .gzip(args.gzip)
        .on_event({
            let shown = shown.clone();
            move |e| on_event(&shown, e)
        });
    if let Some(since) = &args.since {
        export = export.since(since);
    }
    for f in &args.type_filters {
        export = export.type_filter(f);
    }
    let result = export.run();
    if let Ok(mut s) = shown.lock() {
        s.progress.done();
    }
    match result {
        Ok(summary) => {
            for f in &summary.files {
                println!(
                    "  {:<40} {:>10} lines {:>12}{}",
                    escape_terminal(&f.name),
                    f.lines,
                    ByteSize::new(f.bytes).human(),
                    if f.reused {
                        "  (from an earlier run)"
                    } else {
                        ""
                    }
                );
            }
            println!(
                "exported {} file(s), {} into {}{}; manifest {}",
                summary.files.len(),
                ByteSize::new(summary.bytes()).human(),
                crate::shown(&args.out),
                if summary.resumed { " (resumed)" } else { "" },
                crate::shown(&summary.manifest)
            );
            if !summary.job_deleted {
                eprintln!("warning: the job could not be deleted on the server");
            }
            Ok(EXIT_OK)
        }
        Err(
            e @ (FhirError::InvalidResourceType(_)
            | FhirError::InvalidExport { .. }
            | FhirError::InvalidBase { .. }
            | FhirError::Io {
                action: "create", ..
            }),
        ) => {
            eprintln!("error: {}", escape_terminal(&e.to_string()));
            Ok(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!("error: {}", escape_terminal(&e.to_string()));
            if steadfast::fhir::export_in_progress(&args.out) {
                eprintln!(
                    "the export's state is kept in {}: run the same command again to resume",
                    crate::shown(&args.out)
                );
            }
            Ok(EXIT_FAIL)
        }
    }
}
