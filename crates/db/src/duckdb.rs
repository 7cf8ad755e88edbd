//! DuckDB's JSON profiling output (`PRAGMA enable_profiling = 'json'` with
//! `PRAGMA profiling_output = '<file>'`) read into [`DuckDbQuery`]: the query's fingerprint,
//! its time and its operator tree (name, time, cardinality) — without linking DuckDB.
//!
//! The reader takes the shapes of several DuckDB versions: 2.x (`query.sql`,
//! `query.total_time`, a top-level `operator` list whose nodes say `name`, `timing`,
//! `intermediate_rows`), 1.x (`query_name`, `latency`, `children` whose nodes say
//! `operator_name`/`operator_type`, `operator_timing`, `operator_cardinality`) and 0.x
//! (`name`, `timing`, `cardinality`). `extra_info` (filters, hence literals) is never read.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use steadfast_core::{Links, read_regular};

use crate::error::Error;
use crate::fingerprint::fingerprint;

/// The largest profiling file read (64 MiB).
const READ_LIMIT: u64 = 64 << 20;
/// Operator trees deeper than this are cut (a hostile file cannot overflow the stack).
const MAX_DEPTH: usize = 256;

/// One profiled DuckDB query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DuckDbQuery {
    /// The caller's name for the query (lines it up with PostgreSQL's), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The fingerprint's id of the query text (empty when the file had no text).
    pub id: String,
    /// The query, fingerprinted.
    pub text: String,
    /// The query's wall time, seconds, when the file gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_seconds: Option<f64>,
    /// The operator tree's roots.
    pub operators: Vec<DuckDbOperator>,
}

/// One operator of a DuckDB plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DuckDbOperator {
    /// Its name (`HASH_GROUP_BY`, `SEQ_SCAN`, …).
    pub name: String,
    /// Its own time, seconds.
    pub seconds: f64,
    /// Rows it produced.
    pub cardinality: u64,
    /// Its inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Self>,
}

impl DuckDbOperator {
    /// Operators in this subtree, itself included.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Self::count).sum::<usize>()
    }
}

/// The first of `keys` present in `v` as a number.
fn number(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter()
        .find_map(|k| v.get(k).and_then(Value::as_f64))
        .filter(|x| x.is_finite())
}

/// An operator name as shown: only the characters DuckDB's names use, at most 64.
fn clean_name(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ' ' | '-'))
        .take(64)
        .collect()
}

fn operator(v: &Value, depth: usize) -> DuckDbOperator {
    let name = ["name", "operator_name", "operator_type", "type"]
        .iter()
        .find_map(|k| v.get(k).and_then(Value::as_str))
        .map(clean_name)
        .unwrap_or_default();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "row counts are whole and non-negative; NaN and negatives become 0"
    )]
    let cardinality = number(
        v,
        &["operator_cardinality", "cardinality", "intermediate_rows"],
    )
    .map_or(0, |x| x.max(0.0) as u64);
    DuckDbOperator {
        name,
        seconds: number(v, &["operator_timing", "timing"]).unwrap_or(0.0),
        cardinality,
        children: children(v, depth + 1),
    }
}

fn children(v: &Value, depth: usize) -> Vec<DuckDbOperator> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    v.get("children")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(|c| operator(c, depth)).collect())
        .unwrap_or_default()
}

impl DuckDbQuery {
    /// Parses one profiling output (the JSON text).
    ///
    /// ```
    /// let json = r#"{"query": {"sql": "SELECT count(*) FROM t WHERE id > 42", "total_time": 0.002},
    ///   "operator": [{"name": "UNGROUPED_AGGREGATE", "timing": 0.001, "intermediate_rows": 1,
    ///     "extra_info": {"Filters": "id > 42"},
    ///     "children": [{"name": "SEQ_SCAN", "timing": 0.0005, "intermediate_rows": 10}]}]}"#;
    /// let q = steadfast_db::DuckDbQuery::parse(json).unwrap();
    /// assert_eq!(q.text, "select count(*) from t where id > ?");
    /// assert_eq!(q.operators[0].children[0].cardinality, 10);
    /// ```
    ///
    /// # Errors
    /// [`Error::DuckDbText`] when `json` is not JSON or not an object.
    pub fn parse(json: &str) -> Result<Self, Error> {
        Self::parse_text(json).map_err(|message| Error::DuckDbText { message })
    }

    fn parse_text(json: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if !v.is_object() {
            return Err("the top level is not an object".into());
        }
        let sql = v
            .get("query")
            .and_then(|q| q.get("sql").or(Some(q)))
            .and_then(Value::as_str)
            .or_else(|| v.get("query_name").and_then(Value::as_str))
            .unwrap_or_default();
        let total_seconds = v
            .get("query")
            .and_then(|q| number(q, &["total_time", "latency"]))
            .or_else(|| number(&v, &["latency", "operator_timing", "timing"]));
        let operators = match v.get("operator").and_then(Value::as_array) {
            Some(roots) => roots.iter().map(|r| operator(r, 0)).collect(),
            None => children(&v, 0),
        };
        let (id, text) = if sql.trim().is_empty() {
            (String::new(), String::new())
        } else {
            let fp = fingerprint(sql);
            (fp.id_hex(), fp.text().to_owned())
        };
        Ok(Self {
            name: None,
            id,
            text,
            total_seconds,
            operators,
        })
    }

    /// Reads the profiling file DuckDB wrote at `path`, naming the query `name` if given.
    ///
    /// # Errors
    /// [`Error::Core`] when it cannot be read (missing, a link, over 64 MiB),
    /// [`Error::DuckDb`] when it is not DuckDB's JSON profiling output.
    pub fn read(path: &Path, name: Option<&str>) -> Result<Self, Error> {
        let bytes = read_regular(path, Links::Follow, READ_LIMIT)?;
        let text = String::from_utf8_lossy(&bytes);
        let mut q = Self::parse_text(&text).map_err(|message| Error::DuckDb {
            path: path.to_path_buf(),
            message,
        })?;
        q.name = name.map(str::to_owned);
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_1x_shape_reads_the_same() {
        let json = r#"{"query_name": "SELECT s FROM t WHERE s = 'PATIENT-SECRET-4711'", "latency": 0.01,
          "children": [{"operator_name": "FILTER", "operator_type": "FILTER", "operator_timing": 0.004,
            "operator_cardinality": 3, "extra_info": {"Filters": "s='PATIENT-SECRET-4711'"},
            "children": [{"operator_type": "TABLE_SCAN", "operator_timing": 0.002, "operator_cardinality": 100}]}]}"#;
        let q = DuckDbQuery::parse(json).unwrap();
        assert_eq!(q.text, "select s from t where s = ?");
        assert_eq!(q.total_seconds, Some(0.01));
        assert_eq!(q.operators[0].name, "FILTER");
        assert_eq!(q.operators[0].children[0].name, "TABLE_SCAN");
        assert_eq!(q.operators[0].children[0].cardinality, 100);
        assert_eq!(q.operators[0].count(), 2);
        assert!(!serde_json::to_string(&q).unwrap().contains("SECRET"));
    }

    #[test]
    fn the_0x_shape_and_odd_files() {
        let q = DuckDbQuery::parse(
            r#"{"name": "Query", "timing": 0.5, "cardinality": 0,
              "children": [{"name": "PROJECTION", "timing": 0.1, "cardinality": -4}]}"#,
        )
        .unwrap();
        assert_eq!(q.total_seconds, Some(0.5));
        assert_eq!(
            (q.operators[0].name.as_str(), q.operators[0].cardinality),
            ("PROJECTION", 0)
        );
        assert!(DuckDbQuery::parse("[1]").is_err());
        assert!(DuckDbQuery::parse("{").is_err());
        let deep = format!("{}{}", r#"{"children":["#.repeat(300), "]}".repeat(300));
        assert!(
            DuckDbQuery::parse(&deep).is_err(),
            "serde_json's depth limit"
        );
    }
}
