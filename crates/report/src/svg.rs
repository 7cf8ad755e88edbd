//! Small inline SVG charts (no scripts): timeline bars, horizontal bar charts, sparklines.
//! Every chart has a `<title>` and `role="img"` with an `aria-label`, and every number it
//! shows is also in a table next to it.

use std::fmt::Write as _;

use crate::html::esc;

/// One bar of a timeline: a label, start and end as fractions of the run, and a class.
pub(crate) struct Span {
    pub(crate) label: String,
    pub(crate) from: f64,
    pub(crate) to: f64,
    pub(crate) class: &'static str,
    pub(crate) note: String,
}

/// Steps as bars on a shared time axis.
pub(crate) fn timeline(title: &str, spans: &[Span]) -> String {
    let (w, row, left) = (720.0, 26.0, 120.0);
    let h = row * spans.len() as f64 + 8.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, sp) in spans.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let x = left + (w - left - 8.0) * sp.from.clamp(0.0, 1.0);
        let width = ((w - left - 8.0) * (sp.to - sp.from).clamp(0.0, 1.0)).max(2.0);
        let _ = write!(
            s,
            r#"<text x="4" y="{ty}" class="label">{l}</text><rect x="{x:.1}" y="{y}" width="{width:.1}" height="{bh}" class="{c}"><title>{l}: {n}</title></rect>"#,
            ty = y + 15.0,
            l = esc(&sp.label),
            bh = row - 8.0,
            c = sp.class,
            n = esc(&sp.note),
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of `values` (label, value, shown text), scaled to the largest.
pub(crate) fn bars(title: &str, values: &[(String, f64, String)]) -> String {
    let (w, row, left) = (720.0, 22.0, 220.0);
    let h = row * values.len() as f64 + 8.0;
    let max = values
        .iter()
        .map(|v| v.1)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (label, value, shown)) in values.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let width = ((w - left - 90.0) * value / max).max(1.0);
        let _ = write!(
            s,
            r#"<text x="4" y="{ty}" class="label">{l}</text><rect x="{left}" y="{y}" width="{width:.1}" height="{bh}" class="bar"/><text x="{tx:.1}" y="{ty}" class="value">{v}</text>"#,
            ty = y + 14.0,
            l = esc(label),
            bh = row - 6.0,
            tx = left + width + 6.0,
            v = esc(shown),
        );
    }
    s.push_str("</svg>");
    s
}

/// A sparkline of `points` (x, y), with optional horizontal reference lines (value, label).
pub(crate) fn sparkline(title: &str, points: &[(f64, f64)], lines: &[(f64, &str)]) -> String {
    let (w, h) = (240.0, 48.0);
    let mut s = format!(
        r#"<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    if points.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let (x0, x1) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let ymax = points
        .iter()
        .map(|p| p.1)
        .chain(lines.iter().map(|l| l.0))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let sx = |x: f64| {
        if x1 > x0 {
            2.0 + (w - 4.0) * (x - x0) / (x1 - x0)
        } else {
            w / 2.0
        }
    };
    let sy = |y: f64| h - 3.0 - (h - 6.0) * (y / ymax);
    for (value, label) in lines {
        let _ = write!(
            s,
            r#"<line x1="0" x2="{w}" y1="{y:.1}" y2="{y:.1}" class="ref"><title>{l}</title></line>"#,
            y = sy(*value),
            l = esc(label)
        );
    }
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
        .collect();
    let _ = write!(s, r#"<polyline points="{}" class="line"/>"#, path.join(" "));
    s.push_str("</svg>");
    s
}
