//! The request series once registered, shared by the builder
//! ([`RequestMetrics`](crate::RequestMetrics)) and the layer: the label vocabularies and the
//! series resolved once per route ([`RouteSeries`]), so a request whose route the layer
//! already holds costs no lock, no hash and no label lookup — a few atomic loads.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
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

/// The most (method, status) pairs a route keeps resolved; more are looked up by label.
const STATUSES_PER_ROUTE: usize = 24;

/// The registered series, and the resolved ones by route.
#[derive(Debug)]
pub(crate) struct Series {
    requests: IntCounterVec,
    duration: HistogramVec,
    pub(crate) in_flight: IntGauge,
    resolved: RwLock<HashMap<Box<str>, Arc<RouteSeries>, BuildHasherDefault<Fnv>>>,
}

/// One route's series, resolved as they are first used: a histogram per method and a
/// counter per (method, status), each slot set once and read with one atomic load.
#[derive(Debug)]
pub(crate) struct RouteSeries {
    route: Box<str>,
    durations: [OnceLock<Histogram>; METHODS.len()],
    counters: [OnceLock<(u8, u16, IntCounter)>; STATUSES_PER_ROUTE],
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

    /// The resolved series of `route` (made on first use), or `None` past
    /// [`RESOLVED_ROUTES`] routes.
    pub(crate) fn route(&self, route: &str) -> Option<Arc<RouteSeries>> {
        if let Some(r) = self
            .resolved
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(route)
        {
            return Some(Arc::clone(r));
        }
        let mut resolved = self
            .resolved
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if resolved.len() >= RESOLVED_ROUTES && !resolved.contains_key(route) {
            return None;
        }
        Some(Arc::clone(resolved.entry(route.into()).or_insert_with(
            || {
                Arc::new(RouteSeries {
                    route: route.into(),
                    durations: std::array::from_fn(|_| OnceLock::new()),
                    counters: std::array::from_fn(|_| OnceLock::new()),
                })
            },
        )))
    }

    /// One answered request of `route`; `status` is `None` when the service failed instead
    /// of answering.
    pub(crate) fn answered(&self, route: &str, method: u8, status: Option<u16>, took: Duration) {
        if let Some(r) = self.route(route) {
            r.answered(self, method, status, took);
            return;
        }
        let (count, time) = self.by_label(route, method, status);
        count.inc();
        time.observe(took.as_secs_f64());
    }

    /// The series of one answer looked up by their labels (the slow path).
    fn by_label(&self, route: &str, method: u8, status: Option<u16>) -> (IntCounter, Histogram) {
        let status_label = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        let method_label = METHODS[usize::from(method).min(METHODS.len() - 1)];
        (
            self.requests
                .with_label_values(&[method_label, route, status_label.as_str()]),
            self.duration.with_label_values(&[method_label, route]),
        )
    }
}

impl RouteSeries {
    /// One answered request; `status` is `None` when the service failed instead of
    /// answering.
    pub(crate) fn answered(
        &self,
        series: &Series,
        method: u8,
        status: Option<u16>,
        took: Duration,
    ) {
        let seconds = took.as_secs_f64();
        let code = status.unwrap_or(0);
        let m = usize::from(method).min(METHODS.len() - 1);
        let duration =
            self.durations[m].get_or_init(|| series.by_label(&self.route, method, status).1);
        duration.observe(seconds);
        for slot in &self.counters {
            let (sm, sc, counter) = match slot.get() {
                Some(set) => set,
                // Free: claim it (or see what a racing thread put there).
                None => slot
                    .get_or_init(|| (method, code, series.by_label(&self.route, method, status).0)),
            };
            if *sm == method && *sc == code {
                counter.inc();
                return;
            }
        }
        series.by_label(&self.route, method, status).0.inc();
    }
}
