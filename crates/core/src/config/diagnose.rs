//! Turning serde's errors into located, worded problems: deserialise, report the bad key,
//! drop it and try again, so one load reports every problem.

use super::Config;
use super::de::{DeError, DeErrorKind, NodeDe};
use super::node::{Node, Seg, path_string};
use super::problem::{Problem, suggest};

/// Most problems reported from one load; past this the rest are likely consequences.
const MAX_PROBLEMS: usize = 50;

/// Deserialises `T`, collecting one problem per bad key and retrying without it, so every
/// problem is reported at once.
pub(crate) fn deserialize<T: Config>(
    tree: &mut Node,
    section: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let prefix: Vec<Seg> = section
        .map(|s| vec![Seg::Key(s.to_owned())])
        .unwrap_or_default();
    for _ in 0..MAX_PROBLEMS {
        let node = tree.get(&prefix)?;
        let err = match T::deserialize(NodeDe(node)) {
            // With bad keys dropped, the rest still gets its range checks.
            Ok(value) => return Some(value),
            Err(err) => err,
        };
        let mut path = prefix.clone();
        path.extend(err.path());
        problems.push(describe(&err, tree, &path));
        // Drop the offending key so the next attempt finds the next problem; a missing key
        // cannot be dropped, so that ends the search.
        if matches!(err.kind, DeErrorKind::MissingField(_)) || !tree.remove(&path) {
            return None;
        }
    }
    None
}

fn describe(err: &DeError, tree: &Node, path: &[Seg]) -> Problem {
    let (key, table) = match path.split_last() {
        Some((Seg::Key(k), parent)) => (k.clone(), parent),
        Some((Seg::Index(i), parent)) => (format!("[{i}]"), parent),
        None => (String::new(), path),
    };
    let table_name = if table.is_empty() {
        "at the top level".to_owned()
    } else {
        format!("in [{}]", path_string(table))
    };
    let message = match &err.kind {
        DeErrorKind::UnknownField { field, expected } => {
            let hint = match suggest(field, expected.iter().copied()) {
                Some(s) => format!("; did you mean '{s}'?"),
                None if expected.is_empty() => "; this table takes no keys".to_owned(),
                None => format!("; expected one of: {}", expected.join(", ")),
            };
            format!("unknown key '{field}' {table_name}{hint}")
        }
        DeErrorKind::MissingField(field) => {
            let here = if path.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in [{}]", path_string(path))
            };
            format!("missing key '{field}' {here}; add it")
        }
        DeErrorKind::UnknownVariant { variant, expected } => {
            let hint = suggest(variant, expected.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            format!(
                "invalid value '{variant}' for '{key}' {table_name}: expected one of {}{hint}",
                expected.join(", ")
            )
        }
        DeErrorKind::InvalidType { found, expected } => {
            format!("wrong type for '{key}' {table_name}: expected {expected}, found {found}")
        }
        DeErrorKind::InvalidValue { found, expected } => {
            format!("invalid value {found} for '{key}' {table_name}: expected {expected}")
        }
        DeErrorKind::Custom(message) => {
            format!("invalid value for '{key}' {table_name}: {message}")
        }
    };
    let mut problem = Problem::new(tree.blame(path, err.at_key), message);
    problem.path = Some(path_string(path));
    problem
}
