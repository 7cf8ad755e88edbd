//! The run-directory contract, shared vocabulary and safe file primitives of Steadfast.
//!
//! Every Steadfast crate stands on this one: a pipeline run is a directory ([`RunDir`]) with
//! a manifest ([`RunManifest`]), an `.active` lock ([`ActiveLock`]) and well-known files
//! ([`files`]); whole files are written atomically ([`atomic_write`]); append-only files are
//! NDJSON that survives a crash ([`NdjsonWriter`], [`read_ndjson`]); verdicts are a
//! [`Status`]; sizes and durations are written the way people write them ([`ByteSize`],
//! [`SizeOrPercent`], [`HumanDuration`]); and credentials never leave in a string
//! ([`redact_credentials`]).
//!
//! ```
//! use steadfast_core::{ByteSize, HumanDuration, RunDir, RunManifest, RunState, Status, Timestamp};
//!
//! let root = tempfile::tempdir()?;
//! let run = RunDir::create(root.path(), "epic-fhir")?;
//! let lock = run.lock()?;
//! let mut manifest = RunManifest::new(run.id(), "epic-fhir", Timestamp::now());
//! run.write_manifest(&manifest)?;
//!
//! // … the pipeline runs …
//!
//! manifest.state = RunState::Finished;
//! manifest.status = Some(Status::worst([Status::Pass, Status::Warn]));
//! run.write_manifest(&manifest)?;
//! lock.release()?;
//!
//! let min_free: ByteSize = "10GiB".parse()?;
//! let timeout: HumanDuration = "30s".parse()?;
//! assert_eq!(min_free.bytes(), 10 << 30);
//! assert_eq!(timeout.get().as_secs(), 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
pub mod audit;
pub mod bulk_manifest;
pub mod config;
mod duration;
mod error;
mod escape;
mod lock;
mod manifest;
mod ndjson;
mod ndjson_read;
mod percent;
mod rand;
mod redact;
mod run_dir;
mod run_dir_create;
mod safe_fs;
pub mod series;
mod size;
mod status;
mod step;
mod time;

pub use atomic::{atomic_write, atomic_write_with, sync_dir};
pub use duration::HumanDuration;
pub use error::{Error, Result};
pub use escape::{escape_markup, escape_terminal};
pub use lock::{ActiveLock, LockState};
pub use manifest::{
    AuditSeal, MANIFEST_FORMAT_VERSION, MANIFEST_OLDEST_READABLE, RunManifest, RunState,
    ValidationIndex,
};
pub use ndjson::{BadLine, NdjsonRead, NdjsonWriter, TornLine};
pub use ndjson_read::{NdjsonReader, read_ndjson, read_ndjson_lenient};
pub use percent::SizeOrPercent;
pub use rand::SplitMix64;
pub use redact::{REDACTED, redact_credentials};
pub use run_dir::{RunDir, RunEntry, files, validate_pipeline_name};
pub use safe_fs::{
    Links, check_write_target, describe_file_type, open_append, open_regular, read_regular,
    read_regular_to_string, unique_name,
};
pub use series::Prefix;
pub use size::ByteSize;
pub use status::{ParseStatusError, Status};
pub use step::{StepKind, StepRecord};
pub use time::{ParseTimestampError, Timestamp};
