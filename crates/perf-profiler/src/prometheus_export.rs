//! Prometheus exposition of a profiler (feature `prometheus`): per component a summary of
//! timed durations (p50, p90, p95, p99, with estimated sum and exact count), estimated self
//! time and timed calls — computed from a snapshot at scrape time.

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, LabelPair, Metric, MetricFamily, MetricType, Quantile, Summary};

use steadfast_core::Prefix;

use crate::Profiler;
use crate::series;

struct Exporter {
    profiler: Profiler,
    prefix: Prefix,
    descs: Vec<Desc>,
}

impl Profiler {
    /// Registers this profiler's components into `registry` as
    /// `<prefix>_profiler_component_seconds{component}` (a summary),
    /// `<prefix>_profiler_component_self_seconds_total` and
    /// `<prefix>_profiler_component_timed_total`. Component names become label values: name
    /// components after code, never after data.
    ///
    /// ```
    /// let profiler = steadfast_perf_profiler::Profiler::new();
    /// profiler.record("evaluate", std::time::Duration::from_millis(2));
    /// let registry = prometheus::Registry::new();
    /// profiler.register_prometheus(&registry, &steadfast_core::Prefix::default())?;
    /// let families = registry.gather();
    /// assert!(families.iter().any(|f| f.name() == "steadfast_profiler_component_seconds"));
    /// # Ok::<(), prometheus::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`prometheus::Error`] when the names collide with metrics already registered.
    pub fn register_prometheus(
        &self,
        registry: &prometheus::Registry,
        prefix: &Prefix,
    ) -> prometheus::Result<()> {
        let names = [
            (
                series::PROFILER_COMPONENT_SECONDS,
                "Durations of timed calls per component (count: all calls).",
            ),
            (
                series::PROFILER_COMPONENT_SELF_SECONDS_TOTAL,
                "Estimated time in each component itself.",
            ),
            (
                series::PROFILER_COMPONENT_TIMED_TOTAL,
                "Calls that were timed, per component.",
            ),
        ];
        let descs = names
            .iter()
            .map(|(n, h)| {
                Desc::new(
                    prefix.name(n),
                    (*h).to_owned(),
                    vec!["component".to_owned()],
                    Default::default(),
                )
            })
            .collect::<prometheus::Result<Vec<_>>>()?;
        registry.register(Box::new(Exporter {
            profiler: self.clone(),
            prefix: prefix.clone(),
            descs,
        }))
    }
}

fn labelled(component: &str) -> Metric {
    let mut p = LabelPair::default();
    p.set_name("component".to_owned());
    p.set_value(component.to_owned());
    let mut m = Metric::default();
    m.set_label(vec![p]);
    m
}

fn family(name: String, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(name);
    f.set_help(help.to_owned());
    f.set_field_type(kind);
    f.set_metric(metrics);
    f
}

#[allow(clippy::cast_precision_loss, reason = "nanoseconds to seconds")]
fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

impl Collector for Exporter {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let snapshot = self.profiler.snapshot();
        let mut summaries = Vec::new();
        let mut selfs = Vec::new();
        let mut timed = Vec::new();
        for c in &snapshot.components {
            let mut m = labelled(&c.name);
            let mut s = Summary::default();
            #[allow(clippy::cast_precision_loss, reason = "a count")]
            s.set_sample_count(c.calls);
            s.set_sample_sum(secs(c.total_ns));
            let quantiles = [
                (0.5, c.p50_ns),
                (0.9, c.p90_ns),
                (0.95, c.p95_ns),
                (0.99, c.p99_ns),
            ]
            .iter()
            .map(|(q, v)| {
                let mut quantile = Quantile::default();
                quantile.set_quantile(*q);
                quantile.set_value(secs(*v));
                quantile
            })
            .collect();
            s.set_quantile(quantiles);
            m.set_summary(s);
            summaries.push(m);
            let mut m = labelled(&c.name);
            let mut counter = Counter::default();
            counter.set_value(secs(c.self_ns));
            m.set_counter(counter);
            selfs.push(m);
            let mut m = labelled(&c.name);
            let mut counter = Counter::default();
            #[allow(clippy::cast_precision_loss, reason = "a count")]
            counter.set_value(c.sampled as f64);
            m.set_counter(counter);
            timed.push(m);
        }
        let p = &self.prefix;
        vec![
            family(
                p.name(series::PROFILER_COMPONENT_SECONDS),
                "Durations of timed calls per component (count: all calls).",
                MetricType::SUMMARY,
                summaries,
            ),
            family(
                p.name(series::PROFILER_COMPONENT_SELF_SECONDS_TOTAL),
                "Estimated time in each component itself.",
                MetricType::COUNTER,
                selfs,
            ),
            family(
                p.name(series::PROFILER_COMPONENT_TIMED_TOTAL),
                "Calls that were timed, per component.",
                MetricType::COUNTER,
                timed,
            ),
        ]
    }
}
