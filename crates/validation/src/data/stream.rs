//! Checking records as they pass through a pipeline step, not only files at rest.

use steadfast_core::Timestamp;

use super::engine::{Outcome, on_line, too_long};
use super::plan::Plan;
use super::report::{DataReport, build};
use super::rules::DataRules;
use super::source::Source;
use super::tally::{ChunkStats, Tally};
use crate::Error;

/// Checks records one at a time with the same rules as files; references resolve against
/// every record seen. Locations are `<name>:<record number>`.
///
/// ```
/// use steadfast_core::config::Loader;
/// use steadfast_validation::data::{DataRules, RecordChecker};
///
/// let rules = DataRules::load(&Loader::new().toml_str("r.toml", r#"
///     [resources.Observation]
///     required = ["subject.reference"]
/// "#))?;
/// let mut checker = RecordChecker::new(rules.value(), "silver:Observation")?;
/// for line in [
///     r#"{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/1"}}"#,
///     r#"{"resourceType":"Observation","id":"o2"}"#,
/// ] {
///     checker.check_line(line.as_bytes());
/// }
/// let value = serde_json::json!({"resourceType": "Observation", "id": "o3"});
/// checker.check_value(&value);
/// let report = checker.finish();
/// assert_eq!(report.violations("Observation.required:subject.reference"), 2);
/// assert_eq!(report.rule("Observation.required:subject.reference").unwrap().locations[0].line, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RecordChecker {
    plan: Plan,
    tally: Tally,
    stats: ChunkStats,
    source: Source,
    buf: Vec<u8>,
}

impl RecordChecker {
    /// A checker whose report names the records' source `name` (a step, a stream).
    ///
    /// # Errors
    /// [`Error::Internal`] if the rules (already checked when loaded) do not compile.
    pub fn new(rules: &DataRules, name: impl Into<String>) -> Result<Self, Error> {
        let source = Source::stream(name.into(), false, false);
        let plan = Plan::new(rules, std::slice::from_ref(&source), false, None)
            .map_err(Error::Internal)?;
        Ok(Self {
            tally: Tally::new(&plan),
            plan,
            stats: ChunkStats::default(),
            source,
            buf: Vec::new(),
        })
    }

    /// Checks one NDJSON line (without its newline); returns whether it is a resource. A
    /// line longer than `max_line_bytes` is an invalid line, not scanned.
    pub fn check_line(&mut self, line: &[u8]) -> bool {
        let before = self.stats.records;
        self.source.size += line.len() as u64 + 1;
        if line.len() > self.plan.max_line_bytes {
            too_long(
                &self.plan,
                &mut self.tally,
                &mut self.stats,
                0,
                line.len() as u64,
            );
            return false;
        }
        on_line(
            &self.plan,
            &mut self.tally,
            &mut self.stats,
            None,
            0,
            line,
            false,
        );
        self.stats.records > before
    }

    /// Checks one parsed resource.
    pub fn check_value(&mut self, value: &serde_json::Value) -> bool {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let ok = serde_json::to_writer(&mut buf, value).is_ok() && self.check_line(&buf);
        self.buf = buf;
        ok
    }

    /// Records checked so far.
    pub fn records(&self) -> u64 {
        self.stats.records
    }

    /// The report of everything checked.
    pub fn finish(mut self) -> DataReport {
        self.tally.settle(&self.plan);
        let outcome = Outcome {
            tally: self.tally,
            chunks: vec![self.stats],
            digests: vec![None],
            cut_short: vec![None],
            chunk_source: vec![0],
            chunk_range: vec![(0, u64::MAX)],
        };
        build(&self.plan, &[self.source], outcome, Timestamp::now())
    }
}
