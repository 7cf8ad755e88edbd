//! What the conformance walk reports: the kind of issue (one report rule each) and the
//! issue itself.

/// The kind of a conformance issue; each is one rule in a report (`fhir.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// `resourceType` (of the record or a contained resource) is not an R4 resource.
    ResourceType,
    /// A member the definition does not have.
    UnknownElement,
    /// The wrong JSON type for the element: a string for a boolean, an object for a
    /// primitive, a single value for a repeating element or an array for a single one.
    Type,
    /// More values than the element's max (or an element a profile prohibits).
    Max,
    /// A required element (min 1) is absent.
    Min,
    /// A primitive value outside its type's lexical rules (date, dateTime, instant, time,
    /// id, uri, code, integer ranges, base64, an empty string).
    Format,
    /// A code or coding outside a required, enumerable value set.
    Binding,
    /// A value other than a `fixed` one, or not matching a `pattern`.
    Fixed,
    /// Two types given for one choice element (`valueString` and `valueQuantity`).
    Choice,
    /// An empty object or array (FHIR JSON has no empty values).
    Empty,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Self; 10] = [
        Self::ResourceType,
        Self::UnknownElement,
        Self::Type,
        Self::Max,
        Self::Min,
        Self::Format,
        Self::Binding,
        Self::Fixed,
        Self::Choice,
        Self::Empty,
    ];

    /// The class's place in [`ALL`](Self::ALL), stated per class (not the declaration
    /// order), so a table indexed by class stays right if the enum is reordered.
    ///
    /// ```
    /// use steadfast_validation::conformance::Class;
    /// assert!(Class::ALL.iter().enumerate().all(|(i, c)| c.index() == i));
    /// ```
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Self::ResourceType => 0,
            Self::UnknownElement => 1,
            Self::Type => 2,
            Self::Max => 3,
            Self::Min => 4,
            Self::Format => 5,
            Self::Binding => 6,
            Self::Fixed => 7,
            Self::Choice => 8,
            Self::Empty => 9,
        }
    }

    /// The rule's name in reports: `fhir.unknown_element`.
    pub fn rule(self) -> &'static str {
        match self {
            Self::ResourceType => "fhir.resource_type",
            Self::UnknownElement => "fhir.unknown_element",
            Self::Type => "fhir.type",
            Self::Max => "fhir.max",
            Self::Min => "fhir.min",
            Self::Format => "fhir.format",
            Self::Binding => "fhir.binding",
            Self::Fixed => "fhir.fixed",
            Self::Choice => "fhir.choice",
            Self::Empty => "fhir.empty",
        }
    }

    /// What the rule expects, for reports.
    pub fn expected(self) -> &'static str {
        match self {
            Self::ResourceType => "an R4 resourceType",
            Self::UnknownElement => "only elements the R4 definitions have",
            Self::Type => "each element's JSON type",
            Self::Max => "at most max values",
            Self::Min => "every min 1 element present",
            Self::Format => "primitive values in their type's format",
            Self::Binding => "codes in required value sets",
            Self::Fixed => "fixed and pattern values",
            Self::Choice => "one type per choice element",
            Self::Empty => "no empty objects or arrays",
        }
    }
}

/// One conformance issue in a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The kind.
    pub class: Class,
    /// Byte offset in the resource's JSON of the value (or member, or object) at fault.
    pub at: usize,
    /// The element's path with indexes: `Patient.name[1].given`.
    pub path: String,
    /// The path and what was expected; never the value.
    pub message: String,
    /// The value as written, only when values may be shown.
    pub value: Option<String>,
}

/// An unknown member name, shown only when it looks like an element name (a name could
/// be data in a malformed export).
pub(crate) fn shown_name(key: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(key).ok()?;
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    ok.then_some(s)
}
