//! Folded stacks and a self-contained SVG flame graph from the call paths of timed calls a
//! profiler keeps at levels basic (the default) and detailed (feature `flamegraph`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{Profiler, Snapshot};

impl Profiler {
    /// Call paths in Brendan Gregg's folded format, `outer;inner self_ns` per line, sorted;
    /// feed it to `inferno-flamegraph` or `flamegraph.pl`, or use [`Profiler::flamegraph_svg`].
    /// Kept at the default level from the sampled calls, each path's self time scaled to all
    /// calls as [`Snapshot::folded`] says; empty only at [`Level::Off`](crate::Level::Off).
    ///
    /// ```
    /// use steadfast_perf_profiler::{Profiler, SampleRate};
    ///
    /// // The default level; one call in 4 timed.
    /// let p = Profiler::builder().sample_rate(SampleRate::EveryNth(4)).build();
    /// for _ in 0..8 {
    ///     let _a = p.span("transform");
    ///     let _b = p.span("parse");
    /// }
    /// let folded = p.folded_stacks();
    /// assert!(folded.contains("transform;parse "));
    /// ```
    pub fn folded_stacks(&self) -> String {
        lines(&self.folded())
    }

    /// A flame graph of [`folded_stacks`](Self::folded_stacks) as a standalone SVG: one
    /// rectangle per frame, width proportional to time, a tooltip with the time and share.
    pub fn flamegraph_svg(&self) -> String {
        svg(&self.folded_stacks())
    }
}

impl Snapshot {
    /// The flame graph of the call paths saved in this snapshot (a `profile.json` written
    /// at level basic or detailed), as a standalone SVG.
    pub fn flamegraph_svg(&self) -> String {
        svg(&lines(&self.folded))
    }
}

fn lines(folded: &[String]) -> String {
    let mut out = folded.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[derive(Default)]
struct Node {
    total: u64,
    children: BTreeMap<String, Self>,
}

/// Renders folded stacks as an SVG flame graph.
fn svg(folded: &str) -> String {
    let mut root = Node::default();
    for line in folded.lines() {
        let Some((stack, ns)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(ns) = ns.parse::<u64>() else { continue };
        root.total += ns;
        let mut node = &mut root;
        for frame in stack.split(';') {
            node = node.children.entry(frame.to_owned()).or_default();
            node.total += ns;
        }
    }
    const WIDTH: f64 = 1200.0;
    const ROW: f64 = 18.0;
    let depth = max_depth(&root);
    #[allow(clippy::cast_precision_loss, reason = "pixel arithmetic")]
    let height = (depth as f64 + 1.0) * ROW + 30.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"monospace\" font-size=\"12\">\n\
         <text x=\"4\" y=\"16\">steadfast flame graph (self time by call path)</text>\n"
    );
    #[allow(clippy::cast_precision_loss, reason = "pixel arithmetic")]
    let scale = if root.total == 0 {
        0.0
    } else {
        WIDTH / root.total as f64
    };
    draw(&mut out, &root, 0.0, 0, scale, height, root.total);
    out.push_str("</svg>\n");
    out
}

fn max_depth(node: &Node) -> usize {
    node.children
        .values()
        .map(|c| 1 + max_depth(c))
        .max()
        .unwrap_or(0)
}

fn draw(out: &mut String, node: &Node, x: f64, level: usize, scale: f64, height: f64, all: u64) {
    let mut cursor = x;
    for (name, child) in &node.children {
        #[allow(clippy::cast_precision_loss, reason = "pixel arithmetic")]
        let (w, y) = (
            child.total as f64 * scale,
            height - (level as f64 + 1.0) * 18.0,
        );
        #[allow(clippy::cast_precision_loss, reason = "a share")]
        let share = if all == 0 {
            0.0
        } else {
            child.total as f64 / all as f64 * 100.0
        };
        let name_xml = steadfast_core::escape_markup(name);
        // Warm colours vary with the name, as flamegraph.pl does.
        let hue = name
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
            % 55;
        let _ = writeln!(
            out,
            "<g><title>{name_xml} ({}, {share:.1}%)</title><rect x=\"{cursor:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"17\" fill=\"hsl({hue},85%,60%)\"/>{}</g>",
            crate::fmt_ns(child.total),
            if w > 40.0 {
                format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\">{name_xml}</text>",
                    cursor + 3.0,
                    y + 13.0
                )
            } else {
                String::new()
            }
        );
        draw(out, child, cursor, level + 1, scale, height, all);
        cursor += w;
    }
}
