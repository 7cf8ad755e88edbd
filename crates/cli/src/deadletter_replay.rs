//! `steadfast deadletter replay RUN_DIR --base URL`: sends a run's HTTP-request dead letters
//! (the items steadfast-fhir writes) again through the `[retry]` policy and breaker of the
//! configuration (`--config`, `STEADFAST_RETRY__*`, `--set`), crash-safe through
//! `DeadLetterQueue::replay_if`; each recovered answer's resources are appended to
//! `<run>/data/replayed/<ResourceType>.ndjson` and fsynced before its letter leaves the
//! queue. A recovered search page's search goes on from its `next` link (same origin,
//! cycle guard), every following page written the same way; one that fails for good is a
//! new dead letter. Only GET and HEAD requests are sent (a letter keeps no request body).
//! The breaker always fails fast here, whatever `[retry.breaker] when_open` says. Exit 0
//! when the queue is empty afterwards and this replay quarantined nothing, 1 when letters
//! remain or were quarantined, 2 on a usage or configuration error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use steadfast::fhir::{FhirClient, FhirError, bundle_resources, replay_requests};
use steadfast::http::HttpSettings;
use steadfast::retry::{CircuitBreaker, DeadLetterQueue, ReplayOptions, WhenOpen};
use steadfast::run::{NdjsonWriter, RunDir, files};

use crate::output::{OutputFormat, print_json};
use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// Arguments of `deadletter replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The run directory.
    run_dir: PathBuf,
    /// The FHIR server's base URL the items are relative to (`https://ehr.example/fhir/r4`).
    #[arg(long, value_name = "URL")]
    base: String,
    /// A letter that has failed this many replays moves to deadletter.quarantine.ndjson.
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_replays: u32,
    /// Only GET and HEAD requests are ever sent again (a dead letter keeps no request body);
    /// without this flag a queue holding unsafe requests (POST, PATCH) is refused before
    /// anything is sent. With it they pass that check, but any request other than GET or
    /// HEAD still refuses the replay, untouched.
    #[arg(long)]
    include_unsafe: bool,
    #[command(flatten)]
    config: crate::ConfigArgs,
    /// `text` or `json` (docs/cli-json.md).
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// What a replay did, as printed.
#[derive(Debug, Serialize)]
struct Summary {
    succeeded: usize,
    failed_again: usize,
    quarantined: usize,
    not_attempted: usize,
    /// Outcomes of a replay cut short by a crash, applied first.
    recovered: usize,
    /// Letters left in the queue afterwards.
    remaining: usize,
    /// Search pages fetched after recovered pages, by continuing their search.
    continued_pages: usize,
    /// Continued searches that ended early (a page failed for good: a new dead letter).
    continuation_failures: usize,
    /// Where quarantined letters are.
    quarantine_file: String,
    /// Resources written per resource type.
    resources_written: BTreeMap<String, usize>,
    /// Where they were written.
    output_dir: String,
}

/// `text` if it is a FHIR resource type name: safe as a file name.
fn type_name(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_alphabetic());
    ok.then_some(text)
}

/// `dir`, created if missing; refused when it (or `data/`) is a link or not a directory, so
/// a planted link cannot send the pages elsewhere.
fn output_dir(run: &RunDir) -> anyhow::Result<PathBuf> {
    let data = run.path().join(files::DATA_DIR);
    let dir = data.join("replayed");
    for d in [&data, &dir] {
        match std::fs::symlink_metadata(d) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => anyhow::bail!("{} is not a directory (a link?)", crate::shown(d)),
            Err(_) => std::fs::create_dir(d)
                .with_context(|| format!("cannot create {}", crate::shown(d)))?,
        }
    }
    Ok(dir)
}

/// Appends each resource of `answer` (a Bundle's entries, or a resource) to its type's file
/// and fsyncs every file touched.
fn keep(
    dir: &Path,
    writers: &mut BTreeMap<String, NdjsonWriter>,
    written: &mut BTreeMap<String, usize>,
    answer: &serde_json::Value,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let is_bundle = answer.get("resourceType").and_then(|v| v.as_str()) == Some("Bundle");
    let resources: Vec<&serde_json::Value> = if is_bundle {
        bundle_resources(answer).collect()
    } else {
        vec![answer]
    };
    // Every resource is checked before any is written: a page is kept whole or not at all
    // (a page refused half-written would be written again by the next replay).
    let mut typed = Vec::with_capacity(resources.len());
    for resource in resources {
        let Some(t) = resource
            .get("resourceType")
            .and_then(|v| v.as_str())
            .and_then(type_name)
        else {
            return Err("a resource without a valid resourceType".into());
        };
        typed.push((t, resource));
    }
    let mut touched = BTreeSet::new();
    for (t, resource) in typed {
        if !writers.contains_key(t) {
            let writer = NdjsonWriter::open(dir.join(format!("{t}.ndjson")))?;
            steadfast::run::sync_dir(dir)?;
            writers.insert(t.to_owned(), writer);
        }
        if let Some(w) = writers.get_mut(t) {
            w.append(resource)?;
        }
        *written.entry(t.to_owned()).or_default() += 1;
        touched.insert(t.to_owned());
    }
    for t in touched {
        if let Some(w) = writers.get_mut(&t) {
            w.sync()?;
        }
    }
    Ok(())
}

pub(crate) fn replay(args: &ReplayArgs) -> anyhow::Result<u8> {
    let run = RunDir::open(&args.run_dir)?;
    let Some(settings) = args.config.settings() else {
        return Ok(EXIT_USAGE);
    };
    let retry = &settings.retry;
    let policy = retry.policy()?;
    // A replay always has a breaker, and it fails fast (`when_open = "wait"` is for a run):
    // against a server still down the replay stops at the threshold instead of walking or
    // waiting through the whole queue.
    let breaker = retry
        .breaker_builder()
        .unwrap_or_else(|| CircuitBreaker::builder().consecutive_failures(5))
        .when_open(WhenOpen::FailFast)
        .build();
    let queue =
        Arc::new(DeadLetterQueue::in_run(&run)?.store_raw_errors(retry.dead_letter_raw_errors));
    let client = match FhirClient::new(&args.base, &HttpSettings::default(), policy.clone()) {
        // A page after a recovered one that fails for good becomes a new letter.
        Ok(c) => c.dead_letters(queue.clone()),
        Err(e) => {
            eprintln!("error: --base: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let dir = output_dir(&run)?;
    let options = ReplayOptions::new(&policy)
        .breaker(&breaker)
        .max_replays(args.max_replays);
    let mut writers = BTreeMap::new();
    let mut written = BTreeMap::new();
    let report = match replay_requests(
        &client,
        &queue,
        &options,
        args.include_unsafe,
        |_, answer| keep(&dir, &mut writers, &mut written, answer),
    ) {
        Ok(r) => r,
        Err(e @ FhirError::NotReplayable { .. }) => {
            eprintln!(
                "error: {e}\n`deadletter list` shows them; --include-unsafe lets unsafe requests past this check, but only GET and HEAD can be sent again"
            );
            return Ok(EXIT_FAIL);
        }
        Err(e @ FhirError::CannotResend { .. }) => {
            eprintln!("error: {e}\n`deadletter list` shows them");
            return Ok(EXIT_FAIL);
        }
        Err(e) => return Err(e.into()),
    };
    let continued_pages = report.continued_pages;
    let continuation_failures = report.continuation_failures;
    let report = report.letters;
    let summary = Summary {
        succeeded: report.succeeded,
        failed_again: report.failed_again,
        quarantined: report.quarantined,
        not_attempted: report.not_attempted,
        recovered: report.recovered,
        remaining: queue.read()?.len(),
        continued_pages,
        continuation_failures,
        quarantine_file: crate::shown(&queue.quarantine_path()),
        resources_written: written,
        output_dir: crate::shown(&dir),
    };
    if args.format == OutputFormat::Json {
        print_json(&summary)?;
    } else {
        println!("succeeded:     {}", summary.succeeded);
        println!("failed again:  {}", summary.failed_again);
        println!(
            "quarantined:   {} (in {})",
            summary.quarantined, summary.quarantine_file
        );
        println!("not attempted: {}", summary.not_attempted);
        if summary.recovered > 0 {
            println!(
                "recovered:     {} (outcomes of an interrupted replay)",
                summary.recovered
            );
        }
        println!("remaining:     {}", summary.remaining);
        if summary.continued_pages > 0 || summary.continuation_failures > 0 {
            println!(
                "continued:     {} page(s) after recovered search pages, {} search(es) ended early",
                summary.continued_pages, summary.continuation_failures
            );
        }
        let total: usize = summary.resources_written.values().sum();
        println!("{total} resource(s) written under {}", summary.output_dir);
    }
    Ok(if summary.remaining == 0 && summary.quarantined == 0 {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
