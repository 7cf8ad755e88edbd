//! How a check is registered: its name (`component:measurement`), groups, criticality,
//! timeout, freshness (TTL or a background interval) and damping.

use std::sync::Arc;
use std::time::Duration;

use crate::Check;

/// A probe group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// `/health/live`: is the process itself alive? Never external systems.
    Live,
    /// `/health/ready`: can it take work now? Dependencies belong here.
    Ready,
    /// `/health/startup`: has it finished starting?
    Startup,
    /// A group of your own.
    Custom(String),
}

/// One check with its options. Defaults: group ready, critical, timeout 2 s, TTL 5 s,
/// `max_stale` 3 × the longer of its refresh period (interval, else TTL) and its timeout,
/// no damping. Timeout, TTL and
/// `max_stale` left unset take the registry's defaults ([`HealthRegistry::from_config`](crate::HealthRegistry::from_config)).
///
/// ```
/// use std::time::Duration;
/// use steadfast_healthcheck::{CheckOutput, Group, Registration};
///
/// let r = Registration::new("fhir:responseTime", || async { CheckOutput::pass() })
///     .groups([Group::Ready])
///     .critical(false)
///     .timeout(Duration::from_secs(1))
///     .interval(Duration::from_secs(30))
///     .max_stale(Duration::from_secs(90))
///     .damping(3, 2);
/// assert_eq!(r.name(), "fhir:responseTime");
/// ```
#[derive(Clone)]
pub struct Registration {
    pub(crate) name: String,
    pub(crate) check: Arc<dyn Check>,
    pub(crate) groups: Vec<Group>,
    pub(crate) critical: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) max_stale: Option<Duration>,
    pub(crate) interval: Option<Duration>,
    pub(crate) fail_after: u32,
    pub(crate) pass_after: u32,
    pub(crate) fail_open: bool,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("groups", &self.groups)
            .field("critical", &self.critical)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// `check` under `name`, `component:measurement` as the IETF draft names checks
    /// (`postgres:connections`, `disk:utilization`).
    pub fn new(name: impl Into<String>, check: impl Check) -> Self {
        Self {
            name: name.into(),
            check: Arc::new(check),
            groups: vec![Group::Ready],
            critical: true,
            timeout: None,
            ttl: None,
            max_stale: None,
            interval: None,
            fail_after: 1,
            pass_after: 1,
            fail_open: false,
        }
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The groups it answers for (default: ready).
    #[must_use]
    pub fn groups(mut self, groups: impl IntoIterator<Item = Group>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }

    /// Critical (default): a failure fails the group. Non-critical: a failure only warns.
    #[must_use]
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Longest a run may take; longer is a `fail` with output "timed out" (default 2 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long a result is fresh; an older one is served while a single refresh runs
    /// (stale-while-revalidate; default 5 s).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The oldest a result may be served: past it the check reports `fail` with output
    /// "result too old", so a stuck refresher (a hung run, a starved runtime, a timer that
    /// died) never leaves a `pass` up forever. An interval check's result ages from its run;
    /// a TTL check refreshes only when probed, so its result counts as due when the TTL
    /// passed *and* a probe asked, and is too old `max_stale − ttl` after that. Default:
    /// 3 × the longer of the refresh period (interval, else TTL) and the timeout.
    #[must_use]
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = Some(max_stale);
        self
    }

    /// Refresh on a background timer instead (with up to 10% jitter); probes never run it.
    #[must_use]
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval = Some(every);
        self
    }

    /// Damping against flapping: report `fail` only after `fail_after` consecutive failures,
    /// and `pass` again only after `pass_after` consecutive passes.
    #[must_use]
    pub fn damping(mut self, fail_after: u32, pass_after: u32) -> Self {
        self.fail_after = fail_after.max(1);
        self.pass_after = pass_after.max(1);
        self
    }

    /// For a dependency shared by the whole fleet: a failure is reported as `warn`, so a
    /// shared outage does not pull every instance out of rotation at once.
    #[must_use]
    pub fn fail_open(mut self, yes: bool) -> Self {
        self.fail_open = yes;
        self
    }
}
