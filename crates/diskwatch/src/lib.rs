//! Disk checks before big work, watermark monitoring, fill-time prediction, and safe cleanup.
//!
//! **Status: foundation only.** This crate will hold (issue "steadfast-diskwatch"):
//!
//! - `check(path)`: total, free, available and inode counts by a direct `statvfs`;
//! - `Preflight`: "need 12 GiB on /data before this step", with an error that says what to
//!   free;
//! - low / high / flood-stage watermarks as sizes or percentages, with hysteresis;
//! - a background monitor writing the run's `disk-events.ndjson`, with linear fill-time
//!   prediction;
//! - a cleanup policy for a runs root that never deletes an active run, never follows a
//!   symlink, and never leaves the root.
//!
//! Watermarks are written in the shared size vocabulary:
//!
//! ```
//! use steadfast_core::{ByteSize, SizeOrPercent};
//!
//! let high: SizeOrPercent = "85%".parse()?;
//! let flood: SizeOrPercent = "1GiB".parse()?;
//! assert_eq!(high, SizeOrPercent::Percent(85.0));
//! assert_eq!(flood, SizeOrPercent::Size(ByteSize::gib(1)));
//! # Ok::<(), steadfast_core::Error>(())
//! ```
