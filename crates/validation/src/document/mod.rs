//! JSON documents whose records are array elements — price-transparency (MRF) files, FHIR
//! `Bundle`s — read as a stream of tokens and checked against a JSON Schema compiled into
//! the same single pass, in memory bounded by what cross-record checks keep.

mod check;
mod driver;
mod event;
mod finding;
mod input;
mod lex_error;
mod lex_scan;
mod lexer;
mod probe;
mod records;
mod render;
mod report;
mod schema;
mod tally;
pub mod tic;
mod validator;
mod worker;

pub use check::{DocumentCheck, DocumentProgress};
pub use render::render_document;
pub use report::{DocumentFinding, DocumentReport, DocumentRule, RecordCount};
pub use schema::{IgnoredKeyword, JsonSchema, SchemaError, SchemaViolation};
pub use tic::{RuleSet, TicCounts};
