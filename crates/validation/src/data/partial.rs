//! The partial-result file of one shard (`steadfast-data-partial`, version 1): what the
//! shard's workers counted, as JSON, so that [`PartialResult::merge`] of all N parts gives
//! exactly the report one process gives. Locations are (chunk, line) with chunks local to
//! the part; each chunk names its source (index in the full ordered input list) and byte
//! range, so merge renumbers them in file order and line numbers come out as one run's.
//!
//! Id and reference hashes (xxh3-128) travel packed as hex, sorted by hash: an id is
//! 16 bytes of hash and 8 of location, 48 hex characters — about 48 MB per million ids;
//! a distinct reference 32 bytes, 64 characters. Values (id texts) only with
//! `show_values`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use steadfast_core::{Links, Timestamp};

use super::engine::Outcome;
use super::packed::{hash_hex, pack};
use super::plan::Plan;
use super::rules::DataRules;
use super::shard_spec::Shard;
use super::source::Source;
use super::tally::{Finding, HashSet128, Loc, RefSeen};
use crate::Error;
use crate::error::io_error;

/// The `format` of a partial-result file.
pub const PARTIAL_FORMAT: &str = "steadfast-data-partial";
/// The version of the partial-result format this build writes and reads.
pub const PARTIAL_VERSION: u32 = 1;

/// One shard's partial result: write it with [`write`](Self::write), read it back with
/// [`read`](Self::read), combine all N with [`merge`](Self::merge).
#[derive(Debug, Clone)]
pub struct PartialResult {
    pub(crate) wire: Wire,
    /// The file it was read from, for messages.
    pub(crate) origin: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Wire {
    pub(crate) format: String,
    pub(crate) version: u32,
    pub(crate) shard: Shard,
    pub(crate) checked_at: Timestamp,
    /// xxh3-128 of `sources` and `input_problems`: the full ordered input list.
    pub(crate) inputs_hash: String,
    /// xxh3-128 of the effective rules (threads aside) and `show_values`.
    pub(crate) rules_hash: String,
    pub(crate) rules: DataRules,
    pub(crate) show_values: bool,
    pub(crate) input_problems: Vec<String>,
    pub(crate) sources: Vec<WireSource>,
    pub(crate) chunks: Vec<WireChunk>,
    pub(crate) digests: Vec<WireText>,
    pub(crate) cut_short: Vec<WireText>,
    pub(crate) rule_tallies: Vec<WireRule>,
    pub(crate) types: Vec<u64>,
    pub(crate) other_types: BTreeMap<String, u64>,
    pub(crate) ids: Vec<String>,
    pub(crate) id_texts: Vec<BTreeMap<String, String>>,
    pub(crate) refs: Vec<String>,
    pub(crate) ref_texts: Vec<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireSource {
    pub(crate) name: String,
    pub(crate) gzip: bool,
    pub(crate) size: u64,
    pub(crate) manifest_type: Option<String>,
    pub(crate) manifest_count: Option<u64>,
    pub(crate) sha256: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireChunk {
    pub(crate) source: usize,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) lines: u32,
    pub(crate) records: u64,
    pub(crate) blank: u64,
    pub(crate) invalid: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireText {
    pub(crate) source: usize,
    pub(crate) text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireRule {
    pub(crate) violations: u64,
    pub(crate) findings: Vec<WireFinding>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireFinding {
    /// (chunk of this part, 0-based line within it).
    pub(crate) at: (u32, u32),
    pub(crate) column: Option<u32>,
    pub(crate) message: String,
    pub(crate) value: Option<String>,
    pub(crate) first: Option<(u32, u32)>,
    /// For a duplicate: its set and hash (hex).
    pub(crate) dup: Option<(u32, String)>,
}

fn split(at: Loc) -> (u32, u32) {
    let chunk = u32::try_from(at >> 32).unwrap_or(u32::MAX);
    let line = u32::try_from(at & 0xffff_ffff).unwrap_or(u32::MAX);
    (chunk, line)
}

pub(crate) fn wire_sources(sources: &[Source]) -> Vec<WireSource> {
    sources
        .iter()
        .map(|s| WireSource {
            name: s.name.clone(),
            gzip: s.gzip,
            size: s.size,
            manifest_type: s.manifest_type.clone(),
            manifest_count: s.manifest_count,
            sha256: s.sha256.clone(),
        })
        .collect()
}

fn json_hash(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hash_hex(xxhash_rust::xxh3::xxh3_128(&bytes))
}

pub(crate) fn rules_hash(rules: &DataRules, show_values: bool) -> String {
    let mut rules = rules.clone();
    rules.threads = 0;
    json_hash(&(rules, show_values))
}

pub(crate) fn inputs_hash(sources: &[WireSource], problems: &[String]) -> String {
    json_hash(&(sources, problems))
}

fn texts(map: &HashSet128<Box<str>>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(h, t)| (hash_hex(*h), t.to_string()))
        .collect()
}

impl PartialResult {
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, in run_shard; a struct would only rename them"
    )]
    pub(crate) fn new(
        rules: &DataRules,
        show_values: bool,
        shard: Shard,
        checked_at: Timestamp,
        sources: &[Source],
        input_problems: Vec<String>,
        plan: &Plan,
        outcome: Outcome,
    ) -> Self {
        let sources = wire_sources(sources);
        let Outcome {
            tally,
            chunks,
            digests,
            cut_short,
            chunk_source,
            chunk_range,
        } = outcome;
        let by_source = |list: Vec<Option<String>>| -> Vec<WireText> {
            list.into_iter()
                .enumerate()
                .filter_map(|(source, t)| t.map(|text| WireText { source, text }))
                .collect()
        };
        let finding = |f: Finding| WireFinding {
            at: split(f.loc),
            column: f.column,
            message: f.message,
            value: f.value,
            first: f.first.map(split),
            dup: f.dup.map(|(set, h)| (set, hash_hex(h))),
        };
        debug_assert_eq!(tally.rules.len(), plan.rules.len());
        debug_assert!(tally.is_settled(), "a worker's sightings left unsettled");
        let wire = Wire {
            format: PARTIAL_FORMAT.to_owned(),
            version: PARTIAL_VERSION,
            shard,
            checked_at,
            inputs_hash: inputs_hash(&sources, &input_problems),
            rules_hash: rules_hash(rules, show_values),
            rules: rules.clone(),
            show_values,
            input_problems,
            chunks: chunks
                .iter()
                .zip(chunk_source.iter().zip(&chunk_range))
                .map(|(s, (&source, &(start, end)))| WireChunk {
                    source,
                    start,
                    end,
                    lines: s.lines,
                    records: s.records,
                    blank: s.blank,
                    invalid: s.invalid,
                })
                .collect(),
            sources,
            digests: by_source(digests),
            cut_short: by_source(cut_short),
            rule_tallies: tally
                .rules
                .into_iter()
                .map(|r| WireRule {
                    violations: r.violations,
                    findings: r.findings.into_iter().map(finding).collect(),
                })
                .collect(),
            types: tally.types,
            other_types: tally.other_types.into_iter().collect(),
            ids: tally
                .sets
                .into_iter()
                .map(|set| pack(set.drain().map(|(h, at)| (h, [at])).collect()))
                .collect(),
            id_texts: tally.texts.iter().map(texts).collect(),
            refs: tally
                .refs
                .iter()
                .map(|m| pack(m.iter().map(|(&h, r)| (h, [r.count, r.first])).collect()))
                .collect(),
            ref_texts: tally
                .refs
                .iter()
                .map(|m| {
                    m.iter()
                        .filter_map(|(&h, r)| Some((hash_hex(h), r.text.as_deref()?.to_owned())))
                        .collect()
                })
                .collect(),
        };
        Self { wire, origin: None }
    }

    /// Which shard this is.
    pub fn shard(&self) -> Shard {
        self.wire.shard
    }

    /// Records this shard read.
    pub fn records(&self) -> u64 {
        self.wire.chunks.iter().map(|c| c.records).sum()
    }

    /// Bytes of input this shard was given (a gzip file's compressed size).
    pub fn bytes(&self) -> u64 {
        self.wire
            .chunks
            .iter()
            .map(|c| match self.wire.sources.get(c.source) {
                Some(s) if s.gzip => s.size,
                _ => c.end.saturating_sub(c.start),
            })
            .sum()
    }

    /// Writes the partial result to `path` atomically (a temporary file, synced, renamed).
    ///
    /// # Errors
    /// [`Error::Run`] naming `path` when it cannot be written.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        steadfast_core::atomic_write_with(path, |w| {
            serde_json::to_writer(&mut *w, &self.wire).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })?;
        Ok(())
    }

    /// Reads a partial result written by [`write`](Self::write).
    ///
    /// # Errors
    /// [`Error::Input`] naming the file, and the field or position, when it is not a
    /// partial result, of another `format` or `version`, or damaged; [`Error::Run`] when it
    /// cannot be read.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        use std::io::Read as _;
        let path = path.as_ref();
        let mut bytes = Vec::new();
        steadfast_core::open_regular(path, Links::Follow)?
            .read_to_end(&mut bytes)
            .map_err(|e| io_error("read", path, e))?;
        let refuse = |message: String| Error::Input {
            path: path.to_path_buf(),
            message,
        };
        #[derive(Deserialize)]
        struct Header {
            format: Option<serde_json::Value>,
            version: Option<serde_json::Value>,
        }
        let header: Header = serde_json::from_slice(&bytes).map_err(|e| {
            refuse(format!(
                "not a partial result (JSON {PARTIAL_FORMAT}): {e}; pass the files written by validate-data --shard I/N --partial FILE"
            ))
        })?;
        if header.format.as_ref().and_then(|f| f.as_str()) != Some(PARTIAL_FORMAT) {
            return Err(refuse(format!(
                "field `format` is {}, not \"{PARTIAL_FORMAT}\": not a partial result of validate-data --shard",
                header
                    .format
                    .map_or("missing".to_owned(), |f| f.to_string())
            )));
        }
        if header.version.as_ref().and_then(serde_json::Value::as_u64)
            != Some(u64::from(PARTIAL_VERSION))
        {
            return Err(refuse(format!(
                "field `version` is {}; this steadfast reads version {PARTIAL_VERSION} only: merge with the steadfast version that wrote the parts",
                header
                    .version
                    .map_or("missing".to_owned(), |v| v.to_string())
            )));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let wire: Wire = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            refuse(format!(
                "damaged partial result: field `{}`: {}; run the shard again",
                e.path(),
                e.inner()
            ))
        })?;
        Ok(Self {
            wire,
            origin: Some(path.to_path_buf()),
        })
    }

    /// The name of this part in messages: its file, or its shard.
    pub(crate) fn label(&self) -> String {
        self.origin.as_ref().map_or_else(
            || format!("shard {}", self.wire.shard),
            |p| p.display().to_string(),
        )
    }
}

/// A reference seen, as a part carries it.
pub(crate) fn ref_seen(count: u64, first: Loc, text: Option<&String>) -> RefSeen {
    RefSeen {
        count,
        first,
        text: text.map(|t| t.as_str().into()),
    }
}
