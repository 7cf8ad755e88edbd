//! Integration tests of `steadfast-validation`: real run directories on disk, real metrics
//! files written by steadfast-metrics, thresholds loaded through the layered loader.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod complete;
mod config_errors;
mod conformance_medplum;
mod conformance_report;
mod conformance_uscore;
mod data;
mod data_hostile;
mod data_inputs;
mod data_names;
mod data_props;
mod data_shard;
mod fixture;
mod reports;
mod runs;
mod tic;
mod tic_oracle;
