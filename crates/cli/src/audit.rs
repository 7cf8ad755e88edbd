//! `steadfast audit verify PATH`: check the hash chain of a run's or a runs root's audit
//! trail (`audit.ndjson`) through `steadfast-core`'s `audit::verify`, and name the first
//! line where it breaks. Exit 0 intact, 1 broken, 2 missing or unreadable.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use steadfast::run::audit::{ChainBreak, verify_sealed};
use steadfast::run::files;

use crate::output::{OutputFormat, print_json};
use crate::{EXIT_FAIL, EXIT_OK, shown};

/// `steadfast audit …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check an audit trail's hash chain: exit 0 intact, 1 broken (naming the line), 2
    /// missing or unreadable.
    ///
    /// Each line of audit.ndjson carries the SHA-256 of the line before it, so an edited,
    /// removed or inserted line breaks the chain (a removed last line does not; see
    /// docs/audit.md).
    Verify(VerifyArgs),
}

/// Arguments of `audit verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A run directory or a runs root (each keeps an audit.ndjson), or an audit file.
    path: PathBuf,
    /// `text` or `json` (docs/cli-json.md).
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// `audit verify --format json`.
#[derive(Debug, Serialize)]
struct Verified<'a> {
    file: &'a Path,
    /// `intact` (exit 0) or `broken` (exit 1).
    status: &'static str,
    lines: u64,
    last_hash: Option<&'a str>,
    #[serde(rename = "break")]
    broken: Option<Break<'a>>,
}

/// Where the chain breaks, with the sentence the text output prints.
#[derive(Debug, Serialize)]
struct Break<'a> {
    #[serde(flatten)]
    at: &'a ChainBreak,
    message: String,
}

/// Runs an `audit` subcommand.
pub(crate) fn run(cmd: &AuditCommand) -> anyhow::Result<u8> {
    match cmd {
        AuditCommand::Verify(args) => verify_trail(args),
    }
}

/// The audit file `path` names: `<dir>/audit.ndjson` for a directory, else `path` itself.
fn trail_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(files::AUDIT)
    } else {
        path.to_path_buf()
    }
}

fn verify_trail(args: &VerifyArgs) -> anyhow::Result<u8> {
    let file = trail_file(&args.path);
    // A run's run.json says where its trail ended when the run last wrote it: an edit to
    // the last lines shows too.
    let seal = steadfast::run::RunDir::open(&args.path)
        .and_then(|run| run.read_manifest())
        .ok()
        .and_then(|m| m.audit);
    let report = verify_sealed(&file, seal.as_ref()).with_context(|| {
        format!(
            "cannot verify the audit trail {}: give a run directory, a runs root or an audit.ndjson",
            shown(&file)
        )
    })?;
    let code = if report.broken.is_some() {
        EXIT_FAIL
    } else {
        EXIT_OK
    };
    match args.format {
        OutputFormat::Json => print_json(&Verified {
            file: &file,
            status: if report.broken.is_some() {
                "broken"
            } else {
                "intact"
            },
            lines: report.lines,
            last_hash: report.last_hash.as_deref(),
            broken: report.broken.as_ref().map(|at| Break {
                at,
                message: at.to_string(),
            }),
        })?,
        OutputFormat::Text => match &report.broken {
            None => println!("{}: ok: {} lines, chain intact", shown(&file), report.lines),
            Some(at) => println!("{}: chain broken: {at}", shown(&file)),
        },
    }
    Ok(code)
}
