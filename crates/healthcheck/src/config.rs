//! `[health]`: where the health server listens, who sees details, how long it drains.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::{Config, Problems};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// After shutdown begins, readiness answers 503 this long before the listener closes.
    pub drain: HumanDuration,
    /// Default timeout of a check run.
    pub check_timeout: HumanDuration,
    /// Default freshness of a check result.
    pub check_ttl: HumanDuration,
    /// A client must send its request headers within this (slow-loris protection).
    pub header_read_timeout: HumanDuration,
    /// An optional second, internal listener that always shows details and serves
    /// `/metrics`; the main listener then serves probes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_addr: Option<SocketAddr>,
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
            header_read_timeout: HumanDuration::from_secs(5),
            internal_addr: None,
        }
    }
}

impl Config for HealthConfig {
    fn check(&self, problems: &mut Problems) {
        problems.nonzero_duration("check_timeout", self.check_timeout.get());
        problems.nonzero_duration("header_read_timeout", self.header_read_timeout.get());
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
    }
}

#[cfg(feature = "server")]
impl HealthConfig {
    /// The server options this section describes (the metrics registry is the caller's).
    pub fn server_options(&self) -> crate::ServerOptions {
        crate::ServerOptions {
            show_details: match self.show_details {
                DetailVisibility::Never => crate::ShowDetails::Never,
                DetailVisibility::Always => crate::ShowDetails::Always,
                DetailVisibility::WhenAuthorized => {
                    crate::ShowDetails::WhenAuthorized(self.token.clone().unwrap_or_default())
                }
            },
            drain: self.drain.get(),
            metrics: None,
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
