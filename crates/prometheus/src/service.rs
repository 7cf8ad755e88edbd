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
/// A response cache answering less than this share of its requests (feature `cache`) has
/// stopped helping: keys that never repeat, a TTL too short, an evicting capacity.
///
/// ```
/// let thresholds = steadfast_validation::Thresholds::default();
/// let rules = steadfast_prometheus::alert_rules(&steadfast_prometheus::AlertInputs::new(&thresholds));
/// assert!(rules.contains("alert: SteadfastCacheHitRatioLow"));
/// assert!(rules.contains(&format!("< {}", steadfast_prometheus::CACHE_HIT_RATIO)));
/// ```
#[cfg(feature = "cache")]
pub const CACHE_HIT_RATIO: f64 = 0.5;

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
        #[cfg(feature = "cache")]
        cache_hit_ratio(p),
    ]
}

/// A steadfast-cache answering less than [`CACHE_HIT_RATIO`] of its requests over 15
/// minutes, while it has traffic (over one request in ten seconds).
#[cfg(feature = "cache")]
fn cache_hit_ratio(p: &steadfast_core::Prefix) -> Alert {
    use steadfast_cache::series;
    let by = "sum by (job, instance)";
    let requests = format!("{by} (rate({}[15m]))", p.name(series::CACHE_REQUESTS_TOTAL));
    Alert {
        name: "SteadfastCacheHitRatioLow".to_owned(),
        expr: format!(
            "({by} (rate({}[15m])) + {by} (rate({}[15m]))) / {requests} < {CACHE_HIT_RATIO} and {requests} > 0.1",
            p.name(series::CACHE_HITS_TOTAL),
            p.name(series::CACHE_STALE_TOTAL),
        ),
        for_: "15m",
        severity: "warning",
        summary: "the response cache has answered less than half of its requests for 15 minutes"
            .to_owned(),
        labels: Vec::new(),
    }
}
