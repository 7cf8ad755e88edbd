//! `steadfast validate-data --shard I/N --partial OUT` (one part of a check, on one
//! machine) and `steadfast validate-data merge PART…` (the report of all N parts, the same
//! a single unsharded run prints, with the same exit code).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use steadfast::run::{Timestamp, escape_terminal};
use steadfast::validation::data::{DataCheck, PartialResult, Shard, render_data};
use steadfast::validation::{self, Format};

use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// The sharding flags of `validate-data`, and its subcommand `merge`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct ShardArgs {
    #[command(subcommand)]
    command: Option<DataCommand>,
    /// Check only part I of N (1-based: 1/4 … 4/4) of the inputs, split by bytes (whole
    /// .gz files, plain files by byte ranges at line boundaries), into a partial result
    /// (--partial) that `validate-data merge` combines. Give every shard the same paths
    /// and rules.
    #[arg(long, value_name = "I/N", requires = "partial")]
    pub(crate) shard: Option<Shard>,
    /// Where --shard writes its partial result (JSON, written atomically).
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub(crate) partial: Option<PathBuf>,
    /// The time the report states (RFC 3339, UTC), for reproducible reports; default now.
    #[arg(long, value_name = "TIME")]
    pub(crate) checked_at: Option<Timestamp>,
}

impl ShardArgs {
    /// `validate-data merge PART…`, when that is the command: its exit code.
    pub(crate) fn merge(&self) -> Option<u8> {
        let Some(DataCommand::Merge(args)) = &self.command else {
            return None;
        };
        Some(merge(args))
    }
}

/// `validate-data`'s subcommand.
#[derive(Debug, Subcommand)]
pub(crate) enum DataCommand {
    /// Merge the partial results of all N shards (validate-data --shard I/N --partial
    /// FILE) into the report one unsharded run prints, with its exit code (0 pass or warn,
    /// 1 a rule failed, 2 parts missing, mismatched or damaged).
    Merge(MergeArgs),
}

/// Arguments of `validate-data merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The partial results, one per shard, in any order.
    #[arg(value_name = "PART", required = true)]
    parts: Vec<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_name = "FORMAT", default_value = "text",
          value_parser = ["text", "json", "markdown", "junit"])]
    format: String,
}

fn fail(e: &validation::Error) -> u8 {
    // One line: a newline inside a name is shown as `\n`, not obeyed.
    eprintln!("error: {}", escape_terminal(&e.to_string()));
    u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE)
}

/// Applies `--checked-at` to `check`; with `--shard`, checks that shard of `paths`, writes
/// its partial result and returns the exit code.
pub(crate) fn shard(check: &mut DataCheck<'_>, paths: &[PathBuf], args: &ShardArgs) -> Option<u8> {
    if let Some(at) = args.checked_at {
        *check = check.clone().checked_at(at);
    }
    let (Some(shard), Some(out)) = (args.shard, &args.partial) else {
        return None;
    };
    Some(run_shard(check, paths, shard, out))
}

fn run_shard(check: &DataCheck<'_>, paths: &[PathBuf], shard: Shard, out: &Path) -> u8 {
    let part = match check.run_shard(paths, shard) {
        Ok(part) => part,
        Err(e) => return fail(&e),
    };
    if let Err(e) = part.write(out) {
        return fail(&e);
    }
    println!(
        "wrote {}: shard {shard}, {} records from {} bytes; merge all {} parts with `steadfast validate-data merge`",
        crate::shown(out),
        part.records(),
        part.bytes(),
        shard.count()
    );
    EXIT_OK
}

/// `validate-data merge PART…`.
pub(crate) fn merge(args: &MergeArgs) -> u8 {
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        match PartialResult::read(path) {
            Ok(part) => parts.push(part),
            Err(e) => return fail(&e),
        }
    }
    let report = match PartialResult::merge(&parts) {
        Ok(report) => report,
        Err(e) => return fail(&e),
    };
    let format: Format = args.format.parse().unwrap_or(Format::Text);
    let color = format == Format::Text && validation::color_for_stdout();
    print!("{}", render_data(&report, format, color));
    u8::try_from(report.exit_code()).unwrap_or(EXIT_FAIL)
}
