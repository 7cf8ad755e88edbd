//! The hostile-input suite (issue 26): one module per class of attack, each run against the
//! real binary, asserting the answer, the exit code and that memory stays bounded.

mod config;
mod data;
mod runs;
