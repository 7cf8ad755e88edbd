//! One worker's counts: per rule the violations and the first locations, per type the
//! records and the id hashes, per reference rule the distinct references seen. Workers
//! never share these while scanning; [`Tally::merge`] combines them afterwards, and the
//! result does not depend on which worker scanned what.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::plan::{ID_SLOT, INVALID_LINES, Plan, TYPE_SLOT};
use super::scan::{Captured, Kind, ScanError, ScanScratch, scan};
use crate::conformance::Scratch;

pub(crate) use crate::prehash::HashSet128;
use crate::prehash::{Batched, Sharded};

/// A location: the chunk (in file order) in the high half, the line within it in the low.
pub(crate) type Loc = u64;

pub(crate) fn loc(chunk: u32, line: u32) -> Loc {
    (u64::from(chunk) << 32) | u64::from(line)
}

#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) loc: Loc,
    pub(crate) column: Option<u32>,
    pub(crate) message: String,
    pub(crate) value: Option<String>,
    /// The record this one duplicates.
    pub(crate) first: Option<Loc>,
    /// For a duplicate: its set and hash, so the report names the first sighting of the
    /// whole dataset, whichever worker or shard saw which.
    pub(crate) dup: Option<(u32, u128)>,
}

#[derive(Debug, Default)]
pub(crate) struct RuleTally {
    pub(crate) violations: u64,
    pub(crate) findings: Vec<Finding>,
}

impl RuleTally {
    pub(crate) fn add(&mut self, cap: usize, finding: impl FnOnce() -> Finding) {
        self.violations += 1;
        if cap == 0 {
            return;
        }
        self.findings.push(finding());
        if self.findings.len() >= cap * 4 {
            self.prune(cap);
        }
    }

    pub(crate) fn prune(&mut self, cap: usize) {
        self.findings.sort_by_key(|f| f.loc);
        self.findings.truncate(cap);
    }
}

/// A distinct reference: how often it was seen, where first, and its text when values may
/// be shown.
#[derive(Debug, Clone)]
pub(crate) struct RefSeen {
    pub(crate) count: u64,
    pub(crate) first: Loc,
    pub(crate) text: Option<Box<str>>,
}

/// Per-chunk counts, turned into line numbers and file summaries at the end.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ChunkStats {
    pub(crate) lines: u32,
    pub(crate) records: u64,
    pub(crate) blank: u64,
    pub(crate) invalid: u64,
}

#[derive(Debug)]
pub(crate) struct Tally {
    pub(crate) rules: Vec<RuleTally>,
    /// Per unique rule (and per type's id), the first sighting of each value: shared by
    /// the workers of a run ([`Tally::sharing`]).
    pub(crate) sets: Vec<Arc<IdSet>>,
    pub(crate) refs: Vec<HashSet128<RefSeen>>,
    /// Per set, this worker's sightings not yet in it ([`Tally::settle`] puts them in).
    pub(super) pending: Vec<Batched<Loc>>,
    /// Duplicates found while inserting a batch, reported after it: hash, later and
    /// earlier location.
    pub(super) repeats: Vec<(u128, Loc, Loc)>,
    /// The values behind `sets`, kept only when values may be shown.
    pub(crate) texts: Vec<HashSet128<Box<str>>>,
    /// Records per plan type.
    pub(crate) types: Vec<u64>,
    /// Records of types without rules.
    pub(crate) other_types: HashMap<String, u64>,
    pub(crate) slots: Vec<Option<Captured>>,
    /// The scanner's scratch space.
    scratch: ScanScratch,
    pub(crate) key: Vec<u8>,
    /// The conformance walk's buffers.
    conform: Scratch,
}

pub(crate) fn hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// The 1-based column (in characters) of byte `at` of a UTF-8 line.
fn char_column(line: &[u8], at: usize) -> usize {
    line[..at.min(line.len())]
        .iter()
        .filter(|&&b| (b as i8) >= -0x40)
        .count()
        + 1
}

pub(crate) fn present(c: Option<&Captured>) -> bool {
    c.is_some_and(|c| c.kind != Kind::Null && !c.empty)
}

/// The first sighting of each value of a unique rule, keyed by the value's hash.
pub(crate) type IdSet = Sharded<Loc>;

impl Tally {
    /// A tally with its own id sets.
    pub(crate) fn new(plan: &Plan) -> Self {
        let sets: Vec<Arc<IdSet>> = (0..plan.set_rules.len()).map(|_| Arc::default()).collect();
        Self::sharing(plan, &sets)
    }

    /// A tally recording first sightings in `sets`, which other workers' tallies share.
    pub(crate) fn sharing(plan: &Plan, sets: &[Arc<IdSet>]) -> Self {
        Self {
            rules: (0..plan.rules.len())
                .map(|_| RuleTally::default())
                .collect(),
            sets: sets.to_vec(),
            pending: (0..sets.len()).map(|_| Batched::default()).collect(),
            repeats: Vec::new(),
            refs: (0..plan.ref_rules.len())
                .map(|_| HashSet128::default())
                .collect(),
            texts: (0..plan.set_rules.len())
                .map(|_| HashSet128::default())
                .collect(),
            types: vec![0; plan.types.len()],
            other_types: HashMap::new(),
            slots: vec![None; plan.paths.len()],
            scratch: ScanScratch::default(),
            key: Vec::with_capacity(128),
            conform: Scratch::default(),
        }
    }

    pub(crate) fn invalid(
        &mut self,
        plan: &Plan,
        at: Loc,
        line: &[u8],
        err: &ScanError,
        torn: bool,
    ) {
        let column = line
            .get(..err.at)
            .map_or(err.at, |b| String::from_utf8_lossy(b).chars().count())
            + 1;
        let message = if torn {
            format!(
                "torn last line: the file ends mid-record without a newline ({})",
                err.describe(line)
            )
        } else if err.at == 0 && line.starts_with(b"\xEF\xBB\xBF") {
            "the line starts with a UTF-8 byte order mark (EF BB BF), which NDJSON does not \
             allow: save the file as UTF-8 without a BOM"
                .to_owned()
        } else {
            err.describe(line).into_owned()
        };
        self.rules[INVALID_LINES].add(plan.locations, || Finding {
            loc: at,
            column: u32::try_from(column).ok(),
            message,
            value: None,
            first: None,
            dup: None,
        });
    }

    /// Records a violation of `rule` at `at`.
    pub(crate) fn finding(&mut self, plan: &Plan, rule: usize, at: Loc, message: String) {
        self.rules[rule].add(plan.locations, || Finding {
            loc: at,
            column: None,
            message,
            value: None,
            first: None,
            dup: None,
        });
    }

    /// A line that is JSON but has no `resourceType` string: an invalid line.
    #[cold]
    fn no_type<T>(&mut self, plan: &Plan, at: Loc, line: &[u8]) -> Result<T, ()> {
        let err = ScanError {
            at: 0,
            message: "not a FHIR resource: no \"resourceType\" string",
        };
        self.invalid(plan, at, line, &err, false);
        Err(())
    }

    /// Checks one non-blank line; returns the record's resourceType when it is a resource.
    #[inline]
    pub(crate) fn line<'l>(
        &mut self,
        plan: &Plan,
        line: &'l [u8],
        at: Loc,
        torn: bool,
    ) -> Result<Cow<'l, [u8]>, ()> {
        if let Err(e) = scan(line, &plan.paths, &mut self.slots, &mut self.scratch) {
            self.invalid(plan, at, line, &e, torn);
            return Err(());
        }
        let ty_raw: Cow<'l, [u8]> = match self.slots[TYPE_SLOT] {
            Some(c) if c.kind == Kind::String && !c.escaped && !c.empty => {
                let raw = c.raw(line);
                Cow::Borrowed(&raw[1..raw.len() - 1])
            }
            // `"Pat\u0069ent"` is a Patient: decoded (rare, so off the common path).
            Some(c) if c.kind == Kind::String && c.escaped => match c.text(line) {
                Some(text) if !text.is_empty() => Cow::Owned(text.into_owned().into_bytes()),
                _ => return self.no_type(plan, at, line),
            },
            _ => return self.no_type(plan, at, line),
        };
        if let Some((defs, ids)) = &plan.conformance {
            let Self { rules, conform, .. } = self;
            defs.walk(line, &ty_raw, plan.show_values, conform, &mut |issue| {
                rules[ids[issue.class.index()]].add(plan.locations, || Finding {
                    loc: at,
                    column: u32::try_from(char_column(line, issue.at)).ok(),
                    message: issue.message,
                    value: issue.value,
                    first: None,
                    dup: None,
                });
            });
        }
        let Some(ty) = plan.find_type(&ty_raw) else {
            // Counted under its own name once it is known to be shown.
            if let Some(n) = self
                .other_types
                .get_mut(String::from_utf8_lossy(&ty_raw).as_ref())
            {
                *n += 1;
            } else {
                let name = other_type_name(plan, &ty_raw).into_owned();
                *self.other_types.entry(name).or_default() += 1;
            }
            return Ok(ty_raw);
        };
        self.types[ty] += 1;
        let tp = &plan.types[ty];
        if let Some(id) = self.slots[ID_SLOT].filter(|c| c.kind == Kind::String && !c.empty) {
            // The scan has validated the line's UTF-8: an id without escapes is its bytes.
            let raw = id.raw(line);
            let decoded = if id.escaped || plan.show_values {
                id.text(line)
            } else {
                None
            };
            self.key.clear();
            self.key.extend_from_slice(&ty_raw);
            self.key.push(b'/');
            match &decoded {
                Some(text) => self.key.extend_from_slice(text.as_bytes()),
                None if id.escaped => {}
                None => self.key.extend_from_slice(&raw[1..raw.len() - 1]),
            }
            let h = hash(&self.key);
            self.sighting(plan, tp.id_set, h, at, decoded.as_deref());
        }
        for check in &tp.checks {
            // The common case, a required field that is there, without the call.
            if matches!(check.op, super::plan::Op::Required)
                && present(self.slots[usize::from(check.slot)].as_ref())
            {
                continue;
            }
            self.check(plan, check, line, at);
        }
        Ok(ty_raw)
    }
}

/// The report's name for a resourceType no rule names: itself when it is an R4 resource
/// type or values may be shown; otherwise a placeholder, since whatever string stands in
/// that place could be anything, patient data included.
pub(crate) fn other_type_name<'t>(plan: &Plan, ty: &'t [u8]) -> Cow<'t, str> {
    let known = crate::conformance::is_r4_resource_type(ty);
    if known || plan.show_values {
        String::from_utf8_lossy(ty)
    } else {
        Cow::Borrowed(UNKNOWN_TYPE)
    }
}

/// What the report calls records whose resourceType is not an R4 resource type (values
/// not shown).
pub(crate) const UNKNOWN_TYPE: &str = "unrecognised resourceType";
