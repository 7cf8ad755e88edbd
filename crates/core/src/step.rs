//! `StepRecord` and `StepKind`: one step of a run as `run.json` keeps it.

use serde::{Deserialize, Serialize};

use crate::status::Status;
use crate::time::Timestamp;

/// What a step does to the records passing through it, which decides whether the
/// `row_count` rule compares its count with its input's.
///
/// ```
/// use steadfast_core::StepKind;
///
/// assert!(StepKind::Transform.preserves_records());
/// assert!(!StepKind::Aggregate.preserves_records());
/// assert!(!StepKind::Extract.preserves_records());
/// assert_eq!(serde_json::to_string(&StepKind::Load)?, "\"load\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepKind {
    /// Reads records from a source (an EHR API, a bulk export): the first count.
    Extract,
    /// Reshapes records one for one (flatten, map, clean): its count should keep its input's.
    Transform,
    /// Summarises records (counts, sums per group): fewer records out is its purpose.
    Aggregate,
    /// Writes records to a destination (a warehouse, a table): its count should keep its input's.
    Load,
}

impl StepKind {
    /// Whether the step passes its input's records through one for one (transform, load),
    /// so a falling count means records were lost and `row_count` compares it with its
    /// input by default. An extract reads from a source; an aggregate summarises.
    pub fn preserves_records(self) -> bool {
        matches!(self, Self::Transform | Self::Load)
    }

    /// The kind's name as written in `run.json` (`extract`, `transform`, `aggregate`, `load`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Extract => "extract",
            Self::Transform => "transform",
            Self::Aggregate => "aggregate",
            Self::Load => "load",
        }
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a run (`bronze`, `silver`, `gold`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step's name.
    pub name: String,
    /// What the step does, when it said (manifest v2); `None` is judged as a transform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<StepKind>,
    /// The step whose count this step's `row_count` ratio is taken against (default: the
    /// step counted before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_from: Option<String>,
    /// When it started.
    pub started: Timestamp,
    /// When it ended, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
    /// Records the step read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_in: Option<u64>,
    /// Records the step wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_out: Option<u64>,
    /// The step's own verdict, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

impl StepRecord {
    /// A step that started at `started`.
    pub fn new(name: impl Into<String>, started: Timestamp) -> Self {
        Self {
            name: name.into(),
            kind: None,
            ratio_from: None,
            started,
            finished: None,
            records_in: None,
            records_out: None,
            status: None,
        }
    }

    /// How long the step took, once finished.
    pub fn duration(&self) -> Option<std::time::Duration> {
        self.finished.map(|f| f.since(self.started))
    }
}
