//! `steadfast deadletter list RUN_DIR`: a run's dead letters through steadfast-retry's
//! typed reader. What could be patient data — the item and the error text a server sent —
//! is shown only with `--reveal`; by default each letter is its decision, attempts, times,
//! the item's resource type (when it names one) and a digest of the item, so two letters of
//! the same item are recognisable without showing it.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use sha2::{Digest, Sha256};
use steadfast::retry::DeadLetter;
use steadfast::run::{RunDir, Timestamp};

use crate::EXIT_OK;
use crate::output::{OutputFormat, print_json};

/// Arguments of `deadletter list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The run directory.
    run_dir: PathBuf,
    /// Also show each item and its error text (may hold patient data).
    #[arg(long)]
    reveal: bool,
    /// `text` or `json` (docs/cli-json.md).
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// One dead letter as listed.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    /// 1-based line in `deadletter.ndjson`.
    line: usize,
    decision: &'a str,
    attempts: u32,
    first_attempt: Timestamp,
    last_attempt: Timestamp,
    resource_type: Option<&'a str>,
    /// The first 12 hex digits of the item's SHA-256.
    item_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a serde_json::Value>,
}

/// The whole listing.
#[derive(Debug, Serialize)]
struct Listing<'a> {
    letters: Vec<Listed<'a>>,
    /// Lines that are not dead letters (their content is never shown).
    unreadable_lines: Vec<usize>,
    torn_tail_line: Option<usize>,
}

fn listed(letter: &DeadLetter, line: usize, reveal: bool) -> Listed<'_> {
    let digest = Sha256::digest(letter.item.to_string().as_bytes());
    let item_sha256 = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Listed {
        line,
        decision: &letter.decision,
        attempts: letter.attempts,
        first_attempt: letter.first_attempt,
        last_attempt: letter.last_attempt,
        resource_type: letter.item.get("resourceType").and_then(|v| v.as_str()),
        item_sha256,
        error: reveal.then_some(letter.error.as_str()),
        item: reveal.then_some(&letter.item),
    }
}

pub(crate) fn list(args: &ListArgs) -> anyhow::Result<u8> {
    let run = RunDir::open(&args.run_dir)?;
    let read = steadfast::retry::read_dead_letters(run.dead_letter_path())?;
    // Letters are numbered by their line: a bad line between two keeps its number.
    let mut bad: Vec<usize> = read.malformed.iter().map(|b| b.line).collect();
    bad.sort_unstable();
    let mut line = 0;
    let letters: Vec<Listed<'_>> = read
        .records
        .iter()
        .map(|letter| {
            line += 1;
            while bad.binary_search(&line).is_ok() {
                line += 1;
            }
            listed(letter, line, args.reveal)
        })
        .collect();
    let listing = Listing {
        letters,
        unreadable_lines: bad,
        torn_tail_line: read.torn_tail.as_ref().map(|t| t.line),
    };
    if args.format == OutputFormat::Json {
        print_json(&listing)?;
        return Ok(EXIT_OK);
    }
    println!(
        "{:<6} {:<22} {:>8} {:<24} {:<16} {:<12}",
        "LINE", "DECISION", "ATTEMPTS", "LAST ATTEMPT", "RESOURCE", "ITEM SHA256"
    );
    for l in &listing.letters {
        println!(
            "{:<6} {:<22} {:>8} {:<24} {:<16} {:<12}",
            l.line,
            steadfast::run::escape_terminal(l.decision),
            l.attempts,
            l.last_attempt,
            steadfast::run::escape_terminal(l.resource_type.unwrap_or("-")),
            l.item_sha256
        );
        if let (Some(error), Some(item)) = (l.error, l.item) {
            println!("       error: {}", steadfast::run::escape_terminal(error));
            println!(
                "       item:  {}",
                steadfast::run::escape_terminal(&item.to_string())
            );
        }
    }
    for line in &listing.unreadable_lines {
        println!("line {line}: not a dead letter (content not shown)");
    }
    if let Some(line) = listing.torn_tail_line {
        println!("line {line}: cut off mid-write (skipped)");
    }
    println!(
        "{} dead letter(s){}",
        listing.letters.len(),
        if args.reveal {
            ""
        } else {
            "; items and errors hidden (may hold patient data): --reveal shows them"
        }
    );
    Ok(EXIT_OK)
}
