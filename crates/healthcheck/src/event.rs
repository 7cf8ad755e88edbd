//! [`StatusChange`]: one damped status change of a check, as [`Health::subscribe`](crate::Health::subscribe)
//! delivers it.

use steadfast_core::Status;

/// A check's reported (damped) status changed — or, first on a new subscription, what it
/// is now (`previous` is then `None`).
///
/// ```
/// use steadfast_core::Status;
/// use steadfast_healthcheck::StatusChange;
///
/// let change = StatusChange { check: "db:ping".into(), status: Status::Fail, previous: Some(Status::Pass) };
/// assert!(change.to_string().contains("pass → fail"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The check's name.
    pub check: String,
    /// Its status now (`fail` once its result is too old).
    pub status: Status,
    /// Its status before, as last delivered (`None` on the first event of a subscription
    /// or a check's first result).
    pub previous: Option<Status>,
}

impl std::fmt::Display for StatusChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.previous {
            Some(before) => write!(
                f,
                "{}: {} → {}",
                self.check,
                before.as_str(),
                self.status.as_str()
            ),
            None => write!(f, "{}: {}", self.check, self.status.as_str()),
        }
    }
}
