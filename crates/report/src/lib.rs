//! A pipeline run's page: one self-contained HTML file (inline CSS and SVG, no scripts, no
//! fonts or anything fetched), readable offline, printable, and safe to attach to a ticket —
//! every string from data or configuration is escaped, and no field value of a record
//! appears. And two runs side by side, with what got worse marked a regression.
//!
//! A consumer crate: it reads what every other crate wrote into the run directory through
//! their typed readers and core's [`files`](steadfast_core::files) names — the manifest,
//! `metrics.ndjson`, `profile.json`, the validation and data-quality reports, the dead
//! letters and `disk-events.ndjson` (a line that cannot be read is shown, never dropped).
//! `steadfast::Run::finish` writes the page into the run as `report.html`;
//! `steadfast report RUN_DIR` renders any run, `--compare A B` two side by side.
//!
//! ```
//! use steadfast_core::{RunDir, RunManifest, Timestamp, files};
//!
//! let root = tempfile::tempdir()?;
//! let run = RunDir::create(root.path(), "nightly")?;
//! RunManifest::new(run.id(), "nightly", Timestamp::now()).write(run.manifest_path())?;
//! let written = steadfast_report::write_page(run.path())?; // load, render, write atomically
//! assert_eq!(written, run.path().join(files::REPORT_PAGE));
//! let page = std::fs::read_to_string(written)?;
//! assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cache;
mod chart;
mod compare;
mod db;
mod db_compare;
mod db_regress;
mod disk;
mod error;
mod html;
mod metrics;
mod page;
mod profile;
mod rates;
mod style;
mod svg;
mod view;

pub use compare::render_compare;
pub use db_regress::compare_statements;
pub use error::Error;
pub use page::render;
pub use view::{EarlierValidation, RunView};

/// Loads the run in `run_dir`, renders its page and writes it into the run as
/// `report.html` (atomically); the page's path.
///
/// # Errors
/// [`Error`] when the run cannot be read or the page cannot be written.
pub fn write_page(run_dir: impl AsRef<std::path::Path>) -> Result<std::path::PathBuf, Error> {
    let dir = run_dir.as_ref();
    let page = dir.join(steadfast_core::files::REPORT_PAGE);
    steadfast_core::atomic_write(&page, render(&RunView::load(dir)?))?;
    Ok(page)
}
