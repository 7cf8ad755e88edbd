//! What a check of a document finds, and the per-record checks beside the schema.

use std::sync::Arc;

use super::event::{Pos, Token};

/// One violation with its details.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// The rule's id: a schema finding's schema path
    /// (`#/definitions/negotiated_price/properties/negotiated_rate/exclusiveMinimum`), a
    /// check's name (`tic.provider_group_id`).
    pub(crate) rule: Arc<str>,
    /// The JSON Pointer of the instance (`/in_network/1234/negotiated_rates/0`).
    pub(crate) pointer: String,
    /// Where the offending value starts in the document.
    pub(crate) pos: Pos,
    /// What was expected, without the instance's value.
    pub(crate) message: String,
    /// The offending value, only when values were asked for (`show_values`).
    pub(crate) value: Option<String>,
}

/// Where violations go. Every violation is counted; details are built only when wanted, so
/// a file with millions of violations costs a count each, not a message each.
pub(crate) trait Findings {
    /// Counts one violation of `rule`; true when the caller should build its [`Finding`]
    /// and hand it to [`detail`](Self::detail).
    fn count(&mut self, rule: &Arc<str>) -> bool;
    /// The details of a violation just counted.
    fn detail(&mut self, finding: Finding);
}

/// Checks run on each record beside the schema (cross-record references, duplicates,
/// domain rules a schema cannot state). One value per worker: each sees the records it is
/// given, whole and in order; the workers' values are merged at the end, in any order,
/// and the merged value reports what needs every record (an unresolved reference).
pub(crate) trait RecordChecks: Send + Sized {
    /// Whether the checks read a record's tokens. When they do not, a record that passes
    /// the schema's quick check ([`Validator::passes`](super::validator::Validator::passes))
    /// is not lexed at all.
    const TOKENS: bool = true;
    /// A record starts: the `records`-th records path of the rules, its `index`-th element,
    /// whose JSON Pointer is `pointer`.
    fn begin(&mut self, records: usize, index: u64, pointer: &str, pos: Pos);
    /// One token of the current record (its first is the record's own first token).
    fn token(&mut self, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings);
    /// The current record has ended.
    fn end(&mut self, findings: &mut dyn Findings);
    /// Takes in another worker's state.
    fn merge(&mut self, other: Self);
    /// Every record has been seen: report what needed all of them.
    fn finish(self, findings: &mut dyn Findings);
}

/// No checks beside the schema.
impl RecordChecks for () {
    const TOKENS: bool = false;
    fn begin(&mut self, _: usize, _: u64, _: &str, _: Pos) {}
    fn token(&mut self, _: &Token<'_>, _: Pos, _: &mut dyn Findings) {}
    fn end(&mut self, _: &mut dyn Findings) {}
    fn merge(&mut self, (): Self) {}
    fn finish(self, _: &mut dyn Findings) {}
}
