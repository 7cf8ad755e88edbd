//! The page's disk section: watermark crossings, fill predictions and the runs cleanup
//! deleted (from `disk-events.ndjson`), each in words.

use std::fmt::Write as _;

use serde_json::Value;
use steadfast_core::{ByteSize, Timestamp};

use super::RunView;
use super::svg::{esc, sparkline};

/// One event as (what, detail), escaped for HTML.
fn describe(e: &Value) -> (String, String) {
    let text = |key: &str| esc(e[key].as_str().unwrap_or("?"));
    let bytes = |key: &str| {
        e[key]
            .as_u64()
            .map_or_else(|| "?".to_owned(), |b| ByteSize::new(b).human())
    };
    match e["event"].as_str() {
        Some("deleted") => (
            "cleanup deleted".to_owned(),
            format!("run <code>{}</code> ({})", text("run"), bytes("bytes")),
        ),
        Some(kind @ ("crossed" | "recovered")) => (
            format!("{kind} {}", text("level")),
            format!(
                "<code>{}</code>: {} available",
                text("path"),
                bytes("available")
            ),
        ),
        Some("fill_predicted") => (
            "fill predicted".to_owned(),
            format!(
                "<code>{}</code> full in {} s at the recent rate; {} available",
                text("path"),
                e["seconds_to_full"].as_u64().unwrap_or(0),
                bytes("available")
            ),
        ),
        _ => (
            "event".to_owned(),
            format!("<code>{}</code>", esc(&e.to_string())),
        ),
    }
}

pub(super) fn disk(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"disk\">\n<h2>Disk</h2>\n");
    let free: Vec<(f64, f64)> = v
        .disk_events
        .iter()
        .filter_map(|e| {
            Some((
                e["ts"].as_str()?.parse::<Timestamp>().ok()?,
                e["available"].as_f64()?,
            ))
        })
        .map(|(t, b)| (t.since(v.manifest.started).as_secs_f64(), b))
        .collect();
    if !free.is_empty() {
        out.push_str(&sparkline("Available bytes at each disk event", &free, &[]));
    }
    if v.disk_events.is_empty() {
        out.push_str("<p>No watermark crossings and no cleanup during the run.</p>\n");
    } else {
        out.push_str(
            "<table><thead><tr><th>When</th><th>Event</th><th>Detail</th></tr></thead><tbody>\n",
        );
        for e in &v.disk_events {
            let (what, detail) = describe(e);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{what}</td><td>{detail}</td></tr>",
                esc(e["ts"].as_str().unwrap_or("?"))
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
}
