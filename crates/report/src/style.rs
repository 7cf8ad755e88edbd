//! The pages' stylesheet: system fonts, AA-contrast colours always paired with a text label,
//! and a print layout. Inline in every page, so a page needs nothing fetched.

/// The page's stylesheet: system fonts, AA-contrast colours always paired with a text label,
/// and a print layout.
pub(crate) const STYLE: &str = r#"
:root { --fg:#1b1f24; --muted:#4a5360; --line:#d0d7de; --pass:#116329; --warn:#7a4d00; --fail:#a40e26; --bar:#2f6fb3; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
header { border-bottom: 2px solid var(--line); margin-bottom: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid var(--line); }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: .15rem 1rem; margin: .5rem 0 1rem; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: .3rem; font-weight: 700; color: #fff; }
.badge.pass { background: var(--pass); } .badge.warn { background: var(--warn); } .badge.fail { background: var(--fail); } .badge.none { background: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; }
.chart text.label, .chart text.value { font-size: 12px; fill: var(--fg); }
.chart rect.bar, .chart rect.step { fill: var(--bar); } .chart rect.fail { fill: var(--fail); } .chart rect.warn { fill: var(--warn); }
.plot { max-width: 100%; height: auto; } .plot text { font-size: 11px; fill: var(--muted); } .plot .ctitle { font-size: 13px; font-weight: 600; fill: var(--fg); }
.plot .ytick { text-anchor: end; } .plot .xtick { text-anchor: middle; } .plot .caption { text-anchor: end; }
.plot .grid { stroke: var(--line); stroke-width: .5; } .plot .axis { stroke: var(--muted); stroke-width: 1; }
.plot .line { fill: none; stroke: var(--bar); stroke-width: 1.5; } .plot .dot { fill: var(--bar); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: .5rem 1.5rem; } .charts figure { margin: 0; }
.regression { color: var(--fail); font-weight: 700; } .improvement { color: var(--pass); }
.muted { color: var(--muted); }
.flame svg { max-width: 100%; font: 12px monospace; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } section { break-inside: avoid; } .badge { color: #000; border: 1px solid #000; background: none !important; } a { color: inherit; text-decoration: none; } }
"#;
