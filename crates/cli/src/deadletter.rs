//! `steadfast deadletter list RUN_DIR`: a run's dead letters through steadfast-retry's
//! typed reader. What could be patient data — the item and the error text a server sent —
//! is shown only with `--reveal`; by default each letter is its decision, attempts, times,
//! the item's resource type (when it is a FHIR type name) and a digest of the item keyed
//! for this listing only, so two letters of the same item are recognisable in one listing
//! without the digest being a stable identifier of the item.

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
    /// 1-based position among the readable letters, in file order.
    index: usize,
    decision: &'a str,
    attempts: u32,
    first_attempt: Timestamp,
    last_attempt: Timestamp,
    resource_type: Option<&'a str>,
    /// The first 12 hex digits of the SHA-256 of a random key of this listing and the item.
    item_digest: String,
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

/// `text` if it is a FHIR resource type name (`Patient`): what else an item says stays hidden.
fn resource_type(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_alphabetic());
    ok.then_some(text)
}

/// `text` if it is a give-up reason's shape (`circuit_open`), else a fixed word.
fn decision(text: &str) -> &str {
    let ok = !text.is_empty()
        && text.len() <= 32
        && text.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if ok { text } else { "(not a reason)" }
}

fn listed<'a>(letter: &'a DeadLetter, index: usize, key: &[u8; 16], reveal: bool) -> Listed<'a> {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(letter.item.to_string().as_bytes());
    let item_digest = hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    Listed {
        index,
        decision: decision(&letter.decision),
        attempts: letter.attempts,
        first_attempt: letter.first_attempt,
        last_attempt: letter.last_attempt,
        resource_type: letter
            .item
            .get("resourceType")
            .and_then(|v| v.as_str())
            .and_then(resource_type),
        item_digest,
        error: reveal.then_some(letter.error.as_str()),
        item: reveal.then_some(&letter.item),
    }
}

/// A random key for this listing's digests (from the standard library's randomly seeded
/// hasher): the same item gives the same digest within one listing, never across two.
fn listing_key() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut key = [0u8; 16];
    for (i, chunk) in key.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    key
}

pub(crate) fn list(args: &ListArgs) -> anyhow::Result<u8> {
    let run = RunDir::open(&args.run_dir)?;
    let read = steadfast::retry::read_dead_letters(run.dead_letter_path())?;
    let bad: Vec<usize> = read.malformed.iter().map(|b| b.line).collect();
    let key = listing_key();
    let letters: Vec<Listed<'_>> = read
        .records
        .iter()
        .enumerate()
        .map(|(i, letter)| listed(letter, i + 1, &key, args.reveal))
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
        "#", "DECISION", "ATTEMPTS", "LAST ATTEMPT", "RESOURCE", "ITEM DIGEST"
    );
    for l in &listing.letters {
        println!(
            "{:<6} {:<22} {:>8} {:<24} {:<16} {:<12}",
            l.index,
            steadfast::run::escape_terminal(l.decision),
            l.attempts,
            l.last_attempt,
            steadfast::run::escape_terminal(l.resource_type.unwrap_or("-")),
            l.item_digest
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
