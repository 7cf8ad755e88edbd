//! The standard alerts every pipeline run wants: disk filling or at flood stage, circuit
//! breaker open, retries exhausted, the run failing validation, a profiler SLO breached —
//! each over a series a `Run` registers.

use steadfast_diskwatch::series::{DISK_LEVEL, DISK_PREDICTED_SECONDS_TO_FULL};
use steadfast_perf_profiler::series::PROFILER_COMPONENT_SECONDS;
use steadfast_retry::series::{RETRY_CIRCUIT_STATE, RETRY_GIVE_UPS_TOTAL};
use steadfast_validation::series::RUN_VALIDATION_FAILED;

use crate::inputs::AlertInputs;
use crate::rule::{Alert, label_value};

/// The standard alerts for `inputs` (prefix, disk horizon, profiler SLOs).
pub(crate) fn standard(inputs: &AlertInputs<'_>) -> Vec<Alert> {
    let p = &inputs.prefix;
    let a = |name: &str, expr: String, for_, severity, summary: &str| Alert {
        name: name.to_owned(),
        expr,
        for_,
        severity,
        summary: summary.to_owned(),
        labels: Vec::new(),
    };
    let horizon = inputs.disk_horizon.as_secs();
    let mut out = vec![
        a(
            "SteadfastDiskFullSoon",
            format!("{} < {horizon}", p.name(DISK_PREDICTED_SECONDS_TO_FULL)),
            "10m",
            "warning",
            "a disk is predicted full within the horizon",
        ),
        a(
            "SteadfastDiskHighWatermark",
            format!("{} == 2", p.name(DISK_LEVEL)),
            "5m",
            "warning",
            "a disk is above its high watermark",
        ),
        a(
            "SteadfastDiskFloodStage",
            format!("{} >= 3", p.name(DISK_LEVEL)),
            "0m",
            "critical",
            "a disk is at flood stage: new work is refused",
        ),
        a(
            "SteadfastCircuitOpen",
            format!("{} == 1", p.name(RETRY_CIRCUIT_STATE)),
            "5m",
            "warning",
            "a circuit breaker has been open for 5 minutes",
        ),
        a(
            "SteadfastRetriesExhausted",
            format!("increase({}[15m]) > 0", p.name(RETRY_GIVE_UPS_TOTAL)),
            "0m",
            "warning",
            "operations gave up after their retries",
        ),
        a(
            "SteadfastValidationFailed",
            format!("{} == 1", p.name(RUN_VALIDATION_FAILED)),
            "0m",
            "critical",
            "the last run failed validation",
        ),
    ];
    for slo in inputs.slos {
        let q = slo.percentile / 100.0;
        if ![0.5, 0.9, 0.95, 0.99].iter().any(|x| (x - q).abs() < 1e-9) {
            continue;
        }
        out.push(Alert {
            name: "SteadfastProfilerSloBreached".to_owned(),
            expr: format!(
                "{}{{component=\"{}\",quantile=\"{q}\"}} > {}",
                p.name(PROFILER_COMPONENT_SECONDS),
                label_value(&slo.component),
                slo.target.get().as_secs_f64()
            ),
            for_: "5m",
            severity: "warning",
            summary: format!("{} p{} above {}", slo.component, slo.percentile, slo.target),
            labels: vec![("component", slo.component.clone())],
        });
    }
    out
}
