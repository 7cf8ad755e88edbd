//! The seeded conformance faults and the class of the check that finds each.

use crate::conformance::Class;

/// A seeded conformance fault, one per faulted record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Fault {
    /// A member the definitions do not have, in the resource or any element inside it.
    UnknownElement,
    /// A primitive of the wrong JSON type: `"active":"yes"`, a number for a string.
    PrimitiveType,
    /// Two values in a 0..1 element: `"gender":["male","male"]`.
    AboveMax,
    /// A min 1 element removed: `Observation.status`, `Encounter.class`, a component's code.
    MissingRequired,
    /// A date, dateTime or instant that is not one: `2024-13-45`.
    DateFormat,
    /// A code outside a required value set: `Patient.gender` `robot`.
    Binding,
    /// An extension without `url`.
    ExtensionUrl,
}

impl Fault {
    /// Every fault, in the round-robin order of the generator.
    pub const ALL: [Self; 7] = [
        Self::UnknownElement,
        Self::PrimitiveType,
        Self::AboveMax,
        Self::MissingRequired,
        Self::DateFormat,
        Self::Binding,
        Self::ExtensionUrl,
    ];

    /// The conformance class that finds it (an extension without `url` is a missing min 1
    /// element: `Extension.url`).
    ///
    /// ```
    /// use steadfast_validation::conformance::Class;
    /// use steadfast_validation::data::conformance_gen::Fault;
    ///
    /// assert_eq!(Fault::ExtensionUrl.class(), Class::Min);
    /// ```
    pub fn class(self) -> Class {
        match self {
            Self::UnknownElement => Class::UnknownElement,
            Self::PrimitiveType => Class::Type,
            Self::AboveMax => Class::Max,
            Self::MissingRequired | Self::ExtensionUrl => Class::Min,
            Self::DateFormat => Class::Format,
            Self::Binding => Class::Binding,
        }
    }

    /// A short name: `unknown_element`.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnknownElement => "unknown_element",
            Self::PrimitiveType => "primitive_type",
            Self::AboveMax => "above_max",
            Self::MissingRequired => "missing_required",
            Self::DateFormat => "date_format",
            Self::Binding => "binding",
            Self::ExtensionUrl => "extension_url",
        }
    }
}
