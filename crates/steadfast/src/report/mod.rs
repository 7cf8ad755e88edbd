//! A run's page: one self-contained HTML file (inline CSS and SVG, no scripts, no fonts or
//! anything fetched), readable offline, printable, and safe to attach to a ticket — every
//! string from data or configuration is escaped, and no field value of a record appears.
//!
//! `Run::finish` writes `report.html` into the run; `steadfast report RUN_DIR` renders any
//! run, `--compare A B` two side by side.
//!
//! ```
//! let root = tempfile::tempdir()?;
//! let run = steadfast::Run::builder("nightly").runs_root(root.path())
//!     .env_vars::<_, String, String>([]).start()?;
//! run.metrics().counter("bronze", "records").add(10);
//! let report = run.finish()?;
//! let page = std::fs::read_to_string(report.run_dir.join("report.html"))?;
//! assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compare;
mod disk;
mod page;
mod svg;

use std::path::Path;

use steadfast_core::{RunDir, RunManifest};
use steadfast_metrics::RunMetrics;
use steadfast_perf_profiler::Snapshot;
use steadfast_validation::ValidationReport;
use steadfast_validation::data::DataReport;

pub use compare::render_compare;
pub use page::render;

/// Everything a run's page shows, read from its directory.
#[derive(Debug, Clone)]
pub struct RunView {
    /// `run.json`.
    pub manifest: RunManifest,
    /// `metrics.ndjson` (absent when the run recorded nothing).
    pub metrics: Option<RunMetrics>,
    /// `profile.json`.
    pub profile: Option<Snapshot>,
    /// `validation/report.json`.
    pub validation: Option<ValidationReport>,
    /// `validation/data-quality.json`.
    pub data_quality: Option<DataReport>,
    /// Lines in `deadletter.ndjson`.
    pub dead_letters: u64,
    /// `disk-events.ndjson`, one JSON object per event.
    pub disk_events: Vec<serde_json::Value>,
}

impl RunView {
    /// Reads the run at `dir`. Missing optional files are `None`/empty; a broken one is an
    /// error naming it.
    ///
    /// # Errors
    /// The directory is not a run, or one of its files cannot be read.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, crate::RunError> {
        let run = RunDir::open(dir.as_ref())?;
        let manifest = run.read_manifest()?;
        let metrics = if run.metrics_path().exists() {
            Some(steadfast_metrics::read_run(&run)?)
        } else {
            None
        };
        let profile = if run.profile_path().exists() {
            Some(Snapshot::read(run.profile_path())?)
        } else {
            None
        };
        // Regular files only (a FIFO would hang the page), at most 256 MiB each.
        let json = |path: std::path::PathBuf| -> Result<Option<String>, crate::RunError> {
            if std::fs::symlink_metadata(&path).is_err() {
                return Ok(None);
            }
            let bytes =
                steadfast_core::read_regular(&path, steadfast_core::Links::Follow, 256 << 20)?;
            Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
        };
        let bad = |path: &Path, e: serde_json::Error| -> crate::RunError {
            steadfast_core::Error::io("parse", path, std::io::Error::other(e.to_string())).into()
        };
        let report_path = run.validation_dir().join("report.json");
        let validation = match json(report_path.clone())? {
            Some(t) => Some(serde_json::from_str(&t).map_err(|e| bad(&report_path, e))?),
            None => None,
        };
        let dq_path = run.validation_dir().join("data-quality.json");
        let data_quality = match json(dq_path.clone())? {
            Some(t) => Some(serde_json::from_str(&t).map_err(|e| bad(&dq_path, e))?),
            None => None,
        };
        let dead_letters = json(run.dead_letter_path())?.map_or(0, |t| {
            t.lines().filter(|l| !l.trim().is_empty()).count() as u64
        });
        let disk_events = json(run.disk_events_path())?
            .map(|t| {
                t.lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            manifest,
            metrics,
            profile,
            validation,
            data_quality,
            dead_letters,
            disk_events,
        })
    }
}

/// The page's stylesheet: system fonts, AA-contrast colours always paired with a text label,
/// and a print layout.
const STYLE: &str = r#"
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
.spark .line { fill: none; stroke: var(--bar); stroke-width: 1.5; } .spark .ref { stroke: var(--fail); stroke-dasharray: 3 3; }
.regression { color: var(--fail); font-weight: 700; } .improvement { color: var(--pass); }
.muted { color: var(--muted); }
.flame svg { max-width: 100%; font: 12px monospace; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } section { break-inside: avoid; } .badge { color: #000; border: 1px solid #000; background: none !important; } a { color: inherit; text-decoration: none; } }
"#;
