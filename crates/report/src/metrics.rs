//! The page's metrics section: every series of `metrics.ndjson` as what happened when —
//! counters as rates (records/s, retries/s) per flush interval, gauges as their value,
//! histograms as observations/s and their median per interval — each on a chart with axes
//! and units, and the numbers in a table.
//!
//! A line of `metrics.ndjson` is a flush's aggregate: a counter's increase, a histogram's
//! count and bucket counts since the previous flush, a gauge's value when it changed. All
//! lines of one flush share its timestamp, so the distinct timestamps are the flush
//! instants: a rate is a series' increase at a flush over the time since the flush before
//! (the run's start for the first).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use steadfast_metrics::{Kind, MetricRecord};

use crate::chart::{Chart, Unit, line_chart};
use crate::html::esc;
use crate::rates::{interval_ends, interval_of, median, rates, steps};
use crate::view::RunView;

/// One series' lines, in file order, as (seconds since the run started, record).
struct Series<'a> {
    kind: Kind,
    name: &'a str,
    records: Vec<(f64, &'a MetricRecord)>,
}

/// What a series' values measure, from its name (`*_bytes`, `*_seconds`).
fn value_unit(name: &str) -> Unit {
    let base = name.trim_end_matches("_total");
    if base.ends_with("bytes") {
        Unit::Bytes
    } else if base.ends_with("_seconds") || base.ends_with("_secs") {
        Unit::Seconds
    } else {
        Unit::Number(String::new())
    }
}

/// What a counter's rate measures: `records/s`, `retries/s`, bytes/s.
fn rate_unit(name: &str) -> Unit {
    match value_unit(name) {
        Unit::Bytes => Unit::BytesPerSec,
        _ => Unit::Number(format!("{}/s", name.trim_end_matches("_total"))),
    }
}

/// An interval's merged histogram: bounds, bucket counts, min and max.
type Buckets = (Vec<f64>, Vec<u64>, f64, f64);

/// One series' row and chart.
struct Drawn {
    kind: &'static str,
    cells: [String; 3],
    charts: Vec<String>,
}

fn counter(key: &str, s: &Series<'_>, ends: &[f64], x_end: f64) -> Drawn {
    let unit = rate_unit(s.name);
    let total: f64 = s.records.iter().filter_map(|(_, r)| r.value).sum();
    let rate = rates(
        ends,
        s.records.iter().map(|(x, r)| (*x, r.value.unwrap_or(0.0))),
    );
    let peak = rate.iter().copied().fold(0.0, f64::max);
    let title = format!("{key} — {}", unit_words(&unit));
    let chart = line_chart(&Chart {
        title: &title,
        summary: format!("peak {}", unit.format(peak)),
        unit: unit.clone(),
        x_end,
        segments: vec![steps(ends, &rate)],
    });
    Drawn {
        kind: "counter",
        cells: [
            crate::html::num(total),
            unit.format(total / x_end.max(1e-9)),
            unit.format(peak),
        ],
        charts: vec![chart],
    }
}

fn gauge(key: &str, s: &Series<'_>, x_end: f64) -> Drawn {
    let unit = value_unit(s.name);
    let values: Vec<(f64, f64)> = s
        .records
        .iter()
        .filter_map(|(x, r)| Some((*x, r.value.filter(|v| v.is_finite())?)))
        .collect();
    // A gauge holds its value until the next line sets another.
    let mut line: Vec<(f64, f64)> = Vec::with_capacity(values.len() * 2 + 1);
    for &(x, v) in &values {
        if let Some(&(_, prev)) = line.last() {
            line.push((x, prev));
        }
        line.push((x, v));
    }
    if let Some(&(x, v)) = line.last()
        && x < x_end
    {
        line.push((x_end, v));
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let last = values.last().map_or(f64::NAN, |p| p.1);
    let title = format!("{key} — {}", unit_words(&unit));
    let chart = line_chart(&Chart {
        title: &title,
        summary: format!("last {}", unit.format(last)),
        unit: unit.clone(),
        x_end,
        segments: vec![line],
    });
    Drawn {
        kind: "gauge",
        cells: [unit.format(last), unit.format(lo), unit.format(hi)],
        charts: vec![chart],
    }
}

fn histogram(key: &str, s: &Series<'_>, ends: &[f64], x_end: f64) -> Drawn {
    let unit = Unit::Number("observations/s".to_owned());
    let count: u64 = s.records.iter().filter_map(|(_, r)| r.count).sum();
    let sum: f64 = s.records.iter().filter_map(|(_, r)| r.sum).sum();
    let rate = rates(
        ends,
        s.records
            .iter()
            .map(|(x, r)| (*x, r.count.unwrap_or(0) as f64)),
    );
    let peak = rate.iter().copied().fold(0.0, f64::max);
    let title = format!("{key} — observations/s");
    let mut charts = vec![line_chart(&Chart {
        title: &title,
        summary: format!("peak {}", unit.format(peak)),
        unit: unit.clone(),
        x_end,
        segments: vec![steps(ends, &rate)],
    })];
    // The median per interval, from the bucket counts each line carries.
    let values = value_unit(s.name);
    let mut merged: Vec<Option<Buckets>> = vec![None; ends.len()];
    for (x, r) in &s.records {
        let (Some(bounds), Some(counts)) = (&r.bounds, &r.bucket_counts) else {
            continue;
        };
        // One count per bucket: bounds and +Inf. A line that disagrees is not read.
        if counts.len() != bounds.len() + 1 {
            continue;
        }
        let slot = &mut merged[interval_of(ends, *x)];
        let (min, max) = (r.min.unwrap_or(0.0), r.max.unwrap_or(f64::MAX));
        match slot {
            None => *slot = Some((bounds.clone(), counts.clone(), min, max)),
            // Buckets of other bounds do not add up: the interval keeps the first.
            Some((b, c, lo, hi)) if b == bounds && c.len() == counts.len() => {
                c.iter_mut().zip(counts).for_each(|(a, n)| *a += n);
                (*lo, *hi) = (lo.min(min), hi.max(max));
            }
            Some(_) => {}
        }
    }
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    let mut from = 0.0;
    for (end, m) in ends.iter().zip(&merged) {
        match m.as_ref().and_then(|(b, c, lo, hi)| median(b, c, *lo, *hi)) {
            Some(p50) if open => segments.last_mut().into_iter().for_each(|seg| {
                seg.extend([(from, p50), (*end, p50)]);
            }),
            Some(p50) => {
                segments.push(vec![(from, p50), (*end, p50)]);
                open = true;
            }
            None => open = false,
        }
        from = *end;
    }
    if !segments.is_empty() {
        let top = segments.iter().flatten().map(|p| p.1).fold(0.0, f64::max);
        let title = format!("{key} — median per interval");
        charts.push(line_chart(&Chart {
            title: &title,
            summary: format!("highest median {}", values.format(top)),
            unit: values.clone(),
            x_end,
            segments,
        }));
    }
    Drawn {
        kind: "histogram",
        cells: [
            count.to_string(),
            if count > 0 {
                values.format(sum / count as f64)
            } else {
                "—".to_owned()
            },
            unit.format(peak),
        ],
        charts,
    }
}

/// A unit in words for a chart's title.
fn unit_words(unit: &Unit) -> String {
    match unit {
        Unit::Number(u) if u.is_empty() => "value".to_owned(),
        Unit::Number(u) => u.clone(),
        Unit::Bytes => "bytes".to_owned(),
        Unit::BytesPerSec => "bytes/s".to_owned(),
        Unit::Seconds => "duration".to_owned(),
    }
}

/// The series' name on the page: `step.name`; a gauge's labels too (values of different
/// label sets do not add up, unlike counts).
fn key_of(r: &MetricRecord) -> String {
    let mut key = format!("{}.{}", r.step, r.name);
    if r.kind == Kind::Gauge && !r.labels.is_empty() {
        let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(key, "{{{}}}", labels.join(","));
    }
    key
}

pub(crate) fn metrics(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"metrics\">\n<h2>Metrics over the run</h2>\n");
    let Some(m) = &v.metrics else {
        out.push_str("<p class=\"muted\">No metrics.ndjson.</p>\n</section>\n");
        return;
    };
    let start = v.manifest.started;
    let x_of = |r: &MetricRecord| r.ts.since(start).as_secs_f64();
    // The disk's free space is drawn under Disk, the process's memory under Profiler; the
    // cache's totals (recorded once, at the end: no rate to draw) are shown under Cache.
    let shown_elsewhere = |r: &MetricRecord| {
        r.step == steadfast_cache::series::RUN_STEP
            || (r.step == steadfast_diskwatch::series::RUN_STEP
                && r.name == steadfast_diskwatch::series::RUN_AVAILABLE_BYTES)
            || (r.step == steadfast_perf_profiler::series::RUN_STEP
                && r.name == steadfast_perf_profiler::series::RUN_RSS_BYTES)
    };
    let ends = interval_ends(m.records.iter().map(x_of));
    let run_end = v
        .manifest
        .finished
        .map_or(0.0, |f| f.since(start).as_secs_f64());
    let x_end = ends.last().copied().unwrap_or(1.0).max(run_end);
    let mut series: BTreeMap<String, Series<'_>> = BTreeMap::new();
    for r in m.records.iter().filter(|r| !shown_elsewhere(r)) {
        series
            .entry(key_of(r))
            .or_insert_with(|| Series {
                kind: r.kind,
                name: &r.name,
                records: Vec::new(),
            })
            .records
            .push((x_of(r), r));
    }
    if series.is_empty() {
        out.push_str(
            "<p class=\"muted\">No series besides the disk's free space.</p>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "<p>Counters as rates per flush interval, gauges as their value, histograms as observations per second and their median; time since the run started ({} intervals).</p>",
        ends.len()
    );
    out.push_str("<table><thead><tr><th>Series (step.name)</th><th>Kind</th><th class=\"num\">Total / last</th><th class=\"num\">Mean rate / lowest / mean value</th><th class=\"num\">Peak rate / highest</th></tr></thead><tbody>\n");
    let mut charts = String::new();
    for (key, s) in &series {
        let drawn = match s.kind {
            Kind::Counter => counter(key, s, &ends, x_end),
            Kind::Gauge => gauge(key, s, x_end),
            Kind::Histogram => histogram(key, s, &ends, x_end),
        };
        let [a, b, c] = &drawn.cells;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(key),
            drawn.kind,
            esc(a),
            esc(b),
            esc(c)
        );
        for chart in drawn.charts {
            let _ = writeln!(charts, "<figure>{chart}</figure>");
        }
    }
    let _ = write!(
        out,
        "</tbody></table>\n<div class=\"charts\">\n{charts}</div>\n</section>\n"
    );
}

#[cfg(test)]
mod tests {
    use super::{Unit, rate_unit, value_unit};

    #[test]
    fn a_series_name_says_its_unit() {
        assert_eq!(rate_unit("records"), Unit::Number("records/s".into()));
        assert_eq!(
            rate_unit("http_errors_total"),
            Unit::Number("http_errors/s".into())
        );
        assert_eq!(rate_unit("written_bytes_total"), Unit::BytesPerSec);
        assert_eq!(value_unit("rss_bytes"), Unit::Bytes);
        assert_eq!(value_unit("fetch_seconds"), Unit::Seconds);
        assert_eq!(value_unit("queue_depth"), Unit::Number(String::new()));
    }
}
