//! Why a schema is refused, and the later drafts' keywords it ignores.

use std::fmt;

/// Why a schema was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema is not JSON.
    #[error("schema {name}: not JSON")]
    Parse {
        /// The schema's name.
        name: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// An error in a named schema.
    #[error("schema {name}: {source}")]
    Named {
        /// The schema's name.
        name: String,
        /// What is wrong.
        #[source]
        source: Box<Self>,
    },
    /// A keyword draft 7 does not define (and no later draft either).
    #[error("{path}: unknown keyword '{keyword}'")]
    UnknownKeyword {
        /// The schema path of the subschema.
        path: String,
        /// The keyword.
        keyword: String,
    },
    /// Something other than an object or a boolean where a schema is expected.
    #[error("{path}: expected a schema (an object or a boolean)")]
    NotASchema {
        /// The schema path.
        path: String,
    },
    /// A keyword's value has the wrong form.
    #[error("{path}: '{keyword}' must be {expected}")]
    BadValue {
        /// The schema path of the subschema.
        path: String,
        /// The keyword.
        keyword: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A type name draft 7 does not define.
    #[error("{path}: unknown type '{name}'")]
    UnknownType {
        /// The schema path of the `type` keyword.
        path: String,
        /// The name.
        name: String,
    },
    /// A pattern the regex engine refuses.
    #[error("{path}: invalid regular expression")]
    Regex {
        /// The schema path of the pattern.
        path: String,
        /// The regex error.
        #[source]
        source: Box<regex::Error>,
    },
    /// A `$ref` to another document (only local references are followed).
    #[error("{path}: remote $ref '{reference}' is not supported")]
    RemoteRef {
        /// The schema path of the subschema.
        path: String,
        /// The reference.
        reference: String,
    },
    /// A local `$ref` that points at nothing.
    #[error("{path}: $ref '{reference}' does not resolve")]
    UnresolvedRef {
        /// The schema path of the subschema.
        path: String,
        /// The reference.
        reference: String,
    },
    /// Subschemas that apply each other to the same value forever.
    #[error("{path}: $ref recursion never reaches a value")]
    RefCycle {
        /// The schema path of a subschema on the cycle.
        path: String,
    },
}

/// What a schema asks that is not checked: a keyword of a later draft that draft 7 ignores
/// (as `Draft7Validator` does), or a `format` no checker exists for (accepted, as Python's
/// `FORMAT_CHECKER` accepts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKeyword {
    /// The schema path of the subschema that has it (`#/definitions/x`).
    pub path: String,
    /// The keyword (`dependentRequired`), or `format (NAME)` for a format without a
    /// checker (`format (hostname)`).
    pub keyword: String,
}

impl fmt::Display for IgnoredKeyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.path, self.keyword)
    }
}
