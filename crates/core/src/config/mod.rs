//! The workspace's configuration loader: one layering for every crate's section.
//!
//! Layers, lowest first: the section's built-in [`Default`] < the configuration file
//! (TOML, JSON or YAML, by extension) < its profile overlay (`steadfast.prod.toml` over
//! `steadfast.toml`) < environment variables (`STEADFAST_<SECTION>__<KEY>`) < explicit
//! overrides (`--set key=value`, dedicated flags). Strings in files may use `${VAR}` and
//! `${VAR:-default}`; a `<secret>_file` key (`password_file`) reads the secret from a file.
//!
//! Loading reports every problem at once, each where it was written, like rustc:
//! `thresholds.toml:3:1: unknown key 'row_count_treshold' in [validation]; did you mean
//! 'row_count_threshold'?` The result, [`Effective`], remembers where each value came from
//! and prints itself as commented TOML with secrets redacted.
//!
//! ```
//! use steadfast_core::config::{Config, Layer, Loader, Problems};
//!
//! #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Validation {
//!     row_count_threshold: f64,
//!     extract_step: String,
//! }
//! impl Default for Validation {
//!     fn default() -> Self {
//!         Self { row_count_threshold: 0.95, extract_step: "bronze".into() }
//!     }
//! }
//! impl Config for Validation {
//!     fn check(&self, problems: &mut Problems) {
//!         problems.ratio("row_count_threshold", self.row_count_threshold);
//!     }
//! }
//!
//! let effective = Loader::new()
//!     .toml_str("steadfast.toml", "[validation]\nrow_count_threshold = 0.9\n")
//!     .env_vars([("STEADFAST_VALIDATION__EXTRACT_STEP", "extract")])
//!     .set("row_count_threshold=0.8")
//!     .load_section::<Validation>("validation")?;
//! assert_eq!(effective.value().row_count_threshold, 0.8);
//! assert_eq!(effective.value().extract_step, "extract");
//! assert_eq!(effective.origin("row_count_threshold").layer, Layer::Override);
//! assert!(effective.to_toml().contains("# environment variable STEADFAST_VALIDATION__EXTRACT_STEP"));
//! # Ok::<(), steadfast_core::config::ConfigError>(())
//! ```

mod de;
mod diagnose;
mod effective;
mod env;
mod json;
pub mod keys;
mod lines;
mod loader;
mod node;
mod origin;
mod parse;
mod problem;
#[cfg(feature = "yaml")]
mod yaml;

pub use effective::Effective;
pub use env::is_secret_key;
pub use loader::Loader;
pub use origin::{Layer, Origin};
pub use problem::{ConfigError, Problem, Problems, suggest};

/// A configuration section: serde both ways, documented defaults, and the checks types
/// cannot express (ranges, combinations), reported into [`Problems`].
///
/// ```
/// use steadfast_core::config::{Config, Problems};
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Retry { multiplier: f64 }
///
/// impl Config for Retry {
///     fn check(&self, problems: &mut Problems) {
///         if self.multiplier < 1.0 {
///             problems.error("multiplier", format!("{} is below 1: delays would shrink", self.multiplier));
///         }
///     }
/// }
/// ```
pub trait Config: serde::Serialize + serde::de::DeserializeOwned + Default {
    /// Reports values out of range or in conflict; paths are relative to the section.
    fn check(&self, problems: &mut Problems) {
        let _ = problems;
    }
}
