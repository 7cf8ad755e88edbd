//! `steadfast validate-run` and `steadfast validate-data`.

use std::path::{Path, PathBuf};

use clap::Args;
use steadfast::run::config::Loader;
use steadfast::validation::{self, Format, Thresholds};

use crate::{ConfigArgs, EXIT_USAGE};

/// Arguments of `validate-run`.
#[derive(Debug, Args)]
pub(crate) struct ValidateRunArgs {
    /// The run directory (holds run.json and metrics.ndjson), as every command takes it.
    #[arg(value_name = "RUN_DIR", required_unless_present = "run_dir_flag")]
    run_dir: Option<PathBuf>,
    /// The run directory, as the seed's `validate-run --run-dir DIR` took it.
    #[arg(long = "run-dir", value_name = "DIR", conflicts_with = "run_dir")]
    run_dir_flag: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
    /// Minimum records of each step over the previous step's, 0..1 (row_count_threshold).
    #[arg(long, value_name = "RATIO")]
    row_count_threshold: Option<String>,
    /// Longest the extract step may take, like `600s` or `10m` (extract_time_threshold).
    #[arg(long, value_name = "DURATION")]
    extract_time_threshold: Option<String>,
    /// Report format on stdout.
    #[arg(long, value_name = "FORMAT", default_value = "text",
          value_parser = ["text", "json", "markdown", "junit"])]
    format: String,
    /// Do not write reports into the run's validation/ directory.
    #[arg(long)]
    no_write: bool,
    /// Judge a run that is not complete (still live, crashed or aborted) on purpose: the
    /// run_complete rule warns instead of failing.
    #[arg(long)]
    allow_incomplete: bool,
    /// Ignore the thresholds the run was validated with (its
    /// validation/thresholds.effective.toml, layered under --config, the environment and
    /// the flags by default).
    #[arg(long)]
    fresh: bool,
}

/// Arguments of `validate-data`.
#[derive(Debug, Args)]
pub(crate) struct ValidateDataArgs {
    /// NDJSON files (`.ndjson`, `.ndjson.gz`), directories of them, bulk export manifests
    /// (`manifest.json`), or `-` for standard input (NDJSON, gzip recognised).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Rules file (default: the shipped fhir-bulk.toml), or a JSON document's tic-* rule set.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Override one rules key (repeatable), like `--set max_invalid_lines=10`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Put offending values into the report. They may be patient data: off by default.
    #[arg(long)]
    show_values: bool,
    /// Worker threads (default: the rules' `threads`, 0 = every core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// The longest NDJSON line read, like `64MiB` (max_line_bytes); a longer line is an
    /// invalid line and the file goes on.
    #[arg(long, value_name = "SIZE")]
    max_line_bytes: Option<String>,
    /// Follow manifest urls and directory links that lead outside the manifest's or the
    /// directory's own directory (refused by default: a manifest may come from anywhere).
    #[arg(long)]
    allow_outside: bool,
    /// Report format on stdout.
    #[arg(long, value_name = "FORMAT", default_value = "text",
          value_parser = ["text", "json", "markdown", "junit"])]
    format: String,
    #[command(flatten)]
    pub(crate) shard: crate::validate_shard::ShardArgs,
    #[command(flatten)]
    document: crate::validate_document::DocumentArgs,
}

/// Prints an error whose text may hold names from outside (file names, manifest urls),
/// each line escaped so it cannot drive the terminal.
fn print_error(prefix: &str, text: &str) {
    use steadfast::run::escape_terminal;
    eprintln!("{prefix}");
    for line in text.lines() {
        eprintln!("{}", escape_terminal(line));
    }
}

pub(crate) fn validate_data(args: &ValidateDataArgs) -> u8 {
    use steadfast::run::escape_terminal;
    use steadfast::validation::data::{DataCheck, DataRules, render_data};
    if args.document.wanted(&args.paths, args.rules.as_deref()) {
        // NDJSON-only options would be ignored here: refused, so a user never believes an
        // override took effect.
        let ndjson_only = [
            ("--set", !args.set.is_empty()),
            ("--max-line-bytes", args.max_line_bytes.is_some()),
            ("--allow-outside", args.allow_outside),
        ];
        if let Some((flag, _)) = ndjson_only.iter().find(|(_, given)| *given) {
            eprintln!(
                "error: {flag} applies to NDJSON checks (rules files, manifests); a JSON \
                 document checked with --schema/--records or a tic-* rule set has no use for \
                 it: drop {flag}"
            );
            return EXIT_USAGE;
        }
        let common = (args.rules.as_deref(), args.threads, args.show_values);
        let (doc, shard) = (&args.document, &args.shard);
        return crate::validate_document::run(doc, &args.paths, common, &args.format, shard);
    }
    let mut loader = match &args.rules {
        Some(file) => Loader::new().file(file),
        None => Loader::new().toml_str("fhir-bulk.toml (built in)", DataRules::FHIR_BULK),
    };
    for assignment in &args.set {
        loader = loader.set(assignment);
    }
    if let Some(size) = &args.max_line_bytes {
        let quoted = serde_json::Value::from(size.as_str()).to_string();
        loader = loader.set_value("max_line_bytes", quoted, "--max-line-bytes");
    }
    let rules = match DataRules::load(&loader) {
        Ok(r) => r.into_value(),
        Err(e) => {
            print_error("error: invalid rules", &e.to_string());
            return EXIT_USAGE;
        }
    };
    let mut check = DataCheck::new(&rules)
        .show_values(args.show_values)
        .allow_outside(args.allow_outside);
    if let Some(n) = args.threads {
        check = check.threads(n);
    }
    if let Some(code) = crate::validate_shard::shard(&mut check, &args.paths, &args.shard) {
        return code;
    }
    let report = match check.run(&args.paths) {
        Ok(report) => report,
        Err(e) => {
            // One line: a newline inside a name is shown as `\n`, not obeyed.
            eprintln!("error: {}", escape_terminal(&e.to_string()));
            return u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE);
        }
    };
    let format: Format = args.format.parse().unwrap_or(Format::Text);
    let color = format == Format::Text && validation::color_for_stdout();
    print!("{}", render_data(&report, format, color));
    u8::try_from(report.exit_code()).unwrap_or(crate::EXIT_FAIL)
}

pub(crate) fn loader(config: Option<&Path>, profile: Option<&str>, set: &[String]) -> Loader {
    let mut loader = Loader::new().profile(profile);
    if let Some(file) = config {
        loader = loader.file(file);
    }
    for assignment in set {
        loader = loader.set(assignment);
    }
    loader
}

pub(crate) fn validate_run(args: &ValidateRunArgs) -> u8 {
    let Some(run_dir) = args.run_dir.as_ref().or(args.run_dir_flag.as_ref()) else {
        eprintln!("error: give the run directory: validate-run RUN_DIR");
        return EXIT_USAGE;
    };
    // The thresholds the run was validated with (its first validation record's: the run's
    // own, not a later one-off) come first, under everything given now: re-validating a
    // run judges it by its own rules unless told otherwise (--fresh).
    let run = steadfast::run::RunDir::open(run_dir).ok();
    let saved = run
        .as_ref()
        .and_then(|r| validation::records(r).ok())
        .and_then(|records| records.into_iter().next())
        .map(|first| first.thresholds_path())
        .filter(|p| std::fs::symlink_metadata(p).is_ok());
    let mut loader = Loader::new();
    let mut used_saved = false;
    if let (false, Some(saved)) = (args.fresh, saved) {
        // A file from the run directory: a regular file, never through a link, bounded; a
        // literal layer (its `${…}` are not expanded from this process's environment, and
        // no profile overlay is looked for beside it).
        match steadfast::run::read_regular_to_string(&saved, steadfast::run::Links::Refuse, 4 << 20)
        {
            Ok(text) => {
                let name = crate::shown(&saved);
                loader = loader.toml_str(name, text.replace("${", "$${"));
                used_saved = true;
            }
            Err(e) => {
                eprintln!(
                    "error: {}\nthe run's saved thresholds cannot be read; --fresh ignores them",
                    steadfast::run::escape_terminal(&e.to_string())
                );
                return EXIT_USAGE;
            }
        }
    }
    loader = loader.profile(args.config.profile.as_deref());
    if let Some(file) = &args.config.config {
        loader = loader.file(file);
    }
    for assignment in &args.config.set {
        loader = loader.set(assignment);
    }
    // A seed threshold flag is a `--set` for its key, credited to the flag.
    if let Some(ratio) = &args.row_count_threshold {
        loader = loader.set_value("row_count_threshold", ratio, "--row-count-threshold");
    }
    if let Some(duration) = &args.extract_time_threshold {
        // The seed took plain seconds (`600`); a unit is also accepted (`10m`).
        loader = loader.set_value(
            "extract_time_threshold",
            format!("\"{duration}\""),
            "--extract-time-threshold",
        );
    }
    let thresholds = match Thresholds::load(&loader) {
        Ok(t) => t,
        Err(e) => {
            print_error("error: invalid thresholds", &e.to_string());
            if used_saved {
                eprintln!(
                    "(the run's saved thresholds, validation/thresholds.effective.toml, are the lowest layer; --fresh ignores them)"
                );
            }
            return EXIT_USAGE;
        }
    };

    // Recording a validation holds the run's lock, so no cleanup takes the run meanwhile
    // and no live pipeline is written under; a live run is judged with --no-write.
    let lock = match (&run, args.no_write) {
        (Some(run), false) => match run.lock() {
            Ok(lock) => Some(lock),
            // Partial data judged on purpose: shown, not recorded into a live run.
            Err(steadfast::run::Error::RunActive { .. }) if args.allow_incomplete => {
                eprintln!(
                    "note: the run is live (another process holds its .active lock): judged, not recorded"
                );
                None
            }
            Err(e) => {
                eprintln!(
                    "error: cannot record a validation of this run: {}\n--no-write judges it without recording",
                    steadfast::run::escape_terminal(&e.to_string())
                );
                return EXIT_USAGE;
            }
        },
        _ => None,
    };
    // With the lock taken here, it is this process's, not a live run's.
    let incomplete = match (args.allow_incomplete, lock.is_some()) {
        (false, false) => validation::Incomplete::Fail,
        (true, false) => validation::Incomplete::Warn,
        (false, true) => validation::Incomplete::Recording,
        (true, true) => validation::Incomplete::RecordingPartial,
    };
    let now = steadfast::run::Timestamp::now();
    let report = match validation::validate_run_with(run_dir, thresholds.value(), incomplete, now) {
        Ok(report) => report,
        Err(e) => {
            // Paths come from outside: a newline or ESC in a name is shown, not obeyed.
            eprintln!("error: {}", steadfast::run::escape_terminal(&e.to_string()));
            return u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE);
        }
    };
    if let (Some(run), Some(lock)) = (&run, lock) {
        if let Err(e) = record(run, &report, &thresholds) {
            eprintln!(
                "error: cannot record the validation: {}",
                steadfast::run::escape_terminal(&e.to_string())
            );
            return EXIT_USAGE;
        }
        if let Err(e) = lock.release() {
            eprintln!("warning: {e}");
        }
    }
    let format: Format = args.format.parse().unwrap_or(Format::Text);
    let color = format == Format::Text && validation::color_for_stdout();
    print!("{}", validation::render(&report, format, color));
    u8::try_from(report.exit_code()).unwrap_or(crate::EXIT_FAIL)
}

/// Writes a new validation record into `run` and makes it the latest in `run.json`
/// (earlier records stay as they were; the run's own verdict, `status`, is unchanged).
fn record(
    run: &steadfast::run::RunDir,
    report: &validation::ValidationReport,
    thresholds: &steadfast::run::config::Effective<Thresholds>,
) -> Result<(), validation::Error> {
    use steadfast::run::audit::{AuditEvent, AuditLog, verify};
    let written = validation::write_reports(run, report, Some(thresholds))?;
    // The audit line is evidence, not the validation: a trail that cannot take it (a torn
    // last line after a crash) is a warning; the record and run.json still say what happened.
    let appended = AuditLog::in_run(run).and_then(|log| {
        log.append(&AuditEvent::Validated {
            record: written.record.clone(),
            status: report.status,
        })?;
        verify(log.path())
    });
    let mut manifest = run.read_manifest()?;
    manifest.validation = Some(written.index(run, report.status)?);
    match appended {
        Ok(trail) => manifest.audit = steadfast::run::AuditSeal::of(&trail),
        Err(e) => eprintln!(
            "warning: the validation is recorded, but not in the audit trail: {}",
            steadfast::run::escape_terminal(&e.to_string())
        ),
    }
    run.write_manifest(&manifest)?;
    Ok(())
}
