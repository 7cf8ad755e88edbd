//! Feature `db`: the `steadfast-db` group — statement error rate and p95 statement latency
//! over steadfast-db's series (named by its constants, so a renamed series breaks this
//! build), by fingerprint id.

use crate::rule::Alert;

/// A statement failing more than this share of its calls over 10 minutes raises
/// `SteadfastStatementErrorRateHigh`.
///
/// ```
/// let thresholds = steadfast_validation::Thresholds::default();
/// let rules = steadfast_prometheus::alert_rules(&steadfast_prometheus::AlertInputs::new(&thresholds));
/// assert!(rules.contains("alert: SteadfastStatementErrorRateHigh"));
/// assert!(rules.contains(&format!("> {}", steadfast_prometheus::STATEMENT_ERROR_RATE)));
/// ```
pub const STATEMENT_ERROR_RATE: f64 = 0.05;
/// A statement whose p95 call time is above this many seconds over 10 minutes raises
/// `SteadfastStatementLatencyHigh`.
pub const STATEMENT_LATENCY_P95_SECONDS: f64 = 0.5;

/// The `steadfast-db` group's alerts.
pub(crate) fn alerts(p: &steadfast_core::Prefix) -> Vec<Alert> {
    use steadfast_db::series;
    let by = format!("sum by (job, instance, {})", series::STATEMENT);
    let calls = format!("{by} (rate({}[10m]))", p.name(series::DB_STATEMENTS_TOTAL));
    vec![
        Alert {
            name: "SteadfastStatementErrorRateHigh".to_owned(),
            expr: format!(
                "{by} (rate({}[10m])) / {calls} > {STATEMENT_ERROR_RATE} and {calls} > 0.01",
                p.name(series::DB_STATEMENT_ERRORS_TOTAL),
            ),
            for_: "10m",
            severity: "warning",
            summary: "a database statement has failed more than 5% of its calls for 10 minutes"
                .to_owned(),
            labels: Vec::new(),
        },
        Alert {
            name: "SteadfastStatementLatencyHigh".to_owned(),
            expr: format!(
                "histogram_quantile(0.95, sum by (job, instance, {}, le) (rate({}_bucket[10m]))) > {STATEMENT_LATENCY_P95_SECONDS}",
                series::STATEMENT,
                p.name(series::DB_STATEMENT_DURATION_SECONDS),
            ),
            for_: "10m",
            severity: "warning",
            summary: "a database statement's p95 call time has been above 500ms for 10 minutes"
                .to_owned(),
            labels: Vec::new(),
        },
    ]
}
