//! A draft-07 JSON Schema compiled into a streaming evaluator: the schema becomes a flat
//! arena of nodes, and [`Evaluator`] checks a document token by token against it, the way
//! Python `jsonschema`'s `Draft7Validator` with its format checker would.

mod apply;
mod check;
mod compile;
mod cycles;
mod error;
mod eval;
mod fail;
mod format;
mod hash;
mod held;
mod item;
mod keywords;
mod node;
mod number;
mod quick;
mod resolve;
mod uri;
mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_diff;
#[cfg(test)]
mod tests_formats;
#[cfg(test)]
mod tests_keywords;
#[cfg(test)]
mod tests_quick;
#[cfg(test)]
mod tests_state;

pub use error::{IgnoredKeyword, SchemaError};
pub(crate) use eval::Evaluator;
pub(crate) use node::ItemSchemas;
pub(crate) use quick::QuickState;
pub use value::SchemaViolation;

use node::{Node, NodeId};

/// A compiled draft-07 JSON Schema.
///
/// ```
/// use steadfast_validation::document::JsonSchema;
///
/// let schema = JsonSchema::from_slice("rate", br#"{"type": "number", "exclusiveMinimum": 0}"#)?;
/// let violations = schema.validate_value(&serde_json::json!(0), false);
/// assert_eq!(violations[0].rule, "#/exclusiveMinimum");
/// # Ok::<(), steadfast_validation::document::SchemaError>(())
/// ```
#[derive(Debug)]
pub struct JsonSchema {
    nodes: Vec<Node>,
    root: NodeId,
    ignored: Vec<IgnoredKeyword>,
}

impl JsonSchema {
    /// Compiles a schema; refuses unknown keywords, malformed keyword values, bad regexes,
    /// remote or dangling `$ref`s and `$ref` recursion that never reaches a value.
    ///
    /// # Errors
    /// A [`SchemaError`] naming the schema path of what was refused.
    pub fn compile(schema: &serde_json::Value) -> Result<Self, SchemaError> {
        let compiled = compile::compile(schema)?;
        Ok(Self {
            nodes: compiled.nodes,
            root: compiled.root,
            ignored: compiled.ignored,
        })
    }

    /// Parses and compiles a schema; errors name it `name`.
    ///
    /// # Errors
    /// [`SchemaError::Parse`] when `bytes` are not JSON, else what [`compile`](Self::compile)
    /// refuses, wrapped in [`SchemaError::Named`].
    pub fn from_slice(name: &str, bytes: &[u8]) -> Result<Self, SchemaError> {
        let value = serde_json::from_slice(bytes).map_err(|source| SchemaError::Parse {
            name: name.to_owned(),
            source,
        })?;
        Self::compile(&value).map_err(|e| SchemaError::Named {
            name: name.to_owned(),
            source: Box::new(e),
        })
    }

    /// True when `record` (one whole record's bytes) is JSON that passes every schema of
    /// `items` without a finding; false when it may not (the interpreter then decides).
    pub(crate) fn passes(
        &self,
        items: &ItemSchemas,
        record: &[u8],
        max_token_bytes: usize,
        state: &mut QuickState,
    ) -> bool {
        quick::passes(&self.nodes, &items.nodes, record, max_token_bytes, state)
    }

    /// The later drafts' keywords the schema has, ignored as draft 7 ignores them.
    pub fn ignored(&self) -> &[IgnoredKeyword] {
        &self.ignored
    }
}

/// True when `record` is one JSON value the lexer reads without an error (no schema).
pub(crate) fn passes_syntax(record: &[u8], max_token_bytes: usize, state: &mut QuickState) -> bool {
    quick::passes(&[], &[], record, max_token_bytes, state)
}
