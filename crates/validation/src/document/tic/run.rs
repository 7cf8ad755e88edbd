//! Checking a price-transparency file with a built-in rule set: its schema compiled, its
//! records paths set, its checks run beside the schema and its counts handed back.

use std::path::Path;
use std::sync::{Arc, Mutex};

use steadfast_core::Timestamp;

use super::refs::ItemTable;
use super::{RuleSet, TicCounts};
use crate::Error;
use crate::document::{DocumentCheck, DocumentReport, JsonSchema, SchemaError};
use crate::prehash::Sharded;

/// What a rule set's check of a file found.
#[derive(Debug)]
#[non_exhaustive]
pub struct TicReport {
    /// Schema findings and the checks' findings, by rule.
    pub report: DocumentReport,
    /// Elements per array, for [`TicCounts::record`].
    pub counts: TicCounts,
}

impl RuleSet {
    /// The rule set's schema, compiled.
    ///
    /// # Errors
    /// Never for the embedded schemas (a test compiles each); typed for the signature.
    pub fn compile(&self) -> Result<JsonSchema, SchemaError> {
        JsonSchema::from_slice(self.name, self.schema.as_bytes())
    }

    /// A check against `schema` (this rule set's, compiled) with this rule set's records
    /// paths; tune it (threads, findings kept, progress) before [`run`](Self::run).
    pub fn document_check<'a>(&self, schema: &'a JsonSchema) -> DocumentCheck<'a> {
        DocumentCheck::new(schema).records(self.records.iter().copied())
    }

    /// Checks the file at `path` with `check` (from [`document_check`](Self::document_check))
    /// and this rule set's checks beside the schema; expiration dates are judged against
    /// `today`; `show_values` puts the offending values of the checks' findings into the
    /// report (say the same to `check`).
    ///
    /// ```
    /// use steadfast_validation::document::RuleSet;
    ///
    /// let rules = RuleSet::named("tic-in-network").expect("built in");
    /// let schema = rules.compile()?;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("rates.json");
    /// steadfast_core::atomic_write(&path, r#"{"reporting_entity_name": "x", "reporting_entity_type": "x",
    ///   "last_updated_on": "2026-01-01", "version": "2.1.0",
    ///   "provider_references": [{"provider_group_id": 1, "network_name": ["n"], "provider_groups": [
    ///     {"npi": [1234567890], "tin": {"type": "npi", "value": "1234567890"}}]}],
    ///   "in_network": [{"negotiation_arrangement": "ffs", "name": "x", "billing_code_type": "CPT",
    ///     "billing_code_type_version": "2026", "billing_code": "27447", "description": "x",
    ///     "negotiated_rates": [{"provider_references": [1, 2], "negotiated_prices": [
    ///       {"negotiated_type": "negotiated", "negotiated_rate": 10.5, "expiration_date": "9999-12-31",
    ///        "billing_class": "institutional", "setting": "inpatient"}]}]}]}"#)?;
    /// let run = rules.run(&rules.document_check(&schema).threads(1), &path, steadfast_core::Timestamp::now(), false)?;
    /// assert_eq!(run.report.violations("tic.provider_group_id"), 1); // 2 is not defined
    /// assert_eq!(run.counts.npis, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// What [`DocumentCheck::run`] returns.
    pub fn run(
        &self,
        check: &DocumentCheck<'_>,
        path: impl AsRef<Path>,
        today: Timestamp,
        show_values: bool,
    ) -> Result<TicReport, Error> {
        let slot = Arc::new(Mutex::new(TicCounts::default()));
        let items = Arc::new(ItemTable::keeping(check.findings_kept()));
        let defined = Arc::new(Sharded::default());
        let report = check.run_with_checks(path, || {
            let mut checks = self.checks(today, show_values);
            checks.counts_into(Arc::clone(&slot));
            checks.share_items(Arc::clone(&items));
            checks.share_ids(Arc::clone(&defined));
            checks
        })?;
        let counts = slot.lock().map(|c| *c).unwrap_or_default();
        Ok(TicReport { report, counts })
    }
}
