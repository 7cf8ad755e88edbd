//! What the in-network generator is asked for and what it reports: the spec, the faults by
//! kind, the faults injected with their pointers. Feature `synthetic`.

use super::counts::TicCounts;

/// How many faults of each kind to inject into an in-network file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicFaults {
    /// An in-network item without its required `description`.
    pub missing_required: u64,
    /// A negotiated price whose `setting` is outside its enum (`"home"`).
    pub bad_enum: u64,
    /// A negotiated price whose `negotiated_rate` is a string.
    pub wrong_type: u64,
    /// A negotiated price with `billing_code_modifier: []` (`minItems: 1`).
    pub empty_array: u64,
    /// A negotiated price whose `expiration_date` is not a `date` (`2031/01/01`).
    pub bad_date: u64,
    /// A negotiated rate that uses a provider group id no entry defines.
    pub unresolved_group: u64,
    /// A negotiated price with a negative `negotiated_rate`.
    pub negative_rate: u64,
}

/// A kind of fault, as injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TicFault {
    /// See [`TicFaults::missing_required`].
    MissingRequired,
    /// See [`TicFaults::bad_enum`].
    BadEnum,
    /// See [`TicFaults::wrong_type`].
    WrongType,
    /// See [`TicFaults::empty_array`].
    EmptyArray,
    /// See [`TicFaults::bad_date`].
    BadDate,
    /// See [`TicFaults::unresolved_group`].
    UnresolvedGroup,
    /// See [`TicFaults::negative_rate`].
    NegativeRate,
}

impl TicFaults {
    /// The faults in the order they are injected.
    pub(crate) fn list(&self) -> Vec<TicFault> {
        use TicFault::*;
        let kinds = [
            (MissingRequired, self.missing_required),
            (BadEnum, self.bad_enum),
            (WrongType, self.wrong_type),
            (EmptyArray, self.empty_array),
            (BadDate, self.bad_date),
            (UnresolvedGroup, self.unresolved_group),
            (NegativeRate, self.negative_rate),
        ];
        kinds
            .iter()
            .flat_map(|&(k, n)| (0..n).map(move |_| k))
            .collect()
    }

    /// Faults in all.
    pub fn total(&self) -> u64 {
        self.list().len() as u64
    }
}

/// What in-network file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InNetworkSpec {
    /// The seed: the same spec gives the same bytes.
    pub seed: u64,
    /// In-network items are written until the file has at least this many bytes (and every
    /// fault has its item).
    pub target_bytes: u64,
    /// Two-space indentation, one member a line; else compact.
    pub pretty: bool,
    /// `provider_references` entries (ids 1..=n).
    pub provider_references: u64,
    /// Provider groups per entry (each a TIN with its NPIs).
    pub groups_per_reference: u64,
    /// NPIs per provider group.
    pub npis_per_group: u64,
    /// Negotiated rates per in-network item (1..=n, drawn).
    pub rates_per_item: u64,
    /// Negotiated prices per negotiated rate (1..=n, drawn).
    pub prices_per_rate: u64,
    /// Faults to inject.
    pub faults: TicFaults,
}

impl Default for InNetworkSpec {
    fn default() -> Self {
        Self {
            seed: 42,
            target_bytes: 1 << 20,
            pretty: false,
            provider_references: 50,
            groups_per_reference: 2,
            npis_per_group: 20,
            rates_per_item: 4,
            prices_per_rate: 3,
            faults: TicFaults::default(),
        }
    }
}

/// One injected fault: its kind and the JSON Pointer of what it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    /// The kind.
    pub kind: TicFault,
    /// The pointer of the item (missing field), the value (enum, type, array, date, rate)
    /// or the provider reference (unresolved id).
    pub pointer: String,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedDocument {
    /// Bytes written.
    pub bytes: u64,
    /// Elements per array.
    pub counts: TicCounts,
    /// Every fault injected, in document order.
    pub faults: Vec<InjectedFault>,
}

impl GeneratedDocument {
    /// Faults of one kind.
    pub fn count(&self, kind: TicFault) -> u64 {
        self.faults.iter().filter(|f| f.kind == kind).count() as u64
    }
}
