//! `[health]`: where the health server listens, who sees details, how long it drains, and
//! the defaults of its checks; every duration range-checked, so none can overflow a clock.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{Documented, KeySpec, ValueType, serde_variants, table};
use steadfast_core::config::{Config, Problems};

use crate::config_keys as keys;
use crate::{CheckKind, CheckSpec};

/// Who may see observed values and reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailVisibility {
    /// Never (default).
    #[default]
    Never,
    /// Callers with `Authorization: Bearer <token>`.
    WhenAuthorized,
    /// Everyone (a private listener only).
    Always,
}

/// The `[health]` section.
///
/// ```
/// let cfg = steadfast_healthcheck::HealthConfig::default();
/// assert_eq!(cfg.addr.to_string(), "127.0.0.1:9464");
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Listen address; loopback unless you mean otherwise.
    pub addr: SocketAddr,
    /// never | when_authorized | always.
    pub show_details: DetailVisibility,
    /// The bearer token for `when_authorized`: write `token_file = "/run/secrets/…"` or
    /// `token = "${HEALTH_TOKEN}"`; it is redacted wherever the configuration is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// After shutdown begins, readiness answers 503 this long before the listener closes
    /// (at most 1h).
    pub drain: HumanDuration,
    /// Default timeout of a check run (at most 1h).
    pub check_timeout: HumanDuration,
    /// Default freshness of a check result (at most 1d).
    pub check_ttl: HumanDuration,
    /// Default age past which a check's result is reported as `fail` ("result too old"),
    /// so a stuck refresher never leaves a `pass` up; unset: 3 × the longer of the check's
    /// refresh period (interval, else TTL) and its timeout. Never shorter, for a check, than
    /// its refresh period plus its timeout (a check on a long interval is not failed between
    /// two on-time runs). Longer than `check_ttl`, at most 30d.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_max_stale: Option<HumanDuration>,
    /// How many checks may run at once (1 to 1024); the others wait their turn.
    pub max_concurrent_checks: usize,
    /// A client must send its request headers within this (slow-loris protection; at
    /// most 1h).
    pub header_read_timeout: HumanDuration,
    /// An optional second, internal listener that always shows details and serves
    /// `/metrics`; the main listener then serves probes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_addr: Option<SocketAddr>,
    /// The HTTP status of a report that warns: 200 (default) or, to take a degraded
    /// instance out of rotation, 503 (any 2xx or 5xx). A failing report answers 503.
    pub warn_status: u16,
    /// The same per group, over `warn_status`: `warn_status_by_group = { ready = 503 }`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub warn_status_by_group: BTreeMap<String, u16>,
    /// `[[health.checks]]`: checks declared here instead of in code (see [`CheckSpec`]);
    /// `steadfast health serve` serves exactly these when any are declared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckSpec>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 9464)),
            show_details: DetailVisibility::Never,
            token: None,
            drain: HumanDuration::from_secs(5),
            check_timeout: HumanDuration::from_secs(2),
            check_ttl: HumanDuration::from_secs(5),
            check_max_stale: None,
            max_concurrent_checks: 16,
            header_read_timeout: HumanDuration::from_secs(5),
            internal_addr: None,
            warn_status: 200,
            warn_status_by_group: BTreeMap::new(),
            checks: Vec::new(),
        }
    }
}

impl std::fmt::Debug for HealthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthConfig")
            .field("addr", &self.addr)
            .field("show_details", &self.show_details)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("drain", &self.drain)
            .field("check_timeout", &self.check_timeout)
            .field("check_ttl", &self.check_ttl)
            .field("check_max_stale", &self.check_max_stale)
            .field("max_concurrent_checks", &self.max_concurrent_checks)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("internal_addr", &self.internal_addr)
            .field("warn_status", &self.warn_status)
            .field("warn_status_by_group", &self.warn_status_by_group)
            .field("checks", &self.checks)
            .finish()
    }
}

impl Config for HealthConfig {
    fn check(&self, problems: &mut Problems) {
        problems.check_range(&keys::DRAIN, self.drain);
        problems.check_range(&keys::CHECK_TIMEOUT, self.check_timeout);
        problems.check_range(&keys::CHECK_TTL, self.check_ttl);
        problems.check_range(&keys::HEADER_READ_TIMEOUT, self.header_read_timeout);
        if let Some(max_stale) = self.check_max_stale {
            problems.check_range(&keys::CHECK_MAX_STALE, max_stale);
            if max_stale <= self.check_ttl {
                problems.error(
                    "check_max_stale",
                    format!(
                        "{max_stale} is out of range for check_max_stale: expected longer than check_ttl ({}), or leave it unset for 3 × the TTL",
                        self.check_ttl
                    ),
                );
            }
        }
        problems.check_range(&keys::MAX_CONCURRENT_CHECKS, self.max_concurrent_checks);
        if self.internal_addr.is_some_and(|a| a == self.addr) {
            problems.error(
                "internal_addr",
                "internal_addr is the same as addr; give the internal listener its own port",
            );
        }
        if self.show_details == DetailVisibility::WhenAuthorized
            && self.token.as_deref().is_none_or(str::is_empty)
        {
            problems.error(
                "show_details",
                "show_details = \"when_authorized\" needs a token: set token_file = \"/run/secrets/…\" or token = \"${HEALTH_TOKEN}\"",
            );
        }
        let codes = std::iter::once(("warn_status".to_owned(), self.warn_status)).chain(
            self.warn_status_by_group
                .iter()
                .map(|(g, c)| (format!("warn_status_by_group.{g}"), *c)),
        );
        for (key, code) in codes {
            if !((200..300).contains(&code) || (500..600).contains(&code)) {
                problems.error(
                    &key,
                    format!("{code} is out of range for {key}: expected a 2xx or 5xx status, like 200 or 503"),
                );
            }
        }
        for group in self.warn_status_by_group.keys() {
            if let Some(problem) = crate::declared_check::group_problem(group) {
                problems.error(&format!("warn_status_by_group.{group}"), problem);
            }
        }
        for (path, message) in crate::declared_check::check_all(&self.checks, self.check_ttl) {
            problems.error(&path, message);
        }
    }
}

#[cfg(feature = "server")]
impl HealthConfig {
    /// The server options this section describes (the metrics registry and the series
    /// prefix, `[metrics]`'s, are the caller's).
    pub fn server_options(&self) -> crate::ServerOptions {
        let status_codes = self.warn_status_by_group.iter().fold(
            crate::StatusCodes::default().warn(self.warn_status),
            |codes, (group, code)| codes.warn_for(crate::declared::parse_group(group), *code),
        );
        crate::ServerOptions {
            status_codes,
            show_details: match self.show_details {
                DetailVisibility::Never => crate::ShowDetails::Never,
                DetailVisibility::Always => crate::ShowDetails::Always,
                DetailVisibility::WhenAuthorized => {
                    crate::ShowDetails::WhenAuthorized(self.token.clone().unwrap_or_default())
                }
            },
            drain: self.drain.get(),
            metrics: None,
            prefix: steadfast_core::Prefix::default(),
            serve_metrics: self.internal_addr.is_none(),
            listener: "main".to_owned(),
            header_read_timeout: self.header_read_timeout.get(),
        }
    }

    /// The options of the internal listener, when `internal_addr` is set: details always,
    /// `/metrics` served, request series labelled `listener="internal"`.
    pub fn internal_options(&self) -> Option<(SocketAddr, crate::ServerOptions)> {
        let addr = self.internal_addr?;
        Some((
            addr,
            crate::ServerOptions {
                show_details: crate::ShowDetails::Always,
                serve_metrics: true,
                listener: "internal".to_owned(),
                ..self.server_options()
            },
        ))
    }
}

// The documented keys: the ranged ones from `config_keys.rs`, which `check` reads too.
impl Documented for HealthConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("addr", ValueType::Address),
        KeySpec::new(
            "show_details",
            ValueType::Choice(serde_variants::<DetailVisibility>),
        ),
        KeySpec::new("token", ValueType::Text),
        keys::DRAIN,
        keys::CHECK_TIMEOUT,
        keys::CHECK_TTL,
        keys::CHECK_MAX_STALE,
        keys::MAX_CONCURRENT_CHECKS,
        keys::HEADER_READ_TIMEOUT,
        KeySpec::new("internal_addr", ValueType::Address),
        KeySpec::new("warn_status", ValueType::Integer),
        KeySpec::new("warn_status_by_group", ValueType::Map(&ValueType::Integer)),
        KeySpec::new("checks", ValueType::Entries(table::<CheckSpec>)),
    ];
}

impl Documented for CheckSpec {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("name", ValueType::Text),
        KeySpec::new("kind", ValueType::Choice(serde_variants::<CheckKind>)),
        KeySpec::new("groups", ValueType::List(&ValueType::Text)),
        KeySpec::new("critical", ValueType::Bool),
        KeySpec::new("fail_open", ValueType::Bool),
        keys::check::TIMEOUT,
        keys::check::TTL,
        keys::check::INTERVAL,
        keys::check::MAX_STALE,
        keys::check::FAIL_AFTER,
        keys::check::PASS_AFTER,
        KeySpec::new("path", ValueType::Path),
        KeySpec::new("min_free", ValueType::Size),
        KeySpec::new("min_available", ValueType::Size),
        KeySpec::new("addr", ValueType::Address),
        KeySpec::new("url", ValueType::Url),
        keys::check::EXPECT_STATUS,
        KeySpec::new("token", ValueType::Text),
        KeySpec::new("ca_file", ValueType::Path),
        KeySpec::new("client_cert_file", ValueType::Path),
        KeySpec::new("client_key_file", ValueType::Path),
        KeySpec::new("password", ValueType::Text),
        KeySpec::new("runs_root", ValueType::Path),
        KeySpec::new("pipeline", ValueType::Text),
        keys::check::MAX_AGE,
        keys::check::WARN_LAG,
        keys::check::FAIL_LAG,
    ];
}

#[cfg(test)]
mod documented_tests {
    use super::*;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<HealthConfig>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
