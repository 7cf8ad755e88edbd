//! Validation of an in-memory `serde_json::Value`: its tokens fed to the evaluator, for
//! tests and small documents.

use std::sync::Arc;

use super::super::event::{Pos, Str, Token};
use super::super::finding::{Finding, Findings};
use super::{Evaluator, JsonSchema};

/// One violation of a schema by a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// The failing keyword's schema path (`#/definitions/x/minLength`).
    pub rule: String,
    /// The JSON Pointer of the offending value.
    pub pointer: String,
    /// What was expected.
    pub message: String,
    /// The offending scalar as written, only when values were asked for.
    pub value: Option<String>,
}

/// Keeps every finding.
#[derive(Default)]
pub(crate) struct Collect(pub(crate) Vec<Finding>);

impl Findings for Collect {
    fn count(&mut self, _: &Arc<str>) -> bool {
        true
    }
    fn detail(&mut self, finding: Finding) {
        self.0.push(finding);
    }
}

impl JsonSchema {
    /// Validates a whole value; one violation per failing keyword, as Python
    /// `jsonschema`'s `iter_errors` yields them (in another order).
    pub fn validate_value(
        &self,
        value: &serde_json::Value,
        show_values: bool,
    ) -> Vec<SchemaViolation> {
        self.findings(value, show_values)
            .into_iter()
            .map(|f| SchemaViolation {
                rule: f.rule.to_string(),
                pointer: f.pointer,
                message: f.message,
                value: f.value,
            })
            .collect()
    }

    /// The findings of a whole value.
    pub(crate) fn findings(&self, value: &serde_json::Value, show_values: bool) -> Vec<Finding> {
        let mut evaluator = Evaluator::new(self, show_values);
        let mut collect = Collect::default();
        feed(value, &mut |token| {
            evaluator.token(token, Pos::default(), &mut collect)
        });
        collect.0
    }
}

/// Calls `f` with the tokens of `value`.
pub(crate) fn feed(value: &serde_json::Value, f: &mut dyn FnMut(&Token<'_>)) {
    use serde_json::Value;
    fn quoted(s: &str) -> String {
        let text = serde_json::to_string(s).unwrap_or_default();
        text.get(1..text.len().saturating_sub(1))
            .unwrap_or_default()
            .to_owned()
    }
    match value {
        Value::Null => f(&Token::Null),
        Value::Bool(b) => f(&Token::Bool(*b)),
        Value::Number(n) => f(&Token::Number(n.to_string().as_bytes())),
        Value::String(s) => {
            let raw = quoted(s);
            f(&Token::String(Str {
                raw: raw.as_bytes(),
                escaped: raw.contains('\\'),
            }));
        }
        Value::Array(items) => {
            f(&Token::BeginArray);
            for item in items {
                feed(item, f);
            }
            f(&Token::EndArray);
        }
        Value::Object(members) => {
            f(&Token::BeginObject);
            for (key, item) in members {
                let raw = quoted(key);
                f(&Token::Key(Str {
                    raw: raw.as_bytes(),
                    escaped: raw.contains('\\'),
                }));
                feed(item, f);
            }
            f(&Token::EndObject);
        }
    }
}
