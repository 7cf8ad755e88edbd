//! The data-quality report: per file what was read, per resource type how many records,
//! per rule the outcome with its first locations — never a field value unless asked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steadfast_core::{Status, Timestamp};

use super::engine::Outcome;
use super::plan::{INVALID_LINES, Plan};
use super::source::Source;
use super::summary::FileSummary;
use super::tally::{Finding, Loc};
use crate::RuleResult;

/// Where a rule was broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The file (as given, or as the manifest names it).
    pub file: String,
    /// The 1-based line.
    pub line: u64,
    /// The 1-based column, for malformed lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// The field's path, for field rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, from a fixed vocabulary (`missing`, `duplicate of f:12` …).
    pub message: String,
    /// The offending value as written — only with `show_values`, since it may be patient
    /// data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A data-quality check's outcome. Render it with [`render_data`](super::render_data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataReport {
    /// When the check ran.
    pub checked_at: Timestamp,
    /// The worst status of all rules.
    pub status: Status,
    /// Every file read, in order.
    pub files: Vec<FileSummary>,
    /// Records per `resourceType`.
    pub resource_types: BTreeMap<String, u64>,
    /// Every rule's result, with locations of the first violations.
    pub results: Vec<RuleResult>,
}

impl DataReport {
    /// 0 when every rule passed or only warned, 1 when one failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.status == Status::Fail)
    }

    /// The result of the rule called `name`.
    pub fn rule(&self, name: &str) -> Option<&RuleResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// How many violations the rule called `name` found (0 when there is no such rule).
    pub fn violations(&self, name: &str) -> u64 {
        self.rule(name).and_then(|r| r.violations).unwrap_or(0)
    }

    /// Total records read.
    pub fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }
}

/// Turns chunk-relative locations into file:line.
pub(crate) struct Lines {
    /// Per chunk: its source and the 1-based number of its first line.
    chunks: Vec<(usize, u64)>,
}

impl Lines {
    pub(crate) fn new(outcome: &Outcome) -> Self {
        let mut chunks = Vec::with_capacity(outcome.chunk_source.len());
        let mut next_line = 1u64;
        let mut last_source = usize::MAX;
        for (stats, &source) in outcome.chunks.iter().zip(&outcome.chunk_source) {
            if source != last_source {
                next_line = 1;
                last_source = source;
            }
            chunks.push((source, next_line));
            next_line += u64::from(stats.lines);
        }
        Self { chunks }
    }

    pub(crate) fn resolve(&self, at: Loc) -> (usize, u64) {
        let chunk = usize::try_from(at >> 32).unwrap_or(usize::MAX);
        let (source, first) = self.chunks.get(chunk).copied().unwrap_or((0, 1));
        (source, first + (at & 0xffff_ffff))
    }
}

fn locate(f: &Finding, field: Option<&String>, lines: &Lines, sources: &[Source]) -> Location {
    let (source, line) = lines.resolve(f.loc);
    let message = match f.first {
        Some(first) => {
            let (s, l) = lines.resolve(first);
            format!("duplicate of {}:{l}", sources[s].name)
        }
        None => f.message.clone(),
    };
    Location {
        file: sources[source].name.clone(),
        line,
        column: f.column.map(u64::from),
        field: field.cloned(),
        message,
        value: f.value.clone(),
    }
}

/// Builds the report.
pub(crate) fn build(
    plan: &Plan,
    sources: &[Source],
    mut outcome: Outcome,
    checked_at: Timestamp,
) -> DataReport {
    let lines = Lines::new(&outcome);
    let mut files: Vec<FileSummary> = sources
        .iter()
        .map(|s| FileSummary {
            file: s.name.clone(),
            gzip: s.gzip,
            bytes: s.size,
            lines: 0,
            records: 0,
            blank: 0,
            invalid: 0,
        })
        .collect();
    for (stats, &source) in outcome.chunks.iter().zip(&outcome.chunk_source) {
        let f = &mut files[source];
        f.lines += u64::from(stats.lines);
        f.records += stats.records;
        f.blank += stats.blank;
        f.invalid += stats.invalid;
    }
    let mut resource_types: BTreeMap<String, u64> =
        outcome.tally.other_types.clone().into_iter().collect();
    for (t, &n) in plan.types.iter().zip(&outcome.tally.types) {
        if n > 0 {
            resource_types.insert(t.name.clone(), n);
        }
    }
    debug_assert!(
        outcome.tally.is_settled(),
        "a worker's sightings left unsettled"
    );
    super::resolve::references(plan, &mut outcome.tally);
    // A duplicate names the first sighting in the whole dataset, not in its worker.
    let tally = &mut outcome.tally;
    for f in tally.rules.iter_mut().flat_map(|r| &mut r.findings) {
        if let Some((set, h)) = f.dup
            && let Some(first) = tally
                .sets
                .get(set as usize)
                .and_then(|s| s.shard(h).get(&h).copied())
        {
            f.first = Some(first);
        }
    }
    let mut results = Vec::with_capacity(plan.rules.len());
    for (i, def) in plan.rules.iter().enumerate() {
        let tally = &outcome.tally.rules[i];
        let mut violations = tally.violations;
        let mut extra = None;
        if i == INVALID_LINES {
            let cut: Vec<String> = sources
                .iter()
                .zip(&outcome.cut_short)
                .filter_map(|(s, c)| c.as_ref().map(|c| format!("{}: {c}", s.name)))
                .collect();
            // Each cut is also an invalid line of its file (counted and located there).
            if !cut.is_empty() {
                extra = Some(cut.join("; "));
            }
        }
        let (ok, observed, message) = match def.check {
            "invalid_lines" => {
                let ok = violations <= plan.max_invalid_lines;
                let message = extra.unwrap_or_else(|| {
                    if violations == 0 {
                        "every line is a JSON resource".to_owned()
                    } else {
                        format!("{violations} lines are not JSON resources")
                    }
                });
                (ok, violations.to_string(), message)
            }
            "records_checked" => {
                let judged = super::resolve::records_checked(plan, &outcome.tally);
                violations = u64::from(!judged.0);
                judged
            }
            "inputs" => {
                violations = plan.input_problems.len() as u64;
                (
                    false,
                    format!("{violations} unreadable"),
                    plan.input_problems.join("; "),
                )
            }
            "manifest" | "checksum" => {
                let source = plan
                    .sources
                    .iter()
                    .position(|r| r.manifest == Some(i) || r.checksum == Some(i))
                    .unwrap_or(0);
                super::resolve::source_rule(
                    def.check,
                    &sources[source],
                    &files[source],
                    outcome.digests[source].as_deref(),
                    &mut violations,
                )
            }
            "conformance" => {
                let t = &outcome.tally;
                let records = t.types.iter().sum::<u64>() + t.other_types.values().sum::<u64>();
                let message = if violations == 0 {
                    format!("no issue in {records} records")
                } else if violations == 1 {
                    format!("1 issue in {records} records")
                } else {
                    format!("{violations} issues in {records} records")
                };
                (violations == 0, violations.to_string(), message)
            }
            _ => {
                let of = def.resource.map_or(0, |t| outcome.tally.types[t]);
                let what = match def.check {
                    "required" => "lack it",
                    "unique" => "are duplicates",
                    "references" => "do not resolve",
                    _ => "break it",
                };
                let ty = def.resource.map_or("", |t| plan.types[t].name.as_str());
                let message = if of == 0 {
                    format!("no {ty} records to check")
                } else if violations == 0 {
                    format!("all {of} {ty} records pass")
                } else {
                    format!("{violations} of {of} {ty} records {what}")
                };
                (violations == 0, format!("{violations} of {of}"), message)
            }
        };
        let mut result = RuleResult::judge(def.name.clone(), def.check, def.severity, ok)
            .observed(Some(violations as f64), observed)
            .expected(def.expected.clone())
            .message(message);
        result.violations = Some(violations);
        result.locations = tally
            .findings
            .iter()
            .map(|f| locate(f, def.field.as_ref(), &lines, sources))
            .collect();
        results.push(result);
    }
    DataReport {
        checked_at,
        status: Status::worst(results.iter().map(|r| r.status)),
        files,
        resource_types,
        results,
    }
}
