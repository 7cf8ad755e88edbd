//! FHIR `OperationOutcome` classification by issue code, combined with the HTTP status.

use std::time::SystemTime;

use crate::classify::Decision;
use crate::http::classify_http_at;

/// Issue codes that mean "try again later".
const TRANSIENT: &[&str] = &[
    "transient",
    "throttled",
    "timeout",
    "lock-error",
    "exception",
    "incomplete",
];

/// Classifies a FHIR `OperationOutcome` by the codes of its `error` and `fatal` issues:
/// `transient`, `throttled`, `timeout`, `lock-error`, `exception` and `incomplete` retry;
/// any other code (`invalid`, `structure`, `required`, `security`, `forbidden`,
/// `not-found`, `business-rule`, `conflict`, …) stops, and a stop wins over a retry.
/// `None` when `body` is not an `OperationOutcome` or has no error issues, so the caller
/// falls back to the HTTP status.
///
/// ```
/// use steadfast_retry::{Decision, classify_operation_outcome};
///
/// let oo = serde_json::json!({
///     "resourceType": "OperationOutcome",
///     "issue": [{"severity": "error", "code": "throttled"}]
/// });
/// assert_eq!(classify_operation_outcome(&oo), Some(Decision::Retry));
/// ```
pub fn classify_operation_outcome(body: &serde_json::Value) -> Option<Decision> {
    if body.get("resourceType")?.as_str()? != "OperationOutcome" {
        return None;
    }
    let mut decision = None;
    for issue in body.get("issue")?.as_array()? {
        let severity = issue
            .get("severity")
            .and_then(|s| s.as_str())
            .unwrap_or("error");
        if !matches!(severity, "error" | "fatal") {
            continue;
        }
        let code = issue.get("code").and_then(|c| c.as_str()).unwrap_or("");
        if TRANSIENT.contains(&code) {
            decision.get_or_insert(Decision::Retry);
        } else {
            return Some(Decision::Stop);
        }
    }
    decision
}

/// Classifies a FHIR server's error response: the `OperationOutcome` in the body when it is
/// conclusive, else the HTTP status; `Retry-After` is honoured either way.
///
/// ```
/// use steadfast_retry::{Decision, classify_fhir_response};
///
/// // A 500 whose OperationOutcome says the request is invalid: retrying will not help.
/// let oo = serde_json::json!({"resourceType": "OperationOutcome",
///     "issue": [{"severity": "error", "code": "invalid"}]});
/// assert_eq!(classify_fhir_response(500, None, Some(&oo)), Decision::Stop);
/// assert_eq!(classify_fhir_response(503, None, None), Decision::Retry);
/// ```
pub fn classify_fhir_response(
    status: u16,
    retry_after: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Decision {
    let by_status = classify_http_at(status, retry_after, SystemTime::now());
    match body.and_then(classify_operation_outcome) {
        Some(Decision::Stop) => Decision::Stop,
        // The body says transient: keep the server's Retry-After if it gave one.
        Some(_) => match by_status {
            Decision::RetryAfter(d) => Decision::RetryAfter(d),
            _ => Decision::Retry,
        },
        None => by_status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oo(issues: serde_json::Value) -> serde_json::Value {
        json!({"resourceType": "OperationOutcome", "issue": issues})
    }

    #[test]
    fn codes() {
        for code in TRANSIENT {
            let body = oo(json!([{"severity": "error", "code": code}]));
            assert_eq!(
                classify_operation_outcome(&body),
                Some(Decision::Retry),
                "{code}"
            );
        }
        for code in [
            "invalid",
            "not-found",
            "forbidden",
            "security",
            "business-rule",
            "conflict",
        ] {
            let body = oo(json!([{"severity": "fatal", "code": code}]));
            assert_eq!(
                classify_operation_outcome(&body),
                Some(Decision::Stop),
                "{code}"
            );
        }
    }

    #[test]
    fn stop_wins_and_warnings_do_not_count() {
        let mixed = oo(json!([
            {"severity": "error", "code": "transient"},
            {"severity": "error", "code": "invalid"}
        ]));
        assert_eq!(classify_operation_outcome(&mixed), Some(Decision::Stop));
        let warn_only = oo(json!([{"severity": "warning", "code": "invalid"}]));
        assert_eq!(classify_operation_outcome(&warn_only), None);
        assert_eq!(
            classify_operation_outcome(&json!({"resourceType": "Patient"})),
            None
        );
        assert_eq!(classify_operation_outcome(&json!([1, 2])), None);
    }

    #[test]
    fn body_and_status_combine() {
        let throttled = oo(json!([{"severity": "error", "code": "throttled"}]));
        assert_eq!(
            classify_fhir_response(429, Some("3"), Some(&throttled)),
            Decision::RetryAfter(std::time::Duration::from_secs(3))
        );
        // A 400 whose body says transient (some servers do this for lock errors).
        let lock = oo(json!([{"severity": "error", "code": "lock-error"}]));
        assert_eq!(
            classify_fhir_response(400, None, Some(&lock)),
            Decision::Retry
        );
        assert_eq!(classify_fhir_response(404, None, None), Decision::Stop);
    }
}
