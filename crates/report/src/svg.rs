//! Small inline SVG charts (no scripts): timeline bars and horizontal bar charts (line
//! charts with axes are in `chart`).
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
