//! The `[retry]` configuration section and the policy, breaker and budget it builds.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{
    Documented, KeySpec, Measure, ValueType, serde_variants, table,
};

use crate::breaker::{CircuitBreaker, CircuitBreakerBuilder};
use crate::budget::RetryBudget;
pub use crate::config_breaker::BreakerConfig;
use crate::config_keys as keys;
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
    /// Also write each dead letter's error text (credentials redacted). Default `false`:
    /// a server's error text can carry patient data; the kind, status, resource type and a
    /// keyed hash of the resource id are always kept.
    pub dead_letter_raw_errors: bool,
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
            dead_letter_raw_errors: false,
            breaker: BreakerConfig::default(),
            budget: BudgetConfig::default(),
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
    /// [`RetryConfig::validate`] (first failure) and `Config::check` (all failures); the
    /// bounds are those of `config_keys.rs`, which the reference documents.
    fn ranges(&self) -> [Range; 13] {
        use keys::{breaker, budget};
        let (b, g) = (&self.breaker, &self.budget);
        [
            Range::spec("multiplier", &keys::MULTIPLIER, self.multiplier),
            Range::spec(
                "randomization_factor",
                &keys::RANDOMIZATION_FACTOR,
                self.randomization_factor,
            ),
            Range::spec(
                "initial_interval",
                &keys::INITIAL_INTERVAL,
                self.initial_interval,
            ),
            Range::new(
                self.max_interval >= self.initial_interval,
                "max_interval",
                self.max_interval,
                "a duration ≥ initial_interval",
            ),
            Range::spec(
                "breaker.failure_rate",
                &breaker::FAILURE_RATE,
                b.failure_rate,
            ),
            Range::spec("breaker.window", &breaker::WINDOW, b.window),
            Range::optional("breaker.time_window", &breaker::TIME_WINDOW, b.time_window),
            Range::optional(
                "breaker.slow_call_duration",
                &breaker::SLOW_CALL_DURATION,
                b.slow_call_duration,
            ),
            Range::spec(
                "breaker.slow_call_rate",
                &breaker::SLOW_CALL_RATE,
                b.slow_call_rate,
            ),
            Range::spec(
                "breaker.half_open_calls",
                &breaker::HALF_OPEN_CALLS,
                b.half_open_calls,
            ),
            Range::optional(
                "breaker.max_wait_in_half_open",
                &breaker::MAX_WAIT_IN_HALF_OPEN,
                b.max_wait_in_half_open,
            ),
            Range::spec("budget.ratio", &budget::RATIO, g.ratio),
            Range::spec("budget.min_per_sec", &budget::MIN_PER_SEC, g.min_per_sec),
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
        self.breaker_builder().map(CircuitBreakerBuilder::build)
    }

    /// The builder of the breaker this section describes, if enabled — `[retry.breaker]`'s
    /// time window, slow-call rule and half-open bound included: add a clock, a listener or
    /// a hook before building it. Ranges are [`RetryConfig::validate`]'s to check (the
    /// builder clamps what it cannot use, such as a `time_window` past `1h`).
    ///
    /// ```
    /// let cfg: steadfast_retry::RetryConfig = toml::from_str("breaker.when_open = \"wait\"")?;
    /// let breaker = cfg.breaker_builder().unwrap().on_state_change(|_, _| {}).build();
    /// assert_eq!(breaker.when_open(), steadfast_retry::WhenOpen::Wait);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn breaker_builder(&self) -> Option<CircuitBreakerBuilder> {
        self.breaker.enabled.then(|| self.breaker.builder())
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
    expected: String,
}

impl Range {
    fn new(ok: bool, key: &'static str, value: impl ToString, expected: &str) -> Self {
        Self {
            ok,
            key,
            value: value.to_string(),
            expected: expected.to_owned(),
        }
    }

    /// The range of `spec` for an optional key: unset always holds.
    fn optional(path: &'static str, spec: &KeySpec, value: Option<HumanDuration>) -> Self {
        match value {
            Some(v) => Self::spec(path, spec, v),
            None => Self::new(true, path, "unset", ""),
        }
    }

    /// The range of `spec`, the key at `path` in `[retry]` (`breaker.failure_rate`).
    fn spec(path: &'static str, spec: &KeySpec, value: impl Measure + ToString) -> Self {
        debug_assert!(path.ends_with(spec.key), "{path} is not {}", spec.key);
        let expected = spec.expected(&value);
        Self {
            ok: expected.is_none(),
            key: path,
            value: value.to_string(),
            expected: expected.unwrap_or_default(),
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

// The documented keys: the ranged ones from `config_keys.rs`, which `check` reads too.
impl Documented for RetryConfig {
    const KEYS: &'static [KeySpec] = &[
        keys::INITIAL_INTERVAL,
        keys::MULTIPLIER,
        keys::RANDOMIZATION_FACTOR,
        KeySpec::new("jitter", ValueType::Choice(serde_variants::<JitterKind>)),
        KeySpec::new("max_interval", ValueType::Duration),
        KeySpec::new("max_elapsed", ValueType::Duration),
        KeySpec::new("max_retries", ValueType::Integer),
        KeySpec::new("max_retry_after", ValueType::Duration),
        KeySpec::new("attempt_timeout", ValueType::Duration),
        KeySpec::new("dead_letter_raw_errors", ValueType::Bool),
        KeySpec::new("breaker", ValueType::Table(table::<BreakerConfig>)),
        KeySpec::new("budget", ValueType::Table(table::<BudgetConfig>)),
    ];
}

impl Documented for BudgetConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("enabled", ValueType::Bool),
        keys::budget::RATIO,
        keys::budget::MIN_PER_SEC,
    ];
}

#[cfg(test)]
mod documented_tests {
    use super::*;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<RetryConfig>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
