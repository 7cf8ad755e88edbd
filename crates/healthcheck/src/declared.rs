//! `[[health.checks]]`: checks declared in configuration — kind, name, target, groups,
//! criticality, timing and damping — each problem reported where it was written. Turning
//! an entry into a [`Registration`](crate::Registration) is `declared_build.rs`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use steadfast_core::{ByteSize, HumanDuration, redact_credentials};

use crate::Group;

/// What a declared check checks. Pool checks are not here: they observe the application's
/// own pool, so they are registered in code ([`PoolCheck`](crate::PoolCheck)).
///
/// ```
/// use steadfast_healthcheck::CheckKind;
/// assert!(CheckKind::Postgres.is_external());
/// assert!(!CheckKind::Disk.is_external());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckKind {
    /// The disk holding `path` against `[disk]` watermarks (or `min_free`).
    Disk,
    /// Available memory against `min_available` (default 256MiB).
    Memory,
    /// A TCP connect to `addr`.
    Tcp,
    /// An HTTP GET of `url`, expecting `expect_status` (default 200).
    Http,
    /// A FHIR server's `metadata` under the base `url`.
    Fhir,
    /// PostgreSQL `SELECT 1` at `url` (feature `postgres`).
    Postgres,
    /// Redis `PING` at `url`.
    Redis,
    /// The newest finished run of `pipeline` under `runs_root` is younger than `max_age`.
    Staleness,
    /// The tokio runtime's scheduling lag against `warn_lag` and `fail_lag`.
    Runtime,
}

impl CheckKind {
    /// Whether it touches a system outside the process (and so cannot be in `live`).
    pub fn is_external(self) -> bool {
        matches!(
            self,
            Self::Tcp | Self::Http | Self::Fhir | Self::Postgres | Self::Redis
        )
    }

    /// The name written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disk => "disk",
            Self::Memory => "memory",
            Self::Tcp => "tcp",
            Self::Http => "http",
            Self::Fhir => "fhir",
            Self::Postgres => "postgres",
            Self::Redis => "redis",
            Self::Staleness => "staleness",
            Self::Runtime => "runtime",
        }
    }

    /// The target keys it needs, and those it may take.
    pub(crate) fn keys(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Self::Disk => (&["path"], &["min_free"]),
            Self::Memory => (&[], &["min_available"]),
            Self::Tcp => (&["addr"], &[]),
            Self::Http => (
                &["url"],
                &[
                    "expect_status",
                    "ca_file",
                    "client_cert_file",
                    "client_key_file",
                ],
            ),
            Self::Fhir => (
                &["url"],
                &["token", "ca_file", "client_cert_file", "client_key_file"],
            ),
            Self::Postgres => (&["url"], &["password"]),
            Self::Redis => (&["url"], &["password", "ca_file"]),
            Self::Staleness => (&["runs_root", "pipeline", "max_age"], &[]),
            Self::Runtime => (&[], &["warn_lag", "fail_lag"]),
        }
    }

    /// The cargo feature this build lacks for the kind, if any.
    pub(crate) fn missing_feature(self) -> Option<&'static str> {
        match self {
            Self::Disk if !cfg!(feature = "diskwatch") => Some("diskwatch"),
            Self::Postgres if !cfg!(feature = "postgres") => Some("postgres"),
            Self::Redis if !cfg!(feature = "redis") => Some("redis"),
            _ => None,
        }
    }
}

/// One `[[health.checks]]` entry. Keys common to every kind: `name`, `kind`, `groups`
/// (live, ready, startup or your own; default ready), `critical` (default true),
/// `fail_open`, `timeout`, `ttl` *or* `interval`, `max_stale` (unset ones take `[health]`'s
/// `check_*` defaults), `fail_after`/`pass_after` (damping, default 1). The target, by kind:
/// disk `path` (+ `min_free`, else `[disk]` watermarks), memory `min_available`, tcp
/// `addr`, http `url` (+ `expect_status`), fhir `url` (the base, + `token`), http and fhir
/// `ca_file`, `client_cert_file`, `client_key_file`, postgres and redis `url` (+ `password`,
/// best as `password_file` or `${VAR}`; redis + `ca_file`), staleness `runs_root`, `pipeline`,
/// `max_age`, runtime `warn_lag`/`fail_lag`. Its `Debug` output never shows a password or token.
///
/// ```
/// use steadfast_core::config::Loader;
/// use steadfast_healthcheck::{CheckKind, HealthConfig};
///
/// let toml = "[[health.checks]]\nname = \"db:ping\"\nkind = \"tcp\"\naddr = \"127.0.0.1:5432\"\n";
/// let cfg = Loader::new().toml_str("s.toml", toml).load_section::<HealthConfig>("health")?;
/// assert_eq!(cfg.value().checks[0].kind, Some(CheckKind::Tcp));
/// # Ok::<(), steadfast_core::config::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckSpec {
    /// The check's name in reports and at `…/checks/{name}` (`db:ping`).
    pub name: String,
    /// What it checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<CheckKind>,
    /// Its groups (default `["ready"]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// A failure fails the group (default); non-critical ones only warn.
    pub critical: bool,
    /// A failure is reported as `warn` (a dependency the whole fleet shares).
    pub fail_open: bool,
    /// Longest a run may take (at most 1h).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
    /// How long a result is fresh (at most 1d).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<HumanDuration>,
    /// Refresh on a background timer instead of a TTL (at most 1d).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<HumanDuration>,
    /// Past this age a result is `fail` "result too old" (at most 30d).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_stale: Option<HumanDuration>,
    /// Damping: failures in a row before `fail` (1 to 100).
    pub fail_after: u32,
    /// Damping: passes in a row before `pass` again (1 to 100).
    pub pass_after: u32,
    /// disk: a path on the disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// disk: fail with less than this free (else `[disk.watermarks] flood`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_free: Option<ByteSize>,
    /// memory: fail below this available, warn below twice it (default 256MiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_available: Option<ByteSize>,
    /// tcp: `host:port`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// http, fhir: `https://host[:port]/path` (or `http://`); postgres: `postgres://user@host:port/db`;
    /// redis: `redis://host:port` or `rediss://` (TLS). Credentials inside are redacted wherever shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// http: the expected status (default 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
    /// fhir: a bearer token (`token_file = "/run/secrets/…"` or `token = "${EHR_TOKEN}"`);
    /// redacted wherever the configuration is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// http, fhir, redis (`rediss://`): a PEM file of further certificate authorities to
    /// trust besides the system's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// http, fhir: mTLS, the client certificate chain (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert_file: Option<PathBuf>,
    /// http, fhir: mTLS, the client's private key (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key_file: Option<PathBuf>,
    /// postgres, redis: the password (`password_file = "/run/secrets/…"` or
    /// `password = "${PGPASSWORD}"`); redacted wherever the configuration is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// staleness: the runs root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_root: Option<PathBuf>,
    /// staleness: the pipeline's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// staleness: the oldest the last finished run may be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<HumanDuration>,
    /// runtime: warn at this scheduling lag (default 100ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_lag: Option<HumanDuration>,
    /// runtime: fail at this scheduling lag (default 1s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_lag: Option<HumanDuration>,
}

impl Default for CheckSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: None,
            groups: None,
            critical: true,
            fail_open: false,
            timeout: None,
            ttl: None,
            interval: None,
            max_stale: None,
            fail_after: 1,
            pass_after: 1,
            path: None,
            min_free: None,
            min_available: None,
            addr: None,
            url: None,
            expect_status: None,
            password: None,
            token: None,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            runs_root: None,
            pipeline: None,
            max_age: None,
            warn_lag: None,
            fail_lag: None,
        }
    }
}

impl std::fmt::Debug for CheckSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("groups", &self.groups)
            .field("addr", &self.addr)
            .field("url", &self.url.as_deref().map(redact_credentials))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl CheckSpec {
    /// The groups, parsed (default: ready).
    pub(crate) fn parsed_groups(&self) -> Vec<Group> {
        match &self.groups {
            None => vec![Group::Ready],
            Some(names) => names.iter().map(|n| parse_group(n)).collect(),
        }
    }
}

/// The group a name stands for.
pub(crate) fn parse_group(name: &str) -> Group {
    match name {
        "live" => Group::Live,
        "ready" => Group::Ready,
        "startup" => Group::Startup,
        other => Group::Custom(other.to_owned()),
    }
}
