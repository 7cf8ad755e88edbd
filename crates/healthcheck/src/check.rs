//! The [`Check`] trait and what a check reports, in the IETF health-check draft's terms.

use std::future::Future;
use std::pin::Pin;

use std::collections::BTreeMap;

use serde::Serialize;
use steadfast_core::Status;

/// A boxed future, as checks return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one check run observed.
///
/// `output` is a short phrase from a fixed vocabulary (see [`CheckOutput::fail`]) and is
/// the only text the public body may show; `details` can carry more and are shown only
/// to authorised callers. Never put raw driver errors or data values in either.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckOutput {
    /// pass, warn or fail.
    pub status: Status,
    /// The measurement (`0.83` of the disk used, `12` ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_value: Option<f64>,
    /// Its unit (`percent`, `ms`, `bytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_unit: Option<&'static str>,
    /// A fixed phrase saying why, for failures and warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<&'static str>,
    /// More measurements under fixed names (`idle`, `waiting`), shown only to authorised
    /// callers. Numbers only, so no driver message or data value can travel here.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<&'static str, f64>,
}

impl CheckOutput {
    /// Passed.
    pub fn pass() -> Self {
        Self {
            status: Status::Pass,
            observed_value: None,
            observed_unit: None,
            output: None,
            details: BTreeMap::new(),
        }
    }

    /// Warned, for `reason` (a fixed phrase: `"above warning threshold"`).
    pub fn warn(reason: &'static str) -> Self {
        Self {
            status: Status::Warn,
            output: Some(reason),
            ..Self::pass()
        }
    }

    /// Failed, for `reason` (a fixed phrase: `"connection refused"`, `"timed out"`).
    pub fn fail(reason: &'static str) -> Self {
        Self {
            status: Status::Fail,
            output: Some(reason),
            ..Self::pass()
        }
    }

    /// With a measurement.
    #[must_use]
    pub fn observed(mut self, value: f64, unit: &'static str) -> Self {
        self.observed_value = Some(value);
        self.observed_unit = Some(unit);
        self
    }

    /// With one more measurement in `details`.
    ///
    /// ```
    /// use steadfast_healthcheck::CheckOutput;
    /// let out = CheckOutput::pass().detail("idle", 3.0);
    /// assert_eq!(out.details["idle"], 3.0);
    /// ```
    #[must_use]
    pub fn detail(mut self, name: &'static str, value: f64) -> Self {
        self.details.insert(name, value);
        self
    }
}

/// One component check. Implement it, or pass a closure returning a future.
///
/// ```
/// use steadfast_healthcheck::{Check, CheckOutput};
///
/// let always_up = || async { CheckOutput::pass() };
/// # let _ = &always_up as &dyn Check;
/// ```
pub trait Check: Send + Sync + 'static {
    /// Runs the check once. The registry bounds it by the registration's timeout and turns
    /// a panic into a `fail`.
    fn check(&self) -> BoxFuture<'_, CheckOutput>;

    /// Whether the check touches a system outside the process (a database, an EHR API).
    /// External checks are refused in the liveness group: a restart cannot fix them.
    fn is_external(&self) -> bool {
        false
    }
}

impl<F, Fut> Check for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckOutput> + Send + 'static,
{
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(self())
    }
}

/// Marks a check as external (see [`Check::is_external`]).
///
/// ```
/// use steadfast_healthcheck::{Check, CheckOutput, External};
/// let db = External(|| async { CheckOutput::pass() });
/// assert!(db.is_external());
/// ```
#[derive(Debug, Clone)]
pub struct External<C>(pub C);

impl<C: Check> Check for External<C> {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        self.0.check()
    }

    fn is_external(&self) -> bool {
        true
    }
}
