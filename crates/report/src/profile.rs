//! The page's profiler section: the top components by self time with their percentiles
//! (durations in core's compact form, µs and ns below a millisecond), the SLOs judged at
//! finish, process memory, and (feature `flamegraph`) the flame graph.

use std::fmt::Write as _;

use steadfast_core::ByteSize;
use steadfast_perf_profiler::MemoryStats;

use crate::chart::{Chart, Unit, line_chart};
use crate::html::{badge, esc, ns};
use crate::svg::bars;
use crate::view::RunView;

pub(crate) fn profile(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"profile\">\n<h2>Profiler: top components</h2>\n");
    let Some(p) = &v.profile else {
        out.push_str("<p class=\"muted\">No profile.json.</p>\n</section>\n");
        return;
    };
    let mut top: Vec<_> = p.components.iter().collect();
    top.sort_by_key(|c| std::cmp::Reverse(c.self_ns));
    top.truncate(10);
    let values: Vec<(String, f64, String)> = top
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.self_ns as f64,
                format!("{} ({:.0}%)", ns(c.self_ns), c.share * 100.0),
            )
        })
        .collect();
    out.push_str(&bars("Self time of the top components", &values));
    out.push_str("\n<table><thead><tr><th>Component</th><th class=\"num\">Calls</th><th class=\"num\">Self</th><th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">Max</th></tr></thead><tbody>\n");
    for c in &top {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&c.name),
            c.calls,
            ns(c.self_ns),
            ns(c.p50_ns),
            ns(c.p95_ns),
            ns(c.p99_ns),
            ns(c.max_ns)
        );
    }
    out.push_str("</tbody></table>\n");
    slos(out, p);
    memory(out, p.memory.as_ref());
    memory_curve(out, v);
    #[cfg(feature = "flamegraph")]
    if !p.folded.is_empty() {
        let svg = p.flamegraph_svg();
        let svg = svg.find("<svg").map_or("", |i| &svg[i..]);
        // Fonts through CSS: HTML checkers flag SVG presentation attributes on <svg>.
        // Inline SVG in HTML needs no namespace: the page names no outside address at all.
        let svg = svg
            .replacen(
                r#" font-family="monospace" font-size="12">"#,
                r#" role="img" aria-label="Flame graph: self time by call path">"#,
                1,
            )
            .replacen(r#"<svg xmlns="http://www.w3.org/2000/svg""#, "<svg", 1);
        let _ = write!(
            out,
            "<h3>Flame graph</h3>\n<div class=\"flame\">{svg}</div>\n"
        );
    }
    out.push_str("</section>\n");
}

/// The run's latency targets judged at finish, and the health score.
fn slos(out: &mut String, p: &steadfast_perf_profiler::Snapshot) {
    if p.slos.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>SLOs</h3>\n<p>Health score <strong>{:.0}</strong>/100 (Apdex of the SLO components, weighted by self time)</p>",
        p.health.as_ref().map_or(100.0, |h| h.score)
    );
    out.push_str("<table><thead><tr><th>Status</th><th>Component</th><th class=\"num\">Percentile</th><th class=\"num\">Observed</th><th class=\"num\">Target</th></tr></thead><tbody>\n");
    for r in &p.slos {
        let observed = r.observed_ns.map_or_else(|| "not seen".to_owned(), ns);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">p{}</td><td class=\"num\">{observed}</td><td class=\"num\">{}</td></tr>",
            // A component never timed is not judged: no verdict, not a pass.
            badge(r.observed_ns.map(|_| r.status)),
            esc(&r.slo.component),
            format!("{:.1}", r.slo.percentile * 100.0).trim_end_matches(".0"),
            ns(u64::try_from(r.slo.target.as_nanos()).unwrap_or(u64::MAX))
        );
    }
    out.push_str("</tbody></table>\n");
}

/// Process memory over the run: the gauge a `Run` sets at every memory sample in its
/// metrics (drawn when there are two samples or more).
fn memory_curve(out: &mut String, v: &RunView) {
    let points: Vec<(f64, f64)> = v
        .metrics
        .iter()
        .flat_map(|m| &m.records)
        .filter(|r| {
            r.step == steadfast_perf_profiler::series::RUN_STEP
                && r.name == steadfast_perf_profiler::series::RUN_RSS_BYTES
        })
        .filter_map(|r| Some((r.ts.since(v.manifest.started).as_secs_f64(), r.value?)))
        .collect();
    if points.len() < 2 {
        return;
    }
    let x_end = v
        .manifest
        .finished
        .map_or(0.0, |f| f.since(v.manifest.started).as_secs_f64());
    let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let _ = writeln!(
        out,
        "{}",
        line_chart(&Chart {
            title: "Resident memory over the run (each memory sample)",
            unit: Unit::Bytes,
            x_end,
            summary: format!("peak {}", Unit::Bytes.format(peak)),
            segments: vec![points],
        })
    );
}

/// Process memory as `profile.json` keeps it: the last sample and the peak.
fn memory(out: &mut String, m: Option<&MemoryStats>) {
    out.push_str("<h3>Memory</h3>\n");
    let Some(m) = m else {
        out.push_str(
            "<p class=\"muted\">Not sampled (the run's memory sampler did not run).</p>\n",
        );
        return;
    };
    let human = |b: u64| ByteSize::new(b).human();
    #[allow(clippy::cast_precision_loss, reason = "bar lengths")]
    let values = [
        (
            "Resident (last sample)".to_owned(),
            m.rss_bytes as f64,
            human(m.rss_bytes),
        ),
        (
            "Resident (peak)".to_owned(),
            m.peak_rss_bytes as f64,
            human(m.peak_rss_bytes),
        ),
    ];
    out.push_str(&bars(
        "Resident memory of the process: last sample and peak",
        &values,
    ));
    let _ = writeln!(
        out,
        "\n<p>Resident set size {} at the last of {} samples, peak {}.</p>",
        human(m.rss_bytes),
        m.samples,
        human(m.peak_rss_bytes)
    );
}
