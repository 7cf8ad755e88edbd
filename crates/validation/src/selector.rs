//! Metric selectors in rules: `bronze.records`, `records` (every step),
//! `bronze.records{resource_type=Patient}`, `silver.page_seconds:mean`.

use std::fmt;
use std::str::FromStr;

use steadfast_metrics::{Kind, MetricTotals};

use crate::Error;

/// What to take of a histogram; counters and gauges have one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Counter sum, gauge value, histogram sum (the default).
    Value,
    /// Histogram: number of observations.
    Count,
    /// Histogram: sum divided by count.
    Mean,
    /// Histogram: smallest observation.
    Min,
    /// Histogram: largest observation.
    Max,
}

/// Which series of a run a rule reads, and how they add up.
///
/// ```
/// use steadfast_validation::MetricSelector;
///
/// let s: MetricSelector = "bronze.records{resource_type=Patient}".parse()?;
/// assert_eq!(s.step.as_deref(), Some("bronze"));
/// assert_eq!(s.name, "records");
/// assert_eq!(s.to_string(), "bronze.records{resource_type=Patient}");
/// assert!("bronze.records{resource_type}".parse::<MetricSelector>().is_err());
/// # Ok::<(), steadfast_validation::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSelector {
    /// The step; `None` (written without a step, or `*.`) sums every step.
    pub step: Option<String>,
    /// The metric name.
    pub name: String,
    /// Labels the series must carry.
    pub labels: Vec<(String, String)>,
    /// What to take of a histogram.
    pub aggregate: Aggregate,
}

impl FromStr for MetricSelector {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let invalid = |problem: String| Error::InvalidSelector {
            text: text.to_owned(),
            problem,
        };
        let (body, aggregate) = match text.rsplit_once(':') {
            Some((body, agg)) if !agg.contains('}') => {
                let aggregate = match agg {
                    "count" => Aggregate::Count,
                    "sum" => Aggregate::Value,
                    "mean" => Aggregate::Mean,
                    "min" => Aggregate::Min,
                    "max" => Aggregate::Max,
                    other => {
                        return Err(invalid(format!(
                            "unknown aggregate ':{other}' in metric {text:?}; use :count, :sum, :mean, :min or :max"
                        )));
                    }
                };
                (body, aggregate)
            }
            _ => (text, Aggregate::Value),
        };
        let (series, labels) = match body.split_once('{') {
            Some((series, rest)) => {
                let Some(inner) = rest.strip_suffix('}') else {
                    return Err(invalid(format!(
                        "metric {text:?} opens `{{` without closing it; write name{{label=value}}"
                    )));
                };
                let mut labels = Vec::new();
                for pair in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let Some((k, v)) = pair.split_once('=') else {
                        return Err(invalid(format!(
                            "label {pair:?} in metric {text:?} has no value; write label=value"
                        )));
                    };
                    labels.push((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()));
                }
                labels.sort();
                (series, labels)
            }
            None => (body, Vec::new()),
        };
        let (step, name) = match series.split_once('.') {
            Some(("*", name)) => (None, name),
            Some((step, name)) => (Some(step.to_owned()), name),
            None => (None, series),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !valid(name) || step.as_deref().is_some_and(|s| !valid(s)) {
            return Err(invalid(format!(
                "invalid metric {text:?}; write [step.]name[{{label=value}}][:aggregate], like bronze.records{{resource_type=Patient}}"
            )));
        }
        Ok(Self {
            step,
            name: name.to_owned(),
            labels,
            aggregate,
        })
    }
}

impl fmt::Display for MetricSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(step) = &self.step {
            write!(f, "{step}.")?;
        }
        f.write_str(&self.name)?;
        if !self.labels.is_empty() {
            let pairs: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            write!(f, "{{{}}}", pairs.join(","))?;
        }
        match self.aggregate {
            Aggregate::Value => Ok(()),
            Aggregate::Count => f.write_str(":count"),
            Aggregate::Mean => f.write_str(":mean"),
            Aggregate::Min => f.write_str(":min"),
            Aggregate::Max => f.write_str(":max"),
        }
    }
}

impl MetricSelector {
    /// The selected value of a run's totals; `None` when no series matches.
    pub fn evaluate(&self, totals: &MetricTotals) -> Option<f64> {
        let mut value = 0.0;
        let mut count = 0u64;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        let mut matched = false;
        for (key, total) in &totals.series {
            if key.name != self.name
                || self.step.as_ref().is_some_and(|s| *s != key.step)
                || !self
                    .labels
                    .iter()
                    .all(|want| key.labels.iter().any(|have| have == want))
            {
                continue;
            }
            matched = true;
            value += total.value;
            if total.kind == Kind::Histogram {
                count += total.count;
                if total.count > 0 {
                    min = min.min(total.min);
                    max = max.max(total.max);
                }
            }
        }
        if !matched {
            return None;
        }
        #[allow(
            clippy::cast_precision_loss,
            reason = "observation counts stay far below 2^52"
        )]
        let count_f = count as f64;
        Some(match self.aggregate {
            Aggregate::Value => value,
            Aggregate::Count => count_f,
            Aggregate::Mean if count > 0 => value / count_f,
            Aggregate::Mean => 0.0,
            Aggregate::Min if min.is_finite() => min,
            Aggregate::Max if max.is_finite() => max,
            Aggregate::Min | Aggregate::Max => 0.0,
        })
    }
}
