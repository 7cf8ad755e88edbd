//! Feature `prometheus`: [`DbObserver::register_prometheus`] — the statement series, read
//! from the observer at scrape time (names in [`series`](crate::series)).

use prometheus::Registry;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};
use steadfast_core::Prefix;

use crate::observer::DbObserver;
use crate::series;
use crate::stats::DURATION_BUCKETS;

/// The families and their help texts, in [`Exporter::collect`]'s order.
const FAMILIES: [(&str, &str); 6] = [
    (
        series::DB_STATEMENTS_TOTAL,
        "Statement calls by fingerprint id, failed ones included.",
    ),
    (
        series::DB_STATEMENT_ERRORS_TOTAL,
        "Failed statement calls by fingerprint id and SQLSTATE class.",
    ),
    (
        series::DB_STATEMENT_ROWS_TOTAL,
        "Rows returned or affected by fingerprint id.",
    ),
    (
        series::DB_STATEMENT_DURATION_SECONDS,
        "Statement call duration by fingerprint id.",
    ),
    (
        series::DB_SLOW_STATEMENTS_TOTAL,
        "Statement calls at or over the slow threshold.",
    ),
    (
        series::DB_CONNECTIONS_IN_USE,
        "Instrumented database clients alive.",
    ),
];

struct Exporter {
    observer: DbObserver,
    names: Vec<String>,
    descs: Vec<Desc>,
}

fn pair(name: &str, value: &str) -> LabelPair {
    let mut p = LabelPair::default();
    p.set_name(name.to_owned());
    p.set_value(value.to_owned());
    p
}

fn scalar(kind: MetricType, v: f64, labels: Vec<LabelPair>) -> Metric {
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
    m.set_label(labels);
    m
}

impl Collector for Exporter {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
    fn collect(&self) -> Vec<MetricFamily> {
        let statements = self.observer.statements();
        let mut metrics: [Vec<Metric>; 6] = Default::default();
        for s in statements.iter().filter(|s| s.calls > 0) {
            let id = || vec![pair(series::STATEMENT, &s.id)];
            metrics[0].push(scalar(MetricType::COUNTER, s.calls as f64, id()));
            for (class, n) in &s.errors {
                let labels = vec![pair(series::CLASS, class), pair(series::STATEMENT, &s.id)];
                metrics[1].push(scalar(MetricType::COUNTER, *n as f64, labels));
            }
            metrics[2].push(scalar(MetricType::COUNTER, s.rows as f64, id()));
            let mut h = Histogram::default();
            // The buckets' own sum, not `calls`: the two are read one after the other while
            // calls go on, and `_count` must never be below a bucket.
            h.set_sample_count(s.buckets.iter().sum());
            h.set_sample_sum(s.total_seconds);
            let mut cumulative = 0;
            let buckets = DURATION_BUCKETS
                .iter()
                .zip(&s.buckets)
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
            m.set_label(id());
            metrics[3].push(m);
        }
        let slow = self.observer.slow_calls() as f64;
        metrics[4].push(scalar(MetricType::COUNTER, slow, vec![]));
        let in_use = self.observer.connections_in_use() as f64;
        metrics[5].push(scalar(MetricType::GAUGE, in_use, vec![]));
        let kinds = [
            MetricType::COUNTER,
            MetricType::COUNTER,
            MetricType::COUNTER,
            MetricType::HISTOGRAM,
            MetricType::COUNTER,
            MetricType::GAUGE,
        ];
        metrics
            .into_iter()
            .zip(kinds)
            .zip(self.names.iter().zip(FAMILIES))
            .filter(|((m, _), _)| !m.is_empty())
            .map(|((m, kind), (name, (_, help)))| {
                let mut f = MetricFamily::default();
                f.set_name(name.clone());
                f.set_help(help.to_owned());
                f.set_field_type(kind);
                f.set_metric(m);
                f
            })
            .collect()
    }
}

impl DbObserver {
    /// Registers the statement series into `registry` under `prefix` — the registration
    /// every crate offers: `<prefix>_db_statements_total{statement}`,
    /// `_db_statement_errors_total{statement,class}`, `_db_statement_rows_total{statement}`,
    /// `_db_statement_duration_seconds{statement}` (histogram), `_db_slow_statements_total`,
    /// `_db_connections_in_use`. `statement` is the fingerprint's id, never its text.
    ///
    /// ```
    /// let observer = steadfast_db::DbObserver::default();
    /// let registry = prometheus::Registry::new();
    /// observer.register_prometheus(&registry, &steadfast_core::Prefix::default())?;
    /// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather())?;
    /// assert!(text.contains("steadfast_db_connections_in_use 0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered.
    pub fn register_prometheus(
        &self,
        registry: &Registry,
        prefix: &Prefix,
    ) -> prometheus::Result<()> {
        let names: Vec<String> = FAMILIES.iter().map(|(n, _)| prefix.name(n)).collect();
        let descs = names
            .iter()
            .zip(FAMILIES)
            .map(|(n, (_, help))| Desc::new(n.clone(), help.to_owned(), vec![], Default::default()))
            .collect::<prometheus::Result<Vec<_>>>()?;
        registry.register(Box::new(Exporter {
            observer: self.clone(),
            names,
            descs,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_count_is_never_below_a_bucket_while_calls_go_on() {
        let observer = DbObserver::default();
        let registry = Registry::new();
        observer
            .register_prometheus(&registry, &Prefix::default())
            .unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        // The worst scrape seen: `_count` minus the top bucket, checked after the writer
        // stopped (a panic inside the scope would leave it running).
        let mut worst = 0i64;
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    observer.observe("select 1", Duration::from_micros(100), 1, None);
                }
            });
            for _ in 0..20_000 {
                for family in registry.gather() {
                    if family.get_field_type() != MetricType::HISTOGRAM {
                        continue;
                    }
                    for m in family.get_metric() {
                        let h = m.get_histogram();
                        let top = h.get_bucket().last().map_or(0, |b| b.cumulative_count());
                        let behind = i64::try_from(top).unwrap_or(i64::MAX)
                            - i64::try_from(h.get_sample_count()).unwrap_or(0);
                        worst = worst.max(behind);
                    }
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        assert_eq!(worst, 0, "_count was below a bucket");
    }
}
