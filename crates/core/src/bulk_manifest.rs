//! The manifest of a FHIR Bulk Data export's local copy (`manifest.json`): the IG's fields,
//! each file with its sha256 and size. One type for both sides — `steadfast-fhir`'s export
//! writes it, `steadfast-validation`'s `validate-data` reads it — so they cannot drift.

use serde::{Deserialize, Serialize};

/// The file name a local copy of a bulk export gives its manifest (what
/// `steadfast-fhir`'s export writes and `validate-data DIR/manifest.json` reads).
pub const MANIFEST_FILE: &str = "manifest.json";

/// A FHIR Bulk Data export manifest as `validate-data` reads it: the IG's fields, each
/// `output` entry optionally with the `sha256` (and `bytes`) of its local file. Writers
/// (`steadfast-fhir`'s export) serialise this type, so the two sides cannot drift; unknown
/// fields are ignored when reading.
///
/// ```
/// use steadfast_core::bulk_manifest::{BulkManifest, ManifestEntry};
///
/// let m = BulkManifest {
///     output: Some(vec![ManifestEntry { resource_type: Some("Patient".into()),
///         url: Some("Patient.ndjson".into()), count: Some(2), ..ManifestEntry::default() }]),
///     ..BulkManifest::default()
/// };
/// let text = serde_json::to_string(&m)?;
/// assert_eq!(text, r#"{"output":[{"type":"Patient","url":"Patient.ndjson","count":2}]}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkManifest {
    /// When the server's export ran (FHIR `instant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_time: Option<String>,
    /// The kick-off request (as the server saw it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Whether the files need the access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_access_token: Option<bool>,
    /// The data files: checked by `validate-data`.
    pub output: Option<Vec<ManifestEntry>>,
    /// The error files (`OperationOutcome` NDJSON): listed, not checked as data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Vec<ManifestEntry>>,
    /// The deleted-resources files (Bulk Data v2 `deleted`): listed, not checked as data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<ManifestEntry>>,
}

/// One file of a [`BulkManifest`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The resource type of every line (`Patient`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Where the file is: relative to the manifest's directory in a local copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Resources (lines) in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The file's sha256, lower-case hex (checked by `validate-data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The file's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}
