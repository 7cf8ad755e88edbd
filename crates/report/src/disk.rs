//! The page's disk section: watermark crossings, fill predictions and the runs cleanup
//! deleted (typed events from `disk-events.ndjson`, through steadfast-diskwatch's reader),
//! each in words — and every line that could not be read, with its file:line.

use std::fmt::Write as _;

use steadfast_core::{ByteSize, Timestamp, files};
use steadfast_diskwatch::{DiskEvent, Level};

use crate::chart::{Chart, Unit, line_chart};
use crate::html::esc;
use crate::view::RunView;

/// When an event happened.
fn when(e: &DiskEvent) -> Option<Timestamp> {
    match e {
        DiskEvent::Crossed { ts, .. }
        | DiskEvent::Recovered { ts, .. }
        | DiskEvent::FillPredicted { ts, .. }
        | DiskEvent::Deleted { ts, .. } => Some(*ts),
        _ => None,
    }
}

/// Available bytes at the event, for the ones that measured them.
fn available(e: &DiskEvent) -> Option<u64> {
    match e {
        DiskEvent::Crossed { available, .. }
        | DiskEvent::Recovered { available, .. }
        | DiskEvent::FillPredicted { available, .. } => Some(*available),
        _ => None,
    }
}

/// A level as the events file spells it (`low`, `flood`).
fn level_name(level: Level) -> String {
    serde_json::to_value(level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{level:?}"))
}

/// One event as (what, detail), escaped for HTML.
fn describe(e: &DiskEvent) -> (String, String) {
    let human = |b: u64| ByteSize::new(b).human();
    match e {
        DiskEvent::Deleted { run, bytes, .. } => (
            "cleanup deleted".to_owned(),
            format!("run <code>{}</code> ({})", esc(run), human(*bytes)),
        ),
        DiskEvent::Crossed {
            path,
            level,
            available,
            ..
        } => (
            format!("crossed {}", esc(&level_name(*level))),
            format!(
                "<code>{}</code>: {} available",
                esc(&path.display().to_string()),
                human(*available)
            ),
        ),
        DiskEvent::Recovered {
            path,
            level,
            available,
            ..
        } => (
            format!("recovered {}", esc(&level_name(*level))),
            format!(
                "<code>{}</code>: {} available",
                esc(&path.display().to_string()),
                human(*available)
            ),
        ),
        DiskEvent::FillPredicted {
            path,
            seconds_to_full,
            available,
            ..
        } => (
            "fill predicted".to_owned(),
            format!(
                "<code>{}</code> full in {seconds_to_full} s at the recent rate; {} available",
                esc(&path.display().to_string()),
                human(*available)
            ),
        ),
        // A kind this version does not describe yet: shown as written.
        other => (
            "event".to_owned(),
            format!(
                "<code>{}</code>",
                esc(&serde_json::to_string(other).unwrap_or_default())
            ),
        ),
    }
}

/// Lines of `disk-events.ndjson` that could not be read, by file name and line (never the
/// run's absolute path: the page may travel).
fn problems(out: &mut String, v: &RunView) {
    let read = &v.disk;
    if read.bad_lines.is_empty() && read.torn_tail.is_none() {
        return;
    }
    out.push_str("<p class=\"regression\">Lines of the disk events that could not be read (skipped):</p>\n<ul>\n");
    for bad in &read.bad_lines {
        let _ = writeln!(
            out,
            "<li><code>{}:{}:{}</code> not a disk event: {}</li>",
            files::DISK_EVENTS,
            bad.line,
            bad.column,
            esc(&bad.message)
        );
    }
    if let Some(torn) = &read.torn_tail {
        let _ = writeln!(
            out,
            "<li><code>{}:{}</code> cut off mid-write ({} bytes): the process stopped while writing it</li>",
            files::DISK_EVENTS,
            torn.line,
            torn.bytes
        );
    }
    out.push_str("</ul>\n");
}

pub(crate) fn disk(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"disk\">\n<h2>Disk</h2>\n");
    let events = &v.disk.events;
    let free: Vec<(f64, f64)> = events
        .iter()
        .filter_map(|e| Some((when(e)?, available(e)?)))
        .map(|(t, b)| (t.since(v.manifest.started).as_secs_f64(), b as f64))
        .collect();
    let sampled: Vec<(f64, f64)> = v
        .metrics
        .iter()
        .flat_map(|m| &m.records)
        .filter(|r| {
            r.step == steadfast_diskwatch::series::RUN_STEP
                && r.name == steadfast_diskwatch::series::RUN_AVAILABLE_BYTES
        })
        .filter_map(|r| Some((r.ts.since(v.manifest.started).as_secs_f64(), r.value?)))
        .collect();
    // The run's own samples (a gauge set at every monitor tick), else the events' readings.
    let (title, points) = if sampled.len() >= 2 {
        (
            "Available disk space over the run (each disk sample)",
            sampled,
        )
    } else {
        ("Available disk space at each disk event", free)
    };
    // One point draws no line; the table says it.
    if points.len() >= 2 {
        let x_end = v
            .manifest
            .finished
            .map_or(0.0, |f| f.since(v.manifest.started).as_secs_f64());
        let low = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let last = points.last().map_or(f64::NAN, |p| p.1);
        let _ = writeln!(
            out,
            "{}",
            line_chart(&Chart {
                title,
                unit: Unit::Bytes,
                x_end,
                summary: format!(
                    "lowest {}, last {}",
                    Unit::Bytes.format(low),
                    Unit::Bytes.format(last)
                ),
                segments: vec![points],
            })
        );
        let _ = writeln!(
            out,
            "<p>Available: lowest {}, last {}.</p>",
            Unit::Bytes.format(low),
            Unit::Bytes.format(last)
        );
    }
    if events.is_empty() {
        if v.disk.bad_lines.is_empty() && v.disk.torn_tail.is_none() {
            out.push_str("<p>No watermark crossings and no cleanup during the run.</p>\n");
        }
    } else {
        out.push_str(
            "<table><thead><tr><th>When</th><th>Event</th><th>Detail</th></tr></thead><tbody>\n",
        );
        for e in events {
            let (what, detail) = describe(e);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{what}</td><td>{detail}</td></tr>",
                when(e).map_or_else(|| "?".to_owned(), |t| t.to_string())
            );
        }
        out.push_str("</tbody></table>\n");
    }
    problems(out, v);
    out.push_str("</section>\n");
}
