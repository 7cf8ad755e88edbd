//! Synthetic FHIR R4 NDJSON for the conformance check: valid resources of nine types
//! (Patient, Encounter, Condition, Observation with a quantity, a concept or components,
//! MedicationRequest, Procedure, AllergyIntolerance, Immunization, DiagnosticReport), a
//! share of which carry exactly one seeded fault, placed at varying types and depths. The
//! ground truth says which line has which fault. The same spec gives the same bytes.
//!
//! ```
//! use steadfast_validation::conformance::Definitions;
//! use steadfast_validation::data::conformance_gen::{ConformanceSpec, write_records};
//!
//! let mut out = Vec::new();
//! let truth = write_records(&mut out, &ConformanceSpec { records: 50, ..ConformanceSpec::default() })?;
//! let r4 = Definitions::r4()?;
//! for (n, line) in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
//!     let classes: Vec<_> = r4.check(line)?.iter().map(|i| i.class).collect();
//!     assert_eq!(classes, truth.fault(n + 1).map(|f| f.class()).into_iter().collect::<Vec<_>>());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fault;
mod kinds;
mod resources;
mod seed;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::Value;

use super::synthetic::Rng;
use crate::conformance::Class;
pub use fault::Fault;
use kinds::KINDS;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConformanceSpec {
    /// The seed: the same seed gives the same records.
    pub seed: u64,
    /// Records (lines) to write.
    pub records: usize,
    /// The share of records, in percent, that carry one fault (classes round-robin).
    pub faulted_percent: u8,
}

impl Default for ConformanceSpec {
    /// Seed 25, 1,000 records, 35 % faulted.
    fn default() -> Self {
        Self {
            seed: 25,
            records: 1_000,
            faulted_percent: 35,
        }
    }
}

/// The ground truth of what was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// The fault of each line, line 1 first.
    pub lines: Vec<Option<Fault>>,
    /// The resource type of each line, line 1 first.
    pub types: Vec<&'static str>,
    /// Records per fault.
    pub counts: BTreeMap<Fault, u64>,
    /// Bytes written.
    pub bytes: u64,
}

impl Seeded {
    /// The fault seeded into `line` (1-based), if any.
    pub fn fault(&self, line: usize) -> Option<Fault> {
        line.checked_sub(1)
            .and_then(|i| self.lines.get(i).copied().flatten())
    }

    /// Records with a fault.
    pub fn faulted(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Expected issues per conformance class (one per faulted record).
    pub fn class_counts(&self) -> BTreeMap<Class, u64> {
        let mut out = BTreeMap::new();
        for (fault, n) in &self.counts {
            *out.entry(fault.class()).or_default() += n;
        }
        out
    }
}

/// Writes `spec.records` NDJSON lines to `out` and returns which line carries which fault.
///
/// # Errors
/// Writing to `out` fails.
pub fn write_records<W: Write>(mut out: W, spec: &ConformanceSpec) -> io::Result<Seeded> {
    let mut rng = Rng::new(spec.seed);
    let total: u64 = KINDS.iter().map(|k| k.weight).sum();
    let mut seeded = Seeded::default();
    let mut next_fault = 0usize;
    let mut line = Vec::with_capacity(4096);
    for _ in 0..spec.records {
        let mut pick = rng.below(total);
        let kind = KINDS
            .iter()
            .find(|k| {
                let hit = pick < k.weight;
                pick = pick.saturating_sub(k.weight);
                hit
            })
            .unwrap_or(&KINDS[0]);
        let id = rng.uuid();
        let mut resource = (kind.build)(&mut rng, &id);
        let mut fault = None;
        if rng.below(100) < u64::from(spec.faulted_percent) {
            let wanted = Fault::ALL[next_fault % Fault::ALL.len()];
            if seed::seed(&mut rng, &mut resource, kind, wanted) {
                next_fault += 1;
                fault = Some(wanted);
                *seeded.counts.entry(wanted).or_default() += 1;
            }
        }
        line.clear();
        write_resource(&mut line, &resource)?;
        line.push(b'\n');
        out.write_all(&line)?;
        seeded.bytes += line.len() as u64;
        seeded.lines.push(fault);
        seeded.types.push(kind.name);
    }
    out.flush()?;
    Ok(seeded)
}

/// The resource with `resourceType` first, as servers write it.
fn write_resource(out: &mut Vec<u8>, resource: &Value) -> io::Result<()> {
    let Value::Object(map) = resource else {
        return serde_json::to_writer(out, resource).map_err(io::Error::from);
    };
    out.extend_from_slice(b"{\"resourceType\":");
    serde_json::to_writer(&mut *out, &map["resourceType"])?;
    for (key, value) in map.iter().filter(|(k, _)| *k != "resourceType") {
        out.push(b',');
        serde_json::to_writer(&mut *out, key)?;
        out.push(b':');
        serde_json::to_writer(&mut *out, value)?;
    }
    out.push(b'}');
    Ok(())
}
