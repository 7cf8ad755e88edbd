//! A service's own alerts, over steadfast-healthcheck's series: a connection pool
//! saturated, p95 request latency by route, process memory against its limit.

use super::Alert;

/// A pool with more than this share of its connections in use is saturated.
pub const POOL_SATURATION: f64 = 0.9;
/// A p95 request latency above this many seconds is too slow.
pub const REQUEST_LATENCY_P95_SECONDS: f64 = 1.0;
/// A process using more than this share of its memory limit is near an OOM kill.
pub const PROCESS_MEMORY_SHARE: f64 = 0.8;

/// The service's own alerts, over steadfast-healthcheck's series (named by its constants,
/// so a renamed series breaks this build): pool saturation, p95 request latency by route,
/// process memory against its cgroup or machine limit.
pub(super) fn alerts(p: &str) -> Vec<Alert> {
    use steadfast_healthcheck::series::{self, name};
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
        alert(
            "SteadfastPoolSaturated",
            format!(
                "{by_pool} ({}{{state=\"in_use\"}}) / {by_pool} ({}) > {POOL_SATURATION}",
                name(p, series::POOL_CONNECTIONS),
                name(p, series::POOL_MAX_CONNECTIONS),
            ),
            "a connection pool has had more than 90% of its connections in use for 5 minutes",
        ),
        alert(
            "SteadfastRequestLatencyHigh",
            format!(
                "histogram_quantile(0.95, sum by (job, instance, listener, route, le) (rate({}_bucket[5m]))) > {REQUEST_LATENCY_P95_SECONDS}",
                name(p, series::HTTP_REQUEST_DURATION_SECONDS),
            ),
            "a route's p95 latency has been above 1s for 5 minutes",
        ),
        alert(
            "SteadfastProcessMemoryHigh",
            format!(
                "{} / {} > {PROCESS_MEMORY_SHARE}",
                name(p, series::PROCESS_RESIDENT_MEMORY_BYTES),
                name(p, series::PROCESS_MEMORY_LIMIT_BYTES),
            ),
            "the process has used more than 80% of its memory limit for 5 minutes",
        ),
    ]
}
