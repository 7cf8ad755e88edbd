//! One run's page, section by section.

use std::fmt::Write as _;

use steadfast_core::{Status, files};
use steadfast_metrics::Kind;

use crate::cache::cache;
use crate::db::db;
use crate::disk::disk;
use crate::html::{badge, esc, head, ms, num};
use crate::metrics::metrics;
use crate::profile::profile;
use crate::svg::{Span, timeline};
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

fn reliability(out: &mut String, v: &RunView) {
    use steadfast_retry::series as rs;
    // The run's own record of its retry policies and breaker (step `retry`, the retry
    // crate's names): each counter summed by one label's value, `None` when the series is
    // absent — "not recorded", never 0 — unless the run marked that it was recording.
    let totals = v.metrics.as_ref().map(|m| &m.totals);
    let present = |name: &str| {
        totals.is_some_and(|t| {
            t.series
                .keys()
                .any(|k| k.step == rs::RUN_STEP && k.name == name)
        })
    };
    let by_label = |name: &str, label: &str, marked: bool| {
        let mut by: Vec<(String, f64)> = Vec::new();
        for (k, t) in totals.iter().flat_map(|t| &t.series) {
            if k.step != rs::RUN_STEP || k.name != name || t.kind != Kind::Counter {
                continue;
            }
            let value = k
                .labels
                .iter()
                .find(|(l, _)| l == label)
                .map_or("", |(_, v)| v.as_str());
            match by.iter_mut().find(|(v, _)| v == value) {
                Some((_, n)) => *n += t.value,
                None => by.push((value.to_owned(), t.value)),
            }
        }
        by.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        (marked || present(name)).then_some(by)
    };
    let cell = |by: Option<Vec<(String, f64)>>, sep: &str| match by {
        None => "<td class=\"num muted\">not recorded</td>".to_owned(),
        Some(by) => {
            let total: f64 = by.iter().map(|(_, n)| n).sum();
            let parts: Vec<String> = by
                .iter()
                .filter(|(v, _)| !v.is_empty())
                .map(|(v, n)| format!("{}{sep}{}", esc(v), num(*n)))
                .collect();
            if parts.is_empty() {
                format!("<td class=\"num\">{}</td>", num(total + 0.0))
            } else {
                format!(
                    "<td class=\"num\">{} <span class=\"muted\">({})</span></td>",
                    num(total + 0.0),
                    parts.join(", ")
                )
            }
        }
    };
    let policies = present(rs::RUN_POLICIES);
    let breaker = present(rs::RUN_BREAKER_STATE);
    let retries = cell(by_label(rs::RUN_RETRIES, "", policies), "");
    let give_ups = cell(by_label(rs::RUN_GIVE_UPS, rs::LABEL_REASON, policies), " ");
    let errors = cell(
        by_label(rs::RUN_HTTP_ERRORS, rs::LABEL_STATUS, policies),
        " × ",
    );
    let openings = cell(
        by_label(rs::RUN_BREAKER_TRANSITIONS, rs::LABEL_TO, breaker).map(|by| {
            by.into_iter()
                .filter(|(to, _)| to == "open")
                .map(|(_, n)| (String::new(), n))
                .collect()
        }),
        "",
    );
    let _ = write!(
        out,
        "<section id=\"reliability\">\n<h2>Retries, circuit breaker, dead letters</h2>\n<table><tbody><tr><th>Retries</th>{retries}</tr><tr><th>Gave up</th>{give_ups}</tr><tr><th>HTTP errors</th>{errors}</tr><tr><th>Circuit-breaker openings</th>{openings}</tr><tr><th>Dead letters</th><td class=\"num\">{}</td></tr>{}</tbody></table>\n</section>\n",
        v.dead_letters,
        if v.dead_letters_quarantined > 0 {
            format!(
                "<tr><th>Quarantined after replays</th><td class=\"num\">{}</td></tr>",
                v.dead_letters_quarantined
            )
        } else {
            String::new()
        }
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

fn validation(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"validation\">\n<h2>Validation</h2>\n");
    match &v.validation {
        None => out.push_str("<p class=\"muted\">Not validated (no validation record).</p>\n"),
        Some(r) => {
            let _ = writeln!(
                out,
                "<p>{} {} rules, validated {}{}</p>",
                badge(Some(r.status)),
                r.results.len(),
                esc(&r.validated_at.to_string()),
                v.manifest
                    .validation
                    .as_ref()
                    .map(|i| format!(
                        " (the run's validation number {}, {})",
                        i.count,
                        esc(&i.latest)
                    ))
                    .unwrap_or_default()
            );
            results_table(out, &r.results);
        }
    }
    if !v.earlier_validations.is_empty() {
        out.push_str("<h3>Earlier validations</h3>\n<table><thead><tr><th>Status</th><th>Validated</th><th>Record</th></tr></thead><tbody>\n");
        for e in &v.earlier_validations {
            let (status, at) = match e.outcome {
                Some((s, t)) => (badge(Some(s)), esc(&t.to_string())),
                None => (badge(None), "report unreadable".to_owned()),
            };
            let _ = writeln!(
                out,
                "<tr><td>{status}</td><td>{at}</td><td>{}</td></tr>",
                esc(&e.record)
            );
        }
        out.push_str("</tbody></table>\n");
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
/// retries and dead letters, the response cache, the database, disk events, profiler, validation and
/// data quality. One self-contained HTML document: inline CSS and SVG, no scripts, every
/// string escaped.
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
    cache(&mut out, v);
    db(&mut out, v);
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
