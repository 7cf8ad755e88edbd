//! The names the demo records under, spelled once: its steps (also the names of their
//! data directories), the series every step records, their label, and the bulk export's
//! own series (all in step [`BRONZE`]).

/// Step: extraction (a bulk export and a paged search); data in `data/bronze/`.
pub(crate) const BRONZE: &str = "bronze";
/// Step: one flat row per resource; data in `data/silver/`.
pub(crate) const SILVER: &str = "silver";
/// Step: aggregates only; data in `data/gold/`.
pub(crate) const GOLD: &str = "gold";

/// Counter: records a step wrote (by [`RESOURCE_TYPE`] in bronze and silver).
pub(crate) const RECORDS: &str = "records";
/// Counter: bytes a step read from the server.
pub(crate) const BYTES: &str = "bytes";
/// Counter: records or requests a step failed on (recorded even at zero in silver, so the
/// error-rate alert has its numerator).
pub(crate) const ERRORS: &str = "errors";
/// Counter: search pages read, by [`RESOURCE_TYPE`].
pub(crate) const PAGES: &str = "pages";
/// Label: the FHIR resource type of [`RECORDS`] and [`PAGES`].
pub(crate) const RESOURCE_TYPE: &str = "resource_type";

/// Counter: status polls the export's client made.
pub(crate) const EXPORT_POLLS: &str = "export_polls";
/// Counter: files the export downloaded and verified.
pub(crate) const EXPORT_FILES: &str = "export_files";
/// Counter: retries of the export's requests (a file's 503).
pub(crate) const EXPORT_RETRIES: &str = "export_retries";
/// Counter: status polls the mock server answered (the client's count, seen from the
/// other side).
pub(crate) const MOCK_POLLS: &str = "mock_polls";
/// Counter: the mock's first status request of a job, answered 429 with `Retry-After`
/// (a server throttling its status endpoint).
pub(crate) const MOCK_THROTTLED_POLLS: &str = "mock_throttled_polls";
/// Counter: the mock's polls that came sooner than its last `Retry-After` asked (the
/// kick-off's included); a client that honours `Retry-After` makes none.
pub(crate) const MOCK_EARLY_POLLS: &str = "mock_early_polls";
/// Counter: the mock's downloads cut halfway.
pub(crate) const MOCK_CUT_DOWNLOADS: &str = "mock_cut_downloads";
/// Counter: the mock's downloads resumed with `Range` (206).
pub(crate) const MOCK_RESUMED_DOWNLOADS: &str = "mock_resumed_downloads";
/// Counter: the mock's files answered 503 with `Retry-After`.
pub(crate) const MOCK_UNAVAILABLE_FILES: &str = "mock_unavailable_files";
/// Counter: the mock's refused files asked again no sooner than their `Retry-After`.
pub(crate) const MOCK_RETRIES_AFTER_WAIT: &str = "mock_retries_after_wait";
/// Counter: the mock's jobs deleted at the end.
pub(crate) const MOCK_JOBS_DELETED: &str = "mock_jobs_deleted";
