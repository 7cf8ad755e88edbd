//! The composition of the Steadfast crates, re-exported by the `steadfast` facade:
//! [`Settings`], one `steadfast.toml` with a section per enabled crate, and `Run`, a
//! pipeline run wired end to end (compiled when `metrics`, `retry`, `diskwatch`,
//! `validation` and `perf-profiler` are all on).
//!
//! Each crate stays usable alone; this crate is where they meet, so the facade itself only
//! re-exports.
//!
//! ```
//! use steadfast_core::config::Loader;
//!
//! let loader = Loader::new().env_vars::<_, String, String>([]);
//! let settings = steadfast_run::Settings::load(&loader)?;
//! # let _ = settings;
//! # Ok::<(), steadfast_core::config::ConfigError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod run_config;
mod settings;
pub use run_config::RunConfig;
pub use settings::Settings;

/// The Run API, compiled when `metrics`, `retry`, `diskwatch`, `validation`, `perf-profiler` are on.
macro_rules! with_every_crate {
    ($($item:item)*) => {$(
        #[cfg(all(
            feature = "metrics",
            feature = "retry",
            feature = "diskwatch",
            feature = "validation",
            feature = "perf-profiler"
        ))]
        #[cfg_attr(
            docsrs,
            doc(cfg(all(
                feature = "metrics",
                feature = "retry",
                feature = "diskwatch",
                feature = "validation",
                feature = "perf-profiler"
            )))
        )]
        $item
    )*};
}

with_every_crate! {
    mod artefacts;
    mod error;
    mod pipeline;
    mod retry_record;
    mod run_builder;
    mod step;
    pub use error::{ExportError, RunError, exit};
    pub use artefacts::Artefacts;
    pub use pipeline::{Run, RunReport};
    pub use step::Step;
    pub use run_builder::RunBuilder;
}

#[cfg(all(
    feature = "db",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
#[cfg_attr(docsrs, doc(cfg(feature = "db")))]
mod db;

#[cfg(all(
    feature = "server",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
mod serve;
#[cfg(all(
    feature = "server",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub use serve::RunServer;
