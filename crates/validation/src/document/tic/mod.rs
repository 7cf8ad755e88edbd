//! Transparency in Coverage (price-transparency) machine-readable files: the three CMS
//! JSON Schemas (version 2.1.0, embedded unchanged; provenance in `schemas/SOURCE.md`) as
//! built-in rule sets, and the checks a schema cannot state.
//!
//! | Rule set | Schema | Records |
//! |---|---|---|
//! | `tic-in-network` | [`IN_NETWORK_SCHEMA`] | `$.in_network`, `$.provider_references` |
//! | `tic-allowed-amounts` | [`ALLOWED_AMOUNTS_SCHEMA`] | `$.out_of_network` |
//! | `tic-table-of-contents` | [`TABLE_OF_CONTENTS_SCHEMA`] | `$.reporting_structure` |
//!
//! The checks beside the schema, each its own rule id ([`rule`]), each violation counted and
//! located by the JSON Pointer of the offending value:
//!
//! - `tic.provider_group_id` — every number in
//!   `in_network[*].negotiated_rates[*].provider_references` is the `provider_group_id` of a
//!   `provider_references` entry of the file, before or after the use. An entry that points
//!   at a separate provider-reference file (`location`) defines its id all the same (the
//!   referenced file is not fetched). Judged when every record has been seen: one violation
//!   per unresolved use; the details show each unresolved id's first use.
//! - `tic.negotiated_rate` — a `negotiated_rate` of 0 or less, or a `percentage` rate above
//!   100. The schema's `exclusiveMinimum: 0` finds the first too, so a non-positive rate
//!   is counted under both rule ids: the schema finding says the document is invalid, this
//!   one counts a domain fault that stays countable when the schema is replaced or its
//!   findings are capped, and it is the rule that knows about percentages.
//! - `tic.expiration_date` — an `expiration_date` before the check's date ("today", given
//!   to the check so tests can fix it); `9999-12-31`, the guide's "no end", never is. A value
//!   that is not a `YYYY-MM-DD` date is left to the schema's `format: date`.
//! - `tic.billing_code` — a `billing_code` (of an item, of its `covered_services` and
//!   `bundled_codes`, or of an out-of-network item) without the shape of its
//!   `billing_code_type`: CPT 5 digits or 4 digits and `F`/`T`/`U`; HCPCS a letter and 4
//!   digits (or CPT); NDC 11 digits (5-4-2, hyphens allowed); MS-DRG 3 digits; ICD
//!   ICD-10-CM, ICD-10-PCS or ICD-9; RC and APC 4 digits; CDT `D` and 4 digits; HIPPS 5
//!   letters or digits. `CSTM-00` fits every type; other types are not judged.
//! - `tic.duplicate_item` — an in-network item with the same `billing_code_type`,
//!   `billing_code_type_version`, `billing_code`, `negotiation_arrangement` and
//!   `severity_of_illness` as an earlier one (the version is part of the key because a
//!   code's meaning is defined per version; severity because DRG rates differ by it). Each
//!   repeat is one violation, located at the repeat, its message naming the earlier item.
//!
//! The checks also count the elements of each array ([`TicCounts`]), recorded as the run
//! metric [`DOCUMENT_RECORDS`](crate::series::DOCUMENT_RECORDS). Their memory grows with
//! distinct provider group ids and distinct in-network items (128-bit keys), never with the
//! size of the file.
//!
//! ```
//! use steadfast_validation::document::tic::{self, RuleSet};
//!
//! let rules = RuleSet::named("tic-in-network").expect("built in");
//! assert_eq!(rules.records(), ["$.in_network", "$.provider_references"]);
//! assert_eq!(rules.schema(), tic::IN_NETWORK_SCHEMA);
//! assert!(RuleSet::named("tic-unknown").is_none());
//! assert_eq!(RuleSet::NAMES.len(), 3);
//! ```

mod checks;
mod codes;
mod counts;
#[cfg(feature = "synthetic")]
mod emit;
#[cfg(feature = "synthetic")]
pub mod generate;
#[cfg(feature = "synthetic")]
mod generate_small;
#[cfg(feature = "synthetic")]
mod generate_spec;
mod path;
mod place;
mod refs;
pub mod rule;
mod run;
mod state;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_escapes;

pub use counts::TicCounts;
pub(crate) use place::DocKind;
pub use run::TicReport;

use steadfast_core::Timestamp;

/// The CMS in-network rates schema, version 2.1.0.
pub const IN_NETWORK_SCHEMA: &str = include_str!("schemas/in-network-rates.json");
/// The CMS allowed amounts schema, version 2.1.0.
pub const ALLOWED_AMOUNTS_SCHEMA: &str = include_str!("schemas/allowed-amounts.json");
/// The CMS table of contents schema, version 2.1.0.
pub const TABLE_OF_CONTENTS_SCHEMA: &str = include_str!("schemas/table-of-contents.json");

/// A built-in rule set: a schema, the paths of the arrays whose elements are the records,
/// and the checks beside the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet {
    name: &'static str,
    schema: &'static str,
    records: &'static [&'static str],
    kind: DocKind,
}

const SETS: [RuleSet; 3] = [
    RuleSet {
        name: "tic-in-network",
        schema: IN_NETWORK_SCHEMA,
        records: &["$.in_network", "$.provider_references"],
        kind: DocKind::InNetwork,
    },
    RuleSet {
        name: "tic-allowed-amounts",
        schema: ALLOWED_AMOUNTS_SCHEMA,
        records: &["$.out_of_network"],
        kind: DocKind::AllowedAmounts,
    },
    RuleSet {
        name: "tic-table-of-contents",
        schema: TABLE_OF_CONTENTS_SCHEMA,
        records: &["$.reporting_structure"],
        kind: DocKind::TableOfContents,
    },
];

impl RuleSet {
    /// The names of the built-in rule sets, for a command line's help and errors.
    pub const NAMES: [&'static str; 3] = [SETS[0].name, SETS[1].name, SETS[2].name];

    /// The built-in rule set called `name`.
    pub fn named(name: &str) -> Option<Self> {
        SETS.iter().find(|s| s.name == name).copied()
    }

    /// Every built-in rule set.
    pub fn all() -> [Self; 3] {
        SETS
    }

    /// The rule set's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The JSON Schema (draft-07) text.
    pub fn schema(&self) -> &'static str {
        self.schema
    }

    /// The records paths, in the order the checks number them.
    pub fn records(&self) -> &'static [&'static str] {
        self.records
    }

    /// The checks beside the schema, for one worker: expiration dates are judged against
    /// `today`'s UTC date; `show_values` puts offending values into findings.
    pub(crate) fn checks(&self, today: Timestamp, show_values: bool) -> checks::TicChecks {
        checks::TicChecks::new(self.kind, date_of(today), show_values)
    }
}

/// A timestamp's UTC date as `YYYY-MM-DD` bytes.
pub(crate) fn date_of(t: Timestamp) -> [u8; 10] {
    let mut out = *b"0000-01-01";
    let s = t.to_string();
    if let Some(d) = s.as_bytes().get(..10) {
        out.copy_from_slice(d);
    }
    out
}
