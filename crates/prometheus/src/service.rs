//! A service's own alerts, over steadfast-healthcheck's series: a health check failing, a
//! connection pool saturated, p95 request latency by route, process memory against its
//! limit.

use crate::rule::Alert;

/// A pool with more than this share of its connections in use is saturated.
///
/// ```
/// let thresholds = steadfast_validation::Thresholds::default();
/// let rules = steadfast_prometheus::alert_rules(&steadfast_prometheus::AlertInputs::new(&thresholds));
/// assert!(rules.contains(&format!("> {}", steadfast_prometheus::POOL_SATURATION)));
/// ```
pub const POOL_SATURATION: f64 = 0.9;
/// A p95 request latency above this many seconds is too slow.
pub const REQUEST_LATENCY_P95_SECONDS: f64 = 1.0;
/// A process using more than this share of its memory limit is near an OOM kill.
pub const PROCESS_MEMORY_SHARE: f64 = 0.8;

/// The service's own alerts, over steadfast-healthcheck's series (named by its constants,
/// so a renamed series breaks this build): a check failing, pool saturation, p95 request
/// latency by route, process memory against its cgroup or machine limit.
pub(crate) fn alerts(p: &steadfast_core::Prefix) -> Vec<Alert> {
    use steadfast_healthcheck::series;
    let alert = |n: &str, expr: String, summary: &str| Alert {
        name: n.to_owned(),
        expr,
        for_: "5m",
        severity: "warning",
        summary: summary.to_owned(),
        labels: Vec::new(),
    };
    let by_pool = "sum by (job, instance, pool)";
    vec![
        Alert {
            name: "SteadfastHealthCheckFailing".to_owned(),
            expr: format!(
                "{}{{status=\"fail\"}} == 1",
                p.name(series::HEALTH_CHECK_STATUS)
            ),
            for_: "2m",
            severity: "critical",
            summary: "a health check is failing".to_owned(),
            labels: Vec::new(),
        },
        alert(
            "SteadfastPoolSaturated",
            format!(
                "{by_pool} ({}{{state=\"in_use\"}}) / {by_pool} ({}) > {POOL_SATURATION}",
                p.name(series::POOL_CONNECTIONS),
                p.name(series::POOL_MAX_CONNECTIONS),
            ),
            "a connection pool has had more than 90% of its connections in use for 5 minutes",
        ),
        alert(
            "SteadfastRequestLatencyHigh",
            format!(
                "histogram_quantile(0.95, sum by (job, instance, listener, route, le) (rate({}_bucket[5m]))) > {REQUEST_LATENCY_P95_SECONDS}",
                p.name(series::HTTP_REQUEST_DURATION_SECONDS),
            ),
            "a route's p95 latency has been above 1s for 5 minutes",
        ),
        alert(
            "SteadfastProcessMemoryHigh",
            format!(
                "{} / {} > {PROCESS_MEMORY_SHARE}",
                p.name(series::PROCESS_RESIDENT_MEMORY_BYTES),
                p.name(series::PROCESS_MEMORY_LIMIT_BYTES),
            ),
            "the process has used more than 80% of its memory limit for 5 minutes",
        ),
    ]
}
