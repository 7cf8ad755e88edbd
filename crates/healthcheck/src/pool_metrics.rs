//! [`PoolMetrics`] (feature `prometheus`): a connection pool's state as Prometheus series,
//! read from its [`PoolStats`] at each scrape — connections by state, the limit, callers
//! waiting — plus the wait for a connection and its timeouts, recorded by
//! [`PoolMetrics::acquire`] around the pool's own `get`.

use std::future::Future;
use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, IntGaugeVec, Opts};

use crate::series;
use crate::{Error, PoolStats};

/// The default wait buckets, seconds: 100 µs to 10 s.
pub const DEFAULT_WAIT_BUCKETS: [f64; 12] = [
    0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Whether a failed `get` of a pool was a timeout. Implemented for deadpool's `PoolError`
/// (feature `deadpool`), bb8's `RunError` (feature `bb8`), tokio's `Elapsed` and
/// `std::io::Error`; implement it for your pool's error type in one line.
pub trait AcquireError {
    /// `true` when the caller gave up waiting for a connection.
    fn is_timeout(&self) -> bool;
}

impl AcquireError for tokio::time::error::Elapsed {
    fn is_timeout(&self) -> bool {
        true
    }
}

impl AcquireError for std::io::Error {
    fn is_timeout(&self) -> bool {
        self.kind() == std::io::ErrorKind::TimedOut
    }
}

/// The series of one pool, labelled `pool="<name>"`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use steadfast_healthcheck::{PoolMetrics, PoolStats, PoolStatus};
///
/// struct MyPool; // e.g. a deadpool_postgres::Pool (feature `deadpool`) or a bb8::Pool (`bb8`)
/// impl PoolStats for MyPool {
///     fn status(&self) -> PoolStatus { PoolStatus { size: 4, idle: 1, waiting: 0, max: 10 } }
/// }
/// let prom = prometheus::Registry::new();
/// let metrics = PoolMetrics::new("db", MyPool).register(&prom, &steadfast_core::Prefix::default())?;
/// // let conn = metrics.acquire(pool.get()).await?;
/// let conn = metrics.acquire(async { Ok::<_, std::io::Error>("connection") }).await?;
/// # let _ = conn;
/// let text = prometheus::TextEncoder::new().encode_to_string(&prom.gather())?;
/// assert!(text.contains(r#"steadfast_pool_connections{pool="db",state="in_use"} 3"#));
/// assert!(text.contains(r#"steadfast_pool_wait_duration_seconds_count{pool="db"} 1"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct PoolMetrics {
    name: String,
    pool: Arc<dyn PoolStats>,
    buckets: Vec<f64>,
    registered: Option<Arc<Registered>>,
}

impl std::fmt::Debug for PoolMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolMetrics")
            .field("name", &self.name)
            .field("status", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PoolMetrics {
    /// The series of `pool`, labelled `pool="<name>"` (a name of yours: `db`, `cache`;
    /// never anything from a request).
    pub fn new(name: impl Into<String>, pool: impl PoolStats) -> Self {
        Self {
            name: name.into(),
            pool: Arc::new(pool),
            buckets: DEFAULT_WAIT_BUCKETS.to_vec(),
            registered: None,
        }
    }

    /// The wait histogram's upper bounds, seconds, increasing.
    #[must_use]
    pub fn buckets(mut self, buckets: impl Into<Vec<f64>>) -> Self {
        self.buckets = buckets.into();
        self
    }

    /// Registers the series into `registry` under `prefix` (`[metrics] prometheus_prefix`).
    /// [`acquire`](Self::acquire) records only once registered.
    ///
    /// # Errors
    /// [`Error::Metrics`] when this pool's series are already there, or the buckets are
    /// not increasing.
    pub fn register(
        mut self,
        registry: &prometheus::Registry,
        prefix: &steadfast_core::Prefix,
    ) -> Result<Self, Error> {
        let pool = |o: Opts| o.const_label("pool", &self.name);
        let connections = IntGaugeVec::new(
            pool(Opts::new(
                prefix.name(series::POOL_CONNECTIONS),
                "Connections of a pool by state (idle, in_use); they sum to its size",
            )),
            &["state"],
        )?;
        let max = IntGauge::with_opts(pool(Opts::new(
            prefix.name(series::POOL_MAX_CONNECTIONS),
            "The most connections a pool opens",
        )))?;
        let waiters = IntGauge::with_opts(pool(Opts::new(
            prefix.name(series::POOL_WAITERS),
            "Callers waiting for a connection of a pool",
        )))?;
        let wait = Histogram::with_opts(
            HistogramOpts::new(
                prefix.name(series::POOL_WAIT_DURATION_SECONDS),
                "How long callers waited for a connection of a pool",
            )
            .const_label("pool", &self.name)
            .buckets(self.buckets.clone()),
        )?;
        let timeouts = IntCounter::with_opts(pool(Opts::new(
            prefix.name(series::POOL_TIMEOUTS_TOTAL),
            "Waits for a connection of a pool that timed out",
        )))?;
        let registered = Arc::new(Registered {
            pool: Arc::clone(&self.pool),
            connections,
            max,
            waiters,
            wait,
            timeouts,
        });
        registry.register(Box::new(Collected(Arc::clone(&registered))))?;
        self.registered = Some(registered);
        Ok(self)
    }

    /// Awaits `get` (the pool's own `get()`), recording how long it took and, when it
    /// failed with a timeout the pool does not count itself, a timeout.
    ///
    /// # Errors
    /// `get`'s error, unchanged.
    pub async fn acquire<T, E, F>(&self, get: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: AcquireError,
    {
        let start = std::time::Instant::now();
        let got = get.await;
        if let Some(r) = &self.registered {
            r.wait.observe(start.elapsed().as_secs_f64());
            if let Err(e) = &got
                && e.is_timeout()
                && r.pool.timeouts().is_none()
            {
                r.timeouts.inc();
            }
        }
        got
    }
}

/// The registered series of one pool.
struct Registered {
    pool: Arc<dyn PoolStats>,
    connections: IntGaugeVec,
    max: IntGauge,
    waiters: IntGauge,
    wait: Histogram,
    timeouts: IntCounter,
}

/// The collector: reads the pool at each scrape.
struct Collected(Arc<Registered>);

impl Collector for Collected {
    fn desc(&self) -> Vec<&Desc> {
        let r = &self.0;
        let mut out = r.connections.desc();
        out.extend(r.max.desc());
        out.extend(r.waiters.desc());
        out.extend(r.wait.desc());
        out.extend(r.timeouts.desc());
        out
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let r = &self.0;
        let s = r.pool.status();
        r.connections
            .with_label_values(&["idle"])
            .set(i64::from(s.idle.min(s.size)));
        r.connections
            .with_label_values(&["in_use"])
            .set(i64::from(s.in_use()));
        r.max.set(i64::from(s.max));
        r.waiters.set(i64::from(s.waiting));
        if let Some(n) = r.pool.timeouts() {
            r.timeouts.inc_by(n.saturating_sub(r.timeouts.get()));
        }
        let mut out = r.connections.collect();
        out.extend(r.max.collect());
        out.extend(r.waiters.collect());
        out.extend(r.wait.collect());
        out.extend(r.timeouts.collect());
        out
    }
}
