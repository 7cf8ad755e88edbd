//! Line charts with axes (inline SVG, no scripts): x is the time since the run started
//! (s, min or h), y has tick labels in the series' unit — plain numbers and rates, bytes
//! (B/KiB/MiB/GiB), durations (ns/µs/ms/s). Every chart has a visible title, a `<title>`
//! and `role="img"` with an `aria-label` that says what it shows; every string is escaped.

use std::fmt::Write as _;
use std::time::Duration;

use steadfast_core::ByteSize;

use crate::html::esc;

/// What a chart's values measure: how its y ticks and a table's cells are written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Unit {
    /// A count or a rate of one, said on the axis (`records/s`); ticks `250`, `1.5k`, `2M`.
    Number(String),
    /// Bytes: ticks `512 MiB`, `1.5 GiB`.
    Bytes,
    /// Bytes per second: ticks `2 MiB/s`.
    BytesPerSec,
    /// Seconds, ticks as durations: `250µs`, `1.5s`, `2min`.
    Seconds,
}

/// Binary byte units and their size.
const BYTES: [(&str, f64); 5] = [
    ("B", 1.0),
    ("KiB", 1024.0),
    ("MiB", 1_048_576.0),
    ("GiB", 1_073_741_824.0),
    ("TiB", 1_099_511_627_776.0),
];
/// Duration units and their length in seconds.
const SECONDS: [(&str, f64); 6] = [
    ("ns", 1e-9),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("min", 60.0),
    ("h", 3600.0),
];
/// Decimal prefixes for plain numbers.
const DECIMAL: [(&str, f64); 4] = [("", 1.0), ("k", 1e3), ("M", 1e6), ("G", 1e9)];

/// The largest unit of `units` that `max` fills at least once (the first when none).
fn pick(units: &[(&'static str, f64)], max: f64) -> (&'static str, f64) {
    units
        .iter()
        .rev()
        .find(|(_, size)| max.abs() >= *size)
        .or(units.first())
        .copied()
        .unwrap_or(("", 1.0))
}

/// A step of 1, 2 or 5 times a power of ten that cuts `range` into about `target` parts.
fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let n = raw / magnitude;
    let m = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * magnitude
}

/// `v` with as many decimals as `step` needs (`0.25`, `1.5`, `20`).
fn decimals(v: f64, step: f64) -> String {
    #[allow(clippy::cast_possible_truncation, reason = "clamped to 0..=6")]
    #[allow(clippy::cast_sign_loss, reason = "clamped to 0..=6")]
    let places = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    let s = format!("{v:.places$}");
    // -0 reads oddly on an axis.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_owned()
    } else {
        s
    }
}

impl Unit {
    /// The unit's scale for values up to `max`: (suffix, size of one).
    fn scale(&self, max: f64) -> (&'static str, f64) {
        match self {
            Self::Number(_) => pick(&DECIMAL, max),
            Self::Bytes | Self::BytesPerSec => pick(&BYTES, max),
            Self::Seconds => pick(&SECONDS, max),
        }
    }

    /// A tick label for `v` on an axis cut in `step`s, values up to `max` (zero is `0`).
    fn tick(&self, v: f64, step: f64, max: f64) -> String {
        if v.abs() < step * 1e-6 {
            return "0".to_owned();
        }
        let (suffix, size) = self.scale(max);
        let n = decimals(v / size, step / size);
        match self {
            Self::Number(_) => format!("{n}{suffix}"),
            Self::Bytes => format!("{n} {suffix}"),
            Self::BytesPerSec => format!("{n} {suffix}/s"),
            Self::Seconds => format!("{n}{suffix}"),
        }
    }

    /// One value in the unit, for tables and labels (`1.2k records/s`, `1.5 GiB`, `30µs`).
    pub(crate) fn format(&self, v: f64) -> String {
        if !v.is_finite() {
            return "—".to_owned();
        }
        // Sizes and durations in core's one compact form, as everywhere else on the page.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "whole non-negative bytes"
        )]
        match self {
            Self::Bytes if v >= 0.0 => return ByteSize::new(v.round() as u64).human(),
            Self::BytesPerSec if v >= 0.0 => {
                return format!("{}/s", ByteSize::new(v.round() as u64).human());
            }
            Self::Seconds if v >= 0.0 => {
                return crate::html::ms(Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX));
            }
            _ => {}
        }
        let (suffix, size) = self.scale(v);
        let scaled = v / size;
        let n = if (scaled - scaled.round()).abs() < 1e-9 || scaled.abs() >= 100.0 {
            format!("{scaled:.0}")
        } else if scaled.abs() >= 1.0 {
            format!("{scaled:.1}")
        } else {
            format!("{scaled:.3}")
        };
        match self {
            Self::Number(u) if u.is_empty() => format!("{n}{suffix}"),
            Self::Number(u) => format!("{n}{suffix} {u}"),
            Self::Bytes => format!("{n} {suffix}"),
            Self::BytesPerSec => format!("{n} {suffix}/s"),
            Self::Seconds => format!("{n}{suffix}"),
        }
    }

    /// What the y axis measures, written above it.
    fn caption(&self) -> &str {
        match self {
            Self::Number(u) if u.is_empty() => "value",
            Self::Number(u) => u,
            Self::Bytes => "bytes",
            Self::BytesPerSec => "bytes/s",
            Self::Seconds => "duration",
        }
    }
}

/// A line chart: `segments` of one series (x in seconds since the run started, y in
/// `unit`), drawn over `[0, x_end]`; a gap between segments is a gap in the line.
pub(crate) struct Chart<'a> {
    /// Shown above the chart and read out by screen readers.
    pub(crate) title: &'a str,
    /// What y measures.
    pub(crate) unit: Unit,
    /// The run's length in seconds: where the x axis ends.
    pub(crate) x_end: f64,
    /// The line's pieces, each a list of (x, y).
    pub(crate) segments: Vec<Vec<(f64, f64)>>,
    /// A sentence that sums the chart up for screen readers (peak, last value).
    pub(crate) summary: String,
}

const W: f64 = 520.0;
const H: f64 = 200.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 38.0;

/// The x axis' unit for a run of `x_end` seconds: seconds, then minutes, then hours.
fn time_unit(x_end: f64) -> (&'static str, f64) {
    if x_end < 180.0 {
        ("s", 1.0)
    } else if x_end < 3.0 * 3600.0 {
        ("min", 60.0)
    } else {
        ("h", 3600.0)
    }
}

/// The chart as inline SVG.
pub(crate) fn line_chart(c: &Chart<'_>) -> String {
    let points = || {
        c.segments
            .iter()
            .flatten()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
    };
    let x_end = points()
        .map(|p| p.0)
        .fold(c.x_end, f64::max)
        .max(f64::MIN_POSITIVE);
    let (ymin, ymax) = points().fold((0.0_f64, 0.0_f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let span = if ymax > ymin {
        ymax - ymin
    } else {
        ymax.abs().max(1.0)
    };
    // Steps in the unit's own scale: 0.5 GiB, not 500 000 000 bytes.
    let (_, size) = c.unit.scale(ymin.abs().max(ymax.abs()));
    let ystep = nice_step(span / size, 4.0) * size;
    let (y0, y1) = (
        (ymin / ystep).floor() * ystep,
        (ymax / ystep).ceil() * ystep,
    );
    let y1 = if y1 > y0 { y1 } else { y0 + ystep };
    let (x_suffix, x_size) = time_unit(x_end);
    let xstep = nice_step(x_end / x_size, 6.0) * x_size;
    let sx = |x: f64| LEFT + (W - LEFT - RIGHT) * (x / x_end).clamp(0.0, 1.0);
    let sy = |y: f64| H - BOTTOM - (H - TOP - BOTTOM) * ((y - y0) / (y1 - y0)).clamp(0.0, 1.0);
    let label = format!("{}: {}", c.title, c.summary);
    let mut s = format!(
        r#"<svg class="plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{l}"><title>{t}</title><text x="4" y="14" class="ctitle">{t}</text><text x="4" y="28" class="unit">{u}</text>"#,
        l = esc(&label),
        t = esc(c.title),
        u = esc(c.unit.caption()),
    );
    let mut y = y0;
    // Ticks in the same scale as the step.
    let ymax_label = ymin.abs().max(ymax.abs());
    while y <= y1 + ystep / 2.0 {
        let py = sy(y);
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" x2="{x2}" y1="{py:.1}" y2="{py:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" class="tick ytick">{v}</text>"#,
            x2 = W - RIGHT,
            tx = LEFT - 6.0,
            ty = py + 4.0,
            v = esc(&c.unit.tick(y, ystep, ymax_label)),
        );
        y += ystep;
    }
    let mut x = 0.0;
    while x <= x_end + xstep * 1e-6 {
        let px = sx(x);
        let _ = write!(
            s,
            r#"<line x1="{px:.1}" x2="{px:.1}" y1="{y1}" y2="{y2}" class="axis"/><text x="{px:.1}" y="{ty}" class="tick xtick">{v}{x_suffix}</text>"#,
            y1 = H - BOTTOM,
            y2 = H - BOTTOM + 4.0,
            ty = H - BOTTOM + 16.0,
            v = decimals(x / x_size, xstep / x_size),
        );
        x += xstep;
    }
    let _ = write!(
        s,
        r#"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{b}" class="axis"/><line x1="{LEFT}" x2="{r}" y1="{b}" y2="{b}" class="axis"/><text x="{r}" y="{cy}" class="caption">time since the run started</text>"#,
        b = H - BOTTOM,
        r = W - RIGHT,
        cy = H - 4.0,
    );
    for seg in &c.segments {
        let path: Vec<String> = seg
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        if path.len() == 1 {
            let _ = write!(
                s,
                r#"<circle cx="{}" r="2.5" class="dot"/>"#,
                path[0].replacen(',', "\" cy=\"", 1)
            );
        } else if !path.is_empty() {
            let _ = write!(s, r#"<polyline points="{}" class="line"/>"#, path.join(" "));
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::{Chart, Unit, line_chart, nice_step};

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(1000.0, 4.0), 500.0);
        assert_eq!(nice_step(7.0, 4.0), 2.0);
        assert!((nice_step(0.3, 4.0) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn ticks_and_values_speak_the_unit() {
        let rate = Unit::Number("records/s".into());
        assert_eq!(rate.tick(1500.0, 500.0, 2000.0), "1.5k");
        assert_eq!(rate.tick(250.0, 50.0, 250.0), "250");
        assert_eq!(rate.format(1234.0), "1.2k records/s");
        assert_eq!(
            Unit::Bytes.tick(1_610_612_736.0, 536_870_912.0, 2e9),
            "1.5 GiB"
        );
        assert_eq!(Unit::Bytes.format(2048.0), "2.0 KiB");
        assert_eq!(Unit::Seconds.tick(0.000_25, 0.000_05, 0.000_3), "250µs");
        assert_eq!(Unit::Seconds.format(0.000_03), "30.0µs");
        assert_eq!(Unit::Seconds.format(0.0), "0s");
        assert_eq!(Unit::BytesPerSec.format(3_145_728.0), "3.0 MiB/s");
    }

    #[test]
    fn a_chart_has_axes_a_title_and_escaped_text() {
        let svg = line_chart(&Chart {
            title: "<b>x</b> rate",
            unit: Unit::Number("x/s".into()),
            x_end: 600.0,
            segments: vec![vec![
                (0.0, 10.0),
                (300.0, 10.0),
                (300.0, 40.0),
                (600.0, 40.0),
            ]],
            summary: "peak 40 x/s".into(),
        });
        assert!(svg.starts_with(r#"<svg class="plot""#) && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img" aria-label="&lt;b&gt;x&lt;/b&gt; rate: peak 40 x/s""#));
        assert!(!svg.contains("<b>"));
        // Ten minutes: the time axis is in minutes, the y axis goes past the peak.
        assert!(svg.contains(">10min</text>") && svg.contains(">0min</text>"));
        assert!(svg.contains(">40</text>") && svg.contains("class=\"line\""));
    }

    #[test]
    fn nothing_to_draw_is_still_a_valid_chart() {
        let svg = line_chart(&Chart {
            title: "empty",
            unit: Unit::Bytes,
            x_end: 0.0,
            segments: Vec::new(),
            summary: "no samples".into(),
        });
        assert!(svg.contains("<title>empty</title>") && !svg.contains("NaN"));
    }
}
