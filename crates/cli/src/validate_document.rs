//! `validate-data FILE.json[.gz|.zip] --schema S --records '$.in_network'`: a JSON
//! document whose records are array elements (price-transparency files, FHIR Bundles),
//! checked in one streaming pass against a JSON Schema, with a progress line on a terminal.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use steadfast::run::{ByteSize, Timestamp, escape_terminal};
use steadfast::validation::document::{
    DocumentCheck, DocumentProgress, JsonSchema, RuleSet, render_document,
};
use steadfast::validation::{self, Format};

use crate::progress::Progress;

/// The flags of document mode (flattened into `validate-data`; `--rules NAME` names a
/// built-in rule set there, `--threads`, `--show-values`, `--format` and `--checked-at` apply).
#[derive(Debug, Args)]
pub(crate) struct DocumentArgs {
    /// JSON Schema (draft-07) to check a JSON document against; selects document mode
    /// (like `--records`, or a `.json.gz`/`.zip` file).
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Where a JSON document's records are, like `$.in_network` or `$.entry[*].resource`
    /// (repeatable); records are checked in parallel and counted.
    #[arg(long = "records", value_name = "PATH")]
    records: Vec<String>,
}

impl DocumentArgs {
    /// True when the command checks a JSON document rather than NDJSON: `--schema`,
    /// `--records` or `--rules tic-…` was given, or the file is a `.json.gz` or `.zip` (a
    /// plain `.json` alone stays a Bulk Data manifest, as before).
    pub(crate) fn wanted(&self, paths: &[PathBuf], rules: Option<&Path>) -> bool {
        self.schema.is_some()
            || names_rule_set(rules)
            || !self.records.is_empty()
            || paths.iter().any(|p| {
                let name = p.to_string_lossy().to_ascii_lowercase();
                name.ends_with(".json.gz") || name.ends_with(".zip")
            })
    }
}

fn human_bytes(n: u64) -> String {
    ByteSize::new(n).human()
}

/// The progress line: bytes (of the file's size), records, rate and time left.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "a rate and a time left shown rounded; both are finite and non-negative"
)]
fn progress_text(p: &DocumentProgress, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    let rate = p.bytes_read as f64 / secs;
    let mut text = match p.total {
        Some(total) if total > 0 => {
            let pct = p.bytes_read as f64 * 100.0 / total as f64;
            format!(
                "{} of {} ({pct:.0}%)",
                human_bytes(p.bytes_read),
                human_bytes(total)
            )
        }
        _ => human_bytes(p.bytes_read),
    };
    text.push_str(&format!(
        ", {} records, {}/s",
        p.records,
        human_bytes(rate as u64)
    ));
    if let Some(total) = p.total.filter(|&t| t > p.bytes_read && rate > 0.0) {
        let left = ((total - p.bytes_read) as f64 / rate) as u64;
        text.push_str(&format!(", ETA {}m{:02}s", left / 60, left % 60));
    }
    text
}

/// True when `--rules NAME` names a price-transparency rule set (`tic-…`, known or not: an
/// unknown one is refused with the list) rather than an NDJSON rules file.
fn names_rule_set(rules: Option<&Path>) -> bool {
    rules.and_then(Path::to_str).is_some_and(|name| {
        RuleSet::named(name).is_some()
            || (name.starts_with("tic-") && !name.contains(['/', '\\', '.']))
    })
}

/// The schema of the check: `--schema FILE`, or the built-in rule set `--rules NAME`
/// (with its records paths); a usage message when neither or both were given.
fn schema_of(
    args: &DocumentArgs,
    rules: Option<&Path>,
) -> Result<(JsonSchema, Option<RuleSet>), String> {
    match (&args.schema, rules) {
        (Some(_), Some(name)) => Err(format!(
            "--schema and --rules {} both give the schema of a JSON document; give one \
             (a built-in rule set brings its own schema)",
            name.display()
        )),
        (Some(file), None) => {
            let bytes = std::fs::read(file)
                .map_err(|e| format!("{}: cannot read the schema: {e}", file.display()))?;
            JsonSchema::from_slice(&file.display().to_string(), &bytes)
                .map(|schema| (schema, None))
                .map_err(|e| e.to_string())
        }
        (None, Some(name)) => {
            let set = name.to_str().and_then(RuleSet::named).ok_or_else(|| {
                format!(
                    "{}: not a built-in rule set (known: {}); or pass --schema FILE",
                    name.display(),
                    RuleSet::NAMES.join(", ")
                )
            })?;
            if !args.records.is_empty() {
                return Err(format!(
                    "--records: the rule set {} sets its own records paths ({})",
                    set.name(),
                    set.records().join(", ")
                ));
            }
            let schema = set.compile().map_err(|e| e.to_string())?;
            Ok((schema, Some(set)))
        }
        (None, None) => Err(format!(
            "checking a JSON document needs --schema FILE or --rules NAME (a built-in rule \
             set: {})",
            RuleSet::NAMES.join(", ")
        )),
    }
}

/// What document mode takes from the other flags of `validate-data`: `--rules` (in
/// document mode, the name of a built-in rule set), `--threads`, `--show-values`.
pub(crate) type Common<'a> = (Option<&'a Path>, Option<usize>, bool);

/// Runs document mode (`args` wanted it); the exit code.
pub(crate) fn run(
    args: &DocumentArgs,
    paths: &[PathBuf],
    (rules, threads, show_values): Common<'_>,
    format: &str,
    shard: &crate::validate_shard::ShardArgs,
) -> u8 {
    let fail = |message: String| {
        eprintln!("error: {}", escape_terminal(&message));
        crate::EXIT_USAGE
    };
    let [path] = paths else {
        return fail(format!(
            "document mode checks one JSON document at a time, {} were given; run once per file",
            paths.len()
        ));
    };
    if shard.shard.is_some() {
        return fail(
            "--shard splits lists of files and NDJSON byte ranges; one JSON document is \
             checked by one process (in parallel inside it)"
                .into(),
        );
    }
    let (schema, set) = match schema_of(args, rules) {
        Ok(found) => found,
        Err(message) => return fail(message),
    };
    let started = Instant::now();
    let line = Mutex::new(Progress::new());
    let mut check = match set {
        Some(set) => set.document_check(&schema),
        None => DocumentCheck::new(&schema).records(args.records.iter().cloned()),
    }
    .show_values(show_values)
    .progress(|p| {
        if let Ok(mut line) = line.lock() {
            line.show(|| progress_text(&p, started));
        }
    });
    if let Some(n) = threads {
        check = check.threads(n);
    }
    // The report's time is also the day expiration dates are judged against.
    let today = shard.checked_at.unwrap_or_else(Timestamp::now);
    check = check.checked_at(today);
    let result = match set {
        Some(set) => set
            .run(&check, path, today, show_values)
            .map(|run| run.report),
        None => check.run(path),
    };
    if let Ok(mut line) = line.lock() {
        line.done();
    }
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {}", escape_terminal(&e.to_string()));
            return u8::try_from(e.exit_code()).unwrap_or(crate::EXIT_USAGE);
        }
    };
    let format: Format = format.parse().unwrap_or(Format::Text);
    let color = format == Format::Text && validation::color_for_stdout();
    print!("{}", render_document(&report, format, color));
    u8::try_from(report.exit_code()).unwrap_or(crate::EXIT_FAIL)
}
