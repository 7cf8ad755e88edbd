//! Turning a checked `[[health.checks]]` entry into a [`Registration`]: the built-in check
//! of its kind, its target, groups, timing and damping. A host name is resolved at each run
//! (a DNS change is followed; a DNS outage fails the check, not the start-up): by
//! `Resolving` for tcp, by the HTTP client at each connection for http and fhir.

use std::net::SocketAddr;
use std::time::Duration;

use steadfast_core::HumanDuration;

use crate::check::{BoxFuture, Check, CheckOutput};
use crate::declared::{CheckKind, CheckSpec};
use crate::{FhirCheck, HttpCheck, MemoryCheck, Registration, RuntimeStallCheck, TcpCheck};

/// What declared checks take from the rest of the configuration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// `[disk.watermarks]`, for disk checks without `min_free`.
    #[cfg(feature = "diskwatch")]
    pub(crate) watermarks: steadfast_diskwatch::Watermarks,
}

/// The default floor of a memory check.
const MIN_AVAILABLE: u64 = 256 << 20;

/// The most addresses of one name a run tries.
const MAX_ADDRESSES: usize = 4;

/// A network check whose `host:port` is resolved at each run.
struct Resolving<F> {
    target: String,
    make: F,
}

impl<F, C> Check for Resolving<F>
where
    F: Fn(SocketAddr) -> C + Send + Sync + 'static,
    C: Check,
{
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            // getaddrinfo on the blocking pool; the run's timeout bounds the wait.
            let Ok(addrs) = tokio::net::lookup_host(self.target.as_str()).await else {
                return CheckOutput::fail("name not resolved");
            };
            // Each address in turn until one passes (`localhost` may be ::1 first while
            // the service listens on 127.0.0.1 only), as clients do.
            let mut out = CheckOutput::fail("name not resolved");
            for addr in addrs.take(MAX_ADDRESSES) {
                let inner = (self.make)(addr);
                out = inner.check().await;
                if out.status != steadfast_core::Status::Fail {
                    break;
                }
            }
            out
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}

/// A registration of the check `make` builds for `target` (`host:port`): at once for an
/// address, resolved at each run for a host name.
fn network<C: Check>(
    name: &str,
    target: &str,
    make: impl Fn(SocketAddr) -> C + Send + Sync + 'static,
) -> Registration {
    match target.parse::<SocketAddr>() {
        Ok(addr) => Registration::new(name, make(addr)),
        Err(_) => Registration::new(
            name,
            Resolving {
                target: target.to_owned(),
                make,
            },
        ),
    }
}

/// A client with the entry's CA and client certificate, when it names any.
fn http_client(spec: &CheckSpec) -> Result<Option<steadfast_http::HttpClient>, String> {
    if spec.ca_file.is_none() && spec.client_cert_file.is_none() && spec.client_key_file.is_none() {
        return Ok(None);
    }
    let settings = steadfast_http::HttpSettings {
        ca_file: spec.ca_file.clone(),
        client_cert_file: spec.client_cert_file.clone(),
        client_key_file: spec.client_key_file.clone(),
        ..steadfast_http::HttpSettings::default()
    };
    settings.build().map(Some).map_err(|e| e.to_string())
}

/// The check an entry declares, without its options. The entry has passed
/// [`check_all`](crate::declared_check::check_all): a missing target here is a bug, reported
/// as the entry's problem rather than a panic.
fn check_of(spec: &CheckSpec, kind: CheckKind, ctx: &Context) -> Result<Registration, String> {
    #[cfg(not(feature = "diskwatch"))]
    let _ = ctx;
    let name = spec.name.as_str();
    let need = |key: &str| format!("a {} check needs '{key}'", kind.as_str());
    let reg = match kind {
        #[cfg(feature = "diskwatch")]
        CheckKind::Disk => {
            let path = spec.path.clone().ok_or_else(|| need("path"))?;
            let mut watermarks = ctx.watermarks.clone();
            if let Some(min_free) = spec.min_free {
                watermarks.flood = steadfast_core::SizeOrPercent::Size(min_free);
            }
            Registration::new(name, crate::DiskCheck::new(path, watermarks))
        }
        CheckKind::Memory => Registration::new(
            name,
            MemoryCheck::new(spec.min_available.map_or(MIN_AVAILABLE, |b| b.bytes())),
        ),
        CheckKind::Tcp => {
            let addr = spec.addr.as_deref().ok_or_else(|| need("addr"))?;
            crate::target::host_port(addr)?;
            network(name, addr, TcpCheck::new)
        }
        CheckKind::Http => {
            let url = spec.url.as_deref().ok_or_else(|| need("url"))?;
            let mut check = HttpCheck::new(url)
                .map_err(|e| e.to_string())?
                .expect_status(spec.expect_status.unwrap_or(200));
            if let Some(client) = http_client(spec)? {
                check = check.client(client);
            }
            Registration::new(name, check)
        }
        CheckKind::Fhir => {
            let url = spec.url.as_deref().ok_or_else(|| need("url"))?;
            let mut check = FhirCheck::new(url).map_err(|e| e.to_string())?;
            if let Some(client) = http_client(spec)? {
                check = check.client(client);
            }
            if let Some(token) = &spec.token {
                check = check.bearer_token(token.trim());
            }
            Registration::new(name, check)
        }
        #[cfg(feature = "postgres")]
        CheckKind::Postgres => {
            let url = spec.url.as_deref().ok_or_else(|| need("url"))?;
            crate::target::datastore_url(kind, url)?;
            let mut check = crate::PostgresCheck::new(url).map_err(|e| e.to_string())?;
            if let Some(password) = &spec.password {
                check = check.password(password);
            }
            Registration::new(name, check)
        }
        #[cfg(feature = "redis")]
        CheckKind::Redis => {
            let url = spec.url.as_deref().ok_or_else(|| need("url"))?;
            crate::target::datastore_url(kind, url)?;
            let mut check = crate::RedisCheck::new(url).map_err(|e| e.to_string())?;
            if let Some(password) = &spec.password {
                check = check.password(password);
            }
            if let Some(ca) = &spec.ca_file {
                check = check.ca_file(ca).map_err(|e| e.to_string())?;
            }
            Registration::new(name, check)
        }
        CheckKind::Staleness => Registration::new(
            name,
            crate::StalenessCheck::new(
                spec.runs_root.clone().ok_or_else(|| need("runs_root"))?,
                spec.pipeline.clone().ok_or_else(|| need("pipeline"))?,
                spec.max_age.ok_or_else(|| need("max_age"))?.get(),
            ),
        ),
        CheckKind::Runtime => Registration::new(
            name,
            RuntimeStallCheck::new(
                Duration::from_millis(100),
                spec.warn_lag
                    .map_or(Duration::from_millis(100), HumanDuration::get),
                spec.fail_lag
                    .map_or(Duration::from_secs(1), HumanDuration::get),
            ),
        ),
        #[allow(
            unreachable_patterns,
            reason = "reachable without diskwatch, postgres or redis"
        )]
        other => {
            return Err(format!(
                "kind '{}' needs a cargo feature this build lacks",
                other.as_str()
            ));
        }
    };
    Ok(reg)
}

/// The registration `spec` declares: its check with groups, criticality, timing and damping.
pub(crate) fn registration(spec: &CheckSpec, ctx: &Context) -> Result<Registration, String> {
    let kind = spec.kind.ok_or_else(|| "missing key 'kind'".to_owned())?;
    let mut reg = check_of(spec, kind, ctx)?
        .groups(spec.parsed_groups())
        .critical(spec.critical)
        .fail_open(spec.fail_open)
        .damping(spec.fail_after, spec.pass_after);
    if let Some(timeout) = spec.timeout {
        reg = reg.timeout(timeout.get());
    }
    if let Some(ttl) = spec.ttl {
        reg = reg.ttl(ttl.get());
    }
    if let Some(interval) = spec.interval {
        reg = reg.interval(interval.get());
    }
    if let Some(max_stale) = spec.max_stale {
        reg = reg.max_stale(max_stale.get());
    }
    Ok(reg)
}
