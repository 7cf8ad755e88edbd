//! Two runs side by side with deltas; what got worse by more than 10% is marked a
//! regression (in words as well as colour).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::db_compare::statements;
use crate::html::{badge, delta, esc, head, ms, ns};
use crate::view::RunView;

/// Two runs on one page: headers, per-step durations and records, profiler p95 per
/// component, database statements matched by fingerprint, validation status — each with its delta from A to B; what got worse by more
/// than 10% is marked a regression in words as well as colour.
///
/// ```
/// use steadfast_core::{RunManifest, Timestamp};
/// use steadfast_report::{RunView, render_compare};
///
/// let a = RunView::new(RunManifest::new("nightly-20260101T000000Z-aaaaaa", "nightly", Timestamp::now()));
/// let b = RunView::new(RunManifest::new("nightly-20260102T000000Z-bbbbbb", "nightly", Timestamp::now()));
/// let page = render_compare(&a, &b);
/// assert!(page.contains("Run comparison") && page.contains("nightly-20260102T000000Z-bbbbbb"));
/// ```
pub fn render_compare(a: &RunView, b: &RunView) -> String {
    let mut out = String::new();
    head(
        &mut out,
        &format!("Compare {} and {}", a.manifest.id, b.manifest.id),
    );
    out.push_str("<main>\n<header><h1>Run comparison</h1></header>\n<section id=\"runs\">\n<h2>Runs</h2>\n<div class=\"cols\">\n");
    for (label, v) in [("A", a), ("B", b)] {
        let m = &v.manifest;
        let _ = writeln!(
            out,
            "<div><h3>{label}: {} {}</h3><p>{} · {} · {}</p></div>",
            esc(&m.id),
            badge(m.status),
            esc(&m.pipeline),
            m.started,
            m.finished
                .map_or_else(|| "unfinished".to_owned(), |f| ms(f.since(m.started))),
        );
    }
    out.push_str("</div>\n</section>\n<section id=\"steps\">\n<h2>Steps</h2>\n<table><thead><tr><th>Step</th><th class=\"num\">Duration A</th><th class=\"num\">Duration B</th><th>Δ</th><th class=\"num\">Records out A</th><th class=\"num\">Records out B</th><th>Δ</th></tr></thead><tbody>\n");
    let mut names: Vec<&str> = a.manifest.steps.iter().map(|s| s.name.as_str()).collect();
    for s in &b.manifest.steps {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    for name in names {
        let find = |v: &RunView| v.manifest.steps.iter().find(|s| s.name == name).cloned();
        let (sa, sb) = (find(a), find(b));
        let dur = |s: &Option<steadfast_core::StepRecord>| {
            s.as_ref()
                .and_then(|s| s.finished.map(|f| f.since(s.started).as_secs_f64()))
        };
        let rec = |s: &Option<steadfast_core::StepRecord>| s.as_ref().and_then(|s| s.records_out);
        let show_d = |x: Option<f64>| {
            x.map_or_else(
                || "—".to_owned(),
                |s| ms(std::time::Duration::from_secs_f64(s)),
            )
        };
        let show_r = |x: Option<u64>| x.map_or_else(|| "—".to_owned(), |n| n.to_string());
        let dd = match (dur(&sa), dur(&sb)) {
            (Some(x), Some(y)) => delta(x, y, true),
            _ => "—".to_owned(),
        };
        let dr = match (rec(&sa), rec(&sb)) {
            (Some(x), Some(y)) => delta(x as f64, y as f64, false),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{dd}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{dr}</td></tr>",
            esc(name),
            show_d(dur(&sa)),
            show_d(dur(&sb)),
            show_r(rec(&sa)),
            show_r(rec(&sb)),
        );
    }
    out.push_str("</tbody></table>\n</section>\n<section id=\"profile\">\n<h2>Profiler p95 per component</h2>\n<table><thead><tr><th>Component</th><th class=\"num\">p95 A</th><th class=\"num\">p95 B</th><th>Δ</th></tr></thead><tbody>\n");
    let p95 = |v: &RunView| -> BTreeMap<String, u64> {
        v.profile
            .as_ref()
            .map(|p| {
                p.components
                    .iter()
                    .map(|c| (c.name.clone(), c.p95_ns))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (pa, pb) = (p95(a), p95(b));
    let mut all: Vec<&String> = pa.keys().chain(pb.keys()).collect();
    all.sort();
    all.dedup();
    if all.is_empty() {
        out.push_str(
            "<tr><td colspan=\"4\" class=\"muted\">No profile.json in either run.</td></tr>\n",
        );
    }
    for c in all {
        let (x, y) = (pa.get(c).copied(), pb.get(c).copied());
        let d = match (x, y) {
            (Some(x), Some(y)) => delta(x as f64, y as f64, true),
            _ => "—".to_owned(),
        };
        let show = |n: Option<u64>| n.map_or_else(|| "—".to_owned(), ns);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{d}</td></tr>",
            esc(c),
            show(x),
            show(y)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
    statements(&mut out, a, b);
    out.push_str("<section id=\"validation\">\n<h2>Validation</h2>\n<table><thead><tr><th>Rule</th><th>A</th><th>B</th></tr></thead><tbody>\n");
    let rules = |v: &RunView| -> BTreeMap<String, (steadfast_core::Status, String)> {
        v.validation
            .as_ref()
            .map(|r| {
                r.results
                    .iter()
                    .map(|x| (x.name.clone(), (x.status, x.observed.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ra, rb) = (rules(a), rules(b));
    let mut names: Vec<&String> = ra.keys().chain(rb.keys()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        out.push_str(
            "<tr><td colspan=\"3\" class=\"muted\">Neither run was validated.</td></tr>\n",
        );
    }
    for n in names {
        let cell = |r: Option<&(steadfast_core::Status, String)>| {
            r.map_or_else(
                || "—".to_owned(),
                |(s, o)| format!("{} {}", badge(Some(*s)), esc(o)),
            )
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(n),
            cell(ra.get(n)),
            cell(rb.get(n))
        );
    }
    out.push_str("</tbody></table>\n</section>\n</main>\n<footer>Written by Steadfast; self-contained, no scripts.</footer>\n</body>\n</html>\n");
    out
}
