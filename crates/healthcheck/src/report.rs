//! [`HealthReport`]: the body of `/health` and friends in the IETF health-check draft's shape
//! (`application/health+json`), with reasons withheld unless details are allowed.

use std::collections::BTreeMap;

use serde::Serialize;
use steadfast_core::{Status, Timestamp};

use crate::CheckOutput;

/// One check's latest result, as reported: what the check observed — its status after
/// damping, criticality and fail-open — and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// Status, observed value and unit, and the fixed-vocabulary reason; without details
    /// the value and details are dropped and the reason reads `reason withheld`.
    #[serde(flatten)]
    pub result: CheckOutput,
    /// When the result was observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// The health of a group of checks.
///
/// ```
/// use steadfast_healthcheck::HealthReport;
/// use steadfast_core::Status;
///
/// let empty = HealthReport::default();
/// assert_eq!(empty.status, Status::Pass);
/// assert_eq!(empty.http_status(), 200);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// The worst status that counts.
    pub status: Status,
    /// The service's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The service's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// Why the whole is not passing, from a fixed vocabulary (`shutting down`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<&'static str>,
    /// Each check's result under its name, as the draft's arrays.
    pub checks: BTreeMap<String, Vec<CheckReport>>,
    /// Remarks on the request, as the draft's `notes` (`no check named "x" to exclude`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl HealthReport {
    /// 200 for pass and warn, 503 for fail.
    pub fn http_status(&self) -> u16 {
        if self.status == Status::Fail {
            503
        } else {
            200
        }
    }

    /// The same report for a caller who may not see details: observed values and reasons
    /// are withheld; a failing or warning check says only `reason withheld`.
    #[must_use]
    pub fn public(&self) -> Self {
        let mut out = self.clone();
        for results in out.checks.values_mut() {
            for r in results {
                r.result.observed_value = None;
                r.result.observed_unit = None;
                r.result.details.clear();
                if r.result.output.is_some() {
                    r.result.output = Some("reason withheld");
                }
            }
        }
        out
    }

    /// The body as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
