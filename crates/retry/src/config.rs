//! The `[retry]` configuration section and the policy, breaker and budget it builds.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;

use crate::breaker::CircuitBreaker;
use crate::budget::RetryBudget;
use crate::error::Error;
use crate::jitter::Jitter;
use crate::policy::RetryPolicy;

/// The jitter named in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JitterKind {
    /// No jitter.
    None,
    /// Uniform in `[0, b]`.
    Full,
    /// `b/2 + uniform[0, b/2]`.
    Equal,
    /// AWS's decorrelated jitter.
    Decorrelated,
    /// `b × (1 ± randomization_factor)`.
    #[default]
    Randomized,
}

/// `[retry]`: the backoff policy. Defaults are those of the `backoff` crate's
/// `ExponentialBackoff`, so a migrating pipeline keeps its behaviour.
///
/// ```
/// let cfg: steadfast_retry::RetryConfig = toml::from_str(r#"
///     initial_interval = "200ms"
///     max_retries = 5
///     [breaker]
///     open_duration = "1m"
/// "#)?;
/// let policy = cfg.policy()?;
/// assert_eq!(policy.delays().count(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// First delay. Default `500ms`.
    pub initial_interval: HumanDuration,
    /// Growth per retry, ≥ 1. Default `1.5`.
    pub multiplier: f64,
    /// Spread of the `randomized` jitter, in `[0, 1]`. Default `0.5`.
    pub randomization_factor: f64,
    /// `none`, `full`, `equal`, `decorrelated` or `randomized`. Default `randomized`.
    pub jitter: JitterKind,
    /// Longest single delay. Default `60s`.
    pub max_interval: HumanDuration,
    /// Give up rather than wait past this since the first failure; `"0s"` for none.
    /// Default `15m`.
    pub max_elapsed: HumanDuration,
    /// At most this many retries; unset for no limit but `max_elapsed`. Default unset.
    pub max_retries: Option<u32>,
    /// Longest `Retry-After` honoured; unset means `max_interval`.
    pub max_retry_after: Option<HumanDuration>,
    /// Timeout of each async attempt; unset for none.
    pub attempt_timeout: Option<HumanDuration>,
    /// `[retry.breaker]`.
    pub breaker: BreakerConfig,
    /// `[retry.budget]`.
    pub budget: BudgetConfig,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            initial_interval: HumanDuration::from_millis(500),
            multiplier: 1.5,
            randomization_factor: 0.5,
            jitter: JitterKind::Randomized,
            max_interval: HumanDuration::from_secs(60),
            max_elapsed: HumanDuration::from_secs(15 * 60),
            max_retries: None,
            max_retry_after: None,
            attempt_timeout: None,
            breaker: BreakerConfig::default(),
            budget: BudgetConfig::default(),
        }
    }
}

/// `[retry.breaker]`: the circuit breaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Use a breaker at all. Default `true`.
    pub enabled: bool,
    /// Trip after this many failures in a row; 0 turns it off. Default `5`.
    pub consecutive_failures: u32,
    /// Trip at this failure rate over the window, in `[0, 1]`. Default `0.5`.
    pub failure_rate: f64,
    /// Calls in the sliding window. Default `20`.
    pub window: usize,
    /// Calls needed before the rate is judged. Default `10`.
    pub minimum_calls: usize,
    /// How long it stays open. Default `30s`.
    pub open_duration: HumanDuration,
    /// Probes let through when half-open. Default `1`.
    pub half_open_calls: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive_failures: 5,
            failure_rate: 0.5,
            window: 20,
            minimum_calls: 10,
            open_duration: HumanDuration::from_secs(30),
            half_open_calls: 1,
        }
    }
}

/// `[retry.budget]`: the shared retry budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Use a budget at all. Default `true`.
    pub enabled: bool,
    /// Retries allowed as a fraction of calls. Default `0.2`.
    pub ratio: f64,
    /// Retries per second always allowed. Default `10`.
    pub min_per_sec: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            ratio: 0.2,
            min_per_sec: 10.0,
        }
    }
}

impl RetryConfig {
    /// Checks every value's range.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first key out of range and what is allowed.
    pub fn validate(&self) -> Result<(), Error> {
        match self.ranges().into_iter().find(|r| !r.ok) {
            Some(r) => Err(Error::InvalidConfig {
                key: r.key,
                value: r.value,
                expected: r.expected,
            }),
            None => Ok(()),
        }
    }

    /// Every range this section must keep, judged: the one list behind both
    /// [`RetryConfig::validate`] (first failure) and `Config::check` (all failures).
    fn ranges(&self) -> [Range; 9] {
        let b = &self.breaker;
        [
            Range::new(
                self.multiplier.is_finite() && self.multiplier >= 1.0,
                "multiplier",
                self.multiplier,
                "a number ≥ 1",
            ),
            Range::new(
                (0.0..=1.0).contains(&self.randomization_factor),
                "randomization_factor",
                self.randomization_factor,
                "a number between 0 and 1",
            ),
            Range::new(
                !self.initial_interval.get().is_zero(),
                "initial_interval",
                self.initial_interval,
                "a duration > 0",
            ),
            Range::new(
                self.max_interval >= self.initial_interval,
                "max_interval",
                self.max_interval,
                "a duration ≥ initial_interval",
            ),
            Range::new(
                (0.0..=1.0).contains(&b.failure_rate),
                "breaker.failure_rate",
                b.failure_rate,
                "a number between 0 and 1",
            ),
            Range::new(b.window > 0, "breaker.window", b.window, "at least 1 call"),
            Range::new(
                b.half_open_calls > 0,
                "breaker.half_open_calls",
                b.half_open_calls,
                "at least 1 call",
            ),
            Range::new(
                self.budget.ratio.is_finite() && self.budget.ratio >= 0.0,
                "budget.ratio",
                self.budget.ratio,
                "a number ≥ 0",
            ),
            Range::new(
                self.budget.min_per_sec.is_finite() && self.budget.min_per_sec >= 0.0,
                "budget.min_per_sec",
                self.budget.min_per_sec,
                "a number ≥ 0",
            ),
        ]
    }

    /// The policy this section describes, without breaker or budget (those are shared
    /// objects: build them once with [`RetryConfig::breaker`] and [`RetryConfig::budget`]).
    ///
    /// # Errors
    /// As [`RetryConfig::validate`].
    pub fn policy(&self) -> Result<RetryPolicy, Error> {
        self.validate()?;
        let jitter = match self.jitter {
            JitterKind::None => Jitter::None,
            JitterKind::Full => Jitter::Full,
            JitterKind::Equal => Jitter::Equal,
            JitterKind::Decorrelated => Jitter::Decorrelated,
            JitterKind::Randomized => Jitter::Randomized(self.randomization_factor),
        };
        let max_elapsed = Some(self.max_elapsed.get()).filter(|d| !d.is_zero());
        let mut p = RetryPolicy::exponential()
            .initial_interval(self.initial_interval.get())
            .multiplier(self.multiplier)
            .max_interval(self.max_interval.get())
            .jitter(jitter)
            .max_elapsed(max_elapsed);
        if let Some(n) = self.max_retries {
            p = p.max_retries(n);
        }
        if let Some(d) = self.max_retry_after {
            p = p.max_retry_after(d.get());
        }
        if let Some(d) = self.attempt_timeout {
            p = p.attempt_timeout(d.get());
        }
        Ok(p)
    }

    /// The breaker this section describes, if enabled.
    pub fn breaker(&self) -> Option<CircuitBreaker> {
        let b = &self.breaker;
        b.enabled.then(|| {
            CircuitBreaker::builder()
                .consecutive_failures(b.consecutive_failures)
                .failure_rate(b.failure_rate)
                .window(b.window)
                .minimum_calls(b.minimum_calls)
                .open_duration(b.open_duration.get())
                .half_open_calls(b.half_open_calls)
                .build()
        })
    }

    /// The budget this section describes, if enabled.
    pub fn budget(&self) -> Option<RetryBudget> {
        self.budget
            .enabled
            .then(|| RetryBudget::new(self.budget.ratio, self.budget.min_per_sec))
    }
}

/// One range check of a key: whether it holds, and what to say when it does not.
struct Range {
    ok: bool,
    key: &'static str,
    value: String,
    expected: &'static str,
}

impl Range {
    fn new(ok: bool, key: &'static str, value: impl ToString, expected: &'static str) -> Self {
        Self {
            ok,
            key,
            value: value.to_string(),
            expected,
        }
    }
}

/// Loaded as `[retry]` through `steadfast_core::config::Loader`: every range of
/// [`RetryConfig::validate`], all reported at once.
impl steadfast_core::config::Config for RetryConfig {
    fn check(&self, problems: &mut steadfast_core::config::Problems) {
        for r in self.ranges().into_iter().filter(|r| !r.ok) {
            let leaf = r.key.rsplit('.').next().unwrap_or(r.key);
            problems.error(
                r.key,
                format!(
                    "{} is out of range for {leaf}: expected {}",
                    r.value, r.expected
                ),
            );
        }
    }
}
