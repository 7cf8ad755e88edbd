//! Feature `prometheus`: every series of a recorder, and the recorder's own health, in a
//! user-supplied `prometheus::Registry`, read fresh at each scrape (nothing runs on the
//! hot path for it).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use prometheus::core::{Collector, Desc};
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};

use steadfast_core::Prefix;

use crate::key::{Kind, sanitize};
use crate::recorder::Recorder;
use crate::series;
use crate::shared::Shared;

struct Exporter {
    shared: Arc<Shared>,
    prefix: Prefix,
    descs: Vec<Desc>,
    renamed: Mutex<HashSet<String>>,
}

const SELF_METRICS: [(&str, &str); 8] = [
    (
        series::METRICS_RECORDS_WRITTEN_TOTAL,
        "Lines written to metrics.ndjson.",
    ),
    (series::METRICS_FLUSHES_TOTAL, "Successful flushes."),
    (
        series::METRICS_FLUSH_ERRORS_TOTAL,
        "Failed flushes (retried by the next).",
    ),
    (
        series::METRICS_DROPPED_TOTAL,
        "Raw events dropped on a full queue.",
    ),
    (
        series::METRICS_REJECTED_TOTAL,
        "Recordings refused (invalid name or value).",
    ),
    (
        series::METRICS_OVERFLOWED_TOTAL,
        "Recordings folded into an overflow series by the cardinality guard.",
    ),
    (
        series::METRICS_LAST_FLUSH_SECONDS,
        "Duration of the last flush, write and fsync included.",
    ),
    (
        series::METRICS_THREAD_SHARDS,
        "Per-thread blocks of cells held (one per recording thread slot).",
    ),
];

impl Recorder {
    /// Exposes every series through `registry`: counters as `<prefix>_<name>_total`,
    /// gauges and histograms as `<prefix>_<name>`, with `step` and the series' labels; plus
    /// the recorder's own `<prefix>_metrics_*` series ([`series`](crate::series)). Names are
    /// sanitised to Prometheus's alphabet; a changed name is warned about once.
    ///
    /// ```
    /// let rec = steadfast_metrics::Recorder::in_memory();
    /// let registry = prometheus::Registry::new();
    /// rec.register_prometheus(&registry, &steadfast_core::Prefix::default())?;
    /// rec.counter("bronze", "records").label("resource_type", "Patient").add(1200);
    /// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather())?;
    /// assert!(text.contains(r#"steadfast_records_total{step="bronze",resource_type="Patient"} 1200"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`prometheus::Error`] if this recorder's series are already registered there.
    pub fn register_prometheus(
        &self,
        registry: &prometheus::Registry,
        prefix: &Prefix,
    ) -> prometheus::Result<()> {
        let descs = SELF_METRICS
            .iter()
            .map(|(n, h)| Desc::new(prefix.name(n), (*h).to_owned(), vec![], Default::default()))
            .collect::<prometheus::Result<Vec<_>>>()?;
        registry.register(Box::new(Exporter {
            shared: self.shared.clone(),
            prefix: prefix.clone(),
            descs,
            renamed: Mutex::default(),
        }))
    }
}

fn family(name: String, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(name);
    f.set_help(help.to_owned());
    f.set_field_type(kind);
    f.set_metric(metrics);
    f
}

fn pair(name: &str, value: &str) -> LabelPair {
    let mut p = LabelPair::default();
    p.set_name(name.to_owned());
    p.set_value(value.to_owned());
    p
}

fn scalar(kind: MetricType, v: f64) -> Metric {
    let mut m = Metric::default();
    if kind == MetricType::COUNTER {
        let mut c = Counter::default();
        c.set_value(v);
        m.set_counter(c);
    } else {
        let mut g = Gauge::default();
        g.set_value(v);
        m.set_gauge(g);
    }
    m
}

impl Exporter {
    fn name_for(&self, metric: &str, kind: Kind) -> String {
        let clean = sanitize(metric);
        if clean != metric
            && self
                .renamed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(metric.to_owned())
        {
            #[cfg(feature = "tracing")]
            tracing::warn!(metric, exposed_as = %clean, "metric name changed for Prometheus");
        }
        let prefix = self.prefix.as_str();
        let base = if clean.starts_with(&format!("{prefix}_")) {
            clean
        } else {
            format!("{prefix}_{clean}")
        };
        if kind == Kind::Counter && !base.ends_with("_total") {
            format!("{base}_total")
        } else {
            base
        }
    }
}

impl Collector for Exporter {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let totals = crate::totals::snapshot(&self.shared);
        let mut families: BTreeMap<String, (Kind, Vec<Metric>)> = BTreeMap::new();
        for (key, t) in &totals.series {
            let mut labels = vec![pair("step", &key.step)];
            labels.extend(
                key.labels
                    .iter()
                    .filter(|(k, _)| k != "step")
                    .map(|(k, v)| pair(&sanitize(k), v)),
            );
            let mut m = match t.kind {
                Kind::Counter => scalar(MetricType::COUNTER, t.value),
                Kind::Gauge => scalar(MetricType::GAUGE, t.value),
                Kind::Histogram => {
                    let mut h = Histogram::default();
                    h.set_sample_count(t.count);
                    h.set_sample_sum(t.value);
                    let mut cumulative = 0;
                    let buckets = t
                        .bounds
                        .iter()
                        .zip(&t.bucket_counts)
                        .map(|(le, n)| {
                            cumulative += n;
                            let mut b = Bucket::default();
                            b.set_upper_bound(*le);
                            b.set_cumulative_count(cumulative);
                            b
                        })
                        .collect();
                    h.set_bucket(buckets);
                    let mut m = Metric::default();
                    m.set_histogram(h);
                    m
                }
            };
            m.set_label(labels);
            families
                .entry(self.name_for(&key.name, t.kind))
                .or_insert_with(|| (t.kind, Vec::new()))
                .1
                .push(m);
        }
        let mut out: Vec<MetricFamily> = families
            .into_iter()
            .map(|(name, (kind, metrics))| {
                let t = match kind {
                    Kind::Counter => MetricType::COUNTER,
                    Kind::Gauge => MetricType::GAUGE,
                    Kind::Histogram => MetricType::HISTOGRAM,
                };
                family(name, "Recorded by steadfast-metrics.", t, metrics)
            })
            .collect();
        let s = self.shared.stats_snapshot();
        #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
        let values = [
            s.records_written as f64,
            s.flushes as f64,
            s.flush_errors as f64,
            s.dropped as f64,
            s.rejected as f64,
            s.overflowed as f64,
            s.last_flush.as_secs_f64(),
            s.thread_shards as f64,
        ];
        for ((d, (_, help)), v) in self.descs.iter().zip(SELF_METRICS).zip(values) {
            let kind = if d.fq_name.ends_with("_total") {
                MetricType::COUNTER
            } else {
                MetricType::GAUGE
            };
            out.push(family(d.fq_name.clone(), help, kind, vec![scalar(kind, v)]));
        }
        out
    }
}
