//! How many elements a price-transparency document has per array: what the checks counted,
//! written as run metrics so `row_count` rules can compare the file with a database.

use crate::series::{DOCUMENT_ARRAY_LABEL, DOCUMENT_RECORDS};

/// Elements counted per array (each element of each array instance; an NPI is one number
/// of an `npi` array).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TicCounts {
    /// `in_network[*]`.
    pub in_network: u64,
    /// `in_network[*].negotiated_rates[*]`.
    pub negotiated_rates: u64,
    /// `in_network[*].negotiated_rates[*].negotiated_prices[*]`.
    pub negotiated_prices: u64,
    /// `provider_references[*]`.
    pub provider_references: u64,
    /// `provider_references[*].provider_groups[*]`.
    pub provider_groups: u64,
    /// NPIs: `provider_groups[*].npi[*]`, or `…providers[*].npi[*]` in allowed amounts.
    pub npis: u64,
    /// `out_of_network[*]`.
    pub out_of_network: u64,
    /// `out_of_network[*].allowed_amounts[*]`.
    pub allowed_amounts: u64,
    /// `out_of_network[*].allowed_amounts[*].payments[*]`.
    pub payments: u64,
    /// `reporting_structure[*]`.
    pub reporting_structure: u64,
}

impl TicCounts {
    /// Each count with the array name it is recorded under (the value of the
    /// [`DOCUMENT_ARRAY_LABEL`] label).
    ///
    /// ```
    /// use steadfast_validation::document::TicCounts;
    /// let c = TicCounts::default();
    /// assert_eq!(c.entries()[0], ("in_network", 0));
    /// ```
    pub fn entries(&self) -> [(&'static str, u64); 10] {
        [
            ("in_network", self.in_network),
            ("negotiated_rates", self.negotiated_rates),
            ("negotiated_prices", self.negotiated_prices),
            ("provider_references", self.provider_references),
            ("provider_groups", self.provider_groups),
            ("npi", self.npis),
            ("out_of_network", self.out_of_network),
            ("allowed_amounts", self.allowed_amounts),
            ("payments", self.payments),
            ("reporting_structure", self.reporting_structure),
        ]
    }

    /// Records the non-zero counts as the counter [`DOCUMENT_RECORDS`] of `step`, one series
    /// per array.
    pub fn record(&self, recorder: &steadfast_metrics::Recorder, step: &str) {
        for (array, n) in self.entries() {
            if n > 0 {
                recorder
                    .counter(step, DOCUMENT_RECORDS)
                    .label(DOCUMENT_ARRAY_LABEL, array)
                    .add(n);
            }
        }
    }

    /// Adds another worker's counts.
    pub(crate) fn add(&mut self, o: &Self) {
        self.in_network += o.in_network;
        self.negotiated_rates += o.negotiated_rates;
        self.negotiated_prices += o.negotiated_prices;
        self.provider_references += o.provider_references;
        self.provider_groups += o.provider_groups;
        self.npis += o.npis;
        self.out_of_network += o.out_of_network;
        self.allowed_amounts += o.allowed_amounts;
        self.payments += o.payments;
        self.reporting_structure += o.reporting_structure;
    }
}
