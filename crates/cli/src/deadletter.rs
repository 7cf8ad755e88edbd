//! `steadfast deadletter list RUN_DIR` and `show RUN_DIR N`: a run's dead letters through
//! steadfast-retry's typed reader. What could be patient data — the item and the error text
//! a server sent (stored only when the pipeline opted in) — is shown only with `--reveal`;
//! by default each letter is its decision, attempts, times, its error's kind and HTTP
//! status, the resource type (when it is a FHIR type name) and, in `list`, a digest of the
//! item keyed for this listing only, so two letters of the same item are recognisable in
//! one listing without the digest being a stable identifier of the item. Every word read
//! from the file is shown only when it has its field's shape.

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
    /// The error's kind (`http_5xx`, `io_connection_refused`, …).
    error_kind: &'a str,
    status: Option<u16>,
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

/// `text` if it is an error kind's shape (`http_5xx`), else a fixed word.
fn error_kind(text: &str) -> &str {
    let ok = !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { text } else { "(not a kind)" }
}

/// `text` if it is lowercase hex of at most 64 digits (an id, a hash).
fn hex(text: &str) -> Option<&str> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    ok.then_some(text)
}

/// The letter's resource type: the item's `resourceType`, else the stored one, if either is
/// a FHIR type name.
fn letter_resource_type(letter: &DeadLetter) -> Option<&str> {
    letter
        .item
        .get("resourceType")
        .and_then(|v| v.as_str())
        .and_then(resource_type)
        .or_else(|| {
            letter
                .error
                .resource_type
                .as_deref()
                .and_then(resource_type)
        })
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
        resource_type: letter_resource_type(letter),
        error_kind: error_kind(&letter.error.kind),
        status: letter.error.status,
        item_digest,
        error: reveal.then_some(letter.error.message.as_deref()).flatten(),
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

/// What `--reveal` shows for an error whose text the pipeline did not store.
const NOT_STORED: &str = "(text not stored: [retry] dead_letter_raw_errors is off)";

/// `http_5xx 503`, or the kind alone.
fn error_word(kind: &str, status: Option<u16>) -> String {
    match status {
        Some(s) => format!("{kind} {s}"),
        None => kind.to_owned(),
    }
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
        "{:<6} {:<22} {:>8} {:<24} {:<22} {:<16} {:<12}",
        "#", "DECISION", "ATTEMPTS", "LAST ATTEMPT", "ERROR", "RESOURCE", "ITEM DIGEST"
    );
    for l in &listing.letters {
        println!(
            "{:<6} {:<22} {:>8} {:<24} {:<22} {:<16} {:<12}",
            l.index,
            steadfast::run::escape_terminal(l.decision),
            l.attempts,
            l.last_attempt,
            error_word(l.error_kind, l.status),
            steadfast::run::escape_terminal(l.resource_type.unwrap_or("-")),
            l.item_digest
        );
        if let Some(item) = l.item {
            println!(
                "       error: {}",
                steadfast::run::escape_terminal(l.error.unwrap_or(NOT_STORED))
            );
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

/// Arguments of `deadletter show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The run directory.
    run_dir: PathBuf,
    /// The letter's number, as `deadletter list` numbers them (from 1).
    index: usize,
    /// Also show the item and its error text (may hold patient data).
    #[arg(long)]
    reveal: bool,
    /// `text` or `json` (docs/cli-json.md).
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// The stored error as shown: PHI-free fields, the text only with `--reveal`.
#[derive(Debug, Serialize)]
struct ShownError<'a> {
    kind: &'a str,
    status: Option<u16>,
    resource_type: Option<&'a str>,
    resource_id_hash: Option<&'a str>,
    /// With `--reveal`: the text, or `null` when the pipeline did not store it.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Option<&'a str>>,
}

/// One letter in full.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    index: usize,
    id: Option<&'a str>,
    decision: &'a str,
    attempts: u32,
    replays: u32,
    first_attempt: Timestamp,
    last_attempt: Timestamp,
    error: ShownError<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a serde_json::Value>,
}

pub(crate) fn show(args: &ShowArgs) -> anyhow::Result<u8> {
    let run = RunDir::open(&args.run_dir)?;
    let read = steadfast::retry::read_dead_letters(run.dead_letter_path())?;
    let Some(letter) = args.index.checked_sub(1).and_then(|i| read.records.get(i)) else {
        anyhow::bail!(
            "no dead letter {} in {}: it holds {} (numbered from 1, as `deadletter list` shows)",
            args.index,
            crate::shown(&run.dead_letter_path()),
            read.records.len()
        );
    };
    let e = &letter.error;
    let shown = Shown {
        index: args.index,
        id: hex(&letter.id),
        decision: decision(&letter.decision),
        attempts: letter.attempts,
        replays: letter.replays,
        first_attempt: letter.first_attempt,
        last_attempt: letter.last_attempt,
        error: ShownError {
            kind: error_kind(&e.kind),
            status: e.status,
            resource_type: letter_resource_type(letter),
            resource_id_hash: e.resource_id_hash.as_deref().and_then(hex),
            message: args.reveal.then_some(e.message.as_deref()),
        },
        item: args.reveal.then_some(&letter.item),
    };
    if args.format == OutputFormat::Json {
        print_json(&shown)?;
        return Ok(EXIT_OK);
    }
    let esc = |s: &str| steadfast::run::escape_terminal(s).into_owned();
    println!("dead letter {}", shown.index);
    println!("  id:               {}", shown.id.unwrap_or("-"));
    println!("  decision:         {}", esc(shown.decision));
    println!("  attempts:         {}", shown.attempts);
    println!("  failed replays:   {}", shown.replays);
    println!("  first attempt:    {}", shown.first_attempt);
    println!("  last attempt:     {}", shown.last_attempt);
    println!(
        "  error:            {}",
        error_word(shown.error.kind, shown.error.status)
    );
    println!(
        "  resource:         {}",
        esc(shown.error.resource_type.unwrap_or("-"))
    );
    println!(
        "  resource id hash: {}",
        shown.error.resource_id_hash.unwrap_or("-")
    );
    match (shown.error.message, shown.item) {
        (Some(message), Some(item)) => {
            println!("  error text:       {}", esc(message.unwrap_or(NOT_STORED)));
            let pretty = serde_json::to_string_pretty(item)?;
            println!("  item:");
            for line in pretty.lines() {
                println!("    {}", esc(line));
            }
        }
        _ => println!("item and error text hidden (may hold patient data): --reveal shows them"),
    }
    Ok(EXIT_OK)
}
