//! What the price-transparency checks keep while a record is read (a billing code, an
//! item's identity, a negotiated price), and the findings reported once every record has
//! been seen.

use std::sync::Arc;

use super::codes::CodeType;
use super::refs::{GroupIds, Items};
use crate::document::event::{Pos, Str};
use crate::document::finding::{Finding, Findings};

/// The longest billing code copied for judging (longer ones fit no known type).
const CODE_BYTES: usize = 32;

/// A billing code being read: its type and the code's first bytes.
#[derive(Debug, Default)]
pub(crate) struct Code {
    pub(crate) ty: Option<CodeType>,
    pub(crate) code: Vec<u8>,
    pub(crate) long: bool,
    pub(crate) pos: Option<Pos>,
}

impl Code {
    pub(crate) fn clear(&mut self) {
        self.ty = None;
        self.code.clear();
        self.long = false;
        self.pos = None;
    }
    pub(crate) fn set_code(&mut self, s: &Str<'_>, pos: Pos) {
        self.code.clear();
        let bytes = s.bytes();
        self.long = bytes.len() > CODE_BYTES;
        self.code
            .extend_from_slice(&bytes[..bytes.len().min(CODE_BYTES)]);
        self.pos = Some(pos);
    }
    /// The type's expected shape when the code does not have it.
    pub(crate) fn misfit(&self) -> Option<(CodeType, Pos)> {
        let (ty, pos) = (self.ty?, self.pos?);
        (self.long || !ty.fits(&self.code)).then_some((ty, pos))
    }
}

/// The fields of an in-network item that make its identity, hashed (0: absent).
#[derive(Debug, Default)]
pub(crate) struct Identity(pub(crate) [u64; 5]);

/// A negotiated price being read.
#[derive(Debug, Default)]
pub(crate) struct Price {
    pub(crate) rate: Option<(f64, Pos)>,
    pub(crate) percentage: bool,
}

pub(crate) fn duplicate_message(prefix: &str, first: u64) -> String {
    format!(
        "in-network item repeats {prefix}/{first} (same billing_code_type, billing_code_type_version, \
         billing_code, negotiation_arrangement and severity_of_illness)"
    )
}

/// One violation per unresolved use of a provider group id; the details show each id's
/// first use.
pub(crate) fn report_unresolved(
    ids: GroupIds,
    prefix: &str,
    rule: &Arc<str>,
    show_values: bool,
    findings: &mut dyn Findings,
) {
    for (key, p) in ids.unresolved() {
        let mut detailed = false;
        for _ in 0..p.uses {
            if !findings.count(rule) || detailed {
                continue;
            }
            detailed = true;
            let u = p.first;
            let times = if p.uses > 1 {
                format!(" (used {} times; the first use is shown)", p.uses)
            } else {
                String::new()
            };
            findings.detail(Finding {
                rule: Arc::clone(rule),
                pointer: format!(
                    "{prefix}/{}/negotiated_rates/{}/provider_references/{}",
                    u.item, u.rate, u.reference
                ),
                pos: u.pos,
                message: format!(
                    "provider group id does not resolve to a provider_references entry{times}"
                ),
                value: (show_values && key >> 64 == 0).then(|| key.to_string()),
            });
        }
    }
}

/// The duplicate in-network items, each naming the document's first copy.
pub(crate) fn report_duplicates(
    items: Items,
    prefix: &str,
    rule: &Arc<str>,
    findings: &mut dyn Findings,
) {
    let (count, earliest) = items.duplicates();
    let kept = earliest.len() as u64;
    for (dup, first) in earliest {
        if findings.count(rule) {
            findings.detail(Finding {
                rule: Arc::clone(rule),
                pointer: format!("{prefix}/{}", dup.index),
                pos: dup.pos,
                message: duplicate_message(prefix, first),
                value: None,
            });
        }
    }
    // The rest are counted only: their places were not kept (the report lists no more).
    for _ in kept..count {
        findings.count(rule);
    }
}
