//! Which part of a price-transparency record a value is, from the path it stands at.

use super::path::{Frame, Key};

/// The kind of document a rule set checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    /// In-network rates: records 0 are `in_network[*]`, records 1 `provider_references[*]`.
    InNetwork,
    /// Allowed amounts: records 0 are `out_of_network[*]`.
    AllowedAmounts,
    /// Table of contents: records 0 are `reporting_structure[*]`.
    TableOfContents,
}

/// What a value of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The record itself (an in-network or out-of-network item).
    Item,
    /// A member of the item.
    ItemField(Key),
    /// `negotiated_rates[*]`.
    Rate,
    /// `negotiated_rates[*].provider_references[*]`: a use of a provider group id.
    ProviderRef,
    /// `negotiated_rates[*].negotiated_prices[*]`.
    Price,
    /// A member of a negotiated price.
    PriceField(Key),
    /// `covered_services[*]` or `bundled_codes[*]`.
    Contained,
    /// A member of a covered service or bundled code.
    ContainedField(Key),
    /// A member of a `provider_references` entry.
    ReferenceField(Key),
    /// `provider_groups[*]` of a `provider_references` entry.
    Group,
    /// An NPI of a provider group (or of an allowed-amounts provider).
    Npi,
    /// `allowed_amounts[*]`.
    AllowedAmount,
    /// `allowed_amounts[*].payments[*]`.
    Payment,
    /// Anything else.
    Other,
}

fn arr(f: &Frame) -> bool {
    f.is_array()
}

/// The place of the next value of a record of `records` in a `kind` document, standing at
/// `frames`.
pub(crate) fn place(kind: DocKind, records: usize, frames: &[Frame]) -> Place {
    use Key::{
        AllowedAmounts, BundledCodes, CoveredServices, NegotiatedPrices, NegotiatedRates, Npi,
        Payments, ProviderGroups, ProviderReferences, Providers,
    };
    match (kind, records) {
        (DocKind::InNetwork, 0) => match frames {
            [] => Place::Item,
            [f0] if f0.object => Place::ItemField(f0.key),
            [f0, f1] if f0.is_at(NegotiatedRates) && arr(f1) => Place::Rate,
            [f0, f1] if (f0.is_at(CoveredServices) || f0.is_at(BundledCodes)) && arr(f1) => {
                Place::Contained
            }
            [f0, f1, f2]
                if (f0.is_at(CoveredServices) || f0.is_at(BundledCodes))
                    && arr(f1)
                    && f2.object =>
            {
                Place::ContainedField(f2.key)
            }
            [f0, f1, f2, f3] if f0.is_at(NegotiatedRates) && arr(f1) && arr(f3) => {
                if f2.is_at(ProviderReferences) {
                    Place::ProviderRef
                } else if f2.is_at(NegotiatedPrices) {
                    Place::Price
                } else {
                    Place::Other
                }
            }
            [f0, f1, f2, f3, f4]
                if f0.is_at(NegotiatedRates)
                    && arr(f1)
                    && f2.is_at(NegotiatedPrices)
                    && arr(f3)
                    && f4.object =>
            {
                Place::PriceField(f4.key)
            }
            _ => Place::Other,
        },
        (DocKind::InNetwork, 1) => match frames {
            [f0] if f0.object => Place::ReferenceField(f0.key),
            [f0, f1] if f0.is_at(ProviderGroups) && arr(f1) => Place::Group,
            [f0, f1, f2, f3] if f0.is_at(ProviderGroups) && arr(f1) && f2.is_at(Npi) && arr(f3) => {
                Place::Npi
            }
            _ => Place::Other,
        },
        (DocKind::AllowedAmounts, 0) => match frames {
            [] => Place::Item,
            [f0] if f0.object => Place::ItemField(f0.key),
            [f0, f1] if f0.is_at(AllowedAmounts) && arr(f1) => Place::AllowedAmount,
            [f0, f1, f2, f3]
                if f0.is_at(AllowedAmounts) && arr(f1) && f2.is_at(Payments) && arr(f3) =>
            {
                Place::Payment
            }
            [f0, f1, f2, f3, f4, f5, f6, f7]
                if f0.is_at(AllowedAmounts)
                    && arr(f1)
                    && f2.is_at(Payments)
                    && arr(f3)
                    && f4.is_at(Providers)
                    && arr(f5)
                    && f6.is_at(Npi)
                    && arr(f7) =>
            {
                Place::Npi
            }
            _ => Place::Other,
        },
        _ => Place::Other,
    }
}
