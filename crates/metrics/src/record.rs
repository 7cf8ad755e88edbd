//! `MetricRecord`: one line of `metrics.ndjson`, as written and as read back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use steadfast_core::Timestamp;

use crate::key::Kind;

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        match s.as_ref() {
            "counter" => Ok(Self::Counter),
            "gauge" => Ok(Self::Gauge),
            "histogram" => Ok(Self::Histogram),
            other => Err(serde::de::Error::unknown_variant(
                other,
                &["counter", "gauge", "histogram"],
            )),
        }
    }
}

/// Writes whole numbers without a fraction (`1200`, not `1200.0`), as the file format shows.
fn number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() < EXACT {
        #[allow(clippy::cast_possible_truncation, reason = "whole and within 2^53")]
        return s.serialize_i64(*v as i64);
    }
    s.serialize_f64(*v)
}

fn opt_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => number(v, s),
        None => s.serialize_none(),
    }
}

/// One line of `metrics.ndjson`.
///
/// Counters carry the increase since the previous line of the same series (`value`);
/// gauges their value when it changed; histograms the count, sum and per-bucket counts
/// since the previous line, with the series' min and max so far.
///
/// ```
/// let line = r#"{"ts":"2025-09-29T10:00:00.123Z","step":"bronze","name":"records","kind":"counter","value":1200,"labels":{"resource_type":"Patient"}}"#;
/// let r: steadfast_metrics::MetricRecord = serde_json::from_str(line)?;
/// assert_eq!(r.value, Some(1200.0));
/// assert_eq!(serde_json::to_string(&r)?, line);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricRecord {
    /// When the flush wrote it.
    pub ts: Timestamp,
    /// The pipeline step.
    pub step: String,
    /// The metric name.
    pub name: String,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// Counter increase or gauge value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub value: Option<f64>,
    /// Histogram: observations since the previous line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Histogram: their sum.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub sum: Option<f64>,
    /// Histogram: the smallest observation so far.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub min: Option<f64>,
    /// Histogram: the largest observation so far.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub max: Option<f64>,
    /// Histogram: bucket upper bounds (`+Inf` implied after the last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Vec<f64>>,
    /// Histogram: observations per bucket since the previous line (one more than bounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_counts: Option<Vec<u64>>,
    /// Labels, by name.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl MetricRecord {
    pub(crate) fn scalar(
        ts: Timestamp,
        key: &crate::key::SeriesKey,
        kind: Kind,
        value: f64,
    ) -> Self {
        Self {
            ts,
            step: key.step.clone(),
            name: key.name.clone(),
            kind,
            value: Some(value),
            count: None,
            sum: None,
            min: None,
            max: None,
            bounds: None,
            bucket_counts: None,
            labels: key.labels.iter().cloned().collect(),
        }
    }
}
