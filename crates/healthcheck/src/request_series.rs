//! The request series once registered, shared by the builder
//! ([`RequestMetrics`](crate::RequestMetrics)) and the layer: the label vocabularies and the
//! series resolved by route, so a request costs a hash of its route and a short scan.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge};

/// The label of a request no route matched: one series, whatever the path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The method labels: the standard methods, every other one `OTHER`, so a client cannot
/// mint series.
pub(crate) const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];

/// The index of `method` in [`METHODS`].
pub(crate) fn method_index(method: &http::Method) -> u8 {
    match *method {
        http::Method::GET => 0,
        http::Method::HEAD => 1,
        http::Method::POST => 2,
        http::Method::PUT => 3,
        http::Method::DELETE => 4,
        http::Method::PATCH => 5,
        http::Method::OPTIONS => 6,
        http::Method::CONNECT => 7,
        http::Method::TRACE => 8,
        _ => 9,
    }
}

/// The most routes whose series are kept resolved (routes are templates: a real router has
/// far fewer); beyond it series are still recorded, looked up by label each time.
const RESOLVED_ROUTES: usize = 1024;

/// Series resolved for one (method, status) of a route.
type PerRoute = Vec<(u8, u16, IntCounter, Histogram)>;

/// The registered series, and the resolved ones by route: a hash of the route and a short
/// scan instead of hashing every label set on every request.
#[derive(Debug)]
pub(crate) struct Series {
    requests: IntCounterVec,
    duration: HistogramVec,
    pub(crate) in_flight: IntGauge,
    resolved: RwLock<HashMap<Box<str>, PerRoute, BuildHasherDefault<Fnv>>>,
}

/// FNV-1a: the keys are route templates the application chose (never a client's path), so
/// a hash this cheap needs no protection against chosen collisions.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

impl Series {
    pub(crate) fn new(
        requests: IntCounterVec,
        duration: HistogramVec,
        in_flight: IntGauge,
    ) -> Self {
        Self {
            requests,
            duration,
            in_flight,
            resolved: RwLock::default(),
        }
    }

    /// One answered request; `status` is `None` when the service failed instead of answering.
    pub(crate) fn answered(&self, route: &str, method: u8, status: Option<u16>, took: Duration) {
        let seconds = took.as_secs_f64();
        let code = status.unwrap_or(0);
        {
            let resolved = self.resolved.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, _, count, time)) = resolved
                .get(route)
                .and_then(|r| r.iter().find(|(m, s, _, _)| *m == method && *s == code))
            {
                count.inc();
                time.observe(seconds);
                return;
            }
        }
        let status_label = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        let method_label = METHODS[usize::from(method).min(METHODS.len() - 1)];
        let count = self
            .requests
            .with_label_values(&[method_label, route, status_label.as_str()]);
        let time = self.duration.with_label_values(&[method_label, route]);
        count.inc();
        time.observe(seconds);
        let mut resolved = self
            .resolved
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if resolved.len() >= RESOLVED_ROUTES && !resolved.contains_key(route) {
            return;
        }
        let per = resolved.entry(route.into()).or_default();
        if !per.iter().any(|(m, s, _, _)| *m == method && *s == code) {
            per.push((method, code, count, time));
        }
    }
}
