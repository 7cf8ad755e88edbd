//! The process's memory against what it may use (feature `prometheus`):
//! `<prefix>_process_resident_memory_bytes` (`VmRSS`) and
//! `<prefix>_process_memory_limit_bytes` (the cgroup's `memory.max`, v1's
//! `memory.limit_in_bytes`, else `MemTotal`), read at each scrape from `/proc` and the
//! cgroup files, which are in memory and never block. Their ratio is the memory alert of
//! `steadfast alerts generate`. Registered with the check series by
//! [`HealthRegistry::metrics`](crate::HealthRegistry::metrics); elsewhere by
//! [`ProcessMemory::register`]. Absent where `/proc` is (not Linux).

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts};
use steadfast_core::Links;

use crate::series;

/// The process memory series.
///
/// ```
/// let prom = prometheus::Registry::new();
/// steadfast_healthcheck::ProcessMemory::register(&prom, &steadfast_core::Prefix::default())?;
/// let text = prometheus::TextEncoder::new().encode_to_string(&prom.gather()).unwrap();
/// # #[cfg(target_os = "linux")]
/// assert!(text.contains("steadfast_process_memory_limit_bytes "));
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProcessMemory {
    resident: IntGauge,
    limit: IntGauge,
}

impl ProcessMemory {
    /// Registers the two gauges into `registry` under `prefix`.
    ///
    /// # Errors
    /// [`Error::Metrics`](crate::Error::Metrics) when they are already there.
    pub fn register(
        registry: &prometheus::Registry,
        prefix: &steadfast_core::Prefix,
    ) -> Result<(), crate::Error> {
        Ok(Self::register_into(registry, prefix)?)
    }

    pub(crate) fn register_into(
        registry: &prometheus::Registry,
        prefix: &steadfast_core::Prefix,
    ) -> Result<(), prometheus::Error> {
        let resident = IntGauge::with_opts(Opts::new(
            prefix.name(series::PROCESS_RESIDENT_MEMORY_BYTES),
            "Resident set size of the process, bytes",
        ))?;
        let limit = IntGauge::with_opts(Opts::new(
            prefix.name(series::PROCESS_MEMORY_LIMIT_BYTES),
            "Memory the process may use: its cgroup's limit, else the machine's memory, bytes",
        ))?;
        registry.register(Box::new(Self { resident, limit }))?;
        Ok(())
    }
}

impl Collector for ProcessMemory {
    fn desc(&self) -> Vec<&Desc> {
        let mut out = self.resident.desc();
        out.extend(self.limit.desc());
        out
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        if let Some(rss) = kib_line("/proc/self/status", "VmRSS:") {
            self.resident.set(clamp(rss));
            out.extend(self.resident.collect());
        }
        if let Some(limit) = limit() {
            self.limit.set(clamp(limit));
            out.extend(self.limit.collect());
        }
        out
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn read(path: &str) -> Option<String> {
    steadfast_core::read_regular_to_string(path, Links::Follow, 1 << 20).ok()
}

/// The value of a `Name:   123 kB` line, in bytes.
fn kib_line(path: &str, name: &str) -> Option<u64> {
    let text = read(path)?;
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix(name))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib.saturating_mul(1024))
}

/// The cgroup limit (v2, then v1; "max" or v1's near-`i64::MAX` mean none), capped by the
/// machine's memory.
fn limit() -> Option<u64> {
    let machine = kib_line("/proc/meminfo", "MemTotal:");
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .and_then(|t| t.trim().parse::<u64>().ok());
    match (cgroup, machine) {
        (Some(c), Some(m)) => Some(c.min(m)),
        (c, m) => c.or(m),
    }
}
