//! One run's page, section by section.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use steadfast_core::{Status, files};
use steadfast_metrics::Kind;

use crate::disk::disk;
use crate::html::{badge, esc, head, ms, ns, num};
use crate::svg::{Span, bars, sparkline, timeline};
use crate::view::RunView;

fn header(out: &mut String, v: &RunView) {
    let m = &v.manifest;
    let duration = m
        .finished
        .map(|f| ms(f.since(m.started)))
        .unwrap_or_else(|| "—".to_owned());
    let _ = write!(
        out,
        "<header>\n<h1>Run {id} {badge}</h1>\n<dl class=\"meta\"><dt>Pipeline</dt><dd>{p}</dd><dt>State</dt><dd>{state}</dd><dt>Started</dt><dd>{s}</dd><dt>Finished</dt><dd>{f}</dd><dt>Duration</dt><dd>{duration}</dd><dt>Host</dt><dd>{h}</dd><dt>Steadfast</dt><dd>{ver}</dd><dt>Config digest</dt><dd>{digest}</dd></dl>\n</header>\n",
        id = esc(&m.id),
        badge = badge(m.status),
        p = esc(&m.pipeline),
        state = esc(&format!("{:?}", m.state).to_lowercase()),
        s = m.started,
        f = m.finished.map_or_else(|| "—".to_owned(), |t| t.to_string()),
        h = esc(&m.host),
        ver = esc(&m.steadfast_version),
        digest = esc(m.config_digest.as_deref().unwrap_or("—")),
    );
}

fn steps(out: &mut String, v: &RunView) {
    let m = &v.manifest;
    out.push_str("<section id=\"steps\">\n<h2>Steps</h2>\n");
    if m.steps.is_empty() {
        out.push_str("<p class=\"muted\">No steps recorded.</p>\n</section>\n");
        return;
    }
    let end = m
        .finished
        .or_else(|| m.steps.iter().filter_map(|s| s.finished).max())
        .unwrap_or(m.started);
    let total = end.since(m.started).as_secs_f64().max(1e-9);
    let spans: Vec<Span> = m
        .steps
        .iter()
        .map(|s| {
            let from = s.started.since(m.started).as_secs_f64() / total;
            let to = s
                .finished
                .map_or(1.0, |f| f.since(m.started).as_secs_f64() / total);
            let took = s
                .finished
                .map_or_else(|| "unfinished".to_owned(), |f| ms(f.since(s.started)));
            Span {
                label: s.name.clone(),
                from,
                to,
                class: match s.status {
                    Some(Status::Fail) => "fail",
                    Some(Status::Warn) => "warn",
                    _ => "step",
                },
                note: took,
            }
        })
        .collect();
    out.push_str(&timeline("Timeline of the run's steps", &spans));
    out.push_str("\n<table><thead><tr><th>Step</th><th>Status</th><th class=\"num\">Duration</th><th class=\"num\">Records in</th><th class=\"num\">Records out</th><th class=\"num\">Out / in</th><th class=\"num\">vs previous step</th></tr></thead><tbody>\n");
    let mut previous: Option<u64> = None;
    for s in &m.steps {
        let num = |x: Option<u64>| x.map_or_else(|| "—".to_owned(), |n| n.to_string());
        let ratio = match (s.records_in, s.records_out) {
            (Some(i), Some(o)) if i > 0 => format!("{:.3}", o as f64 / i as f64),
            _ => "—".to_owned(),
        };
        let vs_prev = match (previous, s.records_out) {
            (Some(p), Some(o)) if p > 0 => format!("{:.3}", o as f64 / p as f64),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{ratio}</td><td class=\"num\">{vs_prev}</td></tr>",
            esc(&s.name),
            s.status
                .map_or_else(|| "—".to_owned(), |st| st.as_str().to_owned()),
            s.finished
                .map_or_else(|| "—".to_owned(), |f| ms(f.since(s.started))),
            num(s.records_in),
            num(s.records_out),
        );
        if s.records_out.is_some() {
            previous = s.records_out;
        }
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// A series' kind, its points over the run, and its running value.
type Series = (Kind, Vec<(f64, f64)>, f64);

fn metrics(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"metrics\">\n<h2>Metrics over the run</h2>\n");
    let Some(m) = &v.metrics else {
        out.push_str("<p class=\"muted\">No metrics.ndjson.</p>\n</section>\n");
        return;
    };
    // step.name → (kind, points of the running total or the gauge value).
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    let start = v.manifest.started;
    for r in &m.records {
        let key = format!("{}.{}", r.step, r.name);
        let x = r.ts.since(start).as_secs_f64();
        let entry = series
            .entry(key)
            .or_insert_with(|| (r.kind, Vec::new(), 0.0));
        match r.kind {
            Kind::Counter => entry.2 += r.value.unwrap_or(0.0),
            Kind::Gauge => entry.2 = r.value.unwrap_or(0.0),
            Kind::Histogram => entry.2 += r.count.unwrap_or(0) as f64,
        }
        let y = entry.2;
        match entry.1.last_mut() {
            Some(last) if (last.0 - x).abs() < 1e-9 => last.1 = y,
            _ => entry.1.push((x, y)),
        }
    }
    out.push_str("<table><thead><tr><th>Series (step.name)</th><th>Kind</th><th class=\"num\">Total / last</th><th>Over the run</th></tr></thead><tbody>\n");
    for (key, (kind, points, last)) in &series {
        let mut points = points.clone();
        if points.len() == 1 {
            points.insert(0, (0.0, 0.0));
        }
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(key),
            match kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
                Kind::Histogram => "histogram (count)",
            },
            num(*last),
            sparkline(&format!("{key} over the run"), &points, &[]),
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn reliability(out: &mut String, v: &RunView) {
    let total = |name: &str| -> f64 {
        v.metrics.as_ref().map_or(0.0, |m| {
            m.records
                .iter()
                .filter(|r| r.name == name && r.kind == Kind::Counter)
                .filter_map(|r| r.value)
                .sum()
        })
    };
    let _ = write!(
        out,
        "<section id=\"reliability\">\n<h2>Retries, circuit breaker, dead letters</h2>\n<table><tbody><tr><th>Retries</th><td class=\"num\">{}</td></tr><tr><th>HTTP errors</th><td class=\"num\">{}</td></tr><tr><th>Circuit-breaker openings</th><td class=\"num\">{}</td></tr><tr><th>Dead letters</th><td class=\"num\">{}</td></tr></tbody></table>\n</section>\n",
        num(total("retries") + 0.0),
        num(total("http_errors") + 0.0),
        num(total("circuit_opened") + 0.0),
        v.dead_letters
    );
    dead_letter_problems(out, v);
}

/// Lines of `deadletter.ndjson` that are not dead letters, by file name and line: shown,
/// never dropped (and never their content: it may hold an item's data).
fn dead_letter_problems(out: &mut String, v: &RunView) {
    if v.dead_letter_problems.is_empty() && v.dead_letter_torn.is_none() {
        return;
    }
    out.push_str("<p class=\"regression\">Lines of the dead letters that are not dead letters (not counted above):</p>\n<ul>\n");
    for bad in &v.dead_letter_problems {
        let _ = writeln!(
            out,
            "<li><code>{}:{}:{}</code> not a dead letter</li>",
            files::DEAD_LETTER,
            bad.line,
            bad.column
        );
    }
    if let Some(torn) = &v.dead_letter_torn {
        let _ = writeln!(
            out,
            "<li><code>{}:{}</code> cut off mid-write ({} bytes)</li>",
            files::DEAD_LETTER,
            torn.line,
            torn.bytes
        );
    }
    out.push_str("</ul>\n");
}

fn profile(out: &mut String, v: &RunView) {
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

fn validation(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"validation\">\n<h2>Validation</h2>\n");
    match &v.validation {
        None => out.push_str("<p class=\"muted\">Not validated (no validation/report.json).</p>\n"),
        Some(r) => {
            let _ = writeln!(
                out,
                "<p>{} {} rules</p>",
                badge(Some(r.status)),
                r.results.len()
            );
            results_table(out, &r.results);
        }
    }
    out.push_str("</section>\n");
}

fn results_table(out: &mut String, results: &[steadfast_validation::RuleResult]) {
    out.push_str("<table><thead><tr><th>Status</th><th>Rule</th><th>Observed</th><th>Expected</th><th>Detail</th></tr></thead><tbody>\n");
    for r in results {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            badge(Some(r.status)),
            esc(&r.name),
            esc(&r.observed),
            esc(&r.expected),
            esc(&r.message)
        );
    }
    out.push_str("</tbody></table>\n");
}

fn data_quality(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"data-quality\">\n<h2>Data quality</h2>\n");
    let Some(d) = &v.data_quality else {
        out.push_str("<p class=\"muted\">No data-quality checks in this run.</p>\n</section>\n");
        return;
    };
    let broken: Vec<_> = d
        .results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .cloned()
        .collect();
    let _ = writeln!(
        out,
        "<p>{} {} records checked, {} rules, {} broken. Locations only; values are never shown here.</p>",
        badge(Some(d.status)),
        d.records(),
        d.results.len(),
        broken.len()
    );
    if !broken.is_empty() {
        results_table(out, &broken);
        out.push_str("<ul>\n");
        for r in &broken {
            for l in &r.locations {
                let _ = writeln!(
                    out,
                    "<li>{}: <code>{}:{}</code> {} {}</li>",
                    esc(&r.name),
                    esc(&l.file),
                    l.line,
                    esc(l.field.as_deref().unwrap_or("")),
                    esc(&l.message)
                );
            }
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// The page of one run: header, steps (timeline and table), metrics over the run,
/// retries and dead letters, disk events, profiler, validation and data quality. One
/// self-contained HTML document: inline CSS and SVG, no scripts, every string escaped.
///
/// ```
/// use steadfast_core::{RunManifest, Timestamp};
/// use steadfast_report::{RunView, render};
///
/// let view = RunView::new(RunManifest::new("nightly-20260101T000000Z-abc123", "nightly<&>", Timestamp::now()));
/// let page = render(&view);
/// assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
/// assert!(page.contains("nightly&lt;&amp;&gt;"));
/// ```
pub fn render(v: &RunView) -> String {
    let mut out = String::new();
    head(
        &mut out,
        &format!("Run {} — {}", v.manifest.id, v.manifest.pipeline),
    );
    out.push_str("<main>\n");
    header(&mut out, v);
    steps(&mut out, v);
    metrics(&mut out, v);
    reliability(&mut out, v);
    disk(&mut out, v);
    profile(&mut out, v);
    validation(&mut out, v);
    data_quality(&mut out, v);
    let _ = write!(
        out,
        "</main>\n<footer>Written by Steadfast {} from the run directory; self-contained, no scripts.</footer>\n</body>\n</html>\n",
        esc(&v.manifest.steadfast_version)
    );
    out
}
